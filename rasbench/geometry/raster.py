"""Rasterised overlap of VOT regions, as each reference toolkit computes it.

The VOT toolkits compute overlap by rasterising both regions to pixel masks. Each
reference implementation does it differently, and every difference is a named rule of
:func:`overlaps` (see :data:`OVERLAP_RULES`); the rules were read from the reference
sources (trax ``src/region.c``, the VOT MATLAB toolkit's ``region_overlap`` MEX,
pysot-toolkit's ``region.pyx`` + its copy of ``region.c``, vot-toolkit 0.9
``vot/region/raster.py``) and are checked against the installed native libtrax and
vot-toolkit in the tests. Coordinates are 0-based (see :mod:`rasbench.geometry.regions`).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .regions import POLYGON, RECTANGLE, SPECIAL, Regions

_F32_MAX = float(np.finfo(np.float32).max)


def to_polygons(regions: Regions, rectangle_corners: str = "x+w-1"):
    """(N, K, 2) float64 vertices (NaN padded) and (N,) vertex counts.

    Rectangles become the 4 corners (x, y), (x2, y), (x2, y2), (x, y2) with
    ``rectangle_corners`` ``"x+w-1"`` (x2 = x + w - 1: VOT MATLAB toolkit MEX and trax)
    or ``"x+w"`` (x2 = x + w: pysot). Special frames get count 0.
    """
    minus = {"x+w-1": 1.0, "x+w": 0.0}[rectangle_corners]
    n = len(regions)
    k = max(4, regions.coords.shape[1] // 2)
    verts = np.full((n, k, 2), np.nan)
    counts = np.where(regions.kind == POLYGON, regions.points, 0)
    poly = regions.kind == POLYGON
    if poly.any():
        width = regions.coords.shape[1] // 2 * 2
        verts[poly, :width // 2] = regions.coords[poly, :width].reshape(-1, width // 2, 2)
        verts[poly] = np.where(np.arange(k)[None, :, None] < counts[poly, None, None], verts[poly], np.nan)
    rect = regions.kind == RECTANGLE
    if rect.any():
        x, y, w, h = regions.coords[rect, :4].T
        x2, y2 = x + w - minus, y + h - minus  # double arithmetic, as the MEX / pysot do
        verts[rect, :4, 0] = np.stack([x, x2, x2, x], axis=1)
        verts[rect, :4, 1] = np.stack([y, y, y2, y2], axis=1)
        counts = np.where(rect, 4, counts)
    return verts, counts


# --------------------------------------------------------------------- overlap rules
@dataclass(frozen=True)
class OverlapRule:
    """How one reference implementation rasterises two regions and divides the counts."""

    name: str
    summary: str
    engine: str              # "c": trax region.c family; "vot-toolkit": vot/region/raster.py
    rectangle_corners: str   # C engine: rectangle -> polygon corners
    nodes: str               # scan-line node rules: "trax4", "trax3" or "legacy"
    origin: str = "int"      # C engine: raster window origin stored as "int" (trax >= 4) or "float"


OVERLAP_RULES: dict[str, OverlapRule] = {r.name: r for r in (
    OverlapRule(
        "vot-matlab",
        "VOT MATLAB toolkit region_overlap MEX over trax region.c (library as shipped today, "
        "= installed libtrax): rectangle -> polygon x..x+w-1, float32 vertices rounded half away "
        "from zero, outward-rounded bboxes clipped to the bounds, area-ratio and bbox-overlap "
        "early outs, scan-line fill with horizontal edges giving a node and the 'keep the last "
        "duplicate' rule, inclusive spans, IoU in float32; special frames -> NaN",
        "c", "x+w-1", "trax4"),
    OverlapRule(
        "vot-matlab-trax3",
        "as vot-matlab but with the older region.c node rules (horizontal edges give no node, "
        "every duplicate node is dropped) -- VOT MATLAB installs that fetched trax before the "
        "rules changed; differs on rows whose nodes all coincide (polygon apexes, 1-px-wide "
        "rows) and rows holding a horizontal edge inside a chain",
        "c", "x+w-1", "trax3", "float"),
    OverlapRule(
        "vot-matlab-legacy",
        "VOT MATLAB toolkit with legacy_rasterization (vot2013-2015 stacks): rectangle -> "
        "x..x+w-1 polygon, no vertex rounding, un-rounded bboxes, half-open even-odd fill "
        "computed in float32, window origin truncated to int (trax >= 4 library)",
        "c", "x+w-1", "legacy"),
    OverlapRule(
        "vot-matlab-legacy-trax3",
        "as vot-matlab-legacy with the older region.c, whose raster window origin is a float: "
        "with fractional bboxes the pixel grid is anchored at the window corner",
        "c", "x+w-1", "legacy", "float"),
    OverlapRule(
        "pysot",
        "pysot-toolkit vot_overlap: rectangle -> polygon x..x+w (region.pyx), its copy of the "
        "older region.c (horizontal edges give no node, every duplicate node dropped), IoU in "
        "float32; special frames -> NaN",
        "c", "x+w", "trax3", "float"),
    OverlapRule(
        "vot-toolkit",
        "vot-toolkit 0.9 calculate_overlap: float32 regions rounded half to even (np.round), "
        "rectangles filled directly as round(x)..round(x)+round(w)-1, polygons with the trax4 "
        "node rules, window = union bbox clipped to the image; a degenerate union bbox gives 1 "
        "and a degenerate clipped window 0; special frames are empty regions with bbox (0,0,0,0)",
        "vot-toolkit", "pixels", "trax4"),
)}
_ALIASES = {"official": "vot-matlab", "legacy": "vot-matlab-legacy", "trax3": "vot-matlab-trax3",
            "vot-py": "vot-toolkit"}


def overlap_rule(name: str) -> OverlapRule:
    try:
        return OVERLAP_RULES[_ALIASES.get(name, name)]
    except KeyError:
        raise ValueError(f"unknown overlap rule {name!r}; choose from "
                         f"{', '.join(list(OVERLAP_RULES) + list(_ALIASES))}") from None


def _bounds_arrays(bounds, n):
    """(right, bottom) per frame as float64 arrays; None -> unbounded (+inf)."""
    if bounds is None:
        return np.full(n, np.inf), np.full(n, np.inf)
    b = np.asarray(bounds, dtype=np.float64)
    if b.ndim == 1:
        b = np.broadcast_to(b, (n, 2))
    if b.shape != (n, 2):
        raise ValueError(f"bounds must be None, (right, bottom) or an ({n}, 2) array")
    return b[:, 0].copy(), b[:, 1].copy()


def overlaps(a: Regions, b: Regions, bounds=None, rule: str = "vot-matlab",
             chunk_rows: int = 1 << 21, threads: int | None = None) -> np.ndarray:
    """Per-frame rasterised IoU of two region arrays of equal length.

    ``bounds``: None (unbounded), ``(right, bottom)`` for every frame or an (N, 2) array:
    the last pixel column / row inside the raster window, exactly as the C library takes
    them (left = top = 0). The VOT MATLAB toolkit passes (W-1, H-1) for the image itself
    and (W, H) for its accuracy analysis; vot-toolkit's ``bounds=(W, H)`` (image size) is
    (W-1, H-1) here.

    ``rule``: a key of :data:`OVERLAP_RULES` (aliases: ``official`` = ``vot-matlab``,
    ``legacy``, ``trax3``, ``vot-py``). C rules return NaN where either region is special;
    ``vot-toolkit`` treats special frames as empty regions, as that toolkit does.
    Regions holding NaN coordinates are treated as special.

    ``chunk_rows``: raster rows processed per vectorised step; memory grows with it
    (~290 MB peak at 2**21 on VOT2017, 1.3x faster than 2**20 at 160 MB).
    ``threads``: frame ranges scored in parallel (default: one per CPU core, for arrays of
    more than a few thousand frames). The result does not depend on it.
    """
    if len(a) != len(b):
        raise ValueError(f"region arrays differ in length: {len(a)} != {len(b)}")
    spec = overlap_rule(rule)
    right, bottom = _bounds_arrays(bounds, len(a))
    engine = _c_overlaps if spec.engine == "c" else _vot_toolkit_overlaps
    parts = min(threads if threads is not None else (os.cpu_count() or 1), len(a) // _FRAMES_PER_THREAD)
    if parts <= 1:
        return engine(a, b, right, bottom, spec, chunk_rows)
    # numpy releases the GIL in the large array operations: frame ranges in threads,
    # each with its share of the row budget so the memory stays the same
    cuts = np.linspace(0, len(a), parts + 1).astype(int)
    with ThreadPoolExecutor(parts) as pool:
        pieces = pool.map(lambda s, e: engine(a[s:e], b[s:e], right[s:e], bottom[s:e], spec, chunk_rows // parts),
                          cuts[:-1], cuts[1:])
        return np.concatenate(list(pieces))


_FRAMES_PER_THREAD = 2000  # below this a thread costs more than it saves


# ----------------------------------------------------------------- scan-line machinery
# A shape (one polygon / box per frame) is turned into per-row pixel spans inside its
# frame's raster window: ``first`` (F,) first row, ``rows`` (F,) number of rows,
# ``lo`` / ``hi`` (R, S) inclusive column ranges (empty when lo > hi), S spans per row,
# rows of all frames concatenated in frame order.

def _row_index(first, rows):
    """Frame index and row coordinate of every row of every frame."""
    rows = np.maximum(rows, 0)
    frame = np.repeat(np.arange(len(rows)), rows)
    offset = np.cumsum(rows) - rows
    y = first[frame] + (np.arange(len(frame)) - offset[frame])
    return frame, y.astype(np.float64)


def _edges(x, y, counts):
    """Edge endpoint arrays in the C loop order: edge e joins vertex j = e - 1 (the last
    vertex for e = 0) to vertex i = e; the C node formula is based at vertex i."""
    k = x.shape[1]
    j = np.arange(k)[None, :] - 1
    j = np.where(j < 0, counts[:, None] - 1, j)
    j = np.clip(j, 0, k - 1)
    xj = np.take_along_axis(x, j, axis=1)
    yj = np.take_along_axis(y, j, axis=1)
    valid = np.arange(k)[None, :] < counts[:, None]
    return x, y, xj, yj, valid


def _is_fast(x, y, counts, nodes):
    """Frames whose rows each get at most two distinct node values, so the C pairing loop
    reduces to one span [min node, max node]: the cyclic vertex y-sequence rises once and
    falls once (two monotone chains). For the trax node rules horizontal edges must lie on
    the top or bottom row and those rows hold at most two vertices; the legacy half-open
    rule needs only the two chains. Everything else goes through the exact general path."""
    k = x.shape[1]
    valid = np.arange(k)[None, :] < counts[:, None]
    ymin = np.min(np.where(valid, y, np.inf), axis=1)
    ymax = np.max(np.where(valid, y, -np.inf), axis=1)
    _, yi, _, yj, ev = _edges(x, y, counts)
    dy = np.where(ev, yi - yj, 0.0)
    sign = np.sign(dy)
    # sign changes along the cyclic sequence of non-zero edge directions
    nz = sign != 0
    # carry the last non-zero sign forward (cyclically) to compare consecutive non-zero signs
    idx = np.where(nz, np.arange(k)[None, :], -1)
    last = np.maximum.accumulate(idx, axis=1)
    last_nz = np.max(idx, axis=1)
    prev_idx = np.concatenate([np.broadcast_to(last_nz[:, None], (len(x), 1)), last[:, :-1]], axis=1)
    prev_idx = np.where(prev_idx < 0, last_nz[:, None], prev_idx)
    prev_sign = np.take_along_axis(sign, np.clip(prev_idx, 0, k - 1), axis=1)
    changes = np.sum(nz & (sign != prev_sign), axis=1)
    ok = (counts >= 3) & (ymin < ymax) & (changes == 2)
    if nodes != "legacy":
        flat = ev & (dy == 0)
        at_extreme = (yi == ymin[:, None]) | (yi == ymax[:, None])
        ok &= ~np.any(flat & ~at_extreme, axis=1)
        ok &= np.sum(valid & (y == ymax[:, None]), axis=1) <= 2
        ok &= np.sum(valid & (y == ymin[:, None]), axis=1) <= 2
    return ok


def _row_range(y, counts, height, nodes):
    k = y.shape[1]
    valid = np.arange(k)[None, :] < counts[:, None]
    ymin = np.min(np.where(valid, y, np.inf), axis=1)
    ymax = np.max(np.where(valid, y, -np.inf), axis=1)
    if nodes == "legacy":  # half-open rule: rows ymin < Y <= ymax
        lo_row, hi_row = np.floor(ymin) + 1, np.floor(ymax)
    else:
        lo_row, hi_row = ymin, ymax
    first = np.maximum(lo_row, 0)
    last = np.minimum(hi_row, height - 1)
    first = np.where(counts > 0, first, 0).astype(np.int64)
    rows = np.where(counts > 0, last - first + 1, 0)
    return first, np.maximum(rows, 0).astype(np.int64)


def _node_values(xi, yi, xj, yj, Y, nodes):
    """Node x of one edge at rows Y (arrays per row) and whether the edge gives a node."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if nodes == "legacy":
            # half-open crossing test; C evaluates the node in float32 arithmetic
            touch = ((yi < Y) & (yj >= Y)) | ((yj < Y) & (yi >= Y))
            xi32, yi32 = xi.astype(np.float32), yi.astype(np.float32)
            d = Y.astype(np.float32) - yi32
            q = d / (yj.astype(np.float32) - yi32)
            m = q * (xj.astype(np.float32) - xi32)
            node = np.trunc((xi32 + m).astype(np.float64))
            return node, touch
        touch = (np.minimum(yi, yj) <= Y) & (Y <= np.maximum(yi, yj))
        r = yj - yi
        node = np.trunc(xi + (Y - yi) / r * (xj - xi))  # same operation order as C
        if nodes == "trax4":  # a horizontal edge on its row gives the node x_i
            node = np.where(r == 0, xi, node)
        else:  # trax3: horizontal edges give no node
            touch &= r != 0
        return node, touch


def _fast_spans(first, rows, xi, yi, xj, yj, ev, width, nodes):
    """One span per row for two-chain polygons (see :func:`_is_fast`).

    Each non-horizontal edge writes its nodes into the array of its chain (rising or
    falling) for the rows it touches; where two edges of a chain share a row they share
    a vertex and give the same node exactly, so the writes agree. Horizontal edges can
    be ignored: under trax4 their node repeats a vertex node of that row, under trax3 and
    legacy they give none. The span is then [min, max] of the two chain nodes, subject to
    each rule's pairing (see the general path for the loop being summarised)."""
    f, k = xi.shape
    total = int(rows.sum())
    offset = np.cumsum(rows) - rows
    r = yj - yi
    ylo, yhi = np.minimum(yi, yj), np.maximum(yi, yj)
    if nodes == "legacy":  # half-open crossing rule: rows ylo < Y <= yhi
        ylo, yhi = np.floor(ylo) + 1, np.floor(yhi)
    last = (first + rows - 1)[:, None]
    ylo = np.maximum(ylo, first[:, None])
    yhi = np.minimum(yhi, last)
    use = ev & (r != 0) & (yhi >= ylo)
    cnt = np.where(use, yhi - ylo + 1, 0).astype(np.int64).ravel()
    start = np.cumsum(cnt) - cnt
    step = np.arange(int(cnt.sum()), dtype=np.float64)  # running pair index

    def per_pair(values):  # expand a per-edge quantity to the edge's rows
        return np.repeat(values.ravel(), cnt)

    # Y - y_i for each (edge, row) pair, as an offset of the running index
    dy = per_pair(ylo - yi - start.reshape(f, k)) + step
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if nodes == "legacy":  # float32 arithmetic, as the legacy C branch
            xi32 = per_pair(xi).astype(np.float32)
            q = (per_pair(ylo - start.reshape(f, k)) + step).astype(np.float32) - per_pair(yi).astype(np.float32)
            q /= per_pair(r).astype(np.float32)
            node = np.trunc((xi32 + q * per_pair(xj - xi).astype(np.float32)).astype(np.float64))
        else:  # x_i + (Y - y_i) / r * (x_j - x_i), the C operation order, in double
            node = dy / per_pair(r)
            node *= per_pair(xj - xi)
            node += per_pair(xi)
            np.trunc(node, out=node)
    # destination: chain (rising / falling) * total + row position
    row_start = offset[:, None] + (ylo - first[:, None])
    dest = per_pair((r > 0) * float(total) + row_start - start.reshape(f, k)) + step
    chains = np.full(2 * total, np.nan)
    chains[dest.astype(np.int64)] = node
    chains = chains.reshape(2, total)
    lo, hi = np.minimum(chains[0], chains[1]), np.maximum(chains[0], chains[1])
    row_frame = np.repeat(np.arange(f), rows)
    w = width[row_frame].astype(np.float64)
    if nodes == "legacy":
        # pair (lo, hi): no fill if lo >= width or hi <= 0; fill [max(lo,0), end) with
        # end = hi, or width - 1 when hi > width (the C clamp drops one column there)
        end = np.where(hi > w, w - 1, hi)
        ok = (lo < w) & (hi > 0)
        lo, hi = np.maximum(lo, 0), end - 1
    else:
        ok = ~np.isnan(lo)
        if nodes == "trax3":
            ok &= lo < hi  # all nodes equal -> every duplicate dropped, nothing filled
        lo, hi = np.maximum(lo, 0), np.minimum(hi, w - 1)
    return np.where(ok, lo, 1)[:, None], np.where(ok, hi, 0)[:, None]


def _polygon_spans(x, y, counts, width, height, nodes, fast):
    """Row spans of polygons (window coordinates; rounded unless ``legacy``)."""
    first, rows = _row_range(y, counts, height, nodes)
    xi_all, yi_all, xj_all, yj_all, ev = _edges(x, y, counts)
    k = x.shape[1]
    if fast:
        return first, rows, *_fast_spans(first, rows, xi_all, yi_all, xj_all, yj_all, ev, width, nodes)
    frame, Y = _row_index(first, rows)
    w = width[frame].astype(np.float64)
    # general path: the C loops themselves, vectorised over rows
    node = np.full((len(frame), k), np.inf)
    for e in range(k):
        v, touch = _node_values(xi_all[frame, e], yi_all[frame, e], xj_all[frame, e],
                                yj_all[frame, e], Y, nodes)
        touch &= ev[:, e][frame]
        node[:, e] = np.where(touch, v, np.inf)
    n = np.sum(np.isfinite(node), axis=1)
    node.sort(axis=1)
    spans = max(1, k // 2)
    lo = np.ones((len(frame), spans))
    hi = np.zeros((len(frame), spans))
    rows_all = np.arange(len(frame))
    if nodes == "legacy":
        alive = np.ones(len(frame), bool)
        for p in range(spans):
            i = 2 * p
            if i + 1 >= k:
                break
            act = alive & (i < n)
            a, bb = node[:, i], node[:, min(i + 1, k - 1)]
            alive &= ~(act & (a >= w))
            fill = act & ~(a >= w) & (bb > 0)
            end = np.where(bb > w, w - 1, bb)
            lo[:, p] = np.where(fill, np.maximum(a, 0), 1)
            hi[:, p] = np.where(fill, end - 1, 0)
        return first, rows, lo, hi
    i = np.zeros(len(frame), np.int64)
    slot = np.zeros(len(frame), np.int64)
    alive = np.ones(len(frame), bool)
    for _ in range(k):
        act = alive & (i < n - 1)
        if not act.any():
            break
        a = node[rows_all, np.minimum(i, k - 1)]
        bb = node[rows_all, np.minimum(i + 1, k - 1)]
        same = a == bb
        if nodes == "trax4":
            brk = act & (a >= w)
            skip = act & ~brk & same & (i < n - 2)
        else:  # trax3 drops every duplicate before testing the window
            skip = act & same
            brk = act & ~skip & (a >= w)
        go = act & ~brk & ~skip
        fill = go & (bb >= 0)
        s = np.minimum(slot, spans - 1)
        lo[rows_all[fill], s[fill]] = np.maximum(a[fill], 0)
        hi[rows_all[fill], s[fill]] = np.minimum(bb[fill], w[fill] - 1)
        slot += fill
        alive &= ~brk
        i += np.where(skip, 1, np.where(go, 2, 0))
    # consecutive spans may share an end pixel: drop it from the later one (masks are sets)
    run_max = np.maximum.accumulate(np.where(lo <= hi, hi, -np.inf), axis=1)
    lo[:, 1:] = np.maximum(lo[:, 1:], run_max[:, :-1] + 1)
    return first, rows, lo, hi


def _span_counts(sa, sb, n):
    """Mask areas of both shapes and their intersection, per frame."""
    fa, ra, loa, hia = sa
    fb, rb, lob, hib = sb
    frame_a, _ = _row_index(fa, ra)
    frame_b, _ = _row_index(fb, rb)
    area_a = np.bincount(frame_a, np.sum(np.maximum(hia - loa + 1, 0), axis=1), minlength=n)
    area_b = np.bincount(frame_b, np.sum(np.maximum(hib - lob + 1, 0), axis=1), minlength=n)
    c0 = np.maximum(fa, fb)
    c1 = np.minimum(fa + ra, fb + rb)
    common = np.where((ra > 0) & (rb > 0), np.maximum(c1 - c0, 0), 0)
    frame, y = _row_index(c0, common)
    if len(frame) == 0:
        return area_a, area_b, np.zeros(n)
    off_a = np.cumsum(ra) - ra
    off_b = np.cumsum(rb) - rb
    ia = (off_a[frame] + (y - fa[frame])).astype(np.int64)
    ib = (off_b[frame] + (y - fb[frame])).astype(np.int64)
    inter = np.zeros(len(frame))
    for k in range(loa.shape[1]):
        for m in range(lob.shape[1]):
            inter += np.maximum(np.minimum(hia[ia, k], hib[ib, m]) - np.maximum(loa[ia, k], lob[ib, m]) + 1, 0)
    return area_a, area_b, np.bincount(frame, inter, minlength=n)


def _chunks(rows_needed, chunk_rows):
    """Frame index ranges whose total row count stays near ``chunk_rows``."""
    total = np.cumsum(rows_needed)
    start = 0
    while start < len(rows_needed):
        base = total[start - 1] if start else 0
        stop = int(np.searchsorted(total, base + chunk_rows, side="right"))
        stop = max(stop, start + 1)
        yield start, min(stop, len(rows_needed))
        start = stop


# --------------------------------------------------------------------- C engine
def _c_overlaps(a, b, right, bottom, spec, chunk_rows):
    n = len(a)
    out = np.full(n, np.nan)
    va, ca = to_polygons(a, spec.rectangle_corners)
    vb, cb = to_polygons(b, spec.rectangle_corners)
    k = max(va.shape[1], vb.shape[1])
    va = np.pad(va, ((0, 0), (0, k - va.shape[1]), (0, 0)), constant_values=np.nan)
    vb = np.pad(vb, ((0, 0), (0, k - vb.shape[1]), (0, 0)), constant_values=np.nan)
    # the C structures hold float32 vertices
    va, vb = va.astype(np.float32), vb.astype(np.float32)
    valid_a = np.arange(k)[None, :] < ca[:, None]
    valid_b = np.arange(k)[None, :] < cb[:, None]
    ok = (ca > 0) & (cb > 0)
    ok &= ~np.any(valid_a & np.isnan(va).any(axis=2), axis=1) & ~np.any(valid_b & np.isnan(vb).any(axis=2), axis=1)
    legacy = spec.nodes == "legacy"
    f32 = np.float32
    bl = np.where(np.isinf(right), -_F32_MAX, 0.0).astype(f32)  # left = top = 0 when bounded
    br = np.where(np.isinf(right), _F32_MAX, right).astype(f32)
    bb_ = np.where(np.isinf(bottom), _F32_MAX, bottom).astype(f32)

    def clipped_bbox(v, valid):
        xs = np.where(valid, v[..., 0], np.inf)
        ys = np.where(valid, v[..., 1], np.inf)
        left, t = xs.min(axis=1), ys.min(axis=1)
        r = np.where(valid, v[..., 0], -np.inf).max(axis=1)
        btm = np.where(valid, v[..., 1], -np.inf).max(axis=1)
        if not legacy:  # bounds_round: outward to whole pixels
            left, t, r, btm = np.floor(left), np.floor(t), np.ceil(r), np.ceil(btm)
        return (np.maximum(left, bl).astype(f32), np.maximum(t, bl).astype(f32),
                np.minimum(r, br).astype(f32), np.minimum(btm, bb_).astype(f32))

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        l1, t1, r1, b1 = clipped_bbox(va, valid_a)
        l2, t2, r2, b2 = clipped_bbox(vb, valid_b)
        x0f, y0f = np.minimum(l1, l2), np.minimum(t1, t2)
        if spec.origin == "float":  # older region.c keeps the window origin as a float
            x0, y0 = x0f, y0f
        else:  # trax >= 4 stores it in an int
            x0, y0 = np.trunc(x0f).astype(f32), np.trunc(y0f).astype(f32)
        width = np.trunc((np.maximum(r1, r2) - x0).astype(f32)).astype(np.float64) + 1
        height = np.trunc((np.maximum(b1, b2) - y0).astype(f32)).astype(np.float64) + 1
        area1 = ((r1 - l1) * (b1 - t1)).astype(np.float64)
        area2 = ((r2 - l2) * (b2 - t2)).astype(np.float64)
        early = (area1 / area2 < 1e-10) | (area2 / area1 < 1e-10) | (width < 1) | (height < 1)
        # bounds_overlap() == 0 (float32; MAX(0, r) keeps NaN, which is not 0)
        inter = (np.minimum(r1, r2) - np.maximum(l1, l2)) * (np.minimum(b1, b2) - np.maximum(t1, t2))
        ratio = inter / (((r1 - l1) * (b1 - t1)) + ((r2 - l2) * (b2 - t2)) - inter)
        early |= np.where(f32(0) > ratio, f32(0), ratio) == 0
    early &= ok
    out[early] = 0.0
    todo = np.flatnonzero(ok & ~early)
    if len(todo) == 0:
        return out

    def window_coords(v, x0, y0):
        # offset_polygon in float32, then (non-legacy) C round(): half away from zero
        wx = (v[..., 0] - x0[:, None]).astype(f32).astype(np.float64)
        wy = (v[..., 1] - y0[:, None]).astype(f32).astype(np.float64)
        if not legacy:
            wx = np.sign(wx) * np.floor(np.abs(wx) + 0.5)
            wy = np.sign(wy) * np.floor(np.abs(wy) + 0.5)
        return wx, wy

    with np.errstate(invalid="ignore"):
        ax, ay = window_coords(va[todo], x0[todo], y0[todo])
        bx, by = window_coords(vb[todo], x0[todo], y0[todo])
    counts = _raster_counts((ax, ay, ca[todo]), (bx, by, cb[todo]), width[todo].astype(np.int64),
                            height[todo].astype(np.int64), spec.nodes, chunk_rows,
                            a.kind[todo] == RECTANGLE, b.kind[todo] == RECTANGLE)
    area_a, area_b, inter = counts
    only = area_a + area_b - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out[todo] = (inter.astype(f32) / only.astype(f32)).astype(np.float64)
    return out


def _rectangle_boxes(x, y, is_rect, width, height, nodes):
    """Pixel boxes (x0, y0, x1, y1, clipped to the window) of the frames whose polygon is a
    converted rectangle that the scan-line loop fills as exactly that box, and the mask of
    those frames. After rounding its corners are axis-aligned; with both sides at least
    one pixel apart the two vertical edges give nodes x_min and x_max on every row
    y_min..y_max under the trax node rules. The legacy rule (half-open rows, float32
    nodes) and degenerate rectangles stay with the scan-line loop."""
    with np.errstate(invalid="ignore"):
        x0, x1 = np.nanmin(x[:, :4], axis=1), np.nanmax(x[:, :4], axis=1)
        y0, y1 = np.nanmin(y[:, :4], axis=1), np.nanmax(y[:, :4], axis=1)
        usable = is_rect & (nodes != "legacy") & (x0 < x1) & (y0 < y1)
    box = (np.maximum(x0, 0), np.maximum(y0, 0), np.minimum(x1, width - 1), np.minimum(y1, height - 1))
    return usable, tuple(np.where(usable, v, 0.0) for v in box)


def _raster_counts(shape_a, shape_b, width, height, nodes, chunk_rows, rect_a=None, rect_b=None):
    """(area_a, area_b, intersection) of two polygon sets rasterised in their windows.
    ``rect_a`` / ``rect_b`` mark frames whose polygon is a converted rectangle: those are
    counted as boxes where the rule allows (see :func:`_rectangle_boxes`)."""
    n = len(width)
    area_a, area_b, inter = np.zeros(n), np.zeros(n), np.zeros(n)
    ax, ay, ca = shape_a
    bx, by, cb = shape_b
    no_rect = np.zeros(n, bool)
    box_a, pixels_a = _rectangle_boxes(ax, ay, no_rect if rect_a is None else rect_a, width, height, nodes)
    box_b, pixels_b = _rectangle_boxes(bx, by, no_rect if rect_b is None else rect_b, width, height, nodes)
    both = box_a & box_b
    area_a[both], area_b[both], inter[both] = _box_box_counts([v[both] for v in pixels_a],
                                                              [v[both] for v in pixels_b])
    fast_a, fast_b = _is_fast(ax, ay, ca, nodes), _is_fast(bx, by, cb, nodes)
    rows_a = _row_range(ay, ca, height, nodes)[1]
    rows_b = _row_range(by, cb, height, nodes)[1]
    k = max(ax.shape[1], bx.shape[1])

    def batches(frames, fast, rows):
        for mode in (True, False):
            idx = np.flatnonzero(frames & (fast == mode))
            for s, e in _chunks(rows[idx] + 1, chunk_rows // (1 if mode else max(1, k // 2))) if len(idx) else ():
                yield mode, idx[s:e]

    def spans(xs, ys, cs, sel, mode):
        kk = max(1, int(cs[sel].max()))
        return _polygon_spans(xs[sel, :kk], ys[sel, :kk], cs[sel], width[sel], height[sel], nodes, mode)

    # one side a box, the other a polygon: only the polygon is scanned
    for mode, sel in batches(~box_a & box_b, fast_a, rows_a):
        area_a[sel], area_b[sel], inter[sel] = _spans_box_counts(spans(ax, ay, ca, sel, mode),
                                                                 [v[sel] for v in pixels_b], len(sel))
    for mode, sel in batches(box_a & ~box_b, fast_b, rows_b):
        area_b[sel], area_a[sel], inter[sel] = _spans_box_counts(spans(bx, by, cb, sel, mode),
                                                                 [v[sel] for v in pixels_a], len(sel))
    for mode, sel in batches(~box_a & ~box_b, fast_a & fast_b, rows_a + rows_b):
        area_a[sel], area_b[sel], inter[sel] = _span_counts(spans(ax, ay, ca, sel, mode),
                                                            spans(bx, by, cb, sel, mode), len(sel))
    return area_a, area_b, inter


# --------------------------------------------------------------------- vot-toolkit engine
def _vot_toolkit_overlaps(a, b, right, bottom, spec, chunk_rows):
    """vot-toolkit 0.9 ``calculate_overlap`` (vot/region/raster.py), vectorised. ``spec`` is
    unused (one rule only); the signature matches :func:`_c_overlaps` for the dispatch."""
    n = len(a)
    out = np.zeros(n)

    def prepare(r):
        """Rounded float32 data and integer bbox (left, top, right, bottom) per frame."""
        kind = r.kind.copy()
        bad = (kind != SPECIAL) & np.isnan(r.coords[:, :4]).any(axis=1)
        kind[bad] = SPECIAL
        data = np.round(r.coords.astype(np.float32)).astype(np.float64)  # half to even
        box = np.zeros((n, 4))
        rect = kind == RECTANGLE
        x, y, w, h = data[:, 0], data[:, 1], data[:, 2], data[:, 3]
        box[rect] = np.stack([x, y, x + w - 1, y + h - 1], axis=1)[rect]
        poly = kind == POLYGON
        k = max(1, r.coords.shape[1] // 2)
        xs = data[:, :2 * k:2]
        ys = data[:, 1:2 * k:2]
        valid = np.arange(k)[None, :] < r.points[:, None]
        with np.errstate(invalid="ignore"):
            pb = np.stack([np.where(valid, xs, np.inf).min(1), np.where(valid, ys, np.inf).min(1),
                           np.where(valid, xs, -np.inf).max(1), np.where(valid, ys, -np.inf).max(1)], axis=1)
        box[poly] = pb[poly]
        return kind, xs, ys, r.points, box

    ka, axs, ays, pa, boxa = prepare(a)
    kb, bxs, bys, pb, boxb = prepare(b)
    union = np.stack([np.minimum(boxa[:, 0], boxb[:, 0]), np.minimum(boxa[:, 1], boxb[:, 1]),
                      np.maximum(boxa[:, 2], boxb[:, 2]), np.maximum(boxa[:, 3], boxb[:, 3])], axis=1)
    degenerate = (union[:, 0] >= union[:, 2]) | (union[:, 1] >= union[:, 3])
    out[degenerate] = 1.0  # "two empty regions are considered to be identical"
    bounded = np.isfinite(right)
    rb = union.copy()
    rb[:, 0] = np.where(bounded, np.maximum(0, union[:, 0]), union[:, 0])
    rb[:, 1] = np.where(bounded, np.maximum(0, union[:, 1]), union[:, 1])
    rb[:, 2] = np.where(bounded, np.minimum(right, union[:, 2]), union[:, 2])
    rb[:, 3] = np.where(bounded, np.minimum(bottom, union[:, 3]), union[:, 3])
    todo = np.flatnonzero(~degenerate & ~((rb[:, 0] >= rb[:, 2]) | (rb[:, 1] >= rb[:, 3])))
    if len(todo) == 0:
        return out
    rb = rb[todo]
    width = (rb[:, 2] - rb[:, 0] + 1).astype(np.int64)
    height = (rb[:, 3] - rb[:, 1] + 1).astype(np.int64)

    def shape_parts(kind, xs, ys, pts, box, sel):
        """One side for the frames ``sel`` (indices into todo): its rectangle as a clipped
        pixel box (x0, y0, x1, y1; empty where x1 < x0) and its polygon in window coordinates
        (counts 0 where the frame holds no polygon)."""
        f = todo[sel]
        w, h, b = width[sel], height[sel], rb[sel]
        # rectangles: rasterize_rectangle with numpy slice semantics (the unbounded case
        # with negative windows clips through min(bounds[2], ...) and negative stops)
        x0, y0, x1, y1 = box[f].T
        outside = (x0 > b[:, 2]) | (x1 < b[:, 0]) | (y0 > b[:, 3]) | (y1 < b[:, 1])
        cs, ce = _slice(np.maximum(0, x0 - b[:, 0]), np.minimum(b[:, 2], x1 - b[:, 0]) + 1, w)
        rs, re = _slice(np.maximum(0, y0 - b[:, 1]), np.minimum(b[:, 3], y1 - b[:, 1]) + 1, h)
        empty = outside | (kind[f] != RECTANGLE) | (ce <= cs) | (re <= rs)
        pixel_box = tuple(np.where(empty, fill, v).astype(np.float64)
                          for v, fill in ((cs, 1), (rs, 1), (ce - 1, 0), (re - 1, 0)))
        counts = np.where(kind[f] == POLYGON, pts[f], 0)
        return pixel_box, (xs[f] - b[:, [0]], ys[f] - b[:, [1]], counts)

    # rows needed per frame, for chunking: the window height bounds both sides
    for s, e in _chunks(2 * height + 1, chunk_rows):
        sel = np.arange(s, e)
        box_a, poly_a = shape_parts(ka, axs, ays, pa, boxa, sel)
        box_b, poly_b = shape_parts(kb, bxs, bys, pb, boxb, sel)
        area_a, area_b, inter = _shape_counts(box_a, poly_a, box_b, poly_b, width[sel], height[sel])
        union_px = area_a + area_b - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            out[todo[sel]] = np.where(union_px > 0, inter / np.where(union_px > 0, union_px, 1), 0.0)
    return out


def _shape_counts(box_a, poly_a, box_b, poly_b, width, height):
    """Mask areas and intersection per frame when each side holds a pixel box or a polygon
    (vot-toolkit rasteriser, trax4 nodes). Boxes are never expanded into rows: box with box
    is a product of interval overlaps, a polygon's rows are clipped against a box."""
    n = len(width)
    area_a, area_b, inter = np.zeros(n), np.zeros(n), np.zeros(n)
    is_poly_a, is_poly_b = poly_a[2] > 0, poly_b[2] > 0
    boxes = ~is_poly_a & ~is_poly_b
    area_a[boxes], area_b[boxes], inter[boxes] = _box_box_counts(
        [v[boxes] for v in box_a], [v[boxes] for v in box_b])
    for poly_side, box_side, flip in ((poly_a, box_b, False), (poly_b, box_a, True)):
        idx = np.flatnonzero((poly_side[2] > 0) & ~(is_poly_a & is_poly_b))
        if len(idx) == 0:
            continue
        spans = _trax4_spans(poly_side, idx, width, height)
        counts = _spans_box_counts(spans, [v[idx] for v in box_side], len(idx))
        if flip:
            counts = (counts[1], counts[0], counts[2])
        area_a[idx], area_b[idx], inter[idx] = counts
    both = np.flatnonzero(is_poly_a & is_poly_b)
    if len(both):
        fast = _is_fast(*poly_a[:2], poly_a[2], "trax4") & _is_fast(*poly_b[:2], poly_b[2], "trax4")
        for mode in (True, False):
            idx = both[fast[both] == mode]
            if len(idx):
                area_a[idx], area_b[idx], inter[idx] = _span_counts(
                    _trax4_spans(poly_a, idx, width, height, mode),
                    _trax4_spans(poly_b, idx, width, height, mode), len(idx))
    return area_a, area_b, inter


def _trax4_spans(poly, idx, width, height, fast=None):
    """Row spans (trax4 nodes) of the polygons ``idx``; ``fast`` None splits the frames
    between the two-chain and the general path and splices the results in frame order."""
    px, py, counts = (v[idx] for v in poly)
    kk = max(1, int(counts.max()))
    px, py = px[:, :kk], py[:, :kk]
    if fast is not None:
        return _polygon_spans(px, py, counts, width[idx], height[idx], "trax4", fast)
    is_fast = _is_fast(px, py, counts, "trax4")
    if is_fast.all() or not is_fast.any():
        return _polygon_spans(px, py, counts, width[idx], height[idx], "trax4", bool(is_fast.all()))
    pieces = [(sub, _polygon_spans(px[sub], py[sub], counts[sub], width[idx][sub], height[idx][sub], "trax4", mode))
              for mode, sub in ((True, np.flatnonzero(is_fast)), (False, np.flatnonzero(~is_fast)))]
    first = np.zeros(len(idx), np.int64)
    rows = np.zeros(len(idx), np.int64)
    for sub, (f, r, _, _) in pieces:
        first[sub], rows[sub] = f, r
    spans = max(p[1][2].shape[1] for p in pieces)
    offset = np.cumsum(rows) - rows
    lo, hi = np.ones((int(rows.sum()), spans)), np.zeros((int(rows.sum()), spans))
    for sub, (f, r, plo, phi) in pieces:
        row_frame, _ = _row_index(f, r)
        dest = offset[sub[row_frame]] + (np.arange(len(row_frame)) - (np.cumsum(r) - r)[row_frame])
        lo[dest, :plo.shape[1]], hi[dest, :phi.shape[1]] = plo, phi
    return first, rows, lo, hi


def _box_box_counts(a, b):
    """Areas and intersection of pixel boxes (x0, y0, x1, y1 inclusive; empty if x1 < x0)."""
    def extent(lo, hi):
        return np.maximum(hi - lo + 1, 0)
    area_a = extent(a[0], a[2]) * extent(a[1], a[3])
    area_b = extent(b[0], b[2]) * extent(b[1], b[3])
    inter = (extent(np.maximum(a[0], b[0]), np.minimum(a[2], b[2]))
             * extent(np.maximum(a[1], b[1]), np.minimum(a[3], b[3])))
    return area_a, area_b, inter


def _spans_box_counts(spans, box, n):
    """Areas of a span set and of pixel boxes, and their intersection, per frame. A frame's
    rows are contiguous, and so are those inside its box: both sums are differences of
    running totals (exact: integer counts far below 2**53)."""
    first, rows, lo, hi = spans
    x0, y0, x1, y1 = box
    offset = np.cumsum(rows) - rows
    width_rows = np.sum(np.maximum(hi - lo + 1, 0), axis=1)
    clipped = np.minimum(hi, np.repeat(x1, rows)[:, None]) - np.maximum(lo, np.repeat(x0, rows)[:, None]) + 1
    inside = np.sum(np.maximum(clipped, 0), axis=1)
    running_width = np.concatenate([[0.0], np.cumsum(width_rows)])
    running_inside = np.concatenate([[0.0], np.cumsum(inside)])
    area_spans = running_width[offset + rows] - running_width[offset]
    start = offset + np.clip(y0 - first, 0, rows).astype(np.int64)
    stop = np.maximum(offset + np.clip(y1 - first + 1, 0, rows).astype(np.int64), start)
    area_box = np.maximum(x1 - x0 + 1, 0) * np.maximum(y1 - y0 + 1, 0)
    return area_spans, area_box, running_inside[stop] - running_inside[start]


def _slice(start, stop, n):
    """Index range [s, e) that numpy's ``a[start:stop]`` selects on an axis of length n."""
    start = np.where(start < 0, start + n, start)
    stop = np.where(stop < 0, stop + n, stop)
    s = np.clip(start, 0, n)
    e = np.clip(stop, 0, n)
    return s, np.maximum(e, s)
