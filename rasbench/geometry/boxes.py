"""Axis-aligned boxes: the OTB toolkits' IoU rules, box centres, and the boxes of polygons.

Boxes are ``[x, y, w, h]`` rows of (N, 4) float64 arrays, in whatever coordinates the
caller uses (OTB: 1-based; VOT: 0-based); every function is vectorised over rows.
"""
from __future__ import annotations

import numpy as np

from .regions import POLYGON, RECTANGLE, Regions

_EPS = np.finfo(np.float64).eps


def overlap(pred: np.ndarray, gt: np.ndarray, rule: str = "otb") -> np.ndarray:
    """Per-row IoU of two (N, 4) box arrays.

    ``otb``: MATLAB calcRectInt arithmetic (right = x + w - 1, +1 on the intersection;
    MATLAB's min/max ignore NaN, hence fmin/fmax), no eps, no clipping.
    ``got10k``: intersection / (union + eps), clipped to [0, 1].
    ``pysot``: intersection / union, clipped to [0, 1]. NaN propagates in both.
    """
    # contiguous columns: every operation below then streams through memory
    px, py, pw, ph = np.ascontiguousarray(np.asarray(pred, dtype=np.float64).T)
    gx, gy, gw, gh = np.ascontiguousarray(np.asarray(gt, dtype=np.float64).T)
    with np.errstate(invalid="ignore", divide="ignore"):
        if rule == "otb":
            iw = np.fmax(0.0, np.fmin(px + pw - 1, gx + gw - 1) - np.fmax(px, gx) + 1)
            ih = np.fmax(0.0, np.fmin(py + ph - 1, gy + gh - 1) - np.fmax(py, gy) + 1)
            inter = iw * ih
            return inter / (pw * ph + gw * gh - inter)
        iw = np.maximum(np.minimum(px + pw, gx + gw) - np.maximum(px, gx), 0.0)
        ih = np.maximum(np.minimum(py + ph, gy + gh) - np.maximum(py, gy), 0.0)
        inter = iw * ih
        union = pw * ph + gw * gh - inter
        if rule == "got10k":
            return np.clip(inter / (union + _EPS), 0.0, 1.0)
        if rule == "pysot":
            return np.maximum(np.minimum(1.0, inter / union), 0.0)
    raise ValueError(f"unknown overlap rule {rule!r}")


def centres(boxes: np.ndarray) -> np.ndarray:
    """Box centres as every OTB toolkit computes them: (x + (w - 1) / 2, y + (h - 1) / 2).

    Returned as a (2, N) array (x row, y row)."""
    x, y, w, h = np.ascontiguousarray(np.asarray(boxes, dtype=np.float64).T)
    return np.stack([x + (w - 1) / 2, y + (h - 1) / 2])


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance between (2, N) point arrays."""
    dx, dy = a[0] - b[0], a[1] - b[1]
    return np.sqrt(dx * dx + dy * dy)


# --------------------------------------------------------------------- boxes of polygons
def _polygon_xy(regions: Regions):
    """(N, K) x and y of polygon vertices, NaN where a frame has fewer points."""
    k = max(1, regions.coords.shape[1] // 2)
    xy = regions.coords[:, :2 * k].reshape(len(regions), k, 2)
    valid = np.arange(k)[None, :] < regions.points[:, None]
    return np.where(valid, xy[..., 0], np.nan), np.where(valid, xy[..., 1], np.nan)


def bounding_boxes(regions: Regions) -> np.ndarray:
    """Axis-aligned (N, 4) x, y, w, h: the min/max box of each polygon with w = max - min
    (no +1), as trax converts a polygon for a rectangle-only tracker and vot-toolkit's
    ``Rectangle.convert`` does. Rectangles pass through; special frames give NaN."""
    out = np.full((len(regions), 4), np.nan)
    rect = regions.kind == RECTANGLE
    out[rect] = regions.coords[rect, :4]
    poly = regions.kind == POLYGON
    if poly.any():
        xs, ys = _polygon_xy(regions[np.flatnonzero(poly)])
        x0, y0 = np.nanmin(xs, axis=1), np.nanmin(ys, axis=1)
        out[poly] = np.stack([x0, y0, np.nanmax(xs, axis=1) - x0, np.nanmax(ys, axis=1) - y0], axis=1)
    return out


def area_preserving_boxes(regions: Regions, form: str = "centre") -> np.ndarray:
    """The pysot / got10k initialisation box of each region, (N, 4).

    Polygon: centre = mean of the corners; s = sqrt(|p1 - p2| |p2 - p3| / ((x2 - x1)(y2 - y1)))
    with the min/max box (x1, y1, x2, y2) and the first three corners p1, p2, p3;
    w = s (x2 - x1) + 1, h = s (y2 - y1) + 1 (pysot ``get_axis_aligned_bbox``, got10k
    ``_corner2rect``). Rectangle: centre = (x + w/2, y + h/2), same w, h.

    ``form``: ``"centre"`` -> (cx, cy, w, h) as pysot returns it; ``"got10k"`` -> (cx - w/2,
    cy - h/2, w, h); ``"pysot"`` -> (cx - (w-1)/2, cy - (h-1)/2, w, h), the box pysot's
    test script records for the init frame. Special frames give NaN.
    """
    cx = np.full(len(regions), np.nan)
    cy, w, h = cx.copy(), cx.copy(), cx.copy()
    rect = regions.kind == RECTANGLE
    rx, ry, rw, rh = regions.coords[rect, :4].T
    cx[rect], cy[rect], w[rect], h[rect] = rx + rw / 2, ry + rh / 2, rw, rh
    poly = regions.kind == POLYGON
    if poly.any():
        xs, ys = _polygon_xy(regions[np.flatnonzero(poly)])
        x1, x2 = np.nanmin(xs, axis=1), np.nanmax(xs, axis=1)
        y1, y2 = np.nanmin(ys, axis=1), np.nanmax(ys, axis=1)
        side1 = np.hypot(xs[:, 0] - xs[:, 1], ys[:, 0] - ys[:, 1])
        side2 = np.hypot(xs[:, 1] - xs[:, 2], ys[:, 1] - ys[:, 2])
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.sqrt(side1 * side2 / ((x2 - x1) * (y2 - y1)))
        cx[poly], cy[poly] = np.nanmean(xs, axis=1), np.nanmean(ys, axis=1)
        w[poly], h[poly] = s * (x2 - x1) + 1, s * (y2 - y1) + 1
    if form == "centre":
        return np.stack([cx, cy, w, h], axis=1)
    if form == "got10k":
        return np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
    if form == "pysot":
        return np.stack([cx - (w - 1) / 2, cy - (h - 1) / 2, w, h], axis=1)
    raise ValueError(f"unknown box form {form!r}")
