"""The VOT family at run time: reset-based baseline, real-time and unsupervised runs.

The loops here are the protocol: which frame the tracker sees, when a failure is
declared, when it is re-initialised, and what each frame of the result holds. They
know nothing about pixels or geometry: the caller supplies

* ``initialize(row)`` - initialise the tracker on frame ``row`` (0-based) from the
  ground truth; returns (the region the tracker reports, seconds it took);
* ``update(row)`` - give the tracker frame ``row``; returns (region, seconds);
* ``failed(row, region)`` - whether ``region`` has zero (bounded) overlap with the
  ground truth of frame ``row`` (the failure test of the benchmark's convention).

A trajectory holds one entry per frame: a region, or one of the VOT toolkit's codes
``INIT`` (1, the tracker was initialised there), ``FAILURE`` (2) or ``SKIP`` (0, not
processed), exactly what the result files store.

The numbers these loops and the scoring share (skip, burn-in, EAO interval, ...) are the
experiment's typed options (:mod:`rasbench.config.families`), read from its entry in the
benchmark definition.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..config.conventions import VOTConvention
from ..config.families import ProtocolOptions
from ..datasets.frames import FrameReader
from ..datasets.sequence import Sequence
from ..errors import ResultsError, TrackerError
from ..geometry.boxes import area_preserving_boxes, bounding_boxes
from ..geometry.raster import overlaps
from ..geometry.regions import POLYGON, RECTANGLE, SPECIAL, Regions
from ..results.vot import read_trajectory
from ..tracker import as_prediction, box_problem, takes_polygon, wants_paths
from .base import Family, OnFrame, Outcome, RunContext, Unit, defined_repetitions

SKIP, INIT, FAILURE = 0, 1, 2

@dataclass
class VOTRun:
    """Per-frame result entries and per-frame tracker times (NaN where not processed)."""

    entries: list[Any]
    times: list[float]
    seen: list[int] = field(default_factory=list)  # frames the tracker was given, in order

    @property
    def failures(self) -> int:
        return sum(1 for e in self.entries if isinstance(e, int) and e == FAILURE)


def run_supervised(n_frames: int, initialize: Callable[[int], tuple], update: Callable[[int], tuple],
                   failed: Callable[[int, Any], bool], skip_initialize: int) -> VOTRun:
    """The baseline experiment (VOT-M experiment_supervised.m, VOT-Py SupervisedExperiment).

    Initialise on frame 0; on every later frame, a region with no overlap is a failure
    (code 2 there); frames f+1 .. f+skip_initialize-1 are skipped (0) and the tracker is
    re-initialised on frame f+skip_initialize (code 1; VOT: f+5). A failure within the
    last skip_initialize frames ends the run.
    """
    run = VOTRun([SKIP] * n_frames, [math.nan] * n_frames)
    row = 0
    while row < n_frames:
        _, run.times[row] = initialize(row)
        run.entries[row] = INIT
        run.seen.append(row)
        row += 1
        while row < n_frames:
            region, seconds = update(row)
            run.times[row] = seconds
            run.seen.append(row)
            if failed(row, region):
                run.entries[row] = FAILURE
                row += skip_initialize
                break
            run.entries[row] = region
            row += 1
    return run


def run_unsupervised(n_frames: int, initialize: Callable[[int], tuple], update: Callable[[int], tuple]) -> VOTRun:
    """One pass without resets: frame 0 holds the init code, the rest the regions."""
    run = VOTRun([SKIP] * n_frames, [math.nan] * n_frames)
    _, run.times[0] = initialize(0)
    run.entries[0] = INIT
    run.seen.append(0)
    for row in range(1, n_frames):
        region, seconds = update(row)
        run.entries[row], run.times[row] = region, seconds
        run.seen.append(row)
    return run


def run_realtime(n_frames: int, initialize: Callable[[int], tuple], update: Callable[[int], tuple],
                 failed: Callable[[int, Any], bool], fps: float, grace: int, skip_initialize: int) -> VOTRun:
    """The real-time experiment: VOT-M's timing model (experiment_realtime.m, type 'real',
    critical mode), which the VOT2017 stack runs with fps 20, grace 3, skip 5.

    ``initialize(row)`` returns (reported region, seconds). Frames arrive every 1/fps.
    After each (re)initialisation the clock T restarts and the first ``grace`` responses
    (the initialisation included) are charged one frame interval whatever they took,
    later ones max(interval, measured time). A response to frame ``previous`` arrives
    when frame ``current = init + round(floor(T[ms] * fps) / 1000) - 1`` (0-based) is the
    newest: frames ``previous .. current-1`` keep the last reported region (zero-order
    hold) and ``current`` gets the new one, each checked against the ground truth; the
    tracker is then given frame ``current + 1``, so the frames in between are never
    seen. A failure re-initialises on ``current + skip_initialize``. As in VOT-M, when
    both a held frame and ``current`` fail, the failure is recorded at ``current``.
    """
    run = VOTRun([SKIP] * n_frames, [math.nan] * n_frames)
    interval_ms = 1000.0 / fps
    init_row = 0
    while init_row < n_frames:
        clock_ms, grace_left, offset = 0.0, grace, init_row - 1

        def arrived(seconds: float, offset: int = offset) -> int:
            """Advance the clock by one response; the newest arrived frame (0-based)."""
            nonlocal clock_ms, grace_left
            if grace_left > 0:
                clock_ms += interval_ms
                grace_left -= 1
            else:
                clock_ms += max(interval_ms, seconds * 1000.0)
            return offset + round(math.floor(clock_ms * fps) / 1000.0)

        held, seconds = initialize(init_row)
        run.times[init_row] = seconds
        run.entries[init_row] = INIT
        run.seen.append(init_row)
        sent = arrived(seconds) + 1
        init_row = n_frames  # unless a failure asks for a re-initialisation
        while sent < n_frames:
            region, seconds = update(sent)
            run.times[sent] = seconds
            run.seen.append(sent)
            current = arrived(seconds)
            failure_at = None
            for row in range(sent, min(n_frames, current)):
                if failed(row, held):
                    failure_at = row
                    break
                run.entries[row] = held
            if current < n_frames:
                if failed(current, region):
                    failure_at = current
                else:
                    run.entries[current] = region
            if failure_at is not None:
                run.entries[failure_at] = FAILURE
                init_row = current + skip_initialize
                break
            held = region
            sent = current + 1
    return run


# --------------------------------------------------------------------------- one run
def track_vot_run(tracker, seq: Sequence, settings: ProtocolOptions, conv: VOTConvention,
                  on_frame: Callable[[int], None] | None = None) -> VOTRun:
    """One run of ``tracker`` on ``seq`` under the experiment's ``settings`` (baseline,
    realtime or unsupervised options).

    Failures are zero bounded overlap with the ground truth, computed with the
    convention's rule (``conv.run``); a box that is NaN/inf or has a non-positive size
    counts as a failure too (it cannot overlap anything). ``on_frame(frame)`` is called
    with each frame's number (1-based) before the tracker sees it. Tracker exceptions
    become :class:`TrackerError` naming the frame.
    """
    gt = seq.groundtruth
    if seq.image_size is None:
        raise ResultsError(f"{seq.name}: image size unknown, cannot bound overlaps")
    pad = conv.run.failure_bounds_pad
    bounds = (seq.image_size[0] + pad, seq.image_size[1] + pad)
    init_boxes = bounding_boxes(gt) if conv.run.init_box == "bounding" else area_preserving_boxes(gt, "pysot")
    polygon_init = takes_polygon(tracker)  # the tracker turns the polygon into its box itself
    read = FrameReader(seq, wants_paths(tracker))

    def initialize(row):
        image = read(row)
        if on_frame:
            on_frame(row + 1)
        try:
            if polygon_init:  # the region as annotated: a polygon, or a rectangle [x, y, w, h]
                region = gt.coords[row, :2 * gt.points[row] if gt.kind[row] == POLYGON else 4].copy()
            else:
                region = init_boxes[row].copy()
            t0 = time.perf_counter()
            tracker.init(image, region)
            seconds = time.perf_counter() - t0
        except Exception as exc:
            raise TrackerError(f"{type(exc).__name__}: {exc}", seq.name, row + 1) from exc
        return Regions.rectangles(init_boxes[row]), seconds

    def update(row):
        image = read(row)
        if on_frame:
            on_frame(row + 1)
        try:
            t0 = time.perf_counter()
            output = tracker.update(image)
            seconds = time.perf_counter() - t0
            prediction = as_prediction(output)
        except Exception as exc:
            raise TrackerError(f"{type(exc).__name__}: {exc}", seq.name, row + 1) from exc
        if prediction.polygon is not None:
            return Regions.polygons(prediction.polygon[None]), seconds
        return Regions.rectangles(prediction.box), seconds

    def failed(row, region):
        if region.kind[0] == RECTANGLE and box_problem(region.coords[0, :4]):
            return True
        return not overlaps(region, gt[row], bounds, conv.run.failure_overlap)[0] > settings.failure_overlap

    n = len(seq)
    loops = {
        "baseline": lambda: run_supervised(n, initialize, update, failed, settings.skip_initialize),
        "realtime": lambda: run_realtime(n, initialize, update, failed, settings.fps, settings.grace,
                                         settings.skip_initialize),
        "unsupervised": lambda: run_unsupervised(n, initialize, update),
    }
    try:
        return loops[settings.protocol]()
    finally:
        read.close()


def same_trajectories(paths: list[Path], length: int) -> bool:
    """VOT-M's is_deterministic: the same special codes everywhere and overlap > 0.999
    between run 1 and each other run on every frame holding a region."""
    runs = [read_trajectory(p, length) for p in paths]
    first = runs[0]
    for other in runs[1:]:
        if len(other) != len(first) or not np.array_equal(first.codes(), other.codes()):
            return False
        regions = first.kind != SPECIAL
        if regions.any():
            o = overlaps(first[np.flatnonzero(regions)], other[np.flatnonzero(regions)], None, "vot-matlab")
            if not (o > 0.999).all():
                return False
    return True


# --------------------------------------------------------------------------- the family
class VOTFamily(Family):
    """Baseline, realtime, unsupervised: a unit is the pending repetitions of a sequence,
    run in order, because the third decides whether a fourth is needed."""

    name = "vot"

    def repetitions(self, settings: ProtocolOptions, deterministic: Callable[[], bool],
                    requested: int | None = None) -> int:
        return defined_repetitions("VOT", settings, deterministic, requested)

    def tracker_boxes(self, conv: VOTConvention) -> str:
        return "as_annotated"  # VOT regions are 0-based already

    def run_unit(self, ctx: RunContext, unit: Unit, on_frame: OnFrame | None = None) -> Outcome:
        seq = ctx.dataset[unit.sequence]
        outcome = Outcome()
        for rep in unit.runs:
            if rep == 4 and same_trajectories([ctx.store.unit_files(ctx.tracker_name, seq.name, r).boxes
                                               for r in (1, 2, 3)], len(seq)):
                break  # three identical runs: the tracker is deterministic here
            try:
                result = track_vot_run(ctx.tracker, seq, ctx.settings, ctx.convention,
                                       None if on_frame is None else lambda f, r=rep: on_frame(r, f))
            except TrackerError as exc:
                ctx.record_failure(outcome, seq.name, rep, exc)
                break  # later repetitions would only repeat the failure
            ctx.store.write_unit(ctx.tracker_name, seq.name, rep, result.entries, result.times)
            outcome.completed += 1
            outcome.frames += len(result.seen)
            outcome.tracker_seconds += float(np.nansum(result.times))
        return outcome
