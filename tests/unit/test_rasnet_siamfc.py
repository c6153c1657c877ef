"""SiamFC-3s: MATLAB's imresize and SiamFC's crop / peak / state arithmetic, the presets, the
initial box from a VOT polygon, the registered name without weights, git blob ids."""

import math

import numpy as np
import pytest
import torch

import rasbench_trackers.rasnet.tracker as tracker_module
from rasbench.errors import TrackerError
from rasbench.registry import resolve
from rasbench_trackers.rasnet import RASNetTracker, siamfc
from rasbench_trackers.rasnet.tracker import PRESETS, make_hyper

BAG_POLYGON = [334.02, 128.36, 438.19, 188.78, 396.39, 260.83, 292.23, 200.41]  # VOT bag, frame 1


class _ZeroBackbone(torch.nn.Module):
    def forward(self, image):
        size = 6 if image.shape[-1] == 127 else 22
        return torch.zeros(image.shape[0], 256, size, size, dtype=image.dtype, device=image.device)


class _RecordingBackbone(_ZeroBackbone):
    def __init__(self):
        super().__init__()
        self.inputs = []

    def forward(self, image):
        self.inputs.append(image.detach().clone())
        return super().forward(image)


def _siamfc_tracker(**params) -> RASNetTracker:
    tracker = RASNetTracker(random_init=True, variant="siamfc", preset="siamfc-3s", device="cpu", **params)
    tracker.model.backbone = _RecordingBackbone()
    return tracker


# ----------------------------------------------------------------------------- MATLAB's arithmetic

def test_matlab_round_takes_halves_away_from_zero():
    assert [siamfc.matlab_round(v) for v in (0.5, 1.5, 2.5, -0.5, -2.5, 2.4999, -0.49)] == [1, 2, 3, -1, -3, 2, 0]


def test_imresize_shrink_weights_by_hand():
    # 4 -> 2: antialiased kernel 0.5 * cubic(0.5 x) over 10 taps from -3, mirrored at the edges
    # ([1 2 3 4 4 3 2 1]); output pixel 1 samples u = 1.5. Worked out on paper, exact in binary.
    expected = np.array([[0.546875, 0.3984375, 0.1015625, -0.046875],
                         [-0.046875, 0.1015625, 0.3984375, 0.546875]])
    assert np.array_equal(siamfc.imresize_matrix(4, 2), expected)
    assert np.array_equal(siamfc.imresize_matrix(5, 5), np.eye(5))


@pytest.mark.parametrize("in_size, out_size", [(177, 255), (300, 255), (274, 255), (17, 272), (200, 127)])
def test_imresize_matches_pillow_bicubic_away_from_the_edges(in_size, out_size):
    """Pillow's BICUBIC (a = -0.5, support widened when shrinking) is an independent
    implementation of the same kernel; only the edge rule differs (Pillow renormalises)."""
    from PIL import Image

    image = np.random.default_rng(in_size).random((in_size, in_size)).astype(np.float32)
    matrix = siamfc.imresize_matrix(in_size, out_size)
    ours = matrix @ image.astype(np.float64) @ matrix.T
    pillow = np.asarray(Image.fromarray(image, mode="F").resize((out_size, out_size), Image.BICUBIC))
    scale = out_size / in_size
    reach = 2 / min(scale, 1) + 1
    centre = (np.arange(out_size) + 0.5) / scale - 0.5
    inner = (centre - reach >= 0) & (centre + reach <= in_size - 1)
    assert inner.sum() >= out_size // 2
    np.testing.assert_allclose(ours[np.ix_(inner, inner)], pillow[np.ix_(inner, inner)], atol=2e-6)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-12)


def test_window_is_rounded_around_the_half_pixel_shifted_centre():
    # SiamFC's 1-based position p = c + 1; the window starts at round(p - (side + 1)/2), 1-based
    assert siamfc.window_start(101.25 + 1, 127) == 37  # round(38.25) = 38, 1-based
    assert siamfc.window_start(137.5, 255) == 9  # round(9.5) = 10 (1-based): the pyramid's smallest scale
    assert siamfc.window_start(137.5, 274) == -1  # the largest scale starts one pixel before the region


def test_pyramid_matrices_compose_make_scale_pyramid():
    # s_x = 170.69 (Couple's first frame): sides 165, 171, 177; the 177 window is resized to
    # round(255 * 177/165) = 274, and each scale's round(255 * side/165) window cut from it.
    sides = siamfc.pyramid_sides(170.69, [1 / 1.0375, 1.0, 1.0375])
    assert sides == (165, 171, 177)
    matrices = siamfc.pyramid_matrices(sides, 255)
    assert matrices.shape == (3, 255, 177)
    first = siamfc.imresize_matrix(177, 274)
    np.testing.assert_allclose(matrices[0], first[9:264])  # 255 rows of the region, no second resize
    second = siamfc.imresize_matrix(264, 255)  # round(255 * 171/165) = 264, from round(137.5 - 132.5) = 5
    np.testing.assert_allclose(matrices[1], second @ first[4:268], atol=1e-12)
    # the largest scale's window begins with one row of padding: its weight is lost
    last = siamfc.imresize_matrix(274, 255)
    np.testing.assert_allclose(matrices[2], last[:, 1:] @ first[:273], atol=1e-12)
    assert matrices[2][0].sum() == pytest.approx(1 - last[0, 0]) and last[0, 0] > 0.3


@pytest.mark.parametrize("matrices", [
    siamfc.pyramid_matrices((165, 171, 177), 255),  # enlarging, three scales
    siamfc.pyramid_matrices((611, 634, 658), 255),  # shrinking by 2.6: wide antialiasing kernels
    siamfc.imresize_matrix(127, 127)[None],  # the identity: one column per row
    siamfc.imresize_matrix(40, 127)[None],  # fewer columns than a block has rows
], ids=["enlarge", "shrink", "identity", "narrow"])
def test_band_blocks_hold_every_weight_and_give_the_same_product(matrices):
    weights, starts = siamfc.band_blocks(matrices, block=32)
    count, n, m = matrices.shape
    per_matrix = -(-n // 32)
    span = weights.shape[2]
    assert weights.shape == (count * per_matrix, 32, span) and span <= m
    assert starts.min() >= 0 and starts.max() + span <= m
    # scattered back, the blocks are the matrix, zero rows past n
    rebuilt = np.zeros((count * per_matrix, 32, m))
    for k, start in enumerate(starts):
        rebuilt[k, :, start:start + span] = weights[k]
    rebuilt = rebuilt.reshape(count, per_matrix * 32, m)
    assert np.array_equal(rebuilt[:, :n], matrices) and not rebuilt[:, n:].any()
    if m > 100:  # the point of it: a block reaches a small part of the window
        assert span < m / 3


@pytest.mark.parametrize("path", ["banded", "dense"])
@pytest.mark.parametrize("box", [
    [10.0, 20.0, 25.0, 62.0],  # near the corner: padding on the top and left
    [120.0, 70.0, 70.0, 60.0],  # a window larger than the frame: padding on every side, shrunk
    [70.0, 50.0, 16.0, 14.0],  # well inside the frame: no padding
])
def test_search_crops_equal_a_two_stage_padded_imresize(box, path, monkeypatch):
    """The composed matrices against make_scale_pyramid done literally: pad the frame with the
    mean colour, cut the largest window, resize, cut each scale's window (padding again), resize.
    Both ways of computing them (banded and dense, forced here) give it."""
    monkeypatch.setattr(tracker_module, "BANDED_WINDOW_LIMIT", math.inf if path == "banded" else 0.0)
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, (120, 160, 3)).astype(np.uint8)
    tracker = _siamfc_tracker()
    tracker.init(image, box)
    mean = image.reshape(-1, 3).mean(0)
    with torch.inference_mode():
        crops = tracker.search_crops(image).numpy().transpose(0, 2, 3, 1)
    sides = siamfc.pyramid_sides(tracker.search_side, tracker.scale_factors)
    largest = sides[-1]
    pad = 400
    padded = np.concatenate([np.pad(image[..., c].astype(np.float64), pad, constant_values=mean[c])[..., None]
                             for c in range(3)], axis=2)
    x0 = siamfc.window_start(tracker.centre[0] + 1, largest) + pad
    y0 = siamfc.window_start(tracker.centre[1] + 1, largest) + pad
    window = padded[y0:y0 + largest, x0:x0 + largest]
    region_side = siamfc.matlab_round(255 / sides[0] * largest)
    first = siamfc.imresize_matrix(largest, region_side)
    region = np.einsum("ij,jkc,lk->ilc", first, window, first, optimize=True)
    region = np.concatenate([np.pad(region[..., c], 1, constant_values=mean[c])[..., None] for c in range(3)], 2)
    for s, side in enumerate(sides):
        target = siamfc.matlab_round(255 / sides[0] * side)
        start = siamfc.window_start((1 + region_side) / 2, target) + 1  # +1: the pad just added
        cut = region[start:start + target, start:start + target]
        second = siamfc.imresize_matrix(target, 255)
        expected = np.einsum("ij,jkc,lk->ilc", second, cut, second, optimize=True)
        np.testing.assert_allclose(crops[s], expected, atol=2e-3)


def test_a_window_mostly_outside_the_frame_is_resized_over_the_part_inside(monkeypatch):
    """The banded resize builds the whole window; for a search area many times the frame the
    dense product over the part inside is cheaper (its cost is bounded by the frame), and equal."""
    image = np.random.default_rng(5).integers(0, 256, (30, 40, 3)).astype(np.uint8)
    tracker = _siamfc_tracker()
    tracker.init(image, [5.0, 5.0, 30.0, 20.0])
    tracker.search_side *= 5  # SiamFC lets the search area grow to 5x
    calls = []
    original = tracker._banded_resize
    monkeypatch.setattr(tracker, "_banded_resize", lambda *a: calls.append(1) or original(*a))
    with torch.inference_mode():
        dense = tracker.search_crops(image)
        assert calls == []
        monkeypatch.setattr(tracker_module, "BANDED_WINDOW_LIMIT", math.inf)
        banded = tracker.search_crops(image)
    assert calls == [1]
    torch.testing.assert_close(banded, dense, atol=2e-3, rtol=0)


def test_boxes_of_a_fraction_of_a_pixel_track_with_one_pixel_windows():
    image = np.random.default_rng(6).integers(0, 256, (60, 80, 3)).astype(np.uint8)
    tracker = _siamfc_tracker()
    tracker.init(image, [30.0, 20.0, 0.1, 0.1])  # windows round to 0 px: one pixel instead
    box = tracker.update(image)["box"]
    assert np.isfinite(box).all() and box[2] > 0


def test_exemplar_is_the_rounded_window_when_no_resize_is_needed():
    """w = h = 63.5 gives s_z = 127: the exemplar is the image window itself, starting at
    round(c + 1 - 64) (1-based), mean colour where it leaves the image."""
    image = np.random.default_rng(5).integers(0, 256, (100, 140, 3)).astype(np.uint8)
    tracker = _siamfc_tracker()
    cx, cy = 100.25, 30.75
    tracker.init(image, [cx - 31.75, cy - 31.75, 63.5, 63.5])
    exemplar = tracker.model.backbone.inputs[0][0].numpy().transpose(1, 2, 0)
    col0, row0 = siamfc.window_start(cx + 1, 127), siamfc.window_start(cy + 1, 127)
    assert (col0, row0) == (36, -33)  # round(37.25), round(-32.25), 1-based: off the top
    mean = image.reshape(-1, 3).mean(0)
    expected = np.broadcast_to(mean, (127, 127, 3)).copy()
    rows, cols = np.arange(127) + row0, np.arange(127) + col0
    inside_r, inside_c = (rows >= 0) & (rows < 100), (cols >= 0) & (cols < 140)
    expected[np.ix_(inside_r, inside_c)] = image[np.ix_(rows[inside_r], cols[inside_c])]
    np.testing.assert_allclose(exemplar, expected, atol=1e-3)


# ----------------------------------------------------------------------------- peak and state

def _respond(tracker, maps):
    tracker.respond = lambda features: torch.as_tensor(maps, dtype=torch.float32).unsqueeze(1)


def _post_tracker(**params):
    tracker = _siamfc_tracker(**params)
    image = np.zeros((480, 640, 3), np.uint8)
    tracker.init(image, [300.0, 200.0, 40.0, 60.0])
    return tracker, image


def test_peak_moves_by_whole_upsampled_pixels_of_the_rounded_search_side():
    tracker, image = _post_tracker()
    s_x = tracker.search_side
    maps = np.zeros((3, 17, 17))
    maps[2, 5, 12] = 1.0  # the larger scale; 3 cells up, 4 cells right
    _respond(tracker, maps)
    box = tracker.update(image)["box"]
    # the upsampled delta peaks on two tied pixels 16 k + 7, 16 k + 8 (0-based); the window
    # picks the one nearer the centre; the centre is ceil(272/2) = 136 (1-based) = 135
    step = 0.5 * round(s_x) / 255  # whatever scale won
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    assert cx == pytest.approx(320 + (16 * 12 + 7 - 135) * step, abs=1e-9)
    assert cy == pytest.approx(230 + (16 * 5 + 8 - 135) * step, abs=1e-9)
    factor = (1 - 0.59) + 0.59 * 1.0375
    assert box[2:] == pytest.approx([40 * factor, 60 * factor])
    assert tracker.search_side == pytest.approx(s_x * factor)


def test_equal_peaks_are_broken_by_column_first():
    maps = np.zeros((3, 17, 17))
    maps[1, 8, 4] = maps[1, 4, 8] = 1.0  # mirror images under transposition: exactly tied
    moves = {}
    for update in ("siamfc", "rasbench"):
        tracker, image = _post_tracker(update=update)
        _respond(tracker, maps)
        box = tracker.update(image)["box"]
        moves[update] = (box[0] + box[2] / 2 - 320, box[1] + box[3] / 2 - 230)
    assert moves["siamfc"][0] < -5 and abs(moves["siamfc"][1]) < 1  # MATLAB's find: first by column: left
    assert moves["rasbench"][1] < -5 and abs(moves["rasbench"][0]) < 1  # row-major: up


def test_only_the_search_side_is_clamped_and_the_centre_may_leave_the_image():
    tracker, image = _post_tracker(max_scale=1.05)
    maps = np.zeros((3, 17, 17))
    maps[2, 16, 16] = 1.0  # always larger, always down-right
    _respond(tracker, maps)
    for _ in range(30):
        box = tracker.update(image)["box"]
    assert tracker.search_side == pytest.approx(1.05 * tracker.initial_search_side)
    factor = (1 - 0.59) + 0.59 * 1.0375
    assert box[2] == pytest.approx(40 * factor ** 30)  # the size is never clamped (tracker.m)
    assert box[0] > 640 and box[1] > 480


# ----------------------------------------------------------------------------- presets, VOT polygons

def test_presets_and_bad_values():
    assert make_hyper({}, "siamfc-3s") == PRESETS["siamfc-3s"]
    hyper = PRESETS["siamfc-3s"]
    assert (hyper.scale_step, hyper.scale_lr, hyper.scale_penalty, hyper.window_influence) == (1.0375, 0.59, 0.9745,
                                                                                               0.176)
    assert (hyper.crop, hyper.upsample, hyper.update, hyper.polygon_box) == ("siamfc",) * 4
    assert make_hyper({"crop": "rasbench"}, "siamfc-3s").crop == "rasbench"
    assert PRESETS["rasnet"].scale_step == 1.03 and PRESETS["rasnet"].crop == "rasbench"
    with pytest.raises(TrackerError, match="unknown preset 'siamfc-5s'"):
        make_hyper({}, "siamfc-5s")
    with pytest.raises(TrackerError, match="crop must be rasbench or siamfc"):
        make_hyper({"crop": "bilinear"})


def test_polygon_gives_siamfc_area_preserving_box():
    tracker = _siamfc_tracker()
    assert tracker.takes_polygon
    cx, cy, w, h = tracker.initial_box(BAG_POLYGON)
    # get_axis_aligned_BB.m: mean of the corners; sides scaled to the polygon's area, plus one
    assert (cx, cy) == pytest.approx((365.2075, 194.595))
    assert (w, h) == pytest.approx((106.13089774, 96.41442877))
    toolkit = RASNetTracker(random_init=True, device="cpu")
    assert not toolkit.takes_polygon
    assert toolkit.initial_box(BAG_POLYGON) == pytest.approx((365.21, 194.595, 145.96, 132.47))


# ----------------------------------------------------------------------------- the registered name, blob ids

def test_siamfc_3s_without_weights_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("RASBENCH_CACHE", str(tmp_path / "cache"))
    spec = resolve("siamfc-3s", {})
    assert spec.default_name == "siamfc-3s" and spec.factory.deterministic is True
    with pytest.raises(TrackerError, match="rasbench weights download siamfc-3s") as info:
        spec.create()
    assert str(tmp_path / "cache" / "weights" / "siamfc-3s.pt") in str(info.value)
    with pytest.raises(TrackerError, match="siamfc variant"):
        resolve("siamfc-3s", {"variant": "rasnet", "random_init": True}).create()


def test_git_blob_id_is_gits(tmp_path):
    (tmp_path / "f").write_bytes(b"hello\n")
    from rasbench_trackers.rasnet.weights import git_blob_id

    assert git_blob_id(tmp_path / "f") == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object
