"""VOT regions: parsing, conversions and the rasterised overlap rules.

The overlap rules are checked three ways: the verified numbers of protocols.md 2.2, the
installed reference implementations (native libtrax -- the C library behind the VOT
MATLAB toolkit's MEX -- and vot-toolkit 0.9) on thousands of random region pairs, and a
plain per-pixel scalar model of the C loops written here (for the older node rules used
by pysot, for which no compiled reference is installed).
"""
from __future__ import annotations

import ctypes
import time

import numpy as np
import pytest

import rasbench.geometry.raster as raster
from rasbench.geometry import (
    POLYGON,
    RECTANGLE,
    SPECIAL,
    Regions,
    area_preserving_boxes,
    bounding_boxes,
    format_regions,
    overlaps,
    parse_regions,
    regions_from_values,
    to_polygons,
)


# ----------------------------------------------------------------------------- helpers
def random_rows(rng, n, width=120, height=90):
    """Region value lists covering the awkward cases: fractional / integer / negative-size
    rectangles, rotated boxes (with .5 ties), random non-convex polygons with 3..8 points,
    sub-pixel regions, regions outside the image and special codes."""
    rows = []
    for _ in range(n):
        kind = rng.integers(7)
        if kind == 0:
            x, y = rng.uniform(-20, width, 2)
            w, h = rng.uniform(-2, 60, 2)
            rows.append([x, y, w, h])
        elif kind == 1:
            x, y = rng.integers(-5, width, 2)
            w, h = rng.integers(0, 40, 2)
            rows.append([float(x), float(y), float(w), float(h)])
        elif kind == 2:
            c = rng.uniform(-10, width + 10, 2)
            s = rng.uniform(0.2, 50, 2)
            a = rng.uniform(0, np.pi)
            rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
            p = (np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * s / 2) @ rot.T + c
            if rng.random() < 0.3:
                p = np.round(p * 2) / 2
            rows.append(list(p.ravel()))
        elif kind == 3:
            k = rng.integers(3, 9)
            p = rng.uniform(0, width, 2) + rng.uniform(-30, 30, (k, 2))
            if rng.random() < 0.4:
                p = np.round(p)
            rows.append(list(p.ravel()))
        elif kind == 4:
            x, y = rng.uniform(0, width, 2)
            if rng.random() < 0.5:
                rows.append([x, y, float(rng.choice([0, 0.5, 1, 1.5])), float(rng.choice([0, 0.5, 1, 2]))])
            else:
                rows.append(list((np.array([x, y]) + rng.uniform(-1.2, 1.2, (4, 2))).ravel()))
        elif kind == 5:
            rows.append([rng.uniform(width + 5, width + 100), rng.uniform(-100, -5), 10.0, 10.0])
        else:
            rows.append([float(rng.choice([0, 1, 2]))])
    return rows


def perturbed(rng, rows):
    """A second region near each first one (so that most pairs overlap)."""
    out = []
    for row in rows:
        if len(row) == 1:
            out.append(row)
            continue
        r = np.array(row, float)
        if len(r) == 4:
            r = r + np.concatenate([rng.normal(0, 3, 2), rng.normal(0, 2, 2)])
            out.append(list(np.round(r * 2) / 2 if rng.random() < 0.3 else r))
        elif len(r) == 8 and rng.random() < 0.5:
            p = r.reshape(-1, 2)
            x0, y0 = p.min(0)
            x1, y1 = p.max(0)
            out.append([x0, y0, x1 - x0, y1 - y0])
        else:
            out.append(list(r + rng.normal(0, 2, len(r))))
    return out


def region_pairs(seed, n):
    rng = np.random.default_rng(seed)
    a = random_rows(rng, n)
    b = perturbed(rng, a)
    c = random_rows(rng, n)
    return a + a, b + c


# ----------------------------------------------------------------------------- table
RECTS_A = [[1, 1, 100, 100], [10.5, 20.5, 30.2, 40.7], [80, 80, 40, 40]]
RECTS_B = [[50, 50, 100, 100], [12.3, 18.9, 28.0, 44.1], [85, 85, 40, 40]]


@pytest.mark.parametrize("rule, expected", [
    ("official", [0.149491, 0.853659]),
    ("pysot", [0.152786, 0.857246]),
    ("vot-toolkit", [0.149491, 0.873668]),
    ("vot-matlab-legacy-trax3", [0.146182, 0.870266]),  # the table's legacy column (pysot's region.c)
    ("legacy", [0.146182, 0.851735]),                    # trax >= 4 library (checked against libtrax)
])
def test_protocol_table(rule, expected):
    got = overlaps(Regions.rectangles(RECTS_A[:2]), Regions.rectangles(RECTS_B[:2]), None, rule)
    assert np.round(got, 6).tolist() == expected


def test_protocol_table_bounds():
    a, b = Regions.rectangles(RECTS_A[2:]), Regions.rectangles(RECTS_B[2:])
    assert overlaps(a, b, (99, 99), "official")[0] == 0.5625            # bound W-1
    assert round(overlaps(a, b, (100, 100), "official")[0], 6) == 0.580499  # bound W
    assert overlaps(a, b, (99, 99), "vot-toolkit")[0] == 0.5625         # vot-toolkit bounds=(100,100)


def test_degenerate_and_special_cases():
    a = Regions.rectangles([[5, 5, 1, 3], [0, 0, 10, 10], [0, 0, 10, 10], [3, 3, 1, 1]])
    b = Regions.rectangles([[5, 9, 1, 3], [10, 0, 10, 10], [100, 100, 5, 5], [3, 3, 1, 1]])
    # vot-toolkit: a degenerate union bbox (1 px wide) counts as identical (protocols 2.2)
    assert overlaps(a[:1], b[:1], None, "vot-toolkit")[0] == 1.0
    # C rules: x+w-1 makes a 1-px rectangle a zero-area bbox -> area-ratio early out
    assert overlaps(a[:1], b[:1], None, "official")[0] == 0.0
    # boxes touching along a column: the bbox-overlap test returns 0 (inclusive raster
    # would share the column); pysot's x+w corners share x = 10 as well
    assert overlaps(a[1:2], b[1:2], None, "official")[0] == 0.0
    assert overlaps(a[1:2], b[1:2], None, "pysot")[0] == 0.0
    assert overlaps(a[2:3], b[2:3], (50, 50), "official")[0] == 0.0
    # two identical 1x1 boxes: zero-area bboxes on both sides -> 0/0 passes the ratio test,
    # trax4 fills one pixel each (IoU 1), trax3 none (0/0 = NaN)
    assert overlaps(a[3:], b[3:], None, "official")[0] == 1.0
    assert np.isnan(overlaps(a[3:], b[3:], None, "trax3")[0])
    sp = Regions.specials([1, 0])
    poly = Regions.polygons([[0, 0, 10, 0, 10, 10, 0, 10]] * 2)
    assert np.isnan(overlaps(sp, poly, None, "official")).all()
    assert np.isnan(overlaps(sp, poly, None, "pysot")).all()
    assert overlaps(sp, poly, None, "vot-toolkit").tolist() == [0.0, 0.0]
    assert overlaps(sp, sp, None, "vot-toolkit").tolist() == [1.0, 1.0]  # empty vs empty


# ----------------------------------------------------------------------------- parsing
def test_parse_and_format():
    lines = ["1", "10.5,20,30,40", "0,0,10,0,10,10,0,10", "2", "nan,nan,nan,nan", "0",
             "1,2,3,4,5,6", "NaN"]
    r = parse_regions(lines)
    assert r.kind.tolist() == [SPECIAL, RECTANGLE, POLYGON, SPECIAL, SPECIAL, SPECIAL, POLYGON, SPECIAL]
    assert r.codes().tolist() == [1, -1, -1, 2, 0, 0, -1, 0]
    assert r.points.tolist() == [0, 0, 4, 0, 0, 0, 3, 0]
    assert r.coords.shape == (8, 8)
    assert np.isnan(r.coords[1, 4:]).all() and r.coords[1, :4].tolist() == [10.5, 20, 30, 40]
    text = format_regions(r)
    assert text == ["1", "10.5,20,30,40", "0,0,10,0,10,10,0,10", "2", "0", "0", "1,2,3,4,5,6", "0"]
    assert format_regions(r[1:2], decimals=4) == ["10.5000,20.0000,30.0000,40.0000"]
    again = parse_regions(text)
    assert np.array_equal(again.kind, r.kind) and np.array_equal(again.codes(), r.codes())
    assert np.allclose(again.coords, r.coords, equal_nan=True)
    assert parse_regions(["1\t2\t3\t4"], separator=None).coords[0, :4].tolist() == [1, 2, 3, 4]
    # errors name the line (1-based) of the first bad one
    for bad, message in ((["1", "1,2"], "line 2: a region needs 1, 4"), (["1", "2", "1,2,3,4,5"], "line 3: a region"),
                         (["1", ""], "line 2: empty region"),
                         (["1,2,3,4", "1,2,3,4", "a,b,c,d"], "line 3: cannot parse"),
                         (["1,2,3,4", "1,2,3,4,"], "line 2: cannot parse"),
                         (["inf"], "line 1: inf is not a region code")):
        with pytest.raises(ValueError, match=message):
            parse_regions(bad)
    with pytest.raises(ValueError, match="region 1: a region needs"):
        regions_from_values([[1, 2, 3, 4], [1, 2, 3]])
    j = regions_from_values([[1], [137.21, 458.36, 156.83, 460.78, 148.35, 529.41, 128.72, 526.99]])
    assert j.kind.tolist() == [SPECIAL, POLYGON] and j.points.tolist() == [0, 4]
    cat = Regions.concat([r[:2], j])
    assert len(cat) == 4 and cat.kind.tolist() == [SPECIAL, RECTANGLE, SPECIAL, POLYGON]


def test_box_conversions():
    r = regions_from_values([[10, 20, 30, 40], [0, 0, 4, 2, 2, 6, -2, 4], [2]])
    bb = bounding_boxes(r)
    assert bb[0].tolist() == [10, 20, 30, 40]
    assert bb[1].tolist() == [-2, 0, 6, 6]       # w = max - min, no +1 (trax / vot-toolkit)
    assert np.isnan(bb[2]).all()
    ap = area_preserving_boxes(r)
    # rotated square of side sqrt(20): area 20 in a 6x6 bbox -> s = sqrt(20/36)
    s = np.sqrt(20 / 36)
    assert np.allclose(ap[1], [1, 3, s * 6 + 1, s * 6 + 1])
    assert np.allclose(ap[0], [25, 40, 30, 40])
    assert np.allclose(area_preserving_boxes(r, "pysot")[1], [1 - s * 3, 3 - s * 3, s * 6 + 1, s * 6 + 1])
    verts, counts = to_polygons(r, "x+w-1")
    assert counts.tolist() == [4, 4, 0]
    assert verts[0].tolist() == [[10, 20], [39, 20], [39, 59], [10, 59]]
    assert to_polygons(r, "x+w")[0][0, 2].tolist() == [40, 60]


def test_area_preserving_matches_got10k():
    vot = pytest.importorskip("got10k.datasets.vot")
    rng = np.random.default_rng(3)
    corners = np.array([np.asarray(row) for row in random_rows(rng, 400) if len(row) == 8])
    ours = area_preserving_boxes(Regions.polygons(corners), "got10k")
    ref = vot.VOT._corner2rect(None, corners)
    assert np.allclose(ours, ref, rtol=0, atol=1e-9, equal_nan=True)


# ----------------------------------------------------------------------------- libtrax
@pytest.fixture(scope="module")
def libtrax():
    """ctypes handle on the installed native libtrax (vot-trax), or skip."""
    tc = pytest.importorskip("trax._ctypes")
    lib = ctypes.CDLL(tc.__file__.replace("_ctypes.py", "libtrax.so"))
    lib.region_set_flags.argtypes = [ctypes.c_int]
    lib.region_clear_flags.argtypes = [ctypes.c_int]

    def overlap(verts_a, counts_a, verts_b, counts_b, bounds, legacy=False, rects=None):
        if legacy:
            lib.region_set_flags(1)  # REGION_LEGACY_RASTERIZATION
        out = np.full(len(counts_a), np.nan)
        try:
            for i in range(len(counts_a)):
                if counts_a[i] == 0 or counts_b[i] == 0:
                    continue
                regs = []
                for verts, count in ((verts_a[i], counts_a[i]), (verts_b[i], counts_b[i])):
                    if rects is not None:
                        regs.append(tc.trax_region_create_rectangle(*map(float, verts)))
                        continue
                    reg = tc.trax_region_create_polygon(int(count))
                    for j in range(int(count)):
                        tc.trax_region_set_polygon_point(reg, j, float(verts[j, 0]), float(verts[j, 1]))
                    regs.append(reg)
                if bounds is None:
                    b = tc.trax_no_bounds
                else:
                    b = tc.trax_bounds()
                    b.top, b.left, b.right, b.bottom = 0, 0, bounds[0], bounds[1]
                out[i] = tc.trax_region_overlap(regs[0], regs[1], b)
                for reg in regs:
                    tc.trax_region_release(ctypes.byref(ctypes.c_void_p(reg)))
        finally:
            if legacy:
                lib.region_clear_flags(1)
        return out

    return overlap


def assert_same(ours, ref):
    both_nan = np.isnan(ours) & np.isnan(ref)
    bad = np.flatnonzero(~both_nan & ~(ours == ref))
    assert len(bad) == 0, f"{len(bad)} mismatches, e.g. index {bad[:5]}: {ours[bad[:5]]} vs {ref[bad[:5]]}"


@pytest.mark.parametrize("bounds", [(119, 89), (120, 90), None])
@pytest.mark.parametrize("rule, legacy", [("official", False), ("legacy", True)])
def test_matches_libtrax(libtrax, bounds, rule, legacy):
    """Bit-identical (float32 IoU) to the C library on random pairs; the MEX hands the
    library polygons (rectangles converted with x+w-1), so do we."""
    rows_a, rows_b = region_pairs({None: 1, (119, 89): 2, (120, 90): 3}[bounds] + 10 * legacy, 1500)
    a, b = regions_from_values(rows_a), regions_from_values(rows_b)
    va, ca = to_polygons(a, "x+w-1")
    vb, cb = to_polygons(b, "x+w-1")
    ours = overlaps(a, b, bounds, rule)
    ref = libtrax(va, ca, vb, cb, bounds, legacy)
    assert np.sum(ref > 0) > 500  # most pairs overlap: the raster itself is compared
    assert_same(ours, ref)


def test_libtrax_converts_rectangles_like_the_mex(libtrax):
    """The library's own rectangle conversion (non-legacy) is x..x+w-1 as well; values on a
    1/8 grid make float32 and double arithmetic agree. (Sizes are kept >= 1: below that
    the library's rectangle bbox x..x+w-1 is inverted and gives 0, while the MEX -- and
    rasbench -- hand the rectangle over as a polygon, whose bbox is min/max.)"""
    rng = np.random.default_rng(7)
    boxes_a = np.round(rng.uniform([-10, -10, 1, 1], [110, 80, 60, 50], (800, 4)) * 8) / 8
    boxes_b = boxes_a + np.round(rng.normal(0, 4, (800, 4)) * 8) / 8
    boxes_b[:, 2:] = np.maximum(np.abs(boxes_b[:, 2:]), 1)
    ours = overlaps(Regions.rectangles(boxes_a), Regions.rectangles(boxes_b), (119, 89), "official")
    ref = libtrax(boxes_a, np.ones(800), boxes_b, np.ones(800), (119, 89), rects=True)
    assert_same(ours, ref)


# ----------------------------------------------------------------------------- scalar model
def scalar_c_overlap(pa, pb, bounds, nodes, float_origin):
    """Per-pixel transcription of region.c's compute path for two float32 polygons
    (non-legacy): outward-rounded clipped bboxes, early outs, offset, C round, node rules
    'trax4' / 'trax3', pairing loop, inclusive fill, float32 IoU."""
    f32 = np.float32
    big = f32(np.finfo(np.float32).max)
    left = top = f32(0) if bounds is not None else -big
    right, bottom = (f32(bounds[0]), f32(bounds[1])) if bounds is not None else (big, big)

    def bbox(p):
        return (max(f32(np.floor(min(q[0] for q in p))), left), max(f32(np.floor(min(q[1] for q in p))), top),
                min(f32(np.ceil(max(q[0] for q in p))), right), min(f32(np.ceil(max(q[1] for q in p))), bottom))

    b1, b2 = bbox(pa), bbox(pb)
    x = min(b1[0], b2[0])
    y = min(b1[1], b2[1])
    if not float_origin:
        x, y = f32(int(x)), f32(int(y))
    width = int(f32(max(b1[2], b2[2]) - x)) + 1
    height = int(f32(max(b1[3], b2[3]) - y)) + 1
    with np.errstate(all="ignore"):
        a1 = float(f32(b1[2] - b1[0]) * f32(b1[3] - b1[1]))
        a2 = float(f32(b2[2] - b2[0]) * f32(b2[3] - b2[1]))
        if (np.float64(a1) / a2 < 1e-10) or (np.float64(a2) / a1 < 1e-10) or width < 1 or height < 1:
            return 0.0
        inter = f32(min(b1[2], b2[2]) - max(b1[0], b2[0])) * f32(min(b1[3], b2[3]) - max(b1[1], b2[1]))
        ratio = inter / (f32(b1[2] - b1[0]) * f32(b1[3] - b1[1]) + f32(b2[2] - b2[0]) * f32(b2[3] - b2[1]) - inter)
        if (f32(0) if f32(0) > ratio else ratio) == 0:
            return 0.0

    def rasterize(p):
        mask = np.zeros((height, width), bool)
        q = [(f32(px - x), f32(py - y)) for px, py in p]
        q = [(float(np.sign(u) * np.floor(abs(u) + 0.5)), float(np.sign(v) * np.floor(abs(v) + 0.5))) for u, v in q]
        for row in range(height):
            xs = []
            for i in range(len(q)):
                j = i - 1 if i else len(q) - 1
                (xi, yi), (xj, yj) = q[i], q[j]
                if min(yi, yj) <= row <= max(yi, yj):
                    if yj != yi:
                        xs.append(int(xi + (row - yi) / (yj - yi) * (xj - xi)))
                    elif nodes == "trax4":
                        xs.append(int(xi))
            xs.sort()
            i = 0
            while i < len(xs) - 1:
                if nodes == "trax3" and xs[i] == xs[i + 1]:
                    i += 1
                    continue
                if xs[i] >= width:
                    break
                if nodes == "trax4" and xs[i] == xs[i + 1] and i < len(xs) - 2:
                    i += 1
                    continue
                if xs[i + 1] >= 0:
                    mask[row, max(xs[i], 0):min(xs[i + 1], width - 1) + 1] = True
                i += 2
        return mask

    m1, m2 = rasterize(pa), rasterize(pb)
    union = np.sum(m1 | m2)
    with np.errstate(all="ignore"):
        return float(f32(np.sum(m1 & m2)) / f32(union))


@pytest.mark.parametrize("rule, nodes, corners", [("official", "trax4", "x+w-1"), ("trax3", "trax3", "x+w-1"),
                                                  ("pysot", "trax3", "x+w")])
def test_matches_scalar_model(libtrax, rule, nodes, corners):
    """The scalar model equals libtrax for trax4 (so it models region.c), and the vectorised
    rules equal the model for trax4 and for the older rules pysot uses."""
    rows_a, rows_b = region_pairs(11, 150)
    a, b = regions_from_values(rows_a), regions_from_values(rows_b)
    va, ca = to_polygons(a, corners)
    vb, cb = to_polygons(b, corners)
    va, vb = va.astype(np.float32), vb.astype(np.float32)
    model = np.array([np.nan if ca[i] == 0 or cb[i] == 0 else
                      scalar_c_overlap(va[i, :ca[i]], vb[i, :cb[i]], (119, 89), nodes, nodes == "trax3")
                      for i in range(len(ca))])
    assert_same(overlaps(a, b, (119, 89), rule), model)
    if nodes == "trax4":
        assert_same(model, libtrax(va, ca, vb, cb, (119, 89)))


def test_fast_and_general_paths_agree(monkeypatch):
    rows_a, rows_b = region_pairs(5, 1500)
    a, b = regions_from_values(rows_a), regions_from_values(rows_b)
    rules = ["official", "trax3", "pysot", "legacy", "vot-matlab-legacy-trax3", "vot-toolkit"]
    fast = {rule: overlaps(a, b, (119, 89), rule) for rule in rules}
    monkeypatch.setattr(raster, "_is_fast", lambda x, *args: np.zeros(len(x), bool))
    for rule in rules:
        assert_same(overlaps(a, b, (119, 89), rule), fast[rule])


def test_threads_and_chunks_do_not_change_the_result():
    rows_a, rows_b = region_pairs(6, 2600)  # 5,200 frames: split across threads by default
    a, b = regions_from_values(rows_a), regions_from_values(rows_b)
    sizes = np.tile([[119, 89], [160, 120]], (len(a) // 2, 1))
    for rule in ("official", "vot-toolkit"):
        single = overlaps(a, b, sizes, rule, threads=1)
        assert np.sum((single > 0) & (single < 1)) > 1000
        assert_same(overlaps(a, b, sizes, rule, threads=3), single)
        assert_same(overlaps(a, b, sizes, rule, threads=2, chunk_rows=5000), single)


# ----------------------------------------------------------------------------- vot-toolkit
@pytest.fixture(scope="module")
def vot_region():
    pytest.importorskip("vot.region")
    from vot.region import calculate_overlap
    from vot.region.io import parse_region

    def overlap(rows_a, rows_b, bounds):
        def reg(row):
            return parse_region(",".join(repr(float(v)) for v in row))
        return np.array([calculate_overlap(reg(x), reg(y), bounds) for x, y in zip(rows_a, rows_b)])

    return overlap


@pytest.mark.parametrize("size", [(120, 90), (121, 91), None])
def test_matches_vot_toolkit(vot_region, size):
    rows_a, rows_b = region_pairs({(120, 90): 21, (121, 91): 22, None: 23}[size], 1500)
    ours = overlaps(regions_from_values(rows_a), regions_from_values(rows_b),
                    None if size is None else (size[0] - 1, size[1] - 1), "vot-toolkit")
    ref = vot_region(rows_a, rows_b, size)
    assert np.sum((ref > 0) & (ref < 1)) > 500
    assert np.array_equal(ours, ref)


def test_per_frame_bounds():
    a = Regions.rectangles([[80, 80, 40, 40]] * 2)
    b = Regions.rectangles([[85, 85, 40, 40]] * 2)
    got = overlaps(a, b, np.array([[99, 99], [100, 100]]), "official")
    assert got[0] == 0.5625 and round(got[1], 6) == 0.580499


# ----------------------------------------------------------------------------- speed
@pytest.mark.slow
@pytest.mark.speed
def test_speed_vs_vot_toolkit():
    """21,000 pairs of ~100x100 rotated boxes (VOT2017 size): rasbench vs vot-toolkit."""
    pytest.importorskip("vot.region")
    from vot.region import calculate_overlaps
    from vot.region.shapes import Polygon

    rng = np.random.default_rng(0)
    n = 21000
    c = rng.uniform(100, 500, (n, 2))
    s = rng.uniform(80, 120, (n, 2))
    ang = rng.uniform(-0.5, 0.5, n)
    rot = np.stack([np.stack([np.cos(ang), -np.sin(ang)], -1), np.stack([np.sin(ang), np.cos(ang)], -1)], -2)
    corners = (np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])[None] * s[:, None]) @ \
        np.transpose(rot, (0, 2, 1)) + c[:, None]
    other = corners + rng.normal(0, 10, (n, 1, 2))
    a, b = Regions.polygons(corners), Regions.polygons(other)
    timings = {}
    for rule in ("official", "pysot", "vot-toolkit"):
        t = time.perf_counter()
        overlaps(a, b, (639, 479), rule)
        timings[rule] = time.perf_counter() - t
    t = time.perf_counter()
    pa = [Polygon([tuple(p) for p in q]) for q in corners]
    pb = [Polygon([tuple(p) for p in q]) for q in other]
    ref = np.array(calculate_overlaps(pa, pb, (640, 480)))
    t_ref = time.perf_counter() - t
    assert np.array_equal(overlaps(a, b, (639, 479), "vot-toolkit"), ref)
    print(f"\n21000 pairs: rasbench {timings} s; vot-toolkit {t_ref:.3f} s (incl. building its regions)")
    assert timings["official"] < 3 * t_ref
