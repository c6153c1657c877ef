"""RASNet checkpoints (round trip, verification errors) and the SiamFC converters.

The converter tests build small files with the structure of the real ones (siamfc-pytorch
and got10k state dicts, the MatConvNet net.params list) from a random backbone and check
that the converted backbone computes the same features.
"""
import sys
from collections import OrderedDict

import pytest
import torch
from siamfc_files import HAVE_SCIPY, matconvnet_params, write_net_mat
from torch import nn

from rasbench.errors import ConfigError, TrackerError
from rasbench_trackers.rasnet import (
    RASNetTracker,
    WeightsError,
    build_model,
    convert,
    describe_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from rasbench_trackers.rasnet.model import AlexNetV1
from rasbench_trackers.rasnet.weights import file_sha256, matconvnet_to_backbone, read_siamfc_backbone


@pytest.fixture(scope="module")
def source_backbone():
    """A SiamFC backbone with random weights and non-trivial BN statistics, in eval mode."""
    torch.manual_seed(11)
    backbone = AlexNetV1()
    with torch.no_grad():
        for module in backbone.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
                module.running_mean.normal_(0, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    return backbone.eval()


@pytest.fixture(scope="module")
def exemplar():
    return torch.rand(1, 3, 127, 127, generator=torch.Generator().manual_seed(0)) * 255


def _assert_same_backbone(model, source_backbone, exemplar):
    for key, value in source_backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key
    with torch.inference_mode():
        torch.testing.assert_close(model.backbone.eval()(exemplar), source_backbone(exemplar))


# ----------------------------------------------------------------------------- checkpoints

def test_checkpoint_round_trip_keeps_variant_config_and_weights(tmp_path):
    model = build_model("dualatt", seed=1, ra_channels=64, ra_skip=True)
    with torch.no_grad():
        model.bias.fill_(-0.3)
    path = save_checkpoint(model, tmp_path / "dualatt.pt", meta={"note": "test"})
    raw = torch.load(path, weights_only=True)  # plain data: loads without unpickling code
    assert raw["variant"] == "dualatt" and raw["config"]["ra_channels"] == 64
    loaded, meta = load_checkpoint(path)
    assert loaded.variant == "dualatt" and loaded.config() == model.config() and meta == {"note": "test"}
    assert not loaded.training
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    info = describe_checkpoint(path)
    assert info["variant"] == "dualatt" and info["sha256"] == file_sha256(path)
    assert info["parameters"] == sum(p.numel() for p in model.parameters())
    # residual attention with 64 channels: convs 256->64 (3x3), 64->64 (3x3, 2x2), transposed 2x2, 3x3, 64->1 3x3
    residual = (256 * 9 + 1) * 64 + (64 * 9 + 1) * 64 * 2 + (64 * 4 + 1) * 64 * 2 + 64 * 9 + 1
    assert info["parameters_by_module"] == {"backbone": 2_336_320, "general_attention": 36,
                                            "residual_attention": residual}


def test_a_checkpoint_is_never_written_over_a_folder_or_a_device(tmp_path):
    import os

    model = build_model("siamfc", seed=0)
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "file").write_text("x")
    for target, match in ((tmp_path / "folder", "not a regular file"), (tmp_path / "pipe", "not a regular file"),
                          (tmp_path / "file" / "net.pt", "cannot write")):
        with pytest.raises(WeightsError, match=match):
            save_checkpoint(model, target)
    assert (tmp_path / "folder").is_dir() and not any((tmp_path / "folder").iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder", "pipe"]  # no .partial left


def test_weights_with_nan_or_infinity_are_refused_by_name(tmp_path):
    model = build_model("siamfc", seed=0)
    with torch.no_grad():
        model.backbone.conv1[0].weight[0, 0, 0, 0] = float("nan")
        model.bias.fill_(float("inf"))
    save_checkpoint(model, tmp_path / "bad.pt")
    with pytest.raises(WeightsError, match=r"NaN or infinite values: bias, backbone\.conv1\.0\.weight$"):
        load_checkpoint(tmp_path / "bad.pt")


def test_pack_halves_the_file_and_keeps_the_model(tmp_path):
    from rasbench_trackers.rasnet.weights import pack

    model = build_model("rasnet", seed=2)
    full = save_checkpoint(model, tmp_path / "full.pt", meta={"epochs": 3})
    info = pack(full, tmp_path / "half.pt", note="trained on synthetic data only")
    assert info["variant"] == "rasnet" and info["bytes"] < 0.55 * full.stat().st_size
    loaded, meta = load_checkpoint(tmp_path / "half.pt")
    assert meta["epochs"] == 3 and meta["note"].startswith("trained") and meta["packed_from_sha256"]
    for key, value in model.state_dict().items():
        if value.is_floating_point():
            assert loaded.state_dict()[key].dtype == torch.float32  # cast back on load
            assert torch.allclose(loaded.state_dict()[key], value, rtol=1e-3, atol=1e-4), key


def test_variant_mismatch_is_an_error(tmp_path):
    path = save_checkpoint(build_model("genatt"), tmp_path / "genatt.pt")
    with pytest.raises(WeightsError, match="holds variant 'genatt', but variant 'rasnet'"):
        load_checkpoint(path, variant="rasnet")
    with pytest.raises(TrackerError, match="variant 'genatt'"):
        RASNetTracker(weights=str(path), variant="rasnet", device="cpu")
    tracker = RASNetTracker(weights=str(path), device="cpu")
    assert tracker.name == "genatt" and tracker.describe()["weights_sha256"] == file_sha256(path)


def test_shape_and_key_mismatches_are_named(tmp_path):
    model = build_model("rasnet")
    checkpoint = {"format": "rasbench-rasnet", "format_version": 1, "variant": "rasnet", "config": model.config(),
                  "state_dict": dict(model.state_dict()), "meta": {}}
    checkpoint["state_dict"]["general_attention"] = torch.ones(1, 1, 5, 5)
    del checkpoint["state_dict"]["channel_attention.expand.bias"]
    checkpoint["state_dict"]["extra.weight"] = torch.zeros(1)
    torch.save(checkpoint, tmp_path / "bad.pt")
    with pytest.raises(WeightsError) as info:
        load_checkpoint(tmp_path / "bad.pt")
    message = str(info.value)
    assert "missing: channel_attention.expand.bias" in message and "unexpected: extra.weight" in message
    assert "general_attention (1, 1, 5, 5) (model: (1, 1, 6, 6))" in message


def test_config_that_does_not_build_is_an_error(tmp_path):
    model = build_model("rasnet")
    path = save_checkpoint(model, tmp_path / "ok.pt")
    checkpoint = torch.load(path, weights_only=True)
    checkpoint["config"]["ra_size"] = 7
    torch.save(checkpoint, tmp_path / "bad.pt")
    with pytest.raises(WeightsError, match="does not build"):
        load_checkpoint(tmp_path / "bad.pt")


def test_unusable_files_give_clear_errors(tmp_path, source_backbone):
    with pytest.raises(WeightsError, match="does not exist"):
        load_checkpoint(tmp_path / "nothing.pt")
    with pytest.raises(WeightsError, match="is a folder"):
        load_checkpoint(tmp_path)
    with pytest.raises(WeightsError, match="is not a regular file"):
        load_checkpoint("/dev/null")
    torch.save(nn.Linear(2, 2), tmp_path / "module.pt")  # a pickled module, not plain data
    with pytest.raises(WeightsError, match="weights_only=True"):
        load_checkpoint(tmp_path / "module.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="junk.pt"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({f"backbone.{k}": v for k, v in source_backbone.state_dict().items()}, tmp_path / "siamfc.pth")
    with pytest.raises(WeightsError, match="rasbench weights convert"):
        RASNetTracker(weights=str(tmp_path / "siamfc.pth"), device="cpu")


# ----------------------------------------------------------------------------- PyTorch SiamFC files

def test_convert_siamfc_pytorch_state_dict(tmp_path, source_backbone, exemplar):
    # huanglianghua/siamfc-pytorch: torch.save(Net(backbone=AlexNetV1(), head=SiamFC()).state_dict())
    state = OrderedDict((f"backbone.{key}", value) for key, value in source_backbone.state_dict().items())
    torch.save(state, tmp_path / "siamfc_alexnet_e50.pth")
    assert describe_checkpoint(tmp_path / "siamfc_alexnet_e50.pth")["format"] == "siamfc-pytorch"
    info = convert(tmp_path / "siamfc_alexnet_e50.pth", tmp_path / "rasnet.pt", variant="rasnet")
    assert info["variant"] == "rasnet" and info["meta"]["source_format"] == "siamfc-pytorch"
    model, _ = load_checkpoint(tmp_path / "rasnet.pt")
    _assert_same_backbone(model, source_backbone, exemplar)
    # everything else at its initialisation
    assert torch.equal(model.general_attention.data, torch.ones(1, 1, 6, 6))
    assert not model.residual_attention.decoder[-1].weight.any() and model.bias.item() == 0.0


def _got10k_sequential():
    """The got-10k/siamfc network layout: one nn.Sequential named ``feature``."""
    def bn(channels):
        return nn.BatchNorm2d(channels, eps=1e-6, momentum=0.05)

    return nn.Sequential(
        nn.Conv2d(3, 96, 11, 2), bn(96), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, 1, groups=2), bn(256), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, 1), bn(384), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, 3, 1, groups=2), bn(384), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, 1, groups=2))


def test_convert_got10k_sequential_state_dict(tmp_path, source_backbone, exemplar):
    feature = _got10k_sequential()
    sources = [m for m in source_backbone.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    targets = [m for m in feature if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    for source, target in zip(sources, targets):
        target.load_state_dict(source.state_dict())
    state = {f"module.feature.{key}": value for key, value in feature.state_dict().items()
             if not key.endswith("num_batches_tracked")}  # DataParallel prefix, an older PyTorch's keys
    torch.save({"epoch": 50, "state_dict": state}, tmp_path / "model.pth")
    backbone, extras = read_siamfc_backbone(tmp_path / "model.pth")
    assert extras["format"] == "sequential" and "conv4.1.running_var" in backbone
    convert(tmp_path / "model.pth", tmp_path / "siamfc.pt", variant="siamfc")
    model, _ = load_checkpoint(tmp_path / "siamfc.pt")
    _assert_same_backbone(model, source_backbone, exemplar)
    with torch.inference_mode():
        torch.testing.assert_close(model.backbone(exemplar), feature.eval()(exemplar))


def test_unknown_layouts_and_formats_are_rejected(tmp_path):
    torch.save({"fc.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    with pytest.raises(WeightsError, match="no known SiamFC layout"):
        convert(tmp_path / "other.pth", tmp_path / "out.pt")
    torch.save({"backbone.conv1.0.weight": torch.zeros(96, 3, 7, 7),
                "backbone.conv5.0.weight": torch.zeros(256, 192, 3, 3)}, tmp_path / "partial.pth")
    with pytest.raises(WeightsError, match="wrong shape: conv1.0.weight"):
        convert(tmp_path / "partial.pth", tmp_path / "out.pt")
    with pytest.raises(WeightsError, match="unknown source format"):
        convert(tmp_path / "other.pth", tmp_path / "out.pt", source_format="caffe")
    assert not (tmp_path / "out.pt").exists()


# ----------------------------------------------------------------------------- MatConvNet

def test_matconvnet_parameter_mapping(source_backbone, exemplar):
    state, extras = matconvnet_to_backbone(matconvnet_params(source_backbone))
    assert extras == {"adjust_gain": pytest.approx(0.001), "adjust_bias": -0.25}
    target = AlexNetV1().eval()
    target.load_state_dict(state)
    with torch.inference_mode():
        torch.testing.assert_close(target(exemplar), source_backbone(exemplar), rtol=1e-4, atol=1e-3)
    incomplete = matconvnet_params(source_backbone)
    del incomplete["bn3x"]
    with pytest.raises(WeightsError, match="lacks parameters bn3x"):
        matconvnet_to_backbone(incomplete)


@pytest.mark.skipif(not HAVE_SCIPY, reason="scipy is not installed (needed to write and read .mat files)")
def test_convert_matconvnet_net_mat(tmp_path, source_backbone, exemplar):
    write_net_mat(tmp_path / "2016-08-17.net.mat", matconvnet_params(source_backbone))
    info = describe_checkpoint(tmp_path / "2016-08-17.net.mat")
    assert info["format"] == "matconvnet" and info["backbone_parameters"] == 2_336_320
    convert(tmp_path / "2016-08-17.net.mat", tmp_path / "siamfc.pt", variant="siamfc")
    model, meta = load_checkpoint(tmp_path / "siamfc.pt")
    assert meta["source_format"] == "matconvnet"
    assert model.bias.item() == -0.25 and model.out_scale.item() == pytest.approx(0.001)
    with torch.inference_mode():
        torch.testing.assert_close(model.backbone(exemplar), source_backbone(exemplar), rtol=1e-4, atol=1e-3)


def test_matconvnet_without_scipy_says_how_to_get_it(tmp_path, monkeypatch):
    (tmp_path / "net.mat").write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200))
    monkeypatch.setitem(sys.modules, "scipy.io", None)  # import scipy.io now fails as if not installed
    with pytest.raises(ConfigError, match=r'needs scipy, which is not installed: pip install "rasbench\[matconvnet\]"'):
        convert(tmp_path / "net.mat", tmp_path / "out.pt")
