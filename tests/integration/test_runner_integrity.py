"""Results credited only to the run that made them: names that cannot leave --results,
the manifest guard (tracker, code, parameters, convention, data) whether or not work
remains, malformed manifests, unwritable results folders, option values, run conventions."""
import errno
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import invoke, write_benchmark, write_otb_sequence

from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import Dataset, open_dataset
from rasbench.errors import ConfigError, ResultsError, TrackerError
from rasbench.evaluation import evaluate
from rasbench.registry import resolve
from rasbench.reports.text import to_dict
from rasbench.results.discovery import find_tracker_dirs
from rasbench.results.otb import read_boxes
from rasbench.results.store import ResultStore
from rasbench.runner import run_experiment


def _run(bench, root, results, tracker, experiment="ope", params=None, sequences=None, **kwargs):
    dataset = open_dataset(bench, root=root, sequences=sequences, experiment=experiment)
    return run_experiment(bench, experiment, dataset, resolve(tracker, params or {}), results, progress=False,
                          **kwargs)


def _one_error_line(result, *fragments):
    """Exit code 2 and exactly one line ``error: ...`` holding every fragment, no traceback."""
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2, result.output
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def _tracker_file(path, name="still", shift=0.0):
    path.write_text(f"class Still:\n    name = {name!r}\n"
                    f"    def init(self, image, box): self.box = [box[0] + {shift}, box[1], box[2], box[3]]\n"
                    "    def update(self, image): return self.box\n")
    return f"{path}:Still"


def _everything_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# --------------------------------------------------------------------------- names (12.3)


def test_results_folder_name_with_path_parts_is_refused(tiny_otb, tmp_path):
    bench, root = tiny_otb
    results = tmp_path / "deep" / "er" / "res"
    before = _everything_under(tmp_path)
    for bad in ("../../../X", "a/b", ".hidden", ""):
        result = invoke("run", bench.path, "-t", "identity", "--root", root, "--results", results, "--name", bad,
                        "-q")
        _one_error_line(result, "results folder name (--name)", "cannot name a file or folder")
    assert _everything_under(tmp_path) == before  # nothing written, inside --results or outside


def test_tracker_class_name_with_path_parts_is_refused(tiny_otb, tmp_path):
    bench, root = tiny_otb
    spec = _tracker_file(tmp_path / "evil.py", name="../../x")
    result = invoke("run", bench.path, "-t", spec, "--root", root, "--results", tmp_path / "res", "-q")
    _one_error_line(result, "its name '../../x' cannot name a file or folder")
    assert not (tmp_path / "res").exists() and not (tmp_path / "x").exists()
    ok = invoke("run", bench.path, "-t", spec, "--name", "fine", "--root", root, "--results", tmp_path / "res", "-q")
    assert ok.exit_code == 0 and (tmp_path / "res/tiny/fine/ope/Alpha.txt").is_file()


@pytest.mark.parametrize("where, bad", [("name", "../../x"), ("experiment", "../ope"), ("sequence", "../../../../SEQ"),
                                        ("sequence", "Seq/One")])
def test_benchmark_yaml_names_with_path_parts_are_refused(tiny_otb, tmp_path, where, bad):
    bench, root = tiny_otb
    data = yaml.safe_load(bench.path.read_text())
    if where == "name":
        data["name"] = bad
    elif where == "experiment":
        data["experiments"] = {bad: {"protocol": "ope"}}
    else:
        table_path = bench.path.parent / "tiny_table.yaml"
        table = yaml.safe_load(table_path.read_text())
        table["sequences"][bad] = table["sequences"].pop("Alpha")
        table_path.write_text(yaml.safe_dump(table))
        data["sequences"] = [bad, "Beta"]
    evil = tmp_path / "evil.yaml"
    evil.write_text(yaml.safe_dump(data))
    label = {"name": "benchmark name", "experiment": "experiment name", "sequence": "sequence name"}[where]
    with pytest.raises(ConfigError, match=re.escape(f"{label} {bad!r} cannot name a file or folder")):
        load_benchmark(str(evil))
    result = invoke("run", evil, "-t", "identity", "--root", root, "--results", tmp_path / "res", "-q")
    _one_error_line(result, "cannot name a file or folder")
    assert not (tmp_path / "res").exists()


def test_result_store_refuses_names_from_anywhere_else(tiny_otb, tmp_path):
    """A sequence name that reached a dataset by another way (an annotation file) is
    still stopped where result paths are made, before anything is written."""
    bench, root = tiny_otb
    dataset = open_dataset(bench, root=root)
    seq = dataset["Alpha"]
    seq.name = "../../../../SEQ"
    smuggled = Dataset("tiny", [seq], "test")
    before = _everything_under(tmp_path)
    with pytest.raises(ResultsError, match="sequence name '../../../../SEQ' cannot name a file or folder"):
        run_experiment(bench, "ope", smuggled, resolve("identity"), tmp_path / "a/b/c/res", progress=False)
    assert _everything_under(tmp_path) == before
    store = ResultStore(tmp_path, "tiny", bench.experiment("ope"))
    with pytest.raises(ResultsError, match="tracker name"):
        store.tracker_dir("../t")
    with pytest.raises(ResultsError, match="benchmark name"):
        ResultStore(tmp_path, "/etc", bench.experiment("ope"))


# --------------------------------------------------------------------------- the manifest guard (12.6)


@pytest.mark.parametrize("change, field", [
    ({"params": {"step": 7}}, "parameters"),
    ({"tracker": "fake_trackers:Faulty"}, "tracker_spec"),
    ({"convention": "got10k"}, "convention"),
])
def test_complete_folder_is_refused_to_a_different_run(tiny_otb, tmp_path, change, field):
    bench, root = tiny_otb
    first = _run(bench, root, tmp_path / "res", "fake_trackers:Drift", params={"step": 1}, name="drift")
    assert first.completed == 2
    before = (tmp_path / "res/tiny/drift/ope/manifest.json").read_text()
    rerun = {"tracker": "fake_trackers:Drift", "params": {"step": 1}, "convention": "official", **change}
    tracker = rerun.pop("tracker")
    with pytest.raises(ResultsError, match=f"holds results made differently \\({field}: "):
        _run(bench, root, tmp_path / "res", tracker, name="drift", **rerun)
    assert (tmp_path / "res/tiny/drift/ope/manifest.json").read_text() == before
    same = _run(bench, root, tmp_path / "res", "fake_trackers:Drift", params={"step": 1}, name="drift")
    assert (same.completed, same.skipped, same.ok) == (0, 2, True)


def test_complete_folder_with_changed_ground_truth_is_refused_by_the_cli(tiny_otb, tmp_path):
    bench, root = tiny_otb
    args = ["run", bench.path, "-t", "identity", "--root", root, "--results", tmp_path / "res", "-q"]
    assert invoke(*args).exit_code == 0
    gt = root / "Alpha" / "groundtruth_rect.txt"
    gt.write_text(gt.read_text().replace("10,8,16,12", "11,8,16,12", 1))
    _one_error_line(invoke(*args), "holds results made differently (data of Alpha changed)")
    shift = invoke("run", bench.path, "-t", "fake_trackers:Drift", "-p", "step=7", "--name", "identity",
                   "--root", root, "--results", tmp_path / "res", "-q")
    _one_error_line(shift, "tracker_spec: 'identity' -> 'fake_trackers:Drift'")


def test_edited_tracker_file_is_not_credited_with_old_results(tiny_otb, tmp_path):
    bench, root = tiny_otb
    spec = _tracker_file(tmp_path / "mine.py")
    assert _run(bench, root, tmp_path / "res", spec, sequences=["Alpha"]).completed == 1
    manifest = json.loads((tmp_path / "res/tiny/still/ope/manifest.json").read_text())
    assert manifest["tracker_code"].startswith("sha256:") and len(manifest["tracker_code"]) == 23
    _tracker_file(tmp_path / "mine.py", shift=3.0)  # the same class, edited
    for sequences in (["Alpha"], None):  # nothing left to do, and one unit left
        with pytest.raises(ResultsError, match="tracker_code: 'sha256:"):
            _run(bench, root, tmp_path / "res", spec, sequences=sequences)
    assert not (tmp_path / "res/tiny/still/ope/Beta.txt").exists()


def test_manifest_without_tracker_code_is_accepted_with_a_warning(tiny_otb, tmp_path, caplog):
    bench, root = tiny_otb
    _run(bench, root, tmp_path / "res", "identity", sequences=["Alpha"])
    path = tmp_path / "res/tiny/identity/ope/manifest.json"
    old = json.loads(path.read_text())
    del old["tracker_code"]  # as rasbench wrote manifests before it recorded code
    path.write_text(json.dumps(old))
    with caplog.at_level(logging.WARNING, logger="rasbench"):
        summary = _run(bench, root, tmp_path / "res", "identity")
    assert summary.completed == 1 and "was made before rasbench recorded tracker code" in caplog.text
    assert json.loads(path.read_text())["tracker_code"] == resolve("identity").code  # recorded from now on


@pytest.mark.parametrize("content, problem", [("[1, 2]", "holds a JSON list, not an object"),
                                              ('{"sequences": 5}', "'sequences' is not an object"),
                                              ("{not json", "cannot be read")])
def test_malformed_manifest_is_named(tiny_otb, tmp_path, content, problem):
    bench, root = tiny_otb
    args = ["run", bench.path, "-t", "identity", "--root", root, "--results", tmp_path / "res", "-q"]
    assert invoke(*args, "-s", "Alpha").exit_code == 0
    (tmp_path / "res/tiny/identity/ope/manifest.json").write_text(content)
    for extra in ((), ("-s", "Alpha")):  # work left, and none
        _one_error_line(invoke(*args, *extra), "manifest.json", problem)
    assert invoke(*args, "--force").exit_code == 0  # --force replaces it


# --------------------------------------------------------------------------- unwritable results (12.13)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_unwritable_results_stop_the_run_with_one_line(tiny_otb, tmp_path, monkeypatch, code):
    bench, root = tiny_otb
    real = os.replace
    written = []

    def failing(src, dst):
        if Path(dst).name != "manifest.json":  # the disk fills up after the manifest
            raise OSError(code, "simulated")
        written.append(dst)
        real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    result = invoke("run", bench.path, "-t", "identity", "-e", "tre", "--root", root,
                    "--results", tmp_path / "res", "-q")
    _one_error_line(result, "cannot write", "Alpha", "simulated")
    assert "continuing" not in result.output and len(written) == 1


def test_results_path_that_is_a_file_is_one_line(tiny_otb, tmp_path):
    bench, root = tiny_otb
    (tmp_path / "res").write_text("not a folder\n")
    for results in (tmp_path / "res", tmp_path / "res" / "below"):
        result = invoke("run", bench.path, "-t", "identity", "--root", root, "--results", results, "-q")
        _one_error_line(result, str(tmp_path / "res"))


# --------------------------------------------------------------------------- option values (12.14, 12.17)


def test_constructor_errors_are_tracker_errors(tiny_otb, tmp_path):
    bench, root = tiny_otb
    with pytest.raises(TrackerError, match="cannot create tracker 'mil'.*ValueError.*nosuchparam"):
        resolve("mil", {"nosuchparam": 1}).create()
    result = invoke("run", bench.path, "-t", "mil", "-p", "nosuchparam=1", "--root", root,
                    "--results", tmp_path / "res", "-q")
    _one_error_line(result, "cannot create tracker 'mil'", "has no field 'nosuchparam'")


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_frame_timeout_must_be_positive_and_finite(tiny_otb, tmp_path, value):
    bench, root = tiny_otb
    result = invoke("run", bench.path, "-t", "identity", "--root", root, "--results", tmp_path / "res",
                    "--frame-timeout", value, "-q")
    _one_error_line(result, "--frame-timeout must be a positive number of seconds")
    with pytest.raises(ConfigError, match="frame_timeout must be a positive number of seconds"):
        _run(bench, root, tmp_path / "res", "identity", frame_timeout=float(value))
    assert not (tmp_path / "res").exists()


# --------------------------------------------------------------------------- run conventions (13.3)


def test_conventions_hand_trackers_the_boxes_their_toolkits_hand(tiny_otb, tmp_path):
    from fake_trackers import Recorder

    bench, root = tiny_otb
    gt = open_dataset(bench, root=root, images=False)["Alpha"].groundtruth
    handed = {}
    for convention in ("official", "got10k", "pysot"):
        Recorder.init_boxes.clear()
        _run(bench, root, tmp_path / convention, "fake_trackers:Recorder", sequences=["Alpha"],
             convention=convention)
        handed[convention] = Recorder.init_boxes[0]
        folder = tmp_path / convention / "tiny/recorder/ope"
        assert json.loads((folder / "manifest.json").read_text())["tracker_boxes"] == \
            {"official": "zero_based", "got10k": "as_annotated", "pysot": "pysot"}[convention]
    assert handed["official"].tolist() == (gt[0] - [1, 1, 0, 0]).tolist()
    assert handed["got10k"].tolist() == gt[0].tolist()  # got10k: the ground-truth numbers themselves
    x, y, w, h = gt[0]
    assert handed["pysot"].tolist() == [x + w / 2 - (w - 1) / 2, y + h / 2 - (h - 1) / 2, w, h]
    line1 = (tmp_path / "got10k/tiny/recorder/ope/Alpha.txt").read_text().splitlines()[0]
    assert line1 == "10.000,8.000,16.000,12.000" and line1.split(",") == [f"{v:.3f}" for v in gt[0]]
    # outputs are written as the tracker returned them (official shifts them back)
    for convention in ("official", "got10k"):
        assert np.array_equal(read_boxes(tmp_path / convention / "tiny/recorder/ope/Alpha.txt")[1], gt[0])
    assert read_boxes(tmp_path / "pysot/tiny/recorder/ope/Alpha.txt")[0].tolist() == handed["pysot"].tolist()


def test_trajectory_sensitive_tracker_differs_between_run_conventions(tmp_path):
    """A tracker that looks at pixels through the box it was handed: one pixel of origin
    moves what it sees, so its whole trajectory depends on the run convention."""
    root = tmp_path / "data"
    gt = np.array([[11.0, 9.0, 8.0, 8.0]] * 12)
    write_otb_sequence(root, "Gamma", gt)
    bench = load_benchmark(str(write_benchmark(tmp_path / "g.yaml", {"Gamma": {"frames": [1, 12]}}, name="g")))
    for convention in ("official", "got10k"):
        _run(bench, root, tmp_path / convention, "fake_trackers:EdgeWalker", convention=convention)
    official = read_boxes(tmp_path / "official/g/edgewalker/ope/Gamma.txt")
    got10k = read_boxes(tmp_path / "got10k/g/edgewalker/ope/Gamma.txt")
    assert np.array_equal(official, np.tile(gt[0], (12, 1)))  # 0-based: the box sits on the target
    assert got10k[0].tolist() == gt[0].tolist() and got10k[-1, 0] == gt[0, 0] + 8  # 1-based: it walks off


def test_report_warns_when_scored_under_another_convention(tiny_otb, tmp_path, caplog):
    bench, root = tiny_otb
    _run(bench, root, tmp_path / "res", "identity", convention="got10k")
    dataset = open_dataset(bench, root=root, images=False)
    dirs = find_tracker_dirs([tmp_path / "res"], "tiny", "ope")
    with caplog.at_level(logging.WARNING, logger="rasbench"):
        official = to_dict(evaluate(bench, "ope", dataset, dirs, "official", cache=False))
    note = "run with convention got10k, scored with official"
    assert any(note in n for n in official["trackers"]["identity"]["notes"]) and note in caplog.text
    same = to_dict(evaluate(bench, "ope", dataset, dirs, "got10k", cache=False))
    assert "notes" not in same["trackers"]["identity"]
    out = subprocess.run([sys.executable, "-m", "rasbench", "report", str(bench.path),
                          "--results", str(tmp_path / "res"), "--root", str(root), "-f", "json"],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, RASBENCH_CACHE=str(tmp_path / "cache")))
    assert out.returncode == 0 and note in json.loads(out.stdout)["trackers"]["identity"]["notes"][0]
    assert [line for line in out.stderr.splitlines() if line.strip()] == [f"WARNING: identity: {note}: the toolkits "
                                                                         "run trackers differently; rerun with "
                                                                         "--convention official to compare like "
                                                                         "with like"]
