"""The OTB-family benchmarks of issue 15 (LaSOT and its extension, UAV123, UAV20L, TC128, NfS)
on data written here or by the synthetic benchmark's LaSOT-layout copy: the absent-target and
NaN-row rules of each convention (got10k's ExperimentUAV123 and ExperimentNfS on the same
inputs), gzip result files, the LaSOT, UAV and NfS layouts, other toolkits' result folders.
"""
from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
import yaml

from rasbench.config.benchmarks import load_benchmark
from rasbench.config.conventions import otb_convention
from rasbench.datasets import open_dataset
from rasbench.datasets.synthetic import write_lasot_copy
from rasbench.datasets.textio import RefusedFile, read_many, read_rows, size_bound
from rasbench.errors import DatasetError
from rasbench.evaluation import evaluate
from rasbench.metrics import otb as M
from rasbench.results.discovery import find_tracker_dirs


def _counts(pred, gt, absent, convention):
    measures = M.frame_measures(np.array(pred, float), np.array(gt, float), [0], otb_convention(convention),
                                np.array(absent, bool))
    success, precision, _ = M.run_curve_counts(measures, otb_convention(convention))
    return int(success[0, 0]), int(precision[0, 20]), int(measures.frames[0])


# ----------------------------------------------------------------------------- scoring rules
def test_absent_frames_are_misses_under_official_and_pysot_and_scored_under_got10k():
    # 4 frames, all predicted exactly; frame 3's target is absent (with a box), frame 4's
    # is absent with LaSOT's 0,0,0,0 row (an invalid GT: a precision hit under OTB's rule
    # unless the absent rule wins).
    gt = [[10, 10, 20, 20], [12, 10, 20, 20], [14, 10, 20, 20], [0, 0, 0, 0]]
    absent = [False, False, True, True]
    # (frames with IoU > 0, frames within 20 px, denominator)
    assert _counts(gt, gt, absent, "official") == (2, 2, 4)
    assert _counts(gt, gt, absent, "pysot") == (2, 2, 4)
    # got10k ignores the flags: frame 3 scores, frame 4 has IoU 0 (no area) but a centre error of 0
    assert _counts(gt, gt, absent, "got10k") == (3, 4, 4)
    # without flags the OTB rule scores frame 4 as a success miss and a precision hit
    assert _counts(gt, gt, [False] * 4, "official") == (3, 4, 4)


def test_got10k_leaves_nan_groundtruth_rows_out_of_the_denominator():
    nan = [np.nan] * 4
    gt = [[10, 10, 20, 20], nan, [14, 10, 20, 20], nan]
    pred = [[10, 10, 20, 20], [11, 10, 20, 20], [40, 40, 5, 5], [12, 10, 20, 20]]
    assert _counts(pred, gt, [False] * 4, "got10k") == (1, 1, 2)
    # UAV123's kit and pysot: a NaN row is a success miss and a precision hit, in the denominator
    assert _counts(pred, gt, [False] * 4, "official") == (1, 3, 4)
    assert _counts(pred, gt, [False] * 4, "pysot") == (1, 3, 4)


def test_got10k_convention_equals_got10k_experiment_uav123_on_nan_rows(tmp_path):
    got10k_uav = pytest.importorskip("got10k.experiments.uav123")
    rng = np.random.default_rng(3)
    gt = np.column_stack([rng.uniform(1, 50, (300, 2)), rng.uniform(5, 40, (300, 2))])
    gt[rng.choice(300, 40, replace=False)] = np.nan
    pred = gt + rng.normal(0, 4, gt.shape)
    pred[np.isnan(pred)] = 7.0
    gt[0] = pred[0] = [5, 5, 20, 20]  # got10k's report replaces frame 1 by the ground truth before scoring
    experiment = got10k_uav.ExperimentUAV123.__new__(got10k_uav.ExperimentUAV123)
    experiment.nbins_iou, experiment.nbins_ce = 21, 51
    ious, errors = experiment._calc_metrics(pred, gt)
    success, precision = experiment._calc_curves(ious, errors)
    conv = otb_convention("got10k")
    measures = M.frame_measures(pred, gt, [0], conv)
    counts = M.run_curve_counts(measures, conv)
    assert np.array_equal(counts[0][0] / measures.frames[0], success)
    assert np.array_equal(counts[1][0] / measures.frames[0], precision)


# ----------------------------------------------------------------------------- gzip result files
def test_gzip_result_files_read_like_plain_ones(tmp_path):
    text = "1,2,3,4\n5,6,7,8\n"
    (tmp_path / "a.txt").write_text(text)
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(text.encode()))
    assert np.array_equal(read_rows(tmp_path / "a.txt.gz", 4), read_rows(tmp_path / "a.txt", 4))
    (tmp_path / "two.txt.gz").write_bytes(gzip.compress(b"1,2,3,4\n") + gzip.compress(b"5,6,7,8\n"))
    assert read_rows(tmp_path / "two.txt.gz", 4).tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_one_run_time_files_are_found_in_either_place_plain_or_gzip(tmp_path):
    from rasbench.results.otb import OTBLayout

    bench = load_benchmark("otb2015")
    specs = {n: bench.sequences[n] for n in ("Basketball", "Bolt", "Boy", "Car4")}
    (tmp_path / "times").mkdir()
    for name in specs:
        (tmp_path / f"{name}.txt").write_text("1,2,3,4\n")
    (tmp_path / "times" / "Basketball_time.txt").write_text("0.1\n")  # got10k
    (tmp_path / "times" / "Bolt_time.txt.gz").write_bytes(gzip.compress(b"0.1\n"))
    (tmp_path / "Boy_time.txt.gz").write_bytes(gzip.compress(b"0.1\n"))  # pytracking, compressed
    scan = OTBLayout(bench.experiment("ope")).scan(tmp_path, specs, {n: [1] for n in specs})
    assert {r.sequence: r.times for r in scan.runs} == {
        "Basketball": tmp_path / "times" / "Basketball_time.txt", "Bolt": tmp_path / "times" / "Bolt_time.txt.gz",
        "Boy": tmp_path / "Boy_time.txt.gz", "Car4": None}


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_a_one_run_folder_that_is_missing_or_a_file_holds_no_results(tmp_path, kind):
    from rasbench.results.otb import OTBLayout

    bench = load_benchmark("otb2015")
    folder = tmp_path / "ATOM"
    if kind == "a file":
        folder.write_text("1,2,3,4\n")
    layout = OTBLayout(bench.experiment("ope"))
    assert layout.run_path(folder, bench.sequences["Basketball"], 1) is None
    scan = layout.scan(folder, {"Bolt": bench.sequences["Bolt"]}, {"Bolt": [1]})
    assert scan.runs == [] and scan.problems == {"Bolt": "no result file"}


def test_gzip_bombs_and_broken_gzip_files_are_refused(tmp_path):
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"1,2,3,4\n" * 200_000))  # 1.6 MB from ~5 kB
    bomb, = read_many([tmp_path / "bomb.txt.gz"], 4, lines=[2])
    assert isinstance(bomb, RefusedFile) and f"{size_bound(2)} bytes allowed" in str(bomb)
    (tmp_path / "cut.txt.gz").write_bytes(gzip.compress(b"1,2,3,4\n" * 100)[:-12])
    with pytest.raises(DatasetError, match="truncated gzip"):
        read_rows(tmp_path / "cut.txt.gz", 4)
    (tmp_path / "plain.txt.gz").write_text("1,2,3,4\n")
    with pytest.raises(DatasetError, match="not a valid gzip file"):
        read_rows(tmp_path / "plain.txt.gz", 4)


# ----------------------------------------------------------------------------- LaSOT layout
def _lasot_benchmark(tmp_path, names):
    path = tmp_path / "synth_lasot.yaml"
    path.write_text(yaml.safe_dump({"name": "synth_lasot", "format": "lasot", "sequences": list(names),
                                    "experiments": {"ope": {"protocol": "ope"}}}))
    return load_benchmark(str(path))


@pytest.fixture(scope="module")
def lasot_copy(tmp_path_factory):
    """The synthetic Curtain (full occlusions) and Escape (out of view) in LaSOT's layout, with images."""
    root = tmp_path_factory.mktemp("lasot") / "LaSOT"
    names = write_lasot_copy(load_benchmark("synth"), root, sequences=["Curtain", "Escape"], image_size=(96, 72))
    return root, names


def test_synthetic_lasot_copy_loads_with_its_absent_flags(lasot_copy, tmp_path):
    root, names = lasot_copy
    assert names == {"curtain-1": "Curtain", "escape-1": "Escape"}
    bench = _lasot_benchmark(tmp_path, names)
    dataset = open_dataset(bench, root=root)
    curtain, escape = dataset["curtain-1"], dataset["escape-1"]
    assert (len(curtain), len(escape)) == (160, 150)
    assert curtain.frame_paths[0] == root / "curtain/curtain-1/img/00000001.png"
    occluded = np.array((root / "curtain/curtain-1/full_occlusion.txt").read_text().strip().split(",")) == "1"
    assert occluded.sum() > 0 and np.array_equal(curtain.absent, occluded)
    assert (curtain.groundtruth[occluded] == 0).all()  # fully occluded: 0,0,0,0 as many LaSOT rows
    assert escape.absent.sum() > 0 and (escape.groundtruth[escape.absent, 2:] > 0).all()  # out of view: box kept


def test_lasot_scores_absent_frames_by_convention(lasot_copy, tmp_path):
    """Perfect predictions in the LaSOT toolkit's layout (gzip) and pysot's (plain)."""
    root, names = lasot_copy
    bench = _lasot_benchmark(tmp_path, names)
    dataset = open_dataset(bench, root=root, images=False)
    toolkit = tmp_path / "tracking_results" / "Oracle_tracking_result"
    pysot = tmp_path / "tracking_results" / "Copy"
    toolkit.mkdir(parents=True)
    pysot.mkdir()
    for name in dataset:
        text = (root / name.split("-")[0] / name / "groundtruth.txt").read_bytes()
        (toolkit / f"{name}.txt.gz").write_bytes(gzip.compress(text))
        (pysot / f"{name}.txt").write_bytes(text)
    dirs = find_tracker_dirs([tmp_path / "tracking_results"], bench.name, "ope")
    assert sorted(dirs) == ["Copy", "Oracle"]  # the LaSOT toolkit's <Tracker>_tracking_result folder
    present = {n: 1 - s.absent.mean() for n, s in dataset.items()}
    occluded = {n: ((s.groundtruth[:, 2:] <= 0).any(axis=1)).mean() for n, s in dataset.items()}
    expected = {"official": np.mean([20 / 21 * present[n] for n in dataset]),
                "pysot": np.mean([20 / 21 * present[n] for n in dataset]),
                "got10k": np.mean([20 / 21 * (1 - occluded[n]) for n in dataset])}
    for convention, auc in expected.items():
        report = evaluate(bench, "ope", dataset, dirs, convention, cache=False)
        for tracker in dirs:
            assert report.trackers[tracker].scores["success_auc"] == pytest.approx(auc, abs=1e-12), convention
    assert expected["got10k"] > expected["official"]


def test_lasot_flag_files_are_checked(lasot_copy, tmp_path):
    root, names = lasot_copy
    broken = tmp_path / "LaSOT"
    shutil.copytree(root / "escape", broken / "escape")
    flags = broken / "escape/escape-1/out_of_view.txt"
    flags.write_text(flags.read_text().strip() + ",0\n")
    bench = _lasot_benchmark(tmp_path, ["escape-1"])
    with pytest.raises(DatasetError, match="151 flags, expected 150 flags"):
        open_dataset(bench, root=broken, images=False)
    flags.write_text(flags.read_text().replace("0", "2", 1))
    with pytest.raises(DatasetError, match="'2' that is not 0 or 1"):
        open_dataset(bench, root=broken, images=False)


def test_lasot_annotations_need_their_absent_flags(tmp_path):
    annos = tmp_path / "annos"
    annos.mkdir()
    (annos / "cat-1.txt").write_text("1,1,5,5\n2,2,5,5\n")
    bench = _lasot_benchmark(tmp_path, ["cat-1"])
    with pytest.raises(DatasetError, match="no absent/ folder"):
        open_dataset(bench, annotations=annos, images=False)
    (annos / "absent").mkdir()
    (annos / "absent" / "cat-1.txt").write_text("0\n1\n")
    seq = open_dataset(bench, annotations=annos, images=False)["cat-1"]
    assert seq.absent.tolist() == [False, True] and bench.sequences["cat-1"].folder == "cat/cat-1"


def test_long_synthetic_lasot_sequences_stay_cheap(tmp_path):
    write_lasot_copy(load_benchmark("synth"), tmp_path, sequences=["Storm"], length=2500, images=False)
    bench = load_benchmark(str(tmp_path / "synth_lasot.yaml"))  # the copy's own definition
    seq = open_dataset(bench, root=tmp_path, images=False)["storm-1"]
    assert len(seq) == 2500 and 0 < seq.absent.sum() < 2500


# ----------------------------------------------------------------------------- UAV, NfS layouts; results layouts
def _definition(tmp_path, name, fmt, sequences, **keys):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "format": fmt, "sequences": sequences,
                                    "experiments": {"ope": {"protocol": "ope"}}, **keys}))
    return load_benchmark(str(path))


def _images(folder, numbers, digits):
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / f"{n:0{digits}d}.jpg").write_bytes(b"")


def test_uav_subsequences_share_their_video_folder_and_boundary_frame(tmp_path):
    _images(tmp_path / "data_seq/UAV123/bird1", range(1, 11), 6)
    (tmp_path / "anno/UAV123").mkdir(parents=True)
    (tmp_path / "anno/UAV123/bird1_1.txt").write_text("1,1,4,4\n" * 6)
    (tmp_path / "anno/UAV123/bird1_2.txt").write_text("2,2,4,4\nNaN,NaN,NaN,NaN\n" + "3,3,4,4\n" * 3)
    bench = _definition(tmp_path, "uavtiny", "uav", [
        {"name": "bird1_1", "folder": "bird1", "frames": [1, 6]},
        {"name": "bird1_2", "folder": "bird1", "frames": [6, 10]}], subset="UAV123", result_prefix="uav_")
    dataset = open_dataset(bench, root=tmp_path)
    assert dataset["bird1_1"].frame_paths[-1] == dataset["bird1_2"].frame_paths[0]
    assert dataset["bird1_2"].frame_paths[0].name == "000006.jpg" and dataset["bird1_2"].first_frame == 6
    assert np.isnan(dataset["bird1_2"].groundtruth[1]).all()
    # pytracking's result names (uav_<seq>) are found
    results = tmp_path / "results" / "DiMP"
    results.mkdir(parents=True)
    (results / "uav_bird1_2.txt").write_text("2\t2\t4\t4\n" * 2 + "90\t90\t4\t4\n" * 3)
    (results / "bird1_1.txt").write_text("1,1,4,4\n" * 6)
    for convention, precision in (("got10k", 1 / 4), ("official", 2 / 5)):  # the NaN row: left out / a hit
        report = evaluate(bench, "ope", dataset, {"DiMP": results}, convention, cache=False)
        assert report.trackers["DiMP"].complete
        assert report.trackers["DiMP"].sequences["bird1_2"]["precision_20"] == precision


def test_nfs_vatic_annotation_is_thinned_to_30_fps(tmp_path):
    seq = tmp_path / "NFS" / "bee" / "30"
    _images(seq / "bee", range(1, 6), 5)
    rows = [f"0 {10 + k} 20 {30 + k} 40 {k} 0 0 0 \"bee\"" for k in range(40)]  # 240 fps rows: 8 per image
    (seq / "bee.txt").write_text("\n".join(rows) + "\n")
    bench = _definition(tmp_path, "nfstiny", "nfs", [{"name": "bee", "frames": [1, 5], "anno": "nfs_bee"}])
    gt = open_dataset(bench, root=tmp_path / "NFS")["bee"].groundtruth
    assert gt.tolist() == [[10 + k, 20, 20, 20] for k in (0, 8, 16, 24, 32)]
    (seq / "bee.txt").write_text("\n".join(rows[:6]) + "\n")  # one row more than images: cut, as got10k
    assert len(open_dataset(bench, root=tmp_path / "NFS")["bee"]) == 5
    # pytracking's annotation folder (anno/nfs_<seq>.txt, tab separated) and result names
    (tmp_path / "anno").mkdir()
    (tmp_path / "anno" / "nfs_bee.txt").write_text("10\t20\t20\t20\n" * 5)
    assert len(open_dataset(bench, annotations=tmp_path / "anno", images=False)["bee"]) == 5


def test_long_results_are_cut_only_where_the_definition_says(lasot_copy, tmp_path):
    root, names = lasot_copy
    path = tmp_path / "cut.yaml"
    path.write_text(yaml.safe_dump({"name": "cut", "format": "lasot", "sequences": list(names),
                                    "cut_long_results": ["curtain-1"], "experiments": {"ope": {"protocol": "ope"}}}))
    bench = load_benchmark(str(path))
    dataset = open_dataset(bench, root=root, images=False)
    results = tmp_path / "res" / "Long"
    results.mkdir(parents=True)
    for name in names:
        text = (root / name.split("-")[0] / name / "groundtruth.txt").read_text()
        (results / f"{name}.txt").write_text(text + "1,1,5,5\n")  # one box too many
    result = evaluate(bench, "ope", dataset, {"Long": results}, "official", cache=False).trackers["Long"]
    assert list(result.sequences) == ["curtain-1"]
    assert result.problems == {"escape-1": "escape-1.txt has 151 boxes, the ground truth 150 frames"}


def test_got10k_results_root_is_found_in_any_case(tmp_path):
    tracker = tmp_path / "results" / "LaSOT" / "SiamFC"  # got10k's ExperimentLaSOT layout
    tracker.mkdir(parents=True)
    (tracker / "cat-1.txt").write_text("1,1,5,5\n")
    assert find_tracker_dirs([tmp_path / "results"], "lasot", "ope") == {"SiamFC": tracker}


def test_nfs_equals_got10k_experiment_nfs_on_a_native_copy(tmp_path):
    """got10k 0.1.3's NfS dataset and ExperimentNfS (30 fps) on a native-layout copy of three NfS
    sequences whose VATIC files count 240 fps rows (8x, and 8x less 3) or one row too many."""
    got10k_nfs = pytest.importorskip("got10k.experiments.nfs")
    rng = np.random.default_rng(11)
    root, results = tmp_path / "NFS", tmp_path / "results"
    rows_per_sequence = {"bee": 45 * 8, "yoyo": 67 * 8 - 3, "drone": 71}
    for name, rows in rows_per_sequence.items():
        frames = load_benchmark("nfs").sequences[name].length
        _images(root / name / "30" / name, range(1, frames + 1), 5)
        xy = rng.uniform(10, 200, (rows, 2))
        wh = rng.uniform(8, 60, (rows, 2))
        lines = [f"1 {x:.0f} {y:.0f} {x + w:.0f} {y + h:.0f} {k} 0 0 0 \"thing\"" for k, (x, y, w, h)
                 in enumerate(np.column_stack([xy, wh]))]
        (root / name / "30" / f"{name}.txt").write_text("\n".join(lines) + "\n")
        for tracker in ("A", "B"):
            (results / "NfS/30" / tracker).mkdir(parents=True, exist_ok=True)
            boxes = np.column_stack([rng.uniform(10, 200, (frames, 2)), rng.uniform(8, 60, (frames, 2))])
            np.savetxt(results / "NfS/30" / tracker / f"{name}.txt", boxes, fmt="%.3f", delimiter=",")
    experiment = got10k_nfs.ExperimentNfS(str(root), fps=30, result_dir=str(results),
                                          report_dir=str(tmp_path / "reports"))
    experiment.plot_curves = lambda names: None
    reference = experiment.report(["A", "B"])
    bench = load_benchmark("nfs")
    dataset = open_dataset(bench, root=root, sequences=list(rows_per_sequence))
    ours = evaluate(bench, "ope", dataset, find_tracker_dirs([results / "NfS/30"], "nfs", "ope"), "got10k")
    for tracker in ("A", "B"):
        overall, got = reference[tracker]["overall"], ours.trackers[tracker]
        assert got.complete
        assert got.scores["success_auc"] == pytest.approx(overall["success_score"], abs=1e-12)
        assert got.scores["precision_20"] == pytest.approx(overall["precision_score"], abs=1e-12)
        for seq, per in reference[tracker]["seq_wise"].items():
            assert got.sequences[seq]["success_auc"] == pytest.approx(per["success_score"], abs=1e-12)
