"""RASNet training: labels, temporal weights, loss, crops, readers, sampling, training runs, resume.

Training runs use a tiny in-memory synthetic set (three 30-frame sequences of 160x120)
and a handful of pairs; the network keeps its real size, so each step costs a few
tenths of a second on a CPU.
"""
import csv
import json
import math
import shutil
import warnings

import cv2
import numpy as np
import pytest
import torch
from conftest import moving_boxes, write_otb_sequence
from siamfc_files import HAVE_SCIPY, matconvnet_params, write_net_mat

import rasbench_trackers.rasnet.data as data_module
from rasbench.errors import ConfigError, DatasetError, RasbenchError
from rasbench_trackers.rasnet import RASNetTracker, build_model
from rasbench_trackers.rasnet.data import (
    Augment,
    DataWarning,
    PairDataset,
    SynthSource,
    collate_pairs,
    got10k_videos,
    make_labels,
    make_track,
    open_source,
    otb_folder_videos,
    parse_seeds,
    siamfc_crop,
    split_videos,
    temporal_weight,
    vid_videos,
)
from rasbench_trackers.rasnet.train import TrainingError, lr_gamma, train, train_step, weighted_logistic_loss
from rasbench_trackers.rasnet.weights import siamfc_model

TINY_ENTRIES = (
    {"name": "Alpha", "length": 30, "target": {"size": [40, 30]}, "motion": {"speed": 3.0}},
    {"name": "Beta", "length": 30, "target": {"size": [36, 36], "texture": "stripes"}, "motion": {"speed": 2.0}},
    {"name": "Gamma", "length": 30, "target": {"size": [30, 40], "texture": "clouds"}, "motion": {"speed": 2.0}},
)
TINY_SYNTH = SynthSource(seeds=(5,), entries=TINY_ENTRIES, image_size=(160, 120))
TINY_RUN = dict(epochs=3, pairs_per_epoch=2, batch_size=2, val_pairs=2, lr=(1e-2, 1e-3), progress=False, seed=3)


@pytest.fixture(scope="module")
def tiny_videos():
    return TINY_SYNTH.videos()


# ----------------------------------------------------------------------------- labels, weights, loss

def test_labels_and_weights_for_the_training_geometry():
    labels, weights = make_labels()  # 15x15 response, 16 px radius, stride 8
    assert labels.shape == weights.shape == (15, 15)
    positives = {tuple(cell) for cell in np.argwhere(labels == 1)}
    # within 2 cells (Euclidean) of the centre (7, 7): the centre, 4 + 4 axis cells, 4 diagonals
    assert positives == {(7, 7), (6, 7), (8, 7), (7, 6), (7, 8), (5, 7), (9, 7), (7, 5), (7, 9),
                         (6, 6), (6, 8), (8, 6), (8, 8)}
    assert set(np.unique(labels)) == {0.0, 1.0}
    assert np.all(weights[labels == 1] == np.float32(1 / 26))
    assert np.all(weights[labels == 0] == np.float32(1 / 424))
    assert weights[labels == 1].sum() == pytest.approx(0.5, abs=1e-6)
    assert weights[labels == 0].sum() == pytest.approx(0.5, abs=1e-6)


def test_labels_on_the_tracking_response_have_the_same_13_positives():
    labels, weights = make_labels(17)
    assert labels.sum() == 13 and labels[8, 8] == 1 and labels[8, 10] == 1 and labels[8, 11] == 0
    assert np.all(weights[labels == 0] == np.float32(0.5 / 276))


def test_temporal_weights_for_given_gaps():
    gaps = np.array([0, 1, 50, 100, -100, 200])
    expected = [1.0, math.exp(-0.01), math.exp(-0.5), math.exp(-1.0), math.exp(-1.0), math.exp(-2.0)]
    np.testing.assert_allclose(temporal_weight(gaps, 100.0), expected, rtol=1e-15)
    assert temporal_weight(100, 100.0) == pytest.approx(0.36787944117144233, rel=1e-15)
    assert temporal_weight(37, math.inf) == 1.0  # sigma = inf: SiamFC's unweighted loss


def test_loss_matches_a_hand_computation():
    labels, weights = (torch.from_numpy(a) for a in make_labels())
    logits = torch.linspace(-3, 3, 2 * 225).reshape(2, 1, 15, 15)
    omega = torch.tensor([1.0, math.exp(-0.5)])
    y = 2 * labels - 1
    per_pair = [(weights * torch.log1p(torch.exp(-y * logits[n, 0]))).sum() for n in range(2)]
    batch = (omega[0] * per_pair[0] + omega[1] * per_pair[1]) / 2
    weighted_mean = (omega[0] * per_pair[0] + omega[1] * per_pair[1]) / omega.sum()
    torch.testing.assert_close(weighted_logistic_loss(logits, labels, weights, omega), batch)
    torch.testing.assert_close(weighted_logistic_loss(logits, labels, weights, omega, "omega"), weighted_mean)
    zero = weighted_logistic_loss(torch.zeros(3, 1, 15, 15), labels, weights, torch.ones(3))
    assert zero.item() == pytest.approx(math.log(2), rel=1e-6)  # balanced weights sum to 1


def test_learning_rate_decays_geometrically_to_the_last_epoch():
    gamma = lr_gamma((1e-2, 1e-5), 50)
    assert 1e-2 * gamma ** 49 == pytest.approx(1e-5, rel=1e-12)
    assert lr_gamma((1e-2, 1e-5), 1) == 1.0


# ----------------------------------------------------------------------------- crops

def test_crop_samples_the_documented_frame_positions():
    # a horizontal ramp whose value is the pixel's column: bilinear sampling returns x - 0.5
    ramp = np.tile(np.arange(400, dtype=np.float32), (300, 1))
    image = np.dstack([ramp] * 3)
    box = [150.0, 120.0, 40.0, 30.0]
    step = math.sqrt((40 + 35) * (30 + 35)) / 127
    for size, stretch, shift in ((127, 1.0, (0, 0)), (239, 1.04, (3, -2)), (239, 0.95, (-4, 4))):
        crop = siamfc_crop(image, box, size, stretch, shift)
        i = np.arange(size)
        expected = 170.0 + step / stretch * (i + 0.5 - size / 2 + shift[0]) - 0.5
        np.testing.assert_allclose(crop[size // 2, :, 0], expected, atol=0.05)


def test_crops_match_the_trackers_crops():
    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur(rng.integers(0, 256, (120, 160, 3)).astype(np.uint8), (0, 0), 3)
    image = cv2.resize(image, (320, 240), interpolation=cv2.INTER_CUBIC)  # smooth: fixed-point rounding stays small
    box = [100.3, 70.6, 50.0, 36.5]  # the search crop reaches past the image: mean-colour padding
    tracker = RASNetTracker(random_init=True, device="cpu")
    frame = torch.from_numpy(image)
    tracker._mean = frame.reshape(-1, 3).float().mean(0)
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    s_z = math.sqrt((box[2] + 43.25) * (box[3] + 43.25))
    theirs_z = tracker._crops(frame, cx, cy, [s_z], 127)[0].permute(1, 2, 0).numpy()
    theirs_x = tracker._crops(frame, cx, cy, [s_z * 255 / 127], 255)[0].permute(1, 2, 0).numpy()
    ours_z = siamfc_crop(image, box, 127).astype(np.float32)
    ours_x = siamfc_crop(image, box, 239).astype(np.float32)  # the training search crop: the middle 239 of 255
    assert np.abs(ours_z - theirs_z).max() <= 1.0
    assert np.abs(ours_x - theirs_x[8:247, 8:247]).max() <= 1.0


# ----------------------------------------------------------------------------- pairs

def _toy_track(frames, name="toy", size=(160, 120)):
    image = np.full((size[1], size[0], 3), 90, np.uint8)
    data = cv2.imencode(".png", image)[1].tobytes()
    boxes = np.tile([50.0, 40.0, 40.0, 30.0], (len(frames), 1))
    return make_track(name, frames, boxes, [data] * len(frames), size)


def test_pairs_stay_within_the_gap_and_carry_their_temporal_weight():
    frames = np.array([0, 3, 50, 140, 141, 400])  # 400 has no partner within 100 frames
    dataset = PairDataset([data_module.Video("toy", [_toy_track(frames)])], max_gap=100, sigma=100.0)
    seen = set()
    for index in range(200):
        track, i, j = dataset.draw(np.random.default_rng([0, 0, 0, index, 0]))
        gap = abs(int(track.frames[i] - track.frames[j]))
        assert 0 < gap <= 100 and track.frames[i] != 400
        seen.add((int(track.frames[i]), int(track.frames[j])))
    assert seen == {(0, 3), (3, 0), (0, 50), (50, 0), (3, 50), (50, 3), (50, 140), (140, 50), (50, 141), (141, 50),
                    (140, 141), (141, 140)}
    item = dataset[(2, 7)]
    assert item["omega"] == pytest.approx(math.exp(-item["gap"] / 100.0))
    assert item["exemplar"].shape == (3, 127, 127) and item["search"].shape == (3, 239, 239)
    assert item["exemplar"].dtype == np.uint8


def test_a_pair_depends_only_on_its_key(tiny_videos):
    dataset = PairDataset(tiny_videos, seed=4)
    again = PairDataset(tiny_videos, seed=4)
    first, second = dataset[(1, 5)], again[(1, 5)]
    assert np.array_equal(first["exemplar"], second["exemplar"]) and np.array_equal(first["search"], second["search"])
    assert not np.array_equal(first["search"], dataset[(1, 6)]["search"])
    assert not np.array_equal(first["search"], dataset[(2, 5)]["search"])
    plain = PairDataset(tiny_videos, seed=4, augment=None)[(1, 5)]
    assert plain["gap"] == first["gap"]  # augmentation draws after the frames: same pair, other crops


def test_grey_augmentation_makes_grey_crops(tiny_videos):
    item = PairDataset(tiny_videos, augment=Augment(gray=1.0))[(0, 0)]
    for crop in (item["exemplar"], item["search"]):
        assert np.array_equal(crop[0], crop[1]) and np.array_equal(crop[1], crop[2])


# ----------------------------------------------------------------------------- sources

def test_synthetic_source_is_deterministic_and_refuses_the_evaluation_seed():
    entries = TINY_ENTRIES[:1]
    first = SynthSource((5,), entries, (160, 120)).videos()
    again = SynthSource((5,), entries, (160, 120)).videos()
    other = SynthSource((6,), entries, (160, 120)).videos()
    assert [v.name for v in first] == ["synth-5/Alpha"]
    track, same = first[0].tracks[0], again[0].tracks[0]
    assert track.images == same.images and np.array_equal(track.boxes, same.boxes)
    assert track.images != other[0].tracks[0].images
    assert track.image_bgr(0).shape == (120, 160, 3) and list(track.frames) == list(range(30))
    with pytest.raises(ConfigError, match="evaluation seed"):
        open_source("synth:2718")
    with pytest.raises(ConfigError, match="evaluation seed"):
        SynthSource((1, 2718), entries).videos()
    assert parse_seeds("1-3,7,2") == (1, 2, 3, 7)
    with pytest.raises(ConfigError):
        open_source("imagenet:/data")


def test_synthetic_folder_source_reads_the_otb_layout(tmp_path):
    root = tmp_path / "synth7"
    gt = moving_boxes(6, start=(21.0, 31.0, 40.0, 30.0))
    write_otb_sequence(root / "otb", "Alpha", gt, size=(160, 120))
    (root / "synth.json").write_text(json.dumps({"seed": 7}))
    videos = open_source(f"synth:{root}")
    track = videos[0].tracks[0]
    np.testing.assert_allclose(track.boxes, gt - [1, 1, 0, 0])  # OTB boxes are 1-based
    assert track.image_bgr(5).shape == (120, 160, 3)
    (root / "synth.json").write_text(json.dumps({"seed": 2718}))
    with pytest.raises(ConfigError, match="evaluation seed"):
        otb_folder_videos(root)


def _write_jpeg(path, size=(160, 120), value=120):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((size[1], size[0], 3), value, np.uint8))


def _got10k(root, name, boxes, corrupt=(), absence=None, meta=True):
    folder = root / "train" / name
    folder.mkdir(parents=True)
    for k in range(1, len(boxes) + 1):
        _write_jpeg(folder / f"{k:08d}.jpg")
        if k in corrupt:
            (folder / f"{k:08d}.jpg").write_bytes(b"this is not a JPEG file")
    (folder / "groundtruth.txt").write_text("".join(",".join(f"{v:g}" for v in box) + "\n" for box in boxes))
    (folder / "cover.label").write_text("8\n" * len(boxes))
    if absence is not None:
        (folder / "absence.label").write_text("".join(f"{a}\n" for a in absence))
    if meta:
        (folder / "meta_info.ini").write_text("[METAINFO]\nresolution: (160, 120)\n")


@pytest.fixture
def got10k_root(tmp_path):
    root = tmp_path / "GOT-10k"
    box = [50, 40, 30, 24]
    _got10k(root, "GOT-10k_Train_000001", [box] * 6, absence=[0, 0, 1, 0, 0, 0])
    _got10k(root, "GOT-10k_Train_000002", [box] * 3, corrupt=(2,), meta=False)
    (root / "train" / "GOT-10k_Train_000003").mkdir()  # empty
    _got10k(root, "GOT-10k_Train_000004", [box, [500, 40, 30, 24], box, [50, 40, 0, 24], box])
    return root


def test_got10k_reader_skips_empty_videos_and_bad_boxes_with_warnings(got10k_root):
    with pytest.warns(DataWarning) as record:
        videos = got10k_videos(got10k_root)
    messages = [str(w.message) for w in record]
    assert any("GOT-10k_Train_000003" in m and "empty" in m for m in messages)
    assert any("GOT-10k_Train_000004" in m and "frame(s) 2 " in m and "outside" in m for m in messages)
    assert any("GOT-10k_Train_000004" in m and "frame(s) 4 " in m and "degenerate" in m for m in messages)
    by_name = {v.name: v.tracks[0] for v in videos}
    assert sorted(by_name) == ["got10k:GOT-10k_Train_000001", "got10k:GOT-10k_Train_000002",
                               "got10k:GOT-10k_Train_000004"]
    assert list(by_name["got10k:GOT-10k_Train_000001"].frames) == [1, 2, 4, 5, 6]  # frame 3 absent
    assert list(by_name["got10k:GOT-10k_Train_000004"].frames) == [1, 3, 5]
    np.testing.assert_array_equal(by_name["got10k:GOT-10k_Train_000004"].boxes[0], [50, 40, 30, 24])
    assert by_name["got10k:GOT-10k_Train_000002"].image_bgr(1) is None  # corrupt: found when training


def test_unreadable_images_are_skipped_with_a_warning_while_training(got10k_root, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the reader's warnings are tested above
        videos = [v for v in got10k_videos(got10k_root) if v.name.endswith("000002")]
    dataset = PairDataset(videos)  # frames 1, 2, 3 with 2 corrupt: only (1, 3) and (3, 1) can be read
    items = [dataset[(0, k)] for k in range(8)]
    assert all(item["gap"] == 2 for item in items)
    assert any(str(got10k_root / "train" / "GOT-10k_Train_000002" / "00000002.jpg") in item["failures"]
               for item in items)
    with pytest.warns(DataWarning) as record:
        train("siamfc", [f"got10k:{got10k_root}"], tmp_path / "run", epochs=1, pairs_per_epoch=6, batch_size=6,
              val_pairs=0, progress=False, workers=0)
    assert any("unreadable image" in str(w.message) and "00000002.jpg" in str(w.message) for w in record)
    (got10k_root / "train" / "GOT-10k_Train_000002" / "00000003.jpg").write_bytes(b"")  # now no pair is readable
    with pytest.raises(DatasetError, match="no readable pair"):
        dataset[(0, 0)]


def _vid_xml(path, objects, size=(160, 120)):
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"<object><trackid>{tid}</trackid><name>n01</name><bndbox><xmax>{x1}</xmax><xmin>{x0}</xmin>"
                   f"<ymax>{y1}</ymax><ymin>{y0}</ymin></bndbox><occluded>0</occluded></object>"
                   for tid, (x0, y0, x1, y1) in objects)
    path.write_text(f"<annotation><folder>x</folder><filename>{path.stem}</filename><size><width>{size[0]}</width>"
                    f"<height>{size[1]}</height></size>{body}</annotation>")


def test_vid_reader_makes_one_target_per_trackid_and_caches_its_index(tmp_path, monkeypatch):
    root = tmp_path / "ILSVRC2015"
    snippet = "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000"
    for frame in range(5):
        _write_jpeg(root / "Data" / "VID" / "train" / snippet / f"{frame:06d}.JPEG")
        objects = [("0", (10, 20, 49, 49))] + ([("1", (80, 30, 109, 59))] if frame >= 2 else [])
        _vid_xml(root / "Annotations" / "VID" / "train" / snippet / f"{frame:06d}.xml", objects)
    (root / "Annotations" / "VID" / "train" / snippet / "000003.xml").write_text("<annotation><size>")  # corrupt
    _vid_xml(root / "Annotations" / "VID" / "train" / "ILSVRC2015_VID_train_0000" / "empty_snippet" / "000000.xml",
             [])
    with pytest.warns(DataWarning) as record:
        videos = vid_videos(root)
    messages = [str(w.message) for w in record]
    assert any("000003.xml" in m and "unreadable annotation" in m for m in messages)
    assert any("empty_snippet" in m and "empty" in m for m in messages)
    assert len(videos) == 1 and videos[0].name == f"vid:train/{snippet}"
    first, second = videos[0].tracks
    assert first.name.endswith("#0") and list(first.frames) == [0, 1, 2, 4]
    assert list(second.frames) == [2, 4]
    np.testing.assert_array_equal(first.boxes[0], [10, 20, 40, 30])  # xmax/ymax are inclusive pixel indices
    assert first.images[0].endswith(f"{snippet}/000000.JPEG") and first.image_bgr(0).shape == (120, 160, 3)

    def fail(folder):
        raise AssertionError("the cached index should have been used")

    monkeypatch.setattr(data_module, "_parse_vid_snippet", fail)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        cached = vid_videos(root)
    assert [t.name for t in cached[0].tracks] == [first.name, second.name]


def test_validation_split_is_stable_and_never_empty(tiny_videos):
    train_videos, val_videos = split_videos(tiny_videos, 0.1)
    assert len(val_videos) == 1 and len(train_videos) == 2
    assert split_videos(list(reversed(tiny_videos)), 0.1)[1][0].name == val_videos[0].name
    assert split_videos(tiny_videos[:1], 0.1) == (tiny_videos[:1], [])


# ----------------------------------------------------------------------------- training

@pytest.mark.slow
def test_a_few_training_steps_reduce_the_loss(tiny_videos):
    dataset = PairDataset(tiny_videos, seed=1)
    batch = collate_pairs([dataset[(0, k)] for k in range(4)])
    labels, weights = (torch.from_numpy(a) for a in make_labels())
    model = build_model("rasnet", seed=0).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9, weight_decay=5e-4)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    losses = [train_step(model, optimizer, scaler, batch, labels, weights).item() for _ in range(6)]
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    assert losses[-1] < 0.85 * losses[0], losses


@pytest.fixture(scope="module")
def uninterrupted_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "run"
    final = train("rasnet", [TINY_SYNTH], out, workers=0, **TINY_RUN)
    return out, final


def _rows(out):
    with open(out / "loss.csv", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_training_writes_checkpoints_loss_table_and_plot(uninterrupted_run):
    out, final = uninterrupted_run
    assert final == out / "final.pt"
    assert sorted(p.name for p in out.glob("epoch_*.pt")) == ["epoch_001.pt", "epoch_002.pt", "epoch_003.pt"]
    rows = _rows(out)
    assert list(rows[0]) == ["epoch", "train_loss", "val_loss", "lr", "pairs_per_s"]
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    np.testing.assert_allclose([float(r["lr"]) for r in rows], [1e-2, 10 ** -2.5, 1e-3], rtol=1e-9)
    assert all(math.isfinite(float(r["train_loss"])) and math.isfinite(float(r["val_loss"])) for r in rows)
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stored = torch.load(final, map_location="cpu", weights_only=True)
    assert stored["variant"] == "rasnet" and stored["meta"]["epochs_done"] == 3
    tracker = RASNetTracker(weights=str(final), device="cpu")
    image = np.full((120, 160, 3), 100, np.uint8)
    tracker.init(image, [50, 40, 40, 30])
    assert np.all(np.isfinite(tracker.update(image)["box"]))
    assert (out / "best.pt").is_file()


def _same_state(first, second):
    a = torch.load(first, map_location="cpu", weights_only=True)["state_dict"]
    b = torch.load(second, map_location="cpu", weights_only=True)["state_dict"]
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2])
def test_resume_reproduces_the_uninterrupted_run_bit_for_bit(uninterrupted_run, tmp_path, workers):
    reference, reference_final = uninterrupted_run
    out = tmp_path / "run"
    stopped = train("rasnet", [TINY_SYNTH], out, workers=workers, stop_after=2, **TINY_RUN)
    assert stopped == out / "epoch_002.pt" and not (out / "final.pt").exists()
    final = train("rasnet", [TINY_SYNTH], out, workers=workers, resume=True, **TINY_RUN)
    _same_state(final, reference_final)
    state, expected = (torch.load(d / "epoch_003.pt", map_location="cpu", weights_only=True) for d in (out, reference))
    for key, value in expected["optimizer"]["state"].items():
        assert torch.equal(state["optimizer"]["state"][key]["momentum_buffer"], value["momentum_buffer"])
    assert state["scheduler"] == expected["scheduler"]
    losses = [(r["train_loss"], r["val_loss"]) for r in _rows(out)]
    assert losses == [(r["train_loss"], r["val_loss"]) for r in _rows(reference)]


@pytest.mark.slow
def test_resume_refuses_other_settings_and_a_fresh_run_refuses_a_used_folder(uninterrupted_run, tmp_path):
    reference, _ = uninterrupted_run
    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    with pytest.raises(ConfigError, match="already holds a training run"):
        train("rasnet", [TINY_SYNTH], out, workers=0, **TINY_RUN)
    with pytest.raises(TrainingError, match="batch_size"):
        train("rasnet", [TINY_SYNTH], out, workers=0, resume=True, **{**TINY_RUN, "batch_size": 1})
    with pytest.raises(TrainingError, match="variant"):
        train("siamfc", [TINY_SYNTH], out, workers=0, resume=True, **TINY_RUN)


@pytest.mark.skipif(not HAVE_SCIPY, reason="scipy is not installed (needed for .mat files)")
@pytest.mark.parametrize("freeze", [True, False])
def test_training_starts_from_the_siamfc_backbone_frozen_or_not(tmp_path, freeze):
    source = build_model("siamfc", seed=8).backbone.eval()
    write_net_mat(tmp_path / "2016-08-17.net.mat", matconvnet_params(source))
    final = train("rasnet", [TINY_SYNTH], tmp_path / "run", workers=0, init_from=tmp_path / "2016-08-17.net.mat",
                  freeze_backbone=freeze, **TINY_RUN)
    trained = torch.load(final, map_location="cpu", weights_only=True)
    assert trained["meta"]["training_config"]["freeze_backbone"] is freeze
    state = trained["state_dict"]
    start = siamfc_model(tmp_path / "2016-08-17.net.mat", "rasnet")[0].backbone.state_dict()
    assert torch.equal(start["conv3.0.weight"], source.conv3[0].weight)
    backbone_same = [torch.equal(state[f"backbone.{key}"], value) for key, value in start.items()]
    assert all(backbone_same) if freeze else not any(backbone_same[:2])  # weights and BN statistics kept, or trained
    assert not torch.equal(state["general_attention"], torch.ones(1, 1, 6, 6))  # the attentions learn either way


def test_freezing_needs_a_backbone_to_start_from(tmp_path):
    with pytest.raises(ConfigError, match="freeze_backbone needs init_from"):
        train("rasnet", [TINY_SYNTH], tmp_path / "run", workers=0, freeze_backbone=True, **TINY_RUN)


@pytest.mark.parametrize("bad", [{"init_from": "missing.mat"}, {"data": ["nosuch:x"]}])
def test_inputs_are_refused_before_any_line_or_folder(tmp_path, caplog, monkeypatch, bad):
    """A run that cannot start says nothing but its error and leaves no output folder."""
    monkeypatch.chdir(tmp_path)
    settings = {"data": ["synth:7"], **bad}
    data = settings.pop("data")
    with caplog.at_level("INFO", logger="rasbench"), pytest.raises(RasbenchError):
        train("rasnet", data, tmp_path / "out", epochs=1, pairs_per_epoch=4, batch_size=2, device="cpu",
              progress=False, **settings)
    assert not (tmp_path / "out").exists()
    assert not [r for r in caplog.records if r.name.startswith("rasbench")], caplog.records
