"""Issue 16, several runs: ``rasbench run --runs N`` on OTB-family experiments, where run k's
files go, resuming, reading ours and pytracking's multi-run layouts, and the report's mean
over runs, between-run spread and intervals (sequences carrying their run means)."""
import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import moving_boxes, write_benchmark

from rasbench.cli import main
from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.evaluation import evaluate
from rasbench.metrics import stats as S
from rasbench.results.discovery import find_tracker_dirs


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_run_repeats_ope_beside_the_single_run_layout_and_resumes(otb, tmp_path):
    bench, root, _ = otb
    results = tmp_path / "runs"
    common = ("run", str(bench.path), "-t", "fake_trackers:Jitter", "--root", root, "--results", results, "-q")
    first = invoke(*common, "--runs", 3)
    assert first.exit_code == 0, first.output
    folder = results / bench.name / "jitter" / "ope"
    for name in ("Alpha", "Beta"):  # run 1 exactly where a single run goes, runs 2 and 3 beside it
        assert (folder / f"{name}.txt").is_file() and (folder / "times" / f"{name}_time.txt").is_file()
        for k in (2, 3):
            assert (folder / "runs" / f"{k:03d}" / f"{name}.txt").is_file()
            assert (folder / "runs" / f"{k:03d}" / "times" / f"{name}_time.txt").is_file()
    assert "6 units run, 0 already done" in first.output
    (folder / "runs" / "003" / "Beta.txt").unlink()  # an interrupted run: only it is redone
    again = invoke(*common, "--runs", 3)
    assert again.exit_code == 0 and "1 unit run, 5 already done" in again.output, again.output
    assert "1 unit run, 5 already done" not in invoke(*common, "--runs", 4).output  # a fourth run is added
    data = json.loads(invoke("report", str(bench.path), "--root", root, "--results", results, "-f", "json").output)
    entry = data["trackers"]["jitter"]
    assert entry["runs"] == 4 and len(entry["run_spread"]["success_auc"]["run_scores"]) == 4
    scores = entry["run_spread"]["success_auc"]["run_scores"]
    assert entry["success_auc"] == pytest.approx(np.mean(scores), abs=1e-12)  # the mean over runs
    assert entry["run_spread"]["success_auc"]["run_sd"] == pytest.approx(np.std(scores, ddof=1), abs=1e-12)


@pytest.mark.parametrize("bad, message", [
    (("-e", "tre", "--runs", "2"), "--runs repeats one-run experiments (OPE); TRE runs each sequence"),
    (("--runs", "0"), "--runs"),
])
def test_runs_refused_where_it_does_not_apply(tiny_otb, tmp_path, bad, message):
    bench, root = tiny_otb
    result = invoke("run", str(bench.path), "-t", "identity", "--root", root, "--results", tmp_path / "r", *bad)
    assert result.exit_code == 2 and result.output.count("\n") == 1 and message in result.output, result.output
    assert not (tmp_path / "r").exists()


@pytest.fixture
def eight(tmp_path):
    """8 sequences x 15 frames (ground truth only) and per-run AUC-style boxes: (bench, dataset, root)."""
    sequences = {f"Q{i}": {"frames": [1, 15], "attributes": ["FM"]} for i in range(8)}
    root = tmp_path / "data"
    for i, name in enumerate(sequences):
        (root / name).mkdir(parents=True)
        np.savetxt(root / name / "groundtruth_rect.txt", moving_boxes(15, start=(10.0 + i, 8.0, 20.0, 16.0)),
                   fmt="%g", delimiter=",")
    bench = load_benchmark(str(write_benchmark(tmp_path / "eight.yaml", sequences, name="eight")))
    return bench, open_dataset(bench, root=root, images=False), root


def write_run(folder, dataset, rng, jitter, delimiter=",", fmt="%.3f"):
    folder.mkdir(parents=True, exist_ok=True)
    for name, seq in dataset.items():
        boxes = seq.groundtruth + rng.normal(0, jitter, seq.groundtruth.shape) * [1, 1, 0.2, 0.2]
        np.savetxt(folder / f"{name}.txt", boxes, fmt=fmt, delimiter=delimiter)


def test_pytracking_run_folders_load_as_runs_of_one_tracker(eight, tmp_path):
    """pytracking: <tracker>/<param>_<run:03d>/<seq>.txt, tab separated, integers or floats;
    the same runs in our layout give the same report."""
    bench, dataset, _ = eight
    rng = np.random.default_rng(3)
    theirs, ours = tmp_path / "pytracking" / "dimp", tmp_path / "ours" / "eight" / "dimp50" / "ope"
    for k, jitter in enumerate((1.0, 4.0, 2.0)):
        state = rng.bit_generator.state
        write_run(theirs / f"dimp50_{k:03d}", dataset, rng, jitter, "\t", "%d" if k == 1 else "%.2f")
        rng.bit_generator.state = state
        write_run(ours if k == 0 else ours / "runs" / f"{k + 1:03d}", dataset, rng, jitter, ",",
                  "%d" if k == 1 else "%.2f")
    write_run(theirs / "other", dataset, rng, 1.0)  # a single-run tracker beside them
    dirs = find_tracker_dirs([theirs], "eight", "ope")
    assert dirs == {"dimp50": theirs / "dimp50_000", "other": theirs / "other"}
    rep = evaluate(bench, "ope", dataset, dirs)
    mine = evaluate(bench, "ope", dataset, find_tracker_dirs([tmp_path / "ours"], "eight", "ope"))
    t = rep["dimp50"]
    assert t.complete and t.scores["runs"] == 3 and "runs" not in rep["other"].scores
    assert t.scores == mine["dimp50"].scores and t.intervals == mine["dimp50"].intervals
    # each run's score equals a one-run report of its files (copied out: a folder named
    # <param>_000 beside <param>_001 is read with its siblings)
    alone = []
    for k in range(3):
        copy = shutil.copytree(theirs / f"dimp50_{k:03d}", tmp_path / f"alone{k}")
        alone.append(evaluate(bench, "ope", dataset, {"r": copy}, uncertainty=None)["r"])
    assert t.run_spread["success_auc"]["run_scores"] == pytest.approx([a.scores["success_auc"] for a in alone],
                                                                      abs=1e-12)
    assert t.scores["success_auc"] == pytest.approx(np.mean([a.scores["success_auc"] for a in alone]), abs=1e-12)
    # intervals resample sequences carrying their run means (stats.several_runs)
    per_run = np.array([[a.sequences[s]["success_auc"] for s in dataset] for a in alone]).T  # (S, R)
    terms, spread = S.several_runs(per_run[None])
    ci = S.confidence_intervals(terms, S.Resampling(8, 10_000, 10_000, 0))
    assert (t.intervals["success_auc"].low, t.intervals["success_auc"].high) == pytest.approx(
        (ci.low[0], ci.high[0]), abs=1e-12)
    assert t.run_spread["success_auc"]["run_sd"] == pytest.approx(spread.std[0], abs=1e-12)
    # a run folder without a sequence makes the sequence a problem, never scored from fewer runs
    (theirs / "dimp50_002" / "Q3.txt").unlink()
    t = evaluate(bench, "ope", dataset, dirs, uncertainty=None)["dimp50"]
    assert not t.complete and t.problems == {"Q3": "no result file in run 3 (dimp50_002)"}


@pytest.mark.parametrize(("benchmark", "says"), [
    ("vot2017", "VOT experiments repeat as the benchmark defines (15"),
    ("got10k-val", "GOT-10k experiments repeat as the benchmark defines (3")])
def test_runs_refused_where_the_benchmark_fixes_the_repetitions(tmp_path, benchmark, says):
    result = invoke("run", benchmark, "-t", "identity", "--root", tmp_path / "nowhere", "--results", tmp_path / "r",
                    "--runs", 3)
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert f"--runs: {says} repetitions, one for a deterministic tracker)" in result.output
