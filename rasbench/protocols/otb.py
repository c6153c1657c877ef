"""The OTB family at run time: OPE, TRE and SRE (OTB toolkit: main_running.m,
splitSeqTRE.m, shiftInitBB.m).

A *run* initialises the tracker at one row of a sequence with a given box and tracks
to the sequence end. OPE is one run, TRE 20 runs from different starts, SRE 12 runs
from the OPE start with perturbed boxes. All boxes here are in the benchmark's native
(OTB: 1-based) coordinates, except those handed to and returned by trackers, which the
run convention converts (``OTBConvention.run.boxes``); rows are 0-based indices into
the sequence. Each run is one unit.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ..config.conventions import OTBConvention
from ..config.families import SRE_CORNERS, SRE_SHIFTS, ProtocolOptions
from ..datasets.frames import FrameReader
from ..datasets.images import image_size
from ..datasets.sequence import Sequence
from ..errors import ConfigError, DatasetError, TrackerError
from ..text import plural
from ..tracker import as_prediction, box_problem, wants_paths
from .base import Family, OnFrame, Outcome, RunContext, Unit


@dataclass(frozen=True)
class Run:
    """One tracking run: initialise at ``start`` with ``init_box``, track to the end."""

    number: int  # 1-based; names the result file for TRE/SRE
    start: int  # row in the sequence
    init_box: tuple[float, float, float, float]
    label: str


def usable_starts(seq: Sequence) -> np.ndarray:
    """Rows where a run may start: outside initOmit and with valid ground truth."""
    rows = np.arange(len(seq))
    keep = np.ones(len(seq), dtype=bool)
    for a, b in seq.init_omit:
        lo, hi = a - seq.first_frame, b - seq.first_frame
        keep[max(lo, 0): max(hi + 1, 0)] = False
    gt = seq.groundtruth
    with np.errstate(invalid="ignore"):
        keep &= (gt > 0).all(axis=1) & ~np.isnan(gt).any(axis=1)
    return rows[keep]


def tre_starts(seq: Sequence, segments: int = 20, min_segment_length: int = 20) -> list[int]:
    """Start rows of the TRE segments (splitSeqTRE.m).

    With usable starts Idx and E the last position whose segment keeps at least
    ``min_segment_length`` frames, the positions are floor(1 + k*E/(segments-1)) for
    every k with that value <= E, plus E itself (1-based; integer arithmetic, which is
    exact where MATLAB's floating colon could only be off for k*E divisible by
    segments-1, and there the quotient is an integer in both).
    """
    idx = usable_starts(seq)
    n = len(seq)
    long_enough = np.flatnonzero(n - idx >= min_segment_length)
    if len(idx) == 0 or len(long_enough) == 0:
        raise DatasetError(f"{seq.name}: no TRE start leaves {plural(min_segment_length, 'frame')} "
                           f"({plural(n, 'frame')}, {plural(len(idx), 'usable start')})", seq.source)
    e = int(long_enough[-1]) + 1  # 1-based position in idx
    m = segments - 1
    positions = [1 + (k * e) // m for k in range(segments) if m + k * e <= m * e] + [e]
    return [int(idx[p - 1]) for p in positions]


def ope_start(seq: Sequence, rule: str) -> int:
    """OPE start row: the first TRE segment start (OTB toolkit) or row 0."""
    if rule == "first_frame":
        return 0
    if rule == "first_tre_start":
        idx = usable_starts(seq)
        if len(idx) == 0:
            raise DatasetError(f"{seq.name}: no frame with valid ground truth to start from", seq.source)
        return int(idx[0])
    raise ConfigError(f"unknown OPE start rule {rule!r}")


def _round_half_away(x: float) -> float:
    """MATLAB/C round (half away from zero); Python's round is half-to-even."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


def perturb_box(box, kind: str, image_width: int, image_height: int) -> tuple[float, float, float, float]:
    """SRE initial box (shiftInitBB.m), 1-based coordinates, clamped to the image.

    ``kind``: left/right/up/down (shift by ceil(0.1 * size)), top_left/top_right/
    bottom_left/bottom_right (move that corner by 10 %, the opposite one stays), or
    scale_S (scale about the centre x + w/2, then round all four values).
    """
    x, y, w, h = (float(v) for v in box)
    br_x, br_y = x + w - 1, y + h - 1
    r = _round_half_away
    if kind not in SRE_SHIFTS + SRE_CORNERS and not kind.startswith("scale_"):
        raise ConfigError(f"unknown SRE perturbation {kind!r}")
    if kind == "left":
        x -= math.ceil(0.1 * w)
    elif kind == "right":
        x += math.ceil(0.1 * w)
    elif kind == "up":
        y -= math.ceil(0.1 * h)
    elif kind == "down":
        y += math.ceil(0.1 * h)
    elif kind in SRE_CORNERS:
        vertical, horizontal = kind.split("_")
        if horizontal == "left":
            x = r(x - 0.1 * w)
        else:
            br_x = r(br_x + 0.1 * w)
        if vertical == "top":
            y = r(y - 0.1 * h)
        else:
            br_y = r(br_y + 0.1 * h)
        w, h = br_x - x + 1, br_y - y + 1
    elif kind.startswith("scale_"):
        try:
            s = float(kind[len("scale_"):])
        except ValueError:
            raise ConfigError(f"bad SRE perturbation {kind!r}") from None
        cx, cy = x + w / 2, y + h / 2
        sw, sh = s * w, s * h
        x, y, w, h = r(cx - sw / 2), r(cy - sh / 2), r(sw), r(sh)
    if x < 1:
        x = 1.0
    if y < 1:
        y = 1.0
    if x + w - 1 > image_width:
        w = image_width - x + 1
    if y + h - 1 > image_height:
        h = image_height - y + 1
    return (x, y, w, h)


def plan_runs(seq: Sequence, settings: ProtocolOptions, ope_rule: str, size=None) -> list[Run]:
    """The runs of an OTB experiment (``settings``: its OPE, TRE or SRE options) on ``seq``.

    ``size`` (width, height) is needed for SRE clamping.
    """
    gt = seq.groundtruth
    if settings.protocol == "ope":
        start = ope_start(seq, ope_rule)
        return [Run(1, start, tuple(gt[start]), "ope")]
    if settings.protocol == "tre":
        starts = tre_starts(seq, settings.segments, settings.min_segment_length)
        return [Run(i + 1, s, tuple(gt[s]), f"segment {i + 1} (frame {seq.first_frame + s})")
                for i, s in enumerate(starts)]
    if size is None:
        raise ConfigError("SRE needs the image size to clamp perturbed boxes")
    start = ope_start(seq, ope_rule)
    return [Run(i + 1, start, perturb_box(gt[start], k, *size), k) for i, k in enumerate(settings.perturbations)]


def expected_lengths(seq: Sequence, settings: ProtocolOptions, ope_rule: str) -> list[int]:
    """Result-file lengths of each run, without needing images (for scoring)."""
    if settings.protocol == "tre":
        return [len(seq) - s for s in tre_starts(seq, settings.segments, settings.min_segment_length)]
    start = ope_start(seq, ope_rule)
    count = 1 if settings.protocol == "ope" else len(settings.perturbations)
    return [len(seq) - start] * count


# --------------------------------------------------------------------------- one run
def _frame_label(seq: Sequence, row: int) -> int:
    return seq.first_frame + row


def _handed_box(seq: Sequence, box: np.ndarray, conv: OTBConvention) -> np.ndarray:
    """The initial box as the convention hands it to trackers (see ``OTBRun.boxes``)."""
    if conv.run.boxes == "zero_based":
        return seq.to_tracker(box)
    handed = np.array(box, dtype=np.float64, copy=True)
    if conv.run.boxes == "pysot":  # get_axis_aligned_bbox's centre, then cx - (w - 1) / 2
        handed[:2] = handed[:2] + handed[2:] / 2 - (handed[2:] - 1) / 2
    return handed


def _native_box(seq: Sequence, box: np.ndarray, conv: OTBConvention) -> np.ndarray:
    """A box from the tracker in the annotation's coordinates, as the convention writes it."""
    return seq.from_tracker(box) if conv.run.boxes == "zero_based" else np.array(box, dtype=np.float64)


def track_run(tracker, seq: Sequence, run: Run, conv: OTBConvention,
              on_frame: Callable[[int], None] | None = None):
    """Run ``tracker`` over ``seq`` from ``run.start``; returns (boxes (N, 4), seconds (N,), warnings).

    Boxes are handed over and come back as ``conv.run.boxes`` says, and are returned in
    the sequence's native coordinates; the first row is the box handed to the tracker.
    ``on_frame(frame)`` is called with each frame's number before the tracker sees it.
    Tracker exceptions propagate as :class:`TrackerError` naming the frame.
    """
    n = len(seq) - run.start
    boxes = np.empty((n, 4), dtype=np.float64)
    times = np.empty(n, dtype=np.float64)
    init_box = np.asarray(run.init_box, dtype=np.float64)
    bad_frames: list[int] = []
    read = FrameReader(seq, wants_paths(tracker))
    try:
        for k in range(n):
            row = run.start + k
            image = read(row)
            if on_frame:
                on_frame(_frame_label(seq, row))
            try:
                if k == 0:
                    handed = _handed_box(seq, init_box, conv)
                    t0 = time.perf_counter()
                    tracker.init(image, handed.copy())
                    times[0] = time.perf_counter() - t0
                    # the handed box in native coordinates (init_box exactly, when shifted)
                    boxes[0] = init_box if conv.run.boxes == "zero_based" else handed
                else:
                    t0 = time.perf_counter()
                    output = tracker.update(image)
                    times[k] = time.perf_counter() - t0
                    prediction = as_prediction(output)
                    boxes[k] = _native_box(seq, prediction.box, conv)
                    if box_problem(prediction.box):
                        bad_frames.append(_frame_label(seq, row))
            except Exception as exc:
                raise TrackerError(f"{type(exc).__name__}: {exc}", seq.name, _frame_label(seq, row)) from exc
    finally:
        read.close()
    warnings = []
    if bad_frames:
        shown = ", ".join(map(str, bad_frames[:10])) + (" ..." if len(bad_frames) > 10 else "")
        warnings.append(f"{seq.name} run {run.number}: NaN/inf or non-positive size at "
                        f"{plural(len(bad_frames), 'frame')} ({shown}); stored as returned, the benchmark's rule "
                        f"applies")
    return boxes, times, warnings


# --------------------------------------------------------------------------- the family
def _frame_size(seq: Sequence) -> tuple[int, int]:
    """(width, height) of the sequence's frames (SRE clamps perturbed boxes to them)."""
    if seq.image_size is None:
        seq.image_size = image_size(seq.frame_paths[0])
    return seq.image_size


class OTBFamily(Family):
    """OPE, TRE, SRE: a unit is one run; a failed run is recorded and the others go on."""

    name = "otb"

    def repetitions(self, settings: ProtocolOptions, deterministic: Callable[[], bool],
                    requested: int | None = None) -> int:
        """1, or ``requested`` runs of a one-run experiment (OPE) for stochastic trackers;
        TRE and SRE already run each sequence many times, from other starts or boxes."""
        if requested not in (None, 1) and settings.protocol != "ope":
            raise ConfigError(f"--runs repeats one-run experiments (OPE); {settings.protocol.upper()} runs each "
                              f"sequence several times already")
        return requested or 1

    def tracker_boxes(self, conv: OTBConvention) -> str:
        return conv.run.boxes

    def _runs(self, ctx: RunContext, seq: Sequence, repetitions: int = 1) -> list[Run]:
        """The planned runs; OPE repeated: run k is the OPE run again, numbered k."""
        size = _frame_size(seq) if ctx.settings.protocol == "sre" else None
        runs = plan_runs(seq, ctx.settings, ctx.convention.run.start, size)
        if ctx.settings.protocol == "ope":
            runs += [replace(runs[0], number=k, label=f"ope run {k}") for k in range(2, repetitions + 1)]
        return runs

    def plan(self, ctx: RunContext, repetitions: int, force: bool) -> tuple[list[Unit], int]:
        units, skipped = [], 0
        for seq in ctx.dataset.values():
            for run in self._runs(ctx, seq, repetitions):
                if not force and ctx.store.is_done(ctx.tracker_name, seq.name, run.number):
                    skipped += 1
                else:
                    units.append(Unit(seq.name, (run.number,), len(seq) - run.start))
        return units, skipped

    def run_unit(self, ctx: RunContext, unit: Unit, on_frame: OnFrame | None = None) -> Outcome:
        seq = ctx.dataset[unit.sequence]
        runs = {r.number: r for r in self._runs(ctx, seq, max(unit.runs))}
        outcome = Outcome()
        for number in unit.runs:
            try:
                boxes, times, warnings = track_run(ctx.tracker, seq, runs[number], ctx.convention,
                                                   None if on_frame is None else lambda f, n=number: on_frame(n, f))
            except TrackerError as exc:
                ctx.record_failure(outcome, seq.name, number, exc)
                continue
            ctx.store.write_unit(ctx.tracker_name, seq.name, number, boxes, times)
            outcome.completed += 1
            outcome.frames += len(times)
            outcome.tracker_seconds += float(np.sum(times))
            outcome.warnings += warnings
        return outcome
