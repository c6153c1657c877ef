"""SiamFC-3s end to end: polygons reach trackers that take them (VOT runs, the TraX server),
the original .mat file runs as is, `rasbench weights download` against a local server, and
layout-only changes (channels-last) keep every box."""
import hashlib
import math

import numpy as np
import pytest
import torch
from conftest import invoke
from fake_trackers import PolygonRecorder
from rasnet_scenes import textured_clip
from report_fixtures import tiny_vot
from siamfc_files import HAVE_SCIPY, matconvnet_params, write_net_mat

from rasbench.errors import TrackerError
from rasbench.geometry import POLYGON
from rasbench.registry import resolve
from rasbench_trackers.rasnet import RASNetTracker, build_model, save_checkpoint
from rasbench_trackers.rasnet.tracker import PRESETS

needs_scipy = pytest.mark.skipif(not HAVE_SCIPY, reason="scipy is not installed (needed for .mat files)")
BAG_POLYGON = [334.02, 128.36, 438.19, 188.78, 396.39, 260.83, 292.23, 200.41]  # VOT bag, frame 1


def test_vot_runs_give_polygons_to_trackers_that_take_them(tmp_path):
    from rasbench.datasets import open_dataset
    from rasbench.runner import run_experiment

    bench, root = tiny_vot(tmp_path)
    rectangles = np.loadtxt(root / "alpha" / "groundtruth.txt", delimiter=",")
    x, y, w, h = rectangles.T  # alpha's boxes as 4-corner polygons, the first corner moved in by 1 px
    polygons = np.stack([x + 1, y + 1, x + w, y, x + w, y + h, x, y + h], axis=1)
    np.savetxt(root / "alpha" / "groundtruth.txt", polygons, fmt="%g", delimiter=",")
    dataset = open_dataset(bench, root=root, experiment="unsupervised")
    PolygonRecorder.init_boxes.clear()
    summary = run_experiment(bench, "unsupervised", dataset, resolve("fake_trackers:PolygonRecorder"),
                             tmp_path / "res", progress=False)
    assert summary.ok
    assert dataset["alpha"].groundtruth.kind[0] == POLYGON
    received = {len(region): region for region in PolygonRecorder.init_boxes}  # alpha: 8 values, beta: 4
    assert np.array_equal(received[8], polygons[0])
    assert np.array_equal(received[4], np.loadtxt(root / "beta" / "groundtruth.txt", delimiter=",")[0])


def test_trax_server_gives_polygons_to_trackers_that_take_them():
    from rasbench.trax.server import _ServerSession
    from rasbench.trax.wire import Region

    tracker = PolygonRecorder()
    session = _ServerSession(tracker, transport=None, region="polygon", version=1, name="p")
    session._image = lambda text: np.zeros((4, 4, 3), np.uint8)
    PolygonRecorder.init_boxes.clear()
    session._initialize("path", Region.polygon(BAG_POLYGON))
    session._initialize("path", Region.rectangle([1, 2, 3, 4]))
    assert np.allclose(PolygonRecorder.init_boxes[0], BAG_POLYGON) and np.allclose(PolygonRecorder.init_boxes[1],
                                                                                  [1, 2, 3, 4])


@needs_scipy
def test_siamfc_runs_straight_from_the_original_mat_file(tmp_path):
    source = build_model("siamfc", seed=3).backbone.eval()
    write_net_mat(tmp_path / "2016-08-17.net.mat", matconvnet_params(source))
    tracker = resolve("siamfc-3s", {"weights": str(tmp_path / "2016-08-17.net.mat"), "device": "cpu"}).create()
    assert tracker.name == "siamfc-3s" and tracker.hyper == PRESETS["siamfc-3s"]
    assert tracker.model.bias.item() == -0.25 and tracker.model.out_scale.item() == pytest.approx(0.001)
    assert torch.equal(tracker.model.backbone.conv1[0].weight, source.conv1[0].weight)
    assert tracker.describe()["weights_sha256"] == hashlib.sha256(
        (tmp_path / "2016-08-17.net.mat").read_bytes()).hexdigest()
    # the other variants need training first: refused with the conversion command
    with pytest.raises(TrackerError, match="rasbench weights convert .* --variant rasnet"):
        RASNetTracker(weights=str(tmp_path / "2016-08-17.net.mat"), device="cpu")


@needs_scipy
def test_weights_download_fetches_verifies_and_converts(tmp_path, monkeypatch):
    from archive_server import ArchiveServer

    from rasbench_trackers.rasnet import weights

    source = build_model("siamfc", seed=4).backbone.eval()
    write_net_mat(tmp_path / "net.mat", matconvnet_params(source))
    content = (tmp_path / "net.mat").read_bytes()
    blob = hashlib.sha1(b"blob %d\x00" % len(content) + content).hexdigest()
    official = weights.OFFICIAL_WEIGHTS["siamfc-3s"]
    monkeypatch.setitem(weights.OFFICIAL_WEIGHTS, "siamfc-3s",
                        weights.OfficialWeights(official.url, official.file_name, blob, official.checkpoint_name,
                                                official.variant))
    monkeypatch.setenv("RASBENCH_CACHE", str(tmp_path / "cache"))
    with ArchiveServer({"net.mat": content, "other.mat": content + b"x"}) as server:
        server.faults["net.mat"] = [("cut", 1000)]  # the first transfer breaks: resumed
        port = server.url_template.split(":")[2].split("/")[0]
        result = invoke("weights", "download", "siamfc-3s", "--url", f"http://127.0.0.1:{port}/net.mat", "-q")
        assert result.exit_code == 0, result.output
        assert server.requests_for("net.mat")[1] == "bytes=1000-"
        folder = tmp_path / "cache" / "weights"
        assert (folder / "2016-08-17.net.mat").read_bytes() == content
        tracker = resolve("siamfc-3s", {"device": "cpu"}).create()  # now the default
        assert tracker.weights_path == (folder / "siamfc-3s.pt").resolve()
        assert torch.equal(tracker.model.backbone.conv5[0].weight, source.conv5[0].weight)
        # a file that is not the official one is refused and deleted
        (folder / "2016-08-17.net.mat").unlink()
        result = invoke("weights", "download", "siamfc-3s", "--url", f"http://127.0.0.1:{port}/other.mat", "-q")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith("error: ") and "git blob id" in result.output and blob in result.output
    assert not (folder / "2016-08-17.net.mat").exists()


@pytest.mark.parametrize("preset", ["rasnet", "siamfc-3s"])
def test_channels_last_changes_no_box(preset, tmp_path):
    weights = save_checkpoint(build_model("rasnet", seed=9), tmp_path / "w.pt")
    frames, first = textured_clip(5)
    runs = []
    for channels_last in (True, False):
        tracker = RASNetTracker(weights=str(weights), preset=preset, device="cpu", channels_last=channels_last)
        assert tracker.model.backbone.conv1[0].weight.is_contiguous(
            memory_format=torch.channels_last if channels_last else torch.contiguous_format)
        tracker.init(frames[0], first)
        runs.append(np.array([tracker.update(frame)["box"] for frame in frames[1:]]))
    assert np.array_equal(runs[0], runs[1])
    assert math.isfinite(runs[0].sum())
