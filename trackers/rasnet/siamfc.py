"""The original SiamFC's arithmetic, where it decides the trajectory.

Written from the MATLAB code of bertinetto/siamese-fc (``tracking/tracker.m``,
``get_subwindow_tracking.m``, ``make_scale_pyramid.m``, ``tracker_eval.m``,
``get_axis_aligned_BB.m``; commit e86eb64) and the documented rules of MATLAB's
``imresize``. :class:`~.tracker.RASNetTracker` uses these pieces when its ``crop``,
``upsample`` and ``update`` hyper-parameters are ``"siamfc"`` (the ``siamfc-3s`` preset);
everything here is plain numpy on small index arrays and matrices, cached by size.

Coordinates. SiamFC works in MATLAB's 1-based pixel indices and takes the centre of an
OTB box ``[x, y, w, h]`` (1-based) as ``x + w/2``. The rasbench tracker receives the
0-based box ``[x - 1, y - 1, w, h]`` and keeps ``c = (x - 1) + w/2``, so SiamFC's position
is ``c + 1``: :func:`window_start` takes that 1-based position.

* Crops (``get_subwindow_tracking``): a window of ``round(side)`` whole pixels starting at
  ``round(pos - (side + 1)/2)``, padded with the first frame's mean colour, resized with
  ``imresize`` (bicubic, antialiased when shrinking). The scale pyramid
  (``make_scale_pyramid``) crops the largest scale once, resizes it so the smallest scale
  becomes 255 px, and cuts each scale from that; :func:`pyramid_matrices` composes both
  resizes into one matrix per scale.
* The 17x17 responses are upsampled with ``imresize(r, 16, 'bicubic')``.
* The peak is the first maximum in column-major order; its displacement from the map
  centre ``ceil(272/2)`` (1-based) is scaled by ``8/16 * round(s_x)/255`` with the current
  search side, whatever scale won (``tracker_eval``).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


def matlab_round(value: float) -> int:
    """MATLAB's ``round``: halves away from zero (Python's ``round`` goes to even)."""
    return int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


def _keys_cubic(x: np.ndarray) -> np.ndarray:
    """MATLAB imresize's bicubic kernel (Keys, a = -0.5), support [-2, 2]."""
    ax = np.abs(x)
    near = (1.5 * ax - 2.5) * ax * ax + 1.0
    far = ((-0.5 * ax + 2.5) * ax - 4.0) * ax + 2.0
    return np.where(ax <= 1, near, np.where(ax <= 2, far, 0.0))


@lru_cache(maxsize=512)
def imresize_matrix(in_size: int, out_size: int) -> np.ndarray:
    """One axis of MATLAB's ``imresize(..., 'bicubic')`` as an (out_size, in_size) float64 matrix.

    Output pixel x (1-based) samples the input at ``u = x/scale + (1 - 1/scale)/2`` with
    ``scale = out_size / in_size``; when shrinking, the kernel is stretched by ``1/scale``
    (antialiasing, MATLAB's default). Weights are normalised per output pixel, and taps
    beyond the edge mirror back into the image (``[1..n, n..1]`` repeated), as MATLAB does.
    Equal sizes give the identity. Read-only (cached).
    """
    scale = out_size / in_size
    shrink = scale < 1
    width = 4.0 / scale if shrink else 4.0
    u = np.arange(1, out_size + 1) / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    taps = left[:, None] + np.arange(int(math.ceil(width)) + 2)
    distance = u[:, None] - taps
    weights = scale * _keys_cubic(scale * distance) if shrink else _keys_cubic(distance)
    weights /= weights.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_size), np.arange(in_size)[::-1]])  # 0-based [1..n, n..1]
    columns = mirror[(taps.astype(np.int64) - 1) % (2 * in_size)]
    matrix = np.zeros((out_size, in_size))
    np.add.at(matrix, (np.repeat(np.arange(out_size), taps.shape[1]), columns.ravel()), weights.ravel())
    matrix.setflags(write=False)
    return matrix


def window_start(position: float, side: int) -> int:
    """0-based first pixel of ``get_subwindow_tracking``'s ``side``-pixel window around the
    1-based ``position`` (may be negative or run past the image: padding)."""
    return matlab_round(position - (side + 1) / 2) - 1


@lru_cache(maxsize=64)
def pyramid_matrices(sides: tuple[int, ...], out_size: int) -> np.ndarray:
    """``make_scale_pyramid`` for the window sides of ascending scales (:func:`pyramid_sides`).

    Returns (S, out_size, sides[-1]) float64 matrices: crop ``s`` is ``M[s] @ window @ M[s].T``
    per channel, where ``window`` is the padded frame window of the largest side around the
    target (:func:`window_start`). That window is resized once so that the smallest scale
    spans ``out_size`` pixels, and each scale's window is cut from the result and resized to
    ``out_size``; both steps are composed here. Rows of a scale's window that fall outside
    the resized crop (the largest scale reaches one pixel past it) are the mean colour there,
    so they carry no weight once the mean is subtracted (callers resize ``window - mean``).
    Read-only (cached).
    """
    largest, smallest = sides[-1], sides[0]
    beta = out_size / smallest
    region_side = matlab_round(beta * largest)
    first = imresize_matrix(largest, region_side)
    matrices = []
    for side in sides:
        target = matlab_round(beta * side)
        rows = window_start((1 + region_side) / 2, target) + np.arange(target)
        inside = (rows >= 0) & (rows < region_side)
        matrices.append(imresize_matrix(target, out_size)[:, inside] @ first[rows[inside]])
    pyramid = np.stack(matrices)
    pyramid.setflags(write=False)
    return pyramid


def block_rows(rows: int) -> int:
    """Rows per block for :func:`band_blocks`: a divisor of ``rows`` from 12 to 40 when there is
    one (255: 15, so the blocks tile the crop with no padding row), else 32."""
    return next((size for size in range(12, 41) if rows % size == 0), 32)


def band_blocks(matrices: np.ndarray, block: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Resize matrices (S, n, m) cut into blocks of ``block`` rows over the columns each block touches.

    A resize matrix is banded (each output pixel weighs a few neighbouring input pixels), so a
    block of consecutive rows reaches only ``L`` consecutive columns, ``L`` much less than ``m``.
    Returns ``weights`` (S * B, block, L) and ``starts`` (S * B,) int64, B = ceil(n / block):
    block ``b`` of matrix ``s`` (rows ``b*block ..``, zero rows past ``n``) is
    ``weights[s*B + b]`` over columns ``starts[s*B + b] + 0..L-1``, and no nonzero of the
    matrix lies outside them. So ``M[s] @ x`` is the blocks' ``weights @ x[start:start + L]``
    stacked, cut to ``n`` rows: the same sums over a tenth of the products or less for the
    255-pixel search crops (a quarter to a half for the 127-pixel exemplar).
    """
    count, n, m = matrices.shape
    per_matrix = -(-n // block)
    padded = np.zeros((count, per_matrix * block, m))
    padded[:, :n] = matrices
    blocks = padded.reshape(count * per_matrix, block, m)
    touched = (blocks != 0).any(axis=1)  # (blocks, m)
    used = touched.any(axis=1)
    first = np.where(used, touched.argmax(axis=1), 0)
    last = np.where(used, m - 1 - touched[:, ::-1].argmax(axis=1), 0)
    span = int((last - first).max()) + 1
    starts = np.minimum(first, m - span).astype(np.int64)
    columns = starts[:, None] + np.arange(span)
    weights = np.take_along_axis(blocks, np.broadcast_to(columns[:, None, :], (len(blocks), block, span)), axis=2)
    return weights, starts


def pyramid_sides(search_side: float, scale_factors) -> tuple[int, ...]:
    """The rounded window side of each scale, ``round(s_x * q)``, for ascending ``scale_factors``."""
    return tuple(max(matlab_round(search_side * q), 1) for q in scale_factors)  # at least one pixel


def upsample_matrix(size: int, factor: int) -> np.ndarray:
    """``imresize(response, factor, 'bicubic')`` along one axis: (size * factor, size)."""
    return imresize_matrix(size, size * factor)


def peak_offset(upscaled_size: int) -> int:
    """0-based index of the upsampled response's centre in SiamFC's rule, ``ceil(n/2)`` (1-based)."""
    return math.ceil(upscaled_size / 2) - 1
