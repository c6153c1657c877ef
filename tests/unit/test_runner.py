"""The runner end to end on tiny OTB-layout sequences: files, coordinates, resume, faults."""
import json
import re

import numpy as np
import pytest
from fake_trackers import Recorder

from rasbench.datasets import open_dataset
from rasbench.errors import ResultsError
from rasbench.evaluation import evaluate
from rasbench.registry import resolve
from rasbench.results.discovery import find_tracker_dirs
from rasbench.results.otb import read_boxes
from rasbench.runner import run_experiment


def _run(bench, root, results, tracker, experiment="ope", **kwargs):
    params = kwargs.pop("params", {})
    dataset = open_dataset(bench, root=root, sequences=kwargs.pop("sequences", None))
    return run_experiment(bench, experiment, dataset, resolve(tracker, params), results, progress=False, **kwargs)


def test_ope_layout_and_first_line(tiny_otb, tmp_path):
    bench, root = tiny_otb
    summary = _run(bench, root, tmp_path / "res", "identity")
    assert summary.ok and summary.completed == 2
    folder = tmp_path / "res" / "tiny" / "identity" / "ope"
    alpha, beta = read_boxes(folder / "Alpha.txt"), read_boxes(folder / "Beta.txt")
    assert len(alpha) == 30 and len(beta) == 22  # Beta's initOmit [3, 4] moves its OPE start to frame 5
    gt = open_dataset(bench, root=root)["Beta"].groundtruth
    assert np.array_equal(beta[0], gt[2]) and np.array_equal(beta[-1], gt[2])
    times = np.loadtxt(folder / "times" / "Alpha_time.txt")
    assert len(times) == 30 and (times >= 0).all()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tracker_spec"] == "identity" and manifest["convention"] == "official"
    assert sorted(manifest["sequences"]) == ["Alpha", "Beta"] and len(manifest["sequences"]["Alpha"]) == 16


def test_trackers_get_zero_based_boxes_and_results_stay_native(tiny_otb, tmp_path):
    bench, root = tiny_otb
    Recorder.init_boxes.clear()
    _run(bench, root, tmp_path / "res", "fake_trackers:Recorder", sequences=["Alpha"])
    gt = open_dataset(bench, root=root)["Alpha"].groundtruth
    assert np.array_equal(Recorder.init_boxes[0], gt[0] - [1, 1, 0, 0])
    saved = read_boxes(tmp_path / "res/tiny/recorder/ope/Alpha.txt")
    assert np.allclose(saved, gt[0], atol=5e-4)  # dict output with a confidence is accepted


def test_pixel_tracker_scores_near_perfect(tiny_otb, tmp_path):
    bench, root = tiny_otb
    _run(bench, root, tmp_path / "res", "fake_trackers:BrightBox")
    _run(bench, root, tmp_path / "res", "identity")
    dataset = open_dataset(bench, root=root, images=False)
    rep = evaluate(bench, "ope", dataset, find_tracker_dirs([tmp_path / "res"], "tiny", "ope"))
    best, floor = rep.trackers["brightbox"], rep.trackers["identity"]
    assert best.overall.precision_20 == 1.0 and best.overall.success_auc > 0.85
    assert floor.overall.success_auc < best.overall.success_auc - 0.2
    assert rep.ranked()[0].name == "brightbox"


def test_progress_bar_names_the_unit_being_run(tiny_otb, tmp_path, capsys):
    bench, root = tiny_otb
    dataset = open_dataset(bench, root=root)
    run_experiment(bench, "ope", dataset, resolve("fake_trackers:Announcer"), tmp_path / "res", progress=True)
    chunks = capsys.readouterr().err.split("<init>")[:-1]  # what was on screen before each sequence began
    assert len(chunks) == 2
    shown = [re.findall(r"running ([^(]+?) \(", chunk)[-1] for chunk in chunks]
    assert shown == ["Alpha", "Beta"]


def test_resume_skips_finished_units(tiny_otb, tmp_path):
    bench, root = tiny_otb
    first = _run(bench, root, tmp_path / "res", "identity", sequences=["Alpha"])
    assert first.completed == 1
    second = _run(bench, root, tmp_path / "res", "identity")
    assert (second.completed, second.skipped) == (1, 1)
    again = _run(bench, root, tmp_path / "res", "identity")
    assert (again.completed, again.skipped) == (0, 2)
    forced = _run(bench, root, tmp_path / "res", "identity", force=True)
    assert forced.completed == 2


def test_crash_is_recorded_with_the_frame_and_the_run_continues(tiny_otb, tmp_path):
    bench, root = tiny_otb
    summary = _run(bench, root, tmp_path / "res", "fake_trackers:Faulty", params={"fail_at": 4})
    assert [f.sequence for f in summary.failures] == ["Alpha", "Beta"]
    assert summary.failures[0].frame == 5 and summary.failures[1].frame == 9  # Beta starts at frame 5
    record = json.loads((tmp_path / "res/tiny/faulty/ope/Alpha.error.json").read_text())
    assert "simulated crash" in record["error"] and "frame 5" in record["error"]
    assert not (tmp_path / "res/tiny/faulty/ope/Alpha.txt").exists()
    dataset = open_dataset(bench, root=root, images=False)
    rep = evaluate(bench, "ope", dataset, find_tracker_dirs([tmp_path / "res"], "tiny", "ope"))
    assert rep.trackers["faulty"].overall is None
    assert "simulated crash" in rep.trackers["faulty"].problems["Alpha"]


def test_failed_unit_is_retried_and_its_error_record_removed(tiny_otb, tmp_path):
    bench, root = tiny_otb
    _run(bench, root, tmp_path / "res", "fake_trackers:Faulty", name="f", params={"fail_at": 4, "fail_on_height": 48})
    folder = tmp_path / "res/tiny/f/ope"
    assert (folder / "Alpha.error.json").exists()
    with pytest.raises(ResultsError, match="parameters"):
        _run(bench, root, tmp_path / "res", "fake_trackers:Faulty", name="f", params={"fail_at": 1000})
    rerun = _run(bench, root, tmp_path / "res", "fake_trackers:Faulty", name="f", force=True, params={"fail_at": 1000})
    assert rerun.ok and not (folder / "Alpha.error.json").exists()


def test_nan_and_negative_boxes_are_stored_as_returned_and_repaired_when_scored(tiny_otb, tmp_path):
    bench, root = tiny_otb
    summary = _run(bench, root, tmp_path / "res", "fake_trackers:BadBoxes", sequences=["Alpha"])
    assert summary.ok and "2 frames (4, 6)" in summary.warnings[0]
    saved = read_boxes(tmp_path / "res/tiny/badboxes/ope/Alpha.txt")
    assert np.isnan(saved[3]).all() and saved[5, 2] == -4
    _run(bench, root, tmp_path / "res", "identity", sequences=["Alpha"])
    dataset = open_dataset(bench, root=root, images=False, sequences=["Alpha"])
    rep = evaluate(bench, "ope", dataset, find_tracker_dirs([tmp_path / "res"], "tiny", "ope"))
    # official repair replaces both bad boxes by the previous one: same as the identity tracker
    assert rep.trackers["badboxes"].overall.success_auc == rep.trackers["identity"].overall.success_auc
    g10 = evaluate(bench, "ope", dataset, find_tracker_dirs([tmp_path / "res"], "tiny", "ope"), "got10k")
    assert g10.trackers["badboxes"].overall.success_auc < g10.trackers["identity"].overall.success_auc


def test_output_that_is_not_a_box_names_the_frame(tiny_otb, tmp_path):
    bench, root = tiny_otb
    summary = _run(bench, root, tmp_path / "res", "fake_trackers:NotABox", sequences=["Alpha"])
    assert summary.failures[0].frame == 2 and "not a box" in summary.failures[0].message


def test_manifest_guards_against_mixing_parameters(tiny_otb, tmp_path):
    bench, root = tiny_otb
    _run(bench, root, tmp_path / "res", "fake_trackers:Drift", sequences=["Alpha"], params={"step": 1})
    with pytest.raises(ResultsError, match="step"):
        _run(bench, root, tmp_path / "res", "fake_trackers:Drift", params={"step": 2})
    ok = _run(bench, root, tmp_path / "res", "fake_trackers:Drift", params={"step": 2}, name="drift-2")
    assert ok.completed == 2


def test_manifest_guards_against_mixing_weights_at_the_same_path(tiny_otb, tmp_path):
    """Other weights under the same file name are other results: the parameters agree, the
    weights' digest (describe()) does not."""
    bench, root = tiny_otb
    weights = tmp_path / "net.pt"
    weights.write_bytes(b"first network")
    _run(bench, root, tmp_path / "res", "fake_trackers:Weighted", sequences=["Alpha"], params={"weights": str(weights)})
    weights.write_bytes(b"second network")
    for sequences in (["Alpha"], None):  # nothing left to run, or Beta still to run
        with pytest.raises(ResultsError, match="weights_sha256"):
            _run(bench, root, tmp_path / "res", "fake_trackers:Weighted", params={"weights": str(weights)},
                 sequences=sequences)
    again = _run(bench, root, tmp_path / "res", "fake_trackers:Weighted", params={"weights": str(weights)},
                 force=True)
    assert again.completed == 2


def test_tre_and_sre_units(tiny_otb, tmp_path):
    bench, root = tiny_otb
    tre = _run(bench, root, tmp_path / "res", "identity", experiment="tre")
    sre = _run(bench, root, tmp_path / "res", "identity", experiment="sre")
    # splitSeqTRE on short sequences: floor(1:E/19:E) has fewer than 19 distinct values;
    # Alpha (30 frames) gets 19 segments, Beta (24 frames, 2 omitted) 14.
    assert tre.completed == 19 + 14 and sre.completed == 24
    folder = tmp_path / "res/tiny/identity/tre/Alpha"
    lengths = sorted(len(read_boxes(folder / f"Alpha_{k:03d}.txt")) for k in range(1, 20))
    assert lengths[0] == 20 and lengths[-1] == 30  # the last segment keeps 20 frames
    assert (folder / "Alpha_001_time.txt").exists()
    sre_first = read_boxes(tmp_path / "res/tiny/identity/sre/Beta/Beta_001.txt")[0]  # 'left'
    gt = open_dataset(bench, root=root, images=False)["Beta"].groundtruth[2]
    assert sre_first.tolist() == [gt[0] - 1, gt[1], gt[2], gt[3]]  # ceil(0.1 * 10) = 1
    dataset = open_dataset(bench, root=root, images=False)
    for exp in ("tre", "sre"):
        rep = evaluate(bench, exp, dataset, find_tracker_dirs([tmp_path / "res"], "tiny", exp))
        assert rep.trackers["identity"].complete and 0 < rep.trackers["identity"].overall.success_auc < 1


def test_interrupted_run_leaves_no_partial_file_and_resumes(tiny_otb, tmp_path):
    from fake_trackers import Interrupted

    bench, root = tiny_otb
    Interrupted.sequences_seen = 0
    with pytest.raises(KeyboardInterrupt):
        _run(bench, root, tmp_path / "res", "fake_trackers:Interrupted")
    folder = tmp_path / "res/tiny/interrupted/ope"
    assert (folder / "Alpha.txt").is_file() and not (folder / "Beta.txt").exists()
    assert not [p for p in folder.rglob("*") if p.suffix == ".tmp"]  # no temporary leftovers
    resumed = _run(bench, root, tmp_path / "res", "fake_trackers:Interrupted")
    assert (resumed.completed, resumed.skipped) == (1, 1) and (folder / "Beta.txt").is_file()


def test_changed_data_is_refused(tiny_otb, tmp_path):
    bench, root = tiny_otb
    _run(bench, root, tmp_path / "res", "identity", sequences=["Alpha"])
    gt = root / "Alpha" / "groundtruth_rect.txt"
    gt.write_text(gt.read_text().replace("10,8,16,12", "11,8,16,12", 1))
    with pytest.raises(ResultsError, match="data of Alpha changed"):
        _run(bench, root, tmp_path / "res", "identity", force=False, sequences=["Beta", "Alpha"])


def test_trackers_can_ask_for_frame_paths(tiny_otb, tmp_path):
    from fake_trackers import PathReader

    bench, root = tiny_otb
    PathReader.paths.clear()
    _run(bench, root, tmp_path / "res", "fake_trackers:PathReader", sequences=["Alpha"])
    assert PathReader.paths[0].endswith("Alpha/img/0001.jpg") and len(PathReader.paths) == 30
