"""TrackingNet metrics as the official devkit's ``metrics.py`` (``evaluate``) computes them.

Per sequence, over all its ground-truth frames: both boxes rounded with ``np.round`` (half
to even); rows the result lacks are NaN (they fail every test), a missing result is all
zeros; frame 1 of the result := the ground truth. Inclusive pixels: x2 = x + w - 1,
centre = x + (w + 1) / 2; intersection sides round(x2' - x1' + 1) clipped at 0, where a
NaN corner takes the other box's (pandas' row max/min skip NaN); IoU = intersection /
(area_gt + area_result - intersection). success(t) = fraction of IoU >= t, t in
linspace(0, 1, 21); precision(t) = fraction of centre distances <= t px, t in
linspace(0, 50, 21); normalised precision the same with each axis divided by the ground
truth's w, h and t in linspace(0, 0.5, 21). The curves are averaged over sequences;
Success, Precision and Normalised Precision are trapezoid areas of their curves over
x = linspace(0, 1, 21) (so precision is integrated over its index, not its pixels), x100;
Coverage = the percentage of frames of all sequences whose rounded result has
x + y + w + h > 0. Boxes are (N, 4) ``[x, y, w, h]`` arrays in pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

THRESHOLDS = 21
SUCCESS_THRESHOLDS = np.linspace(0, 1, THRESHOLDS)
PRECISION_THRESHOLDS = np.linspace(0, 50, THRESHOLDS)  # pixels
NORM_PRECISION_THRESHOLDS = np.linspace(0, 0.5, THRESHOLDS)
AREA_X = np.linspace(0, 1, THRESHOLDS)  # the x every reported area is taken over


@dataclass
class SequenceCurves:
    """One sequence: its three (21,) curves and its per-frame coverage flags."""

    success: np.ndarray
    precision: np.ndarray
    norm_precision: np.ndarray
    covered: np.ndarray


def sequence_curves(groundtruth: np.ndarray, result: np.ndarray | None) -> SequenceCurves:
    """The devkit's per-sequence curves; ``result`` may be shorter or longer than the
    ground truth (cut to it), or None for a missing file."""
    gt = np.round(np.asarray(groundtruth, dtype=np.float64))
    n = len(gt)
    pred = np.zeros((n, 4)) if result is None else np.full((n, 4), np.nan)
    if result is not None:
        rows = min(n, len(result))
        pred[:rows] = np.round(np.asarray(result, dtype=np.float64)[:rows])
    pred[0] = gt[0]
    with np.errstate(invalid="ignore"):
        covered = (pred[:, 0] + pred[:, 1] + pred[:, 2] + pred[:, 3]) > 0
    x1, y1 = np.fmax(gt[:, 0], pred[:, 0]), np.fmax(gt[:, 1], pred[:, 1])
    x2 = np.fmin(gt[:, 0] + gt[:, 2] - 1, pred[:, 0] + pred[:, 2] - 1)
    y2 = np.fmin(gt[:, 1] + gt[:, 3] - 1, pred[:, 1] + pred[:, 3] - 1)
    inter = np.clip(np.round(x2 - x1 + 1), 0, None) * np.clip(np.round(y2 - y1 + 1), 0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = inter / (gt[:, 2] * gt[:, 3] + pred[:, 2] * pred[:, 3] - inter)
        dx = (gt[:, 0] + (gt[:, 2] + 1) / 2) - (pred[:, 0] + (pred[:, 2] + 1) / 2)
        dy = (gt[:, 1] + (gt[:, 3] + 1) / 2) - (pred[:, 1] + (pred[:, 3] + 1) / 2)
        distance = np.sqrt(dx ** 2 + dy ** 2)
        norm_distance = np.sqrt((dx / gt[:, 2]) ** 2 + (dy / gt[:, 3]) ** 2)
        return SequenceCurves((iou[:, None] >= SUCCESS_THRESHOLDS).mean(axis=0),
                              (distance[:, None] <= PRECISION_THRESHOLDS).mean(axis=0),
                              (norm_distance[:, None] <= NORM_PRECISION_THRESHOLDS).mean(axis=0), covered)


def area(curve: np.ndarray) -> float:
    """The trapezoid area of a (21,) curve over :data:`AREA_X`, x100 (``np.trapz``'s arithmetic)."""
    curve = np.asarray(curve, dtype=np.float64)
    return float(100 * (np.diff(AREA_X) * (curve[1:] + curve[:-1]) / 2.0).sum())


def overall(sequences: list[SequenceCurves]) -> dict:
    """The devkit's reported numbers over ``sequences`` (each weight 1): coverage, success,
    precision, norm_precision (percent) and the mean curves."""
    curves = {key: np.mean([getattr(s, key) for s in sequences], axis=0)
              for key in ("success", "precision", "norm_precision")}
    covered = np.concatenate([s.covered for s in sequences])
    return {"coverage": float(100 * covered.mean()), **{key: area(c) for key, c in curves.items()},
            "curves": curves}
