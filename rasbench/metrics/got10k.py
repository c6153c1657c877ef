"""GOT-10k metrics as got10k 0.1.3's ``ExperimentGOT10k.report`` computes them (validation set).

Per sequence, frame 1 is dropped; both boxes are clipped to the image the got10k way
(``rect_iou(..., bound=(W, H))``: x and y into [0, W] and [0, H], then w and h into
[0, W - x] and [0, H - y] with the clipped x, y, so a box left of the image is moved,
not cut); IoU = intersection / (union + eps) clipped to [0, 1] (x + w edges); only frames
whose ``cover`` label is > 0 count. The IoUs of every repetition of every sequence are
pooled (a sequence with 3 repetitions weighs 3 times one with 1): AO = their mean,
SR_t = the fraction > t, the success curve over ``linspace(0, 1, 101)``. Speed: 1/t
pooled over every positive, non-NaN time of every sequence (frame 1 included).
Boxes are (N, 4) ``[x, y, w, h]`` arrays in pixels.
"""
from __future__ import annotations

import numpy as np

EPS = np.finfo(np.float64).eps
SUCCESS_THRESHOLDS = np.linspace(0, 1, 101)  # index 50 is 0.5, index 75 is 0.75 exactly


def clip_to_image(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """(N, 4) boxes clipped as got10k's ``rect_iou`` bound does (a copy)."""
    out = np.array(boxes, dtype=np.float64, copy=True)
    out[:, 0] = np.clip(out[:, 0], 0, width)
    out[:, 1] = np.clip(out[:, 1], 0, height)
    out[:, 2] = np.clip(out[:, 2], 0, width - out[:, 0])
    out[:, 3] = np.clip(out[:, 3], 0, height - out[:, 1])
    return out


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """got10k's ``rect_iou`` without bound: (N,) IoUs of (N, 4) boxes, x + w edges, union + eps, in [0, 1]."""
    inter_w = np.maximum(np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0)
    inter_h = np.maximum(np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0)
    inter = inter_w * inter_h
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    return np.clip(inter / (union + EPS), 0, 1)


def sequence_ious(boxes: np.ndarray, groundtruth: np.ndarray, visible: np.ndarray,
                  image_size: tuple[float, float]) -> np.ndarray:
    """The IoUs one repetition contributes: frames 2.. whose target is visible (cover > 0)."""
    width, height = image_size
    ious = iou(clip_to_image(boxes[1:], width, height), clip_to_image(groundtruth[1:], width, height))
    return ious[np.asarray(visible, bool)[1:]]


def pooled_scores(ious: np.ndarray) -> dict[str, float]:
    """AO, SR0.50, SR0.75 of pooled IoUs (NaN when there are none)."""
    ious = np.asarray(ious, dtype=np.float64)
    if not ious.size:
        return {"ao": float("nan"), "sr50": float("nan"), "sr75": float("nan")}
    return {"ao": float(np.mean(ious)), "sr50": float(np.mean(ious > 0.5)), "sr75": float(np.mean(ious > 0.75))}


def success_curve(ious: np.ndarray) -> np.ndarray:
    """(101,) fraction of the pooled IoUs > each threshold of :data:`SUCCESS_THRESHOLDS`."""
    ious = np.asarray(ious, dtype=np.float64)
    if not ious.size:
        return np.full(len(SUCCESS_THRESHOLDS), np.nan)
    return np.mean(ious[:, None] > SUCCESS_THRESHOLDS[None, :], axis=0)


def pooled_speed(times: np.ndarray) -> float | None:
    """Frames per second: the mean of 1/t over every positive, non-NaN time (seconds); None without any."""
    times = np.asarray(times, dtype=np.float64).reshape(-1)
    times = times[~np.isnan(times)]
    times = times[times > 0]
    return float(np.mean(1.0 / times)) if times.size else None
