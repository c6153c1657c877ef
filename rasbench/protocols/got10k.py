"""The GOT-10k and TrackingNet families at run time: one pass from frame 1, repeated.

got10k's ``ExperimentGOT10k.run``: each repetition initialises the tracker on frame 1
with the ground-truth box and tracks to the end; 3 repetitions (the experiment's
``repetitions``), 1 for a tracker that declares itself deterministic. TrackingNet's test
server takes one run. The boxes are the annotation's (0-based pixels), handed over and
written as they are. A unit is the pending repetitions of one sequence.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..config.families import ProtocolOptions
from ..errors import TrackerError
from .base import Family, OnFrame, Outcome, RunContext, Unit, defined_repetitions
from .otb import Run, track_run


class GOT10kFamily(Family):
    name = "got10k"

    def repetitions(self, settings: ProtocolOptions, deterministic: Callable[[], bool],
                    requested: int | None = None) -> int:
        return defined_repetitions("GOT-10k", settings, deterministic, requested)

    def tracker_boxes(self, conv) -> str:
        return conv.run.boxes

    def run_unit(self, ctx: RunContext, unit: Unit, on_frame: OnFrame | None = None) -> Outcome:
        seq = ctx.dataset[unit.sequence]
        outcome = Outcome()
        for rep in unit.runs:
            run = Run(rep, 0, tuple(seq.groundtruth[0]), f"repetition {rep}")
            try:
                boxes, times, warnings = track_run(ctx.tracker, seq, run, ctx.convention,
                                                   None if on_frame is None else lambda f, r=rep: on_frame(r, f))
            except TrackerError as exc:
                ctx.record_failure(outcome, seq.name, rep, exc)
                break  # later repetitions would only repeat the failure
            ctx.store.write_unit(ctx.tracker_name, seq.name, rep, boxes, times)
            outcome.completed += 1
            outcome.frames += len(times)
            outcome.tracker_seconds += float(np.sum(times))
            outcome.warnings += warnings
        return outcome


class TrackingNetFamily(GOT10kFamily):
    """One run per sequence (what the server scores)."""

    name = "trackingnet"

    def repetitions(self, settings: ProtocolOptions, deterministic: Callable[[], bool],
                    requested: int | None = None) -> int:
        return Family.repetitions(self, settings, deterministic, requested)  # one run; none on request
