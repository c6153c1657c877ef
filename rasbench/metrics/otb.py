"""OTB metrics: success / precision curves and their aggregation (IoU and centres: :mod:`rasbench.geometry.boxes`).

Everything works on many runs at once: predictions and ground truth of all runs are
concatenated into (N, 4) arrays and ``starts`` marks where each run begins, so a whole
benchmark is scored with a handful of numpy calls. Boxes are [x, y, w, h] in the
benchmark's native coordinates. The rules that differ between toolkits come from an
:class:`~rasbench.config.conventions.OTBConvention`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.conventions import NORM_PRECISION_THRESHOLDS, PRECISION_THRESHOLDS, OTBConvention
from ..geometry.boxes import centres, distance, overlap

SUCCESS_RATE_INDEX = 10  # threshold 0.5
PRECISION_INDEX = 20  # 20 px, and 0.20 for the normalised curve
_EPS = np.finfo(np.float64).eps


def repair_results(pred: np.ndarray, gt: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """OTB toolkit result repair (calcSeqErrRobust): from each run's 2nd frame on, a box
    that is all NaN or has w <= 0 or h <= 0 (where the GT row has no NaN) takes the
    previous repaired box. Runs on the tracker's own first box, before any
    first-frame replacement, exactly as the toolkit orders it."""
    pred = np.asarray(pred, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = (all_nan(pred) | (pred[:, 2] <= 0) | (pred[:, 3] <= 0)) & ~any_nan(gt)
    bad[starts] = False
    if not bad.any():
        return pred
    source = np.where(bad, 0, np.arange(len(pred)))
    np.maximum.accumulate(source, out=source)
    return pred[source]


def all_positive(rows: np.ndarray) -> np.ndarray:
    """(N,) bool: every value of the (N, 4) row is > 0 (NaN is not), as ``(rows > 0).all(axis=1)``
    but column by column (a reduction over 4 values per row is ~10x slower in numpy)."""
    x, y, w, h = rows.T
    with np.errstate(invalid="ignore"):
        return np.minimum(np.minimum(x, y), np.minimum(w, h)) > 0


def any_nan(rows: np.ndarray) -> np.ndarray:
    """(N,) bool: some value of the (N, 4) row is NaN, as ``np.isnan(rows).any(axis=1)``
    (np.minimum passes NaN on; infinities stay numbers)."""
    x, y, w, h = rows.T
    return np.isnan(np.minimum(np.minimum(x, y), np.minimum(w, h)))


def all_nan(rows: np.ndarray) -> np.ndarray:
    """(N,) bool: every value of the (N, 4) row is NaN, as ``np.isnan(rows).all(axis=1)``
    (np.fmax passes NaN on only when both are NaN)."""
    x, y, w, h = rows.T
    return np.isnan(np.fmax(np.fmax(x, y), np.fmax(w, h)))


@dataclass
class FrameMeasures:
    """Per-frame IoU, centre error and normalised centre error of concatenated runs.

    Frames the convention treats as invalid hold -1 (a failure in success, a success
    in precision, as in the OTB toolkit); frames where the target is absent and that
    count as misses hold -1 / +inf / +inf (a failure in every curve); frames left out
    of scoring hold NaN and are not in ``frames``, each run's denominator.
    """

    overlap: np.ndarray
    centre_error: np.ndarray
    norm_centre_error: np.ndarray
    starts: np.ndarray
    frames: np.ndarray | None = None  # (runs,) frames each run's curves are divided by; default: its length

    def __post_init__(self):
        if self.frames is None:
            self.frames = self.lengths

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(np.append(self.starts, len(self.overlap)))


def frame_measures(pred: np.ndarray, gt: np.ndarray, starts, convention: OTBConvention,
                   absent: np.ndarray | None = None) -> FrameMeasures:
    """Measures of (N, 4) predictions against (N, 4) ground truth, runs beginning at
    ``starts``; ``absent`` (N,) bool marks frames whose target is not visible (LaSOT's
    full occlusion / out of view), treated as ``convention.absent_frames`` says."""
    # column-major (N, 4): every column contiguous, so the box functions stream through them
    # without a transposed copy each (one copy of each array here, the only one)
    pred = np.array(pred, dtype=np.float64, order="F")
    gt = np.asarray(gt, dtype=np.float64, order="F")
    starts = np.asarray(starts, dtype=np.int64)
    if convention.repair_results:
        pred = repair_results(pred, gt, starts)
    if convention.first_frame_from_groundtruth:
        pred[starts] = gt[starts]
    iou = overlap(pred, gt, convention.overlap)
    pred_centre, gt_centre = centres(pred), centres(gt)
    gt_size = gt[:, 2:].T + 1e-16
    ce = distance(pred_centre, gt_centre)
    nce = distance(pred_centre / gt_size, gt_centre / gt_size)
    with np.errstate(invalid="ignore"):
        if convention.invalid_groundtruth == "otb":
            invalid = ~all_positive(gt)
            iou[invalid] = -1
            ce[invalid] = -1
            nce[invalid] = -1
        elif convention.invalid_groundtruth == "pysot":
            iou[~all_positive(gt)] = -1
            ce[~(gt_centre > 0).all(axis=0)] = -1
            nce[~(gt_centre / gt_size > 0).all(axis=0)] = -1
    if absent is not None and convention.absent_frames == "miss":
        absent = np.asarray(absent, dtype=bool)
        iou[absent] = -1
        ce[absent] = np.inf
        nce[absent] = np.inf
    measures = FrameMeasures(iou, ce, nce, starts)
    if convention.drop_unlabelled and len(starts):
        unlabelled = any_nan(gt)
        iou[unlabelled] = ce[unlabelled] = nce[unlabelled] = np.nan  # NaN passes no threshold
        measures.frames = measures.lengths - np.add.reduceat(unlabelled.astype(np.int64), starts)
    return measures


_SMALLEST_STEP = 1.0 / np.finfo(np.float64).max  # a step above this has a finite inverse


def count_below(thresholds: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(N,) intp: how many of the sorted ``thresholds`` are < each value, exactly
    ``np.searchsorted(thresholds, values, side="left")`` (NaN: the length, as there).

    Thresholds on an even grid (every curve of these toolkits: 0:0.05:1, 0..50 px) are
    found in a few passes: the grid position, then one exact comparison with each
    neighbouring threshold (the position is off by at most one where a value is within
    rounding of a threshold). Other thresholds go to searchsorted (~4x slower)."""
    thresholds = np.asarray(thresholds, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    n = len(thresholds)
    step = float(thresholds[-1] - thresholds[0]) / (n - 1) if n > 1 else 0.0
    # a step whose inverse overflows (subnormal) or is not finite: searchsorted
    even = n > 1 and _SMALLEST_STEP < step < np.inf and \
        np.abs(thresholds - (thresholds[0] + step * np.arange(n))).max() <= step * 1e-6
    if not even:
        return np.searchsorted(thresholds, values, side="left")
    with np.errstate(over="ignore", invalid="ignore"):  # +-inf and NaN are placed by the clamps
        position = values - thresholds[0]
        position *= 1.0 / step
    np.fmax(position, 0.0, out=position)  # NaN -> 0; fixed below
    np.fmin(position, n, out=position)
    np.ceil(position, out=position)
    index = position.astype(np.intp)
    # index - 1 while the threshold below it is >= the value; index + 1 while the one at it
    # is < the value (NaN ends: never true)
    below = np.concatenate([[np.nan], thresholds])
    index -= below[index] >= values
    at = np.concatenate([thresholds, [np.nan]])
    index += at[index] < values
    index[np.isnan(values)] = n
    return index


def run_counts(values: np.ndarray, thresholds: np.ndarray, starts: np.ndarray, above: bool,
               run_ids: np.ndarray | None = None) -> np.ndarray:
    """(runs, thresholds) counts of frames with value > t (``above``) or value <= t.

    NaN never passes either test, as in MATLAB and numpy comparisons. Computed as a
    histogram of how many (sorted) thresholds each value passes: the same comparisons
    as ``value > t`` / ``value <= t``, without an (N, T) matrix. ``run_ids``: (N,) the
    run of each value, when the caller has it.
    """
    values = np.asarray(values, dtype=np.float64)
    n_thresholds = len(thresholds)
    below = count_below(thresholds, values)  # thresholds strictly below the value
    # above: passes the thresholds strictly below the value; else those at or above it
    passed = below if above else n_thresholds - below
    passed[np.isnan(values)] = 0
    if run_ids is None:
        run_ids = _run_ids(starts, len(values))
    hist = np.bincount(run_ids * (n_thresholds + 1) + passed,
                       minlength=len(starts) * (n_thresholds + 1)).reshape(len(starts), n_thresholds + 1)
    # frames passing at least k thresholds, for k = 1..T
    at_least = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]
    if above:  # value > t_j  <=>  passes thresholds 0..j  <=>  passed >= j + 1
        return at_least
    return at_least[:, ::-1]  # value <= t_j  <=>  passes thresholds j..T-1  <=>  passed >= T - j


def _run_ids(starts: np.ndarray, count: int) -> np.ndarray:
    """(count,) the run index of each of ``count`` concatenated values."""
    return np.repeat(np.arange(len(starts)), np.diff(np.append(starts, count)))


@dataclass
class Curves:
    """Per-sequence curves: success (S, 21), precision (S, 51), normalised precision."""

    success: np.ndarray
    precision: np.ndarray
    norm_precision: np.ndarray


def run_curve_counts(measures: FrameMeasures, convention: OTBConvention):
    """Success (at the convention's thresholds) / precision / normalised-precision hit counts per run."""
    starts = measures.starts
    ids = _run_ids(starts, len(measures.overlap))
    return (
        run_counts(measures.overlap, np.array(convention.success_thresholds), starts, above=True, run_ids=ids),
        run_counts(measures.centre_error, PRECISION_THRESHOLDS, starts, above=False, run_ids=ids),
        run_counts(measures.norm_centre_error, NORM_PRECISION_THRESHOLDS, starts, above=False, run_ids=ids),
    )


def sequence_curves(counts, lengths: np.ndarray, groups: np.ndarray) -> Curves:
    """Pool runs into per-sequence curves: hits summed over a sequence's runs divided by
    the summed run lengths (OTB's genPerfMat for TRE and SRE; OPE has one run each).

    ``groups`` gives the sequence index of every run, sorted.
    """
    group_starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    frames = np.add.reduceat(lengths, group_starts).astype(np.float64)
    pooled = [np.add.reduceat(c, group_starts, axis=0) / frames[:, None] for c in counts]
    return Curves(*pooled)


def mean_curve(curves: np.ndarray, drop_empty: bool) -> np.ndarray:
    """Average per-sequence curves, each sequence weighted 1.

    ``drop_empty`` mirrors OTB's plotDrawSave: sequences whose curve sums to <= eps
    are left out of that tracker's mean.
    """
    curves = np.asarray(curves, dtype=np.float64)
    if drop_empty:
        curves = curves[kept_sequences(curves, drop_empty)]
    if len(curves) == 0:
        return np.full(np.shape(curves)[1], np.nan)
    return np.mean(curves, axis=0)


def kept_sequences(curves: np.ndarray, drop_empty: bool) -> np.ndarray:
    """(S,) bool: the sequences :func:`mean_curve` averages, of (S, T) per-sequence curves."""
    curves = np.asarray(curves, dtype=np.float64)
    return curves.sum(axis=1) > _EPS if drop_empty else np.ones(len(curves), dtype=bool)


def auc(success_curve: np.ndarray) -> float:
    """OTB "success score": the plain mean of the success curve (not a trapezoid)."""
    return float(np.mean(success_curve))


def sequence_fps(times: np.ndarray, rule: str) -> float | None:
    """Frames per second of one run from its per-frame times (seconds).

    ``update_frames``: (N - 1) / sum(t[1:]), the first (initialisation) frame excluded.
    ``got10k``: mean of 1 / t over frames with t > 0, the first frame included.
    """
    times = np.asarray(times, dtype=np.float64)
    if rule == "got10k":
        positive = times[times > 0]
        return float(np.mean(1.0 / positive)) if len(positive) else None
    updates = times[1:]
    total = float(np.sum(updates))
    if len(updates) == 0 or not np.isfinite(total) or total <= 0:
        return None
    return len(updates) / total


def mean_fps(values, rule: str) -> float | None:
    """Benchmark speed: mean over sequences that have a speed (got10k: sum / nonzero)."""
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return float(np.sum(values) / len(values)) if rule == "got10k" else float(np.mean(values))
