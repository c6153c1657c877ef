"""OTB protocols (OTB toolkit: main_running.m, splitSeqTRE.m, shiftInitBB.m).

A *run* initialises the tracker at one row of a sequence with a given box and tracks
to the sequence end. OPE is one run, TRE 20 runs from different starts, SRE 12 runs
from the OPE start with perturbed boxes. All boxes here are in the benchmark's native
(OTB: 1-based) coordinates; rows are 0-based indices into the sequence.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..datasets.sequence import Sequence
from ..errors import ConfigError, DatasetError
from ..text import plural


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
    if kind == "left":
        x -= math.ceil(0.1 * w)
    elif kind == "right":
        x += math.ceil(0.1 * w)
    elif kind == "up":
        y -= math.ceil(0.1 * h)
    elif kind == "down":
        y += math.ceil(0.1 * h)
    elif kind in ("top_left", "top_right", "bottom_left", "bottom_right"):
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
    else:
        raise ConfigError(f"unknown SRE perturbation {kind!r}")
    if x < 1:
        x = 1.0
    if y < 1:
        y = 1.0
    if x + w - 1 > image_width:
        w = image_width - x + 1
    if y + h - 1 > image_height:
        h = image_height - y + 1
    return (x, y, w, h)


def plan_runs(seq: Sequence, protocol: str, options: dict, ope_rule: str, image_size=None) -> list[Run]:
    """The runs of ``protocol`` (ope/tre/sre) on ``seq``.

    ``image_size`` (width, height) is needed for SRE clamping.
    """
    gt = seq.groundtruth
    if protocol == "ope":
        start = ope_start(seq, ope_rule)
        return [Run(1, start, tuple(gt[start]), "ope")]
    if protocol == "tre":
        starts = tre_starts(seq, int(options.get("segments", 20)), int(options.get("min_segment_length", 20)))
        return [Run(i + 1, s, tuple(gt[s]), f"segment {i + 1} (frame {seq.first_frame + s})")
                for i, s in enumerate(starts)]
    if protocol == "sre":
        if image_size is None:
            raise ConfigError("SRE needs the image size to clamp perturbed boxes")
        start = ope_start(seq, ope_rule)
        kinds = options.get("perturbations") or []
        return [Run(i + 1, start, perturb_box(gt[start], k, *image_size), k) for i, k in enumerate(kinds)]
    raise ConfigError(f"unknown OTB protocol {protocol!r}")


def expected_lengths(seq: Sequence, protocol: str, options: dict, ope_rule: str) -> list[int]:
    """Result-file lengths of each run, without needing images (for scoring)."""
    if protocol == "tre":
        return [len(seq) - s for s in tre_starts(seq, int(options.get("segments", 20)),
                                                  int(options.get("min_segment_length", 20)))]
    start = ope_start(seq, ope_rule)
    count = 1 if protocol == "ope" else len(options.get("perturbations") or [])
    return [len(seq) - start] * count
