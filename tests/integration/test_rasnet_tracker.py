"""RASNetTracker: parameters, coordinates, crops, post-processing geometry, determinism, runner."""
import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import write_benchmark, write_otb_sequence
from rasnet_scenes import scene, symmetric_texture

import rasbench_trackers.rasnet.tracker as tracker_module
from rasbench.errors import TrackerError
from rasbench.registry import resolve
from rasbench_trackers.rasnet import RASNetTracker, build_model, save_checkpoint
from rasbench_trackers.rasnet.weights import file_sha256

SPEC = "rasbench_trackers.rasnet:RASNetTracker"


def _random_tracker(**params) -> RASNetTracker:
    return RASNetTracker(random_init=True, device="cpu", **params)


class _ZeroBackbone(torch.nn.Module):
    """Stands in for the backbone when only post-processing is under test (fast)."""

    def forward(self, image):
        size = 6 if image.shape[-1] == 127 else 22
        return torch.zeros(image.shape[0], 256, size, size, dtype=image.dtype, device=image.device)


# ----------------------------------------------------------------------------- construction

def test_without_weights_it_refuses_and_says_where_weights_come_from(monkeypatch, tmp_path):
    monkeypatch.setattr(tracker_module, "DEFAULT_WEIGHTS", tmp_path / "absent.pt")
    with pytest.raises(TrackerError) as info:
        resolve(SPEC, {}).create()
    message = str(info.value)
    assert "rasbench train" in message and "rasbench weights convert" in message and "-p weights=" in message


def test_the_bundled_weights_are_the_default_and_say_what_they_are():
    if not tracker_module.DEFAULT_WEIGHTS.is_file():
        pytest.skip("no bundled weights in this installation")
    from rasbench_trackers.rasnet.weights import load_checkpoint
    tracker = resolve(SPEC, {"device": "cpu"}).create()
    assert tracker.weights_path == tracker_module.DEFAULT_WEIGHTS and tracker.name == "rasnet"
    assert tracker_module.DEFAULT_WEIGHTS.stat().st_size <= 10 * 2 ** 20
    _, info = load_checkpoint(tracker_module.DEFAULT_WEIGHTS)
    assert "synthetic data only" in json.dumps(info)
    # the ablations have no bundled weights: refused with directions, never the rasnet file
    with pytest.raises(TrackerError, match="only 'rasnet' has bundled weights, not 'siamfc'"):
        resolve("rasbench_trackers.rasnet:siamfc_tracker", {}).create()


def test_unknown_parameters_are_an_error_listing_the_valid_ones():
    with pytest.raises(TrackerError, match="scale_stepp") as info:
        _random_tracker(scale_stepp=1.03)
    assert "scale_step" in str(info.value).split("Valid:")[1] and "window_influence" in str(info.value)


@pytest.mark.parametrize("params, match", [
    ({"scale_num": 2}, "scale_num"),
    ({"scale_num": 3.5}, "integer"),
    ({"window_influence": 1.5}, "window_influence"),
    ({"scale_step": "big"}, "number"),
    ({"device": "tpu"}, "device must be"),
    ({"device": "cpu:1"}, "device must be"),
    ({"half": "false"}, "half must be true or false"),
    ({"half": 1}, "half must be true or false"),
    ({"channels_last": "no"}, "channels_last must be true or false"),
    ({"variant": "resnet"}, "unknown RASNet variant"),
])
def test_bad_parameter_values(params, match):
    with pytest.raises(TrackerError, match=match):
        RASNetTracker(random_init=True, **{"device": "cpu", **params})


def test_cuda_request_without_gpu_is_an_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(TrackerError, match="no CUDA GPU"):
        RASNetTracker(random_init=True, device="cuda:0")
    assert RASNetTracker(random_init=True, device="auto").device.type == "cpu"


def test_half_on_a_cpu_without_bfloat16_instructions_is_refused(monkeypatch):
    monkeypatch.setattr(tracker_module, "cpu_has_native_bf16", lambda: False)
    with pytest.raises(TrackerError, match="no bfloat16 instructions"):
        _random_tracker(half=True)


def test_half_on_a_cpu_is_bfloat16_and_tracks_like_float32(monkeypatch):
    """The backbone runs in bfloat16 (emulated where the CPU lacks the instructions: slow but
    the same numbers); crops, kernel and head stay float32, so the box moves as float32's does
    to within a fraction of a pixel."""
    monkeypatch.setattr(tracker_module, "cpu_has_native_bf16", lambda: True)
    texture = symmetric_texture(1)
    box = np.array([136.0, 100.0, 48.0, 40.0])
    trackers = {half: _random_tracker(half=half, window_influence=0.0) for half in (False, True)}
    assert trackers[True].model.backbone.conv1[0].weight.dtype == torch.bfloat16
    assert trackers[True].describe()["half"] is True and trackers[False].describe()["half"] is False
    # the head's gain and bias are not rounded to bfloat16
    assert torch.equal(trackers[True]._head_gain, trackers[False]._head_gain)
    assert trackers[True]._head_gain.dtype == trackers[True]._head_bias.dtype == torch.float32
    boxes = {}
    for half, tracker in trackers.items():
        tracker.init(scene(texture, 136, 100), box)
        assert tracker.kernel.dtype == torch.float32
        boxes[half] = tracker.update(scene(texture, 143, 95))["box"]
    np.testing.assert_allclose(boxes[True] - box, [7, -5, 0, 0], atol=1.0)
    np.testing.assert_allclose(boxes[True], boxes[False], atol=0.5)


def test_hyper_parameters_from_command_line_values_and_describe():
    tracker = resolve(SPEC, {"random_init": True, "device": "cpu", "scale_num": 5.0, "scale_step": 1.0255,
                             "variant": "chanatt"}).create()
    assert tracker.name == "chanatt" and tracker.deterministic
    assert tracker.hyper.scale_num == 5 and isinstance(tracker.hyper.scale_num, int)
    assert tracker.scale_factors == pytest.approx([1.0255 ** k for k in (-2, -1, 0, 1, 2)])
    info = tracker.describe()
    assert info["variant"] == "chanatt" and info["weights_sha256"] is None and info["random_init"]
    assert info["hyper"]["scale_step"] == 1.0255 and info["hyper"]["scale_lr"] == 0.56
    assert info["device"] == "cpu" and info["torch"] == torch.__version__
    json.dumps(info)  # goes into the run manifest


@pytest.mark.parametrize("variant", ["siamfc", "genatt", "dualatt", "chanatt"])
def test_variant_factories_fix_the_variant(variant):
    spec = resolve(f"rasbench_trackers.rasnet:{variant}_tracker", {"random_init": True, "device": "cpu"})
    assert spec.default_name == variant
    tracker = spec.create()
    assert tracker.name == variant and tracker.model.variant == variant


def test_importing_and_tracking_leave_global_torch_settings_alone():
    threads = torch.get_num_threads()
    tracker = _random_tracker()
    tracker.model.backbone = _ZeroBackbone()
    image = np.zeros((64, 64, 3), np.uint8)
    tracker.init(image, [10, 10, 20, 20])
    tracker.update(image)
    assert torch.get_num_threads() == threads and not torch.is_inference_mode_enabled()


def test_on_a_cpu_only_the_backbone_runs_on_several_threads(monkeypatch):
    seen = {}

    class Backbone(_ZeroBackbone):
        def forward(self, image):
            seen.setdefault("backbone", torch.get_num_threads())
            return super().forward(image)

    def spy(name, method):
        def wrapped(*args):
            seen.setdefault(name, torch.get_num_threads())
            return method(*args)
        return wrapped

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        tracker = _random_tracker()
        tracker.model.backbone = Backbone()
        for name in ("search_crops", "respond", "locate_peak"):
            monkeypatch.setattr(tracker, name, spy(name, getattr(tracker, name)))
        image = np.zeros((64, 64, 3), np.uint8)
        tracker.init(image, [10, 10, 20, 20])
        tracker.update(image)
        assert seen == {"search_crops": 1, "backbone": 2, "respond": 1, "locate_peak": 1}
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


# ----------------------------------------------------------------------------- crops

def test_search_crop_returns_the_known_pixels_and_mean_colour_padding():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (240, 320, 3)).astype(np.uint8)
    tracker = _random_tracker()
    tracker.model.backbone = _ZeroBackbone()
    # w = h = 63.5 gives s_z = 127 and s_x = 255: the central search crop is the image itself
    # at scale 1; a centre on a pixel centre (k + 0.5) puts every sample on a pixel centre.
    kx, ky = 150, 110
    tracker.init(image, [kx + 0.5 - 31.75, ky + 0.5 - 31.75, 63.5, 63.5])
    assert tracker.initial_search_side == pytest.approx(255.0)
    with torch.inference_mode():
        crop = tracker.search_crops(image)[1].numpy().transpose(1, 2, 0)  # (255, 255, 3)
    mean = image.reshape(-1, 3).mean(0)
    # crop pixel i <-> frame pixel k - 127 + i
    rows, cols = np.arange(255) + ky - 127, np.arange(255) + kx - 127
    inside_r, inside_c = (rows >= 0) & (rows < 240), (cols >= 0) & (cols < 320)
    expected = np.broadcast_to(mean, (255, 255, 3)).copy()
    expected[np.ix_(inside_r, inside_c)] = image[np.ix_(rows[inside_r], cols[inside_c])]
    assert not inside_r.all()  # the crop leaves the image at the top: padding is exercised
    np.testing.assert_allclose(crop, expected, atol=0.02)


def test_crop_sizes_follow_context_formulas():
    tracker = _random_tracker(context=0.5)
    tracker.model.backbone = _ZeroBackbone()
    tracker.init(np.zeros((100, 100, 3), np.uint8), [10, 20, 30, 50])
    p = 0.5 * (30 + 50)
    assert tracker.initial_search_side == pytest.approx(math.sqrt((30 + p) * (50 + p)) * 255 / 127)


# ----------------------------------------------------------------------------- post-processing

def _post_tracker(**hyper):
    tracker = _random_tracker(**hyper)
    tracker.model.backbone = _ZeroBackbone()
    image = np.zeros((480, 640, 3), np.uint8)
    tracker.init(image, [300, 200, 40, 60])
    return tracker, image


def _respond(tracker, maps):
    tracker.respond = lambda features: torch.as_tensor(maps, dtype=torch.float32).unsqueeze(1)


def test_peak_moves_the_centre_by_the_expected_frame_pixels():
    tracker, image = _post_tracker()
    s_x = tracker.initial_search_side
    maps = np.zeros((3, 17, 17))
    maps[2, 5, 12] = 1.0  # scale q = 1.03, 3 cells up, 4 cells right
    _respond(tracker, maps)
    box = tracker.update(image)["box"]
    q, eta = 1.03, 0.56
    factor = (1 - eta) + eta * q
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    assert cx == pytest.approx(320 + 4 * 8 * s_x * q / 255, abs=1.0)
    assert cy == pytest.approx(230 - 3 * 8 * s_x * q / 255, abs=1.0)
    assert box[2:] == pytest.approx([40 * factor, 60 * factor])
    assert tracker.initial_search_side * tracker.scale == pytest.approx(s_x * factor)


def test_scale_penalty_decides_between_scales():
    tracker, image = _post_tracker()
    maps = np.zeros((3, 17, 17))
    maps[0, 8, 8], maps[1, 8, 8] = 1.0, 0.99  # the smaller scale peaks higher, but is penalised
    _respond(tracker, maps)
    assert tracker.update(image)["box"][2] == pytest.approx(40.0)
    maps[0, 8, 8] = 1.03  # now 1.03 * 0.9745 > 0.99
    assert tracker.update(image)["box"][2] == pytest.approx(40 * ((1 - 0.56) + 0.56 / 1.03))


@pytest.mark.slow
def test_scale_and_centre_are_clamped():
    tracker, image = _post_tracker(max_scale=1.02)
    maps = np.zeros((3, 17, 17))
    maps[2, 16, 16] = 1.0  # always bigger, always down-right
    _respond(tracker, maps)
    for _ in range(40):
        box = tracker.update(image)["box"]
    assert box[2:] == pytest.approx([40 * 1.02, 60 * 1.02])
    assert (box[0] + box[2] / 2, box[1] + box[3] / 2) == pytest.approx((640, 480))
    small, image = _post_tracker(min_scale=0.2)
    maps = np.zeros((3, 17, 17))
    maps[0, 8, 8] = 1.0
    _respond(small, maps)
    for _ in range(200):
        box = small.update(image)["box"]
    assert box[2] == pytest.approx(10.0)  # min_size 10 px: 40 px may shrink to 10 px, not to 0.2 * 40


# ----------------------------------------------------------------------------- coordinates, end to end

def _symmetrise(tracker):
    """Make every conv kernel symmetric under flips, so mirrored inputs give mirrored features."""
    with torch.no_grad():
        for module in tracker.model.modules():
            if isinstance(module, torch.nn.Conv2d):
                w = module.weight
                w.copy_((w + w.flip(-1) + w.flip(-2) + w.flip(-1, -2)) / 4)


def test_static_target_is_tracked_in_place():
    """Convention check: with a flip-symmetric net and a target symmetric about its centre the
    response is symmetric about the crop centre, so the box may move by half an upsampled
    response pixel at most (the argmax of two tied pixels). A half-pixel error anywhere in the
    crop or box maths breaks the symmetry and shows up as a larger move."""
    image = scene(symmetric_texture(), 136, 100)
    box = np.array([136.0, 100.0, 48.0, 40.0])
    tracker = _random_tracker(seed=1)
    _symmetrise(tracker)
    tracker.init(image, box)
    half_up_pixel = 0.5 * 8 / 16 * tracker.initial_search_side / 255  # about 0.17 px here
    moved = tracker.update(image)["box"] - box
    assert np.abs(moved[:2]).max() <= half_up_pixel + 1e-9 and np.all(moved[2:] == 0)
    # a box placed half a pixel off is pulled back towards the true centre
    tracker.init(image, box + [0.5, -0.5, 0, 0])
    moved = tracker.update(image)["box"] - (box + [0.5, -0.5, 0, 0])
    assert moved[0] < -half_up_pixel and moved[1] > half_up_pixel


def test_shifted_image_gives_shifted_box():
    texture = symmetric_texture(1)
    box = np.array([136.0, 100.0, 48.0, 40.0])
    tracker = _random_tracker(window_influence=0.0)
    tracker.init(scene(texture, 136, 100), box)
    moved = tracker.update(scene(texture, 143, 95))["box"] - box
    np.testing.assert_allclose(moved, [7, -5, 0, 0], atol=1.0)


@pytest.mark.parametrize("channels_last", [True, False])
def test_head_is_the_cross_correlation_plus_gain_and_bias(channels_last):
    tracker = _random_tracker(channels_last=channels_last, seed=3)
    tracker.init(scene(symmetric_texture(), 136, 100), [136, 100, 48, 40])
    features = torch.randn(3, 256, 22, 22, generator=torch.Generator().manual_seed(0)) * 5
    if channels_last:
        features = features.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        logits = tracker.respond(features)
        expected = F.conv2d(features, tracker.kernel, tracker._head_bias)
    assert logits.shape == (3, 1, 17, 17) and logits.dtype == torch.float32
    scale = expected.abs().max().item()
    assert scale > 0 and (logits - expected).abs().max().item() <= 1e-5 * scale
    # one logit by hand, in float64: scale 2, row 4, column 11
    window = features[2, :, 4:10, 11:17].double()
    by_hand = (window * tracker.kernel[0].double()).sum().item() + tracker._head_bias.item()
    assert logits[2, 0, 4, 11].item() == pytest.approx(by_hand, rel=1e-5, abs=1e-5 * scale)


def test_images_of_any_memory_layout_give_the_same_box():
    """A BGR->RGB view (negative stride), a read-only array and a column slice are copied
    to a C-ordered array before reaching torch (which refuses negative strides)."""
    texture = symmetric_texture(1)
    box = [136.0, 100.0, 48.0, 40.0]
    first, moved = scene(texture, 136, 100), scene(texture, 143, 95)
    padded = np.concatenate([moved, moved], axis=1)
    read_only = moved.copy()
    read_only.flags.writeable = False
    boxes = []
    for image in (moved, moved[..., ::-1].copy()[..., ::-1], read_only, padded[:, :moved.shape[1]]):
        tracker = _random_tracker(window_influence=0.0)
        tracker.init(first, box)
        boxes.append(tracker.update(image)["box"])
    for other in boxes[1:]:
        assert np.array_equal(other, boxes[0])


def test_profiled_update_is_update_with_stage_times_by_the_given_timer():
    texture = symmetric_texture(2)
    box = np.array([136.0, 100.0, 48.0, 40.0])
    plain, profiled = _random_tracker(), _random_tracker()
    for tracker in (plain, profiled):
        tracker.init(scene(texture, 136, 100), box)
    ticks = iter(range(100))
    result, seconds = profiled.update_profiled(scene(texture, 140, 97), lambda: 1.5 * next(ticks))
    assert np.array_equal(result["box"], plain.update(scene(texture, 140, 97))["box"])
    assert seconds == {"crop": 1.5, "backbone": 1.5, "head": 1.5, "post": 1.5}


def test_attentions_run_once_and_each_frame_is_one_three_scale_batch():
    tracker = _random_tracker()
    backbone_inputs, attention_calls = [], []
    tracker.model.backbone.register_forward_hook(lambda m, args, out: backbone_inputs.append(tuple(args[0].shape)))
    for module in (tracker.model.residual_attention, tracker.model.channel_attention):
        module.register_forward_hook(lambda m, args, out: attention_calls.append(type(m).__name__))
    image = scene(symmetric_texture(), 136, 100)
    tracker.init(image, [136, 100, 48, 40])
    tracker.update(image)
    tracker.update(image)
    assert backbone_inputs == [(1, 3, 127, 127), (3, 3, 255, 255), (3, 3, 255, 255)]
    assert sorted(attention_calls) == ["ChannelAttention", "ResidualAttention"]


@pytest.mark.slow
def test_smoke_run_is_finite_in_bounds_and_bit_identical():
    rng = np.random.default_rng(5)
    background = rng.integers(0, 256, (30, 40, 3)).astype(np.uint8).repeat(4, 0).repeat(4, 1)
    texture = symmetric_texture(2)
    frames = []
    for k in range(6):
        frame = background.copy()
        frame[60 + 2 * k:100 + 2 * k, 50 + 3 * k:98 + 3 * k] = texture
        frames.append(frame)
    runs = []
    for _ in range(2):
        tracker = _random_tracker(variant="rasnet", seed=7)
        tracker.init(frames[0], [50, 60, 48, 40])
        runs.append(np.array([tracker.update(frame)["box"] for frame in frames[1:]]))
    assert np.array_equal(runs[0], runs[1])
    boxes = runs[0]
    assert np.isfinite(boxes).all() and (boxes[:, 2:] >= 10).all()
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    assert ((centres >= 0) & (centres <= [160, 120])).all()


@pytest.mark.slow
def test_rasbench_runner_end_to_end_with_a_checkpoint(tmp_path):
    from rasbench.config.benchmarks import load_benchmark
    from rasbench.datasets import open_dataset
    from rasbench.results.otb import read_boxes
    from rasbench.runner import run_experiment

    root = tmp_path / "data"
    gt = np.array([[40.0 + 2 * k, 30.0 + k, 24.0, 20.0] for k in range(5)])
    write_otb_sequence(root, "Walk", gt, size=(160, 120))
    bench = load_benchmark(str(write_benchmark(tmp_path / "tiny.yaml", {"Walk": {"frames": [1, 5]}})))
    weights = save_checkpoint(build_model("rasnet", seed=0), tmp_path / "rasnet.pt")
    spec = resolve(SPEC, {"weights": str(weights), "device": "cpu"})
    summary = run_experiment(bench, "ope", open_dataset(bench, root=root), spec, tmp_path / "res", progress=False)
    assert summary.ok and summary.completed == 1
    folder = summary.folder
    assert "rasnet" in folder.parts
    boxes = read_boxes(folder / "Walk.txt")
    assert boxes.shape == (5, 4) and np.isfinite(boxes).all()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["weights_sha256"] == file_sha256(weights)
    assert manifest["tracker_info"]["variant"] == "rasnet" and manifest["tracker_info"]["hyper"]["scale_step"] == 1.03
