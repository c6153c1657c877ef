"""What the viewer (``rasbench show``) draws of one run: regions, per-frame overlaps, events.

Each family's scorer provides ``view_run(benchmark, experiment, sequence, folder, run)``
returning a :class:`TrackView`; the viewer draws it without knowing the family.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry.regions import Regions


@dataclass
class TrackView:
    """One run over a whole sequence: ``regions`` in 0-based pixel coordinates (special
    frames where there is none), ``overlaps`` with the ground truth (NaN where undefined),
    ``codes`` per frame (-1 a region, 0 no region / skipped, 1 initialisation, 2 failure),
    whether the codes are protocol ``events`` (resets) rather than missing boxes, and a
    problem to mention (a file of the wrong length is drawn anyway)."""

    regions: Regions
    overlaps: np.ndarray
    codes: np.ndarray
    problem: str | None = None
    events: bool = False

    @classmethod
    def missing(cls, length: int, problem: str) -> TrackView:
        return cls(Regions.specials(np.zeros(length, np.int64)), np.full(length, np.nan),
                   np.zeros(length, np.int64), problem)


def boxes_as_regions(boxes: np.ndarray, origin: int) -> Regions:
    """(N, 4) boxes in coordinates whose top-left pixel is ``origin`` as 0-based rectangles;
    boxes that cannot be drawn (NaN, inf, non-positive size) become special frames."""
    boxes = np.array(boxes, dtype=np.float64, copy=True).reshape(-1, 4)
    boxes[:, :2] -= origin
    bad = ~np.isfinite(boxes).all(axis=1) | (boxes[:, 2] <= 0) | (boxes[:, 3] <= 0)
    boxes[bad] = np.nan
    return Regions.rectangles(boxes)


def place(regions: Regions, length: int, expected: int, what: str, at_end: bool) -> tuple[Regions, str | None]:
    """A run as a full-length array: runs that start late cover the last frames
    (``at_end``), others start at frame 1. A file of another length than ``expected`` is
    placed anyway, with a note (scoring refuses it)."""
    note = None if len(regions) == expected else f"{what} has {len(regions)} lines, {expected} expected"
    if len(regions) > length:
        regions = regions[len(regions) - length:] if at_end else regions[:length]
    pad = Regions.specials(np.zeros(length - len(regions), np.int64))
    return Regions.concat([pad, regions] if at_end else [regions, pad]), note
