"""VOT regions: the :class:`Regions` type, parsing and formatting result / ground-truth lines.

Coordinates are 0-based pixel coordinates, as in VOT ground truth and results: the image
spans pixel columns 0..W-1 and rows 0..H-1, and a pixel is addressed by the integer
coordinate of its corner. A rectangle is ``x, y, w, h``; a polygon is ``x1, y1, ..., xK,
yK`` (K >= 3; VOT2014-2017 ground truth uses K = 4 rotated boxes).

A whole trajectory (or many concatenated trajectories) is one :class:`Regions` object
holding flat arrays, so every function on regions is vectorised over frames:

* ``kind``   (N,) int8: :data:`SPECIAL`, :data:`RECTANGLE` or :data:`POLYGON`;
* ``code``   (N,) int64: the special code of special frames (VOT results: 0 = unknown /
  skipped, 1 = initialisation, 2 = failure), 0 elsewhere;
* ``coords`` (N, V) float64, NaN padded: rectangles use columns 0..3 (x, y, w, h),
  polygons columns 0..2K-1 (x1, y1, x2, y2, ...);
* ``points`` (N,) int: K for polygons, 0 for rectangles and special frames.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

SPECIAL, RECTANGLE, POLYGON = 0, 1, 2

# Special codes written by the VOT toolkits in result files.
UNKNOWN, INITIALIZATION, FAILURE = 0, 1, 2


@dataclass(frozen=True, eq=False)
class Regions:
    """A sequence of VOT regions as flat arrays (see the module docstring)."""

    kind: np.ndarray
    code: np.ndarray
    coords: np.ndarray
    points: np.ndarray

    def __post_init__(self):
        n = len(self.kind)
        if not (len(self.code) == len(self.points) == len(self.coords) == n) or self.coords.ndim != 2:
            raise ValueError("Regions arrays must have the same length and coords must be 2-D")

    def __len__(self) -> int:
        return len(self.kind)

    def __getitem__(self, index) -> Regions:
        if isinstance(index, (int, np.integer)):
            index = slice(index, index + 1 if index != -1 else None)
        return Regions(self.kind[index], self.code[index], self.coords[index], self.points[index])

    def codes(self, fill: int = -1) -> np.ndarray:
        """Special code per frame, ``fill`` for frames holding a region.

        VOT toolkits only write non-negative codes, so the default -1 is unambiguous."""
        return np.where(self.kind == SPECIAL, self.code, fill)

    # ----------------------------------------------------------------- constructors
    @staticmethod
    def specials(codes) -> Regions:
        codes = np.asarray(codes, dtype=np.int64).reshape(-1)
        n = len(codes)
        return Regions(np.full(n, SPECIAL, np.int8), codes.copy(), np.full((n, 4), np.nan),
                       np.zeros(n, np.int64))

    @staticmethod
    def rectangles(boxes) -> Regions:
        """Rectangles from an (N, 4) array of x, y, w, h (rows with NaN become unknown)."""
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        n = len(boxes)
        kind = np.where(np.isnan(boxes).any(axis=1), SPECIAL, RECTANGLE).astype(np.int8)
        coords = np.where(kind[:, None] == SPECIAL, np.nan, boxes)
        return Regions(kind, np.zeros(n, np.int64), coords, np.zeros(n, np.int64))

    @staticmethod
    def polygons(points) -> Regions:
        """Polygons from an (N, 2K) array of x1, y1, ... or an (N, K, 2) array."""
        points = np.asarray(points, dtype=np.float64)
        if points.ndim == 3:
            points = points.reshape(len(points), -1)
        if points.ndim != 2 or points.shape[1] % 2 or points.shape[1] < 6:
            raise ValueError("polygons need an (N, 2K) or (N, K, 2) array with K >= 3")
        n = len(points)
        kind = np.where(np.isnan(points).any(axis=1), SPECIAL, POLYGON).astype(np.int8)
        coords = np.where(kind[:, None] == SPECIAL, np.nan, points)
        pts = np.where(kind == POLYGON, points.shape[1] // 2, 0).astype(np.int64)
        return Regions(kind, np.zeros(n, np.int64), coords, pts)

    @staticmethod
    def concat(parts: Sequence[Regions]) -> Regions:
        parts = list(parts)
        if not parts:
            return Regions.specials([])
        width = max(p.coords.shape[1] for p in parts)
        coords = np.full((sum(len(p) for p in parts), width), np.nan)
        row = 0
        for p in parts:
            coords[row:row + len(p), :p.coords.shape[1]] = p.coords
            row += len(p)
        return Regions(np.concatenate([p.kind for p in parts]), np.concatenate([p.code for p in parts]),
                       coords, np.concatenate([p.points for p in parts]))


# --------------------------------------------------------------------- text in / out
def _region_arrays(values: np.ndarray, counts: np.ndarray, where) -> Regions:
    """Regions from the values of all lines, flattened, and the number on each line, with
    the VOT rules: 1 value = special code; 4 = rectangle; an even count >= 6 = polygon;
    NaN anywhere = unknown (special code 0, as vot-toolkit and trax do). ``where(i)``
    names line i in errors."""
    counts = np.asarray(counts, np.int64)
    n = len(counts)
    single = counts == 1
    bad = ~(single | (counts == 4) | ((counts >= 6) & (counts % 2 == 0)))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{where(i)}: a region needs 1, 4 or an even number >= 6 of values, got {counts[i]}")
    row = np.repeat(np.arange(n), counts)
    column = np.arange(len(values)) - np.repeat(np.cumsum(counts) - counts, counts)
    coords = np.full((n, max(4, int(counts.max(initial=0)))), np.nan)
    coords[row, column] = values
    first = coords[:, 0].copy()
    if np.any(single & np.isinf(first)):
        i = int(np.argmax(single & np.isinf(first)))
        raise ValueError(f"{where(i)}: {first[i]} is not a region code")
    kind = np.where(single, SPECIAL, np.where(counts == 4, RECTANGLE, POLYGON)).astype(np.int8)
    unknown = single & np.isnan(first)
    unknown |= ~single & (np.bincount(row, np.isnan(values), minlength=n) > 0)
    kind[unknown] = SPECIAL
    code = np.where(single & ~unknown, np.nan_to_num(first), UNKNOWN).astype(np.int64)
    coords[kind == SPECIAL] = np.nan
    points = np.where(kind == POLYGON, counts // 2, 0)
    return Regions(kind, code, coords, points)


def parse_regions(lines: Iterable[str], separator: str | None = ",") -> Regions:
    """Parse VOT ground-truth / result lines (one region per line).

    Values are separated by ``separator`` (VOT files use commas); ``None`` splits on
    commas when a line has one, else on whitespace. Blank lines are an error: strip
    trailing ones before calling.
    """
    texts = [line.strip() for line in lines]
    if not all(texts):
        raise ValueError(f"line {texts.index('') + 1}: empty region")
    if separator == ",":  # the common case: one split of the joined text
        counts = [text.count(",") + 1 for text in texts]
        tokens = ",".join(texts).split(",")
    else:
        split = [text.split(separator if separator is not None else ("," if "," in text else None))
                 for text in texts]
        counts = [len(parts) for parts in split]
        tokens = [token for parts in split for token in parts]
    try:
        values = np.array(tokens, dtype=np.float64)
    except ValueError:
        ends = np.cumsum(counts)
        for i, token in enumerate(tokens):
            try:
                float(token)
            except ValueError:
                number = int(np.searchsorted(ends, i, side="right")) + 1
                raise ValueError(f"line {number}: cannot parse {texts[number - 1]!r}") from None
        raise
    return _region_arrays(values, np.asarray(counts), lambda i: f"line {i + 1}")


def regions_from_values(rows: Iterable[Sequence[float]]) -> Regions:
    """Regions from lists of numbers (pysot JSON ``gt_rect`` entries, in-memory results)."""
    rows = [row if isinstance(row, (list, tuple, np.ndarray)) else list(row) for row in rows]
    counts = np.array([len(row) for row in rows], np.int64)
    try:
        values = np.array([float(v) for row in rows for v in row], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"regions: {exc}") from None
    return _region_arrays(values, counts, lambda i: f"region {i}")


def format_regions(regions: Regions, decimals: int | None = None) -> list[str]:
    """Text lines for a result / ground-truth file (inverse of :func:`parse_regions`).

    ``decimals=None`` writes the shortest text that reads back to the same double;
    an integer writes fixed-point numbers (trax writes 4 decimals)."""
    def number(v: float) -> str:
        if decimals is None:
            return np.format_float_positional(v, unique=True, trim="-")
        return f"{v:.{decimals}f}"

    out = []
    for kind, code, row, k in zip(regions.kind, regions.code, regions.coords, regions.points):
        if kind == SPECIAL:
            out.append(str(int(code)))
        else:
            count = 4 if kind == RECTANGLE else 2 * int(k)
            out.append(",".join(number(float(v)) for v in row[:count]))
    return out
