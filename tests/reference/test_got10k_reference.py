"""Under --convention got10k, rasbench reproduces got10k 0.1.3's ExperimentOTB exactly.

got10k's OTB dataset class downloads on construction and accepts only its own sequence
lists, so the experiment is built without its constructor and handed a local dataset
object serving the same ground truth (pysot's OTB100.json) and the same result files.
"""
import os
import shutil

import numpy as np
import pytest

got10k_experiments = pytest.importorskip("got10k.experiments")

from rasbench.config.benchmarks import load_benchmark  # noqa: E402
from rasbench.datasets import open_dataset  # noqa: E402
from rasbench.evaluation import evaluate  # noqa: E402
from rasbench.results.discovery import find_tracker_dirs  # noqa: E402

# TLD returns NaN boxes, SiamRPN a corner-format first line, ATOM integer boxes.
TRACKERS = ["KCF", "MUSTer", "TLD", "SiamRPN", "ATOM", "DSST"]


class LocalDataset:
    """The part of got10k's OTB dataset its experiment uses: names, (files, anno), len."""

    def __init__(self, dataset):
        self.seq_names = list(dataset)
        self._anno = [dataset[name].groundtruth.copy() for name in self.seq_names]

    def __getitem__(self, index):
        if isinstance(index, str):
            index = self.seq_names.index(index)
        return [f"{i:04d}.jpg" for i in range(len(self._anno[index]))], self._anno[index].copy()

    def __len__(self):
        return len(self.seq_names)


@pytest.fixture(scope="module")
def inputs(shared_data, tmp_path_factory):
    """Result folders in got10k's layout, with per-frame time files for two trackers."""
    root = tmp_path_factory.mktemp("got10k") / "results"
    rng = np.random.default_rng(7)
    for name in TRACKERS:
        shutil.copytree(shared_data / "otb/results" / name, root / name)
    bench = load_benchmark("otb2015")
    dataset = open_dataset(bench, annotations=shared_data / "otb/annotations/OTB100.json", images=False)
    for name in ("KCF", "TLD"):
        (root / name / "times").mkdir()
        for seq in dataset.values():
            times = rng.uniform(0.001, 0.05, len(seq))
            times[rng.integers(len(seq))] = 0.0  # got10k skips t <= 0
            np.savetxt(root / name / "times" / f"{seq.name}_time.txt", times, fmt="%.8f")
    return bench, dataset, root


def test_identical_to_got10k(inputs, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    bench, dataset, root = inputs
    experiment = got10k_experiments.ExperimentOTB.__new__(got10k_experiments.ExperimentOTB)
    experiment.dataset = LocalDataset(dataset)
    experiment.result_dir = str(root)
    experiment.report_dir = str(tmp_path / "reports")
    experiment.nbins_iou, experiment.nbins_ce = 21, 51
    reference = experiment.report(TRACKERS)

    ours = evaluate(bench, "ope", dataset, find_tracker_dirs([root], "otb2015", "ope", TRACKERS), "got10k")
    for name in TRACKERS:
        ref, got = reference[name], ours.trackers[name]
        assert got.complete
        overall = ref["overall"]
        assert abs(got.overall.success_auc - overall["success_score"]) <= 1e-9
        assert abs(got.overall.precision_20 - overall["precision_score"]) <= 1e-9
        assert abs(got.overall.success_rate_50 - overall["success_rate"]) <= 1e-9
        assert np.max(np.abs(got.overall.success_curve - overall["success_curve"])) <= 1e-9
        assert np.max(np.abs(got.overall.precision_curve - overall["precision_curve"])) <= 1e-9
        if overall["speed_fps"] > 0:
            assert abs(got.fps - overall["speed_fps"]) <= 1e-9 * overall["speed_fps"]
        else:
            assert got.fps is None
        for seq, per in ref["seq_wise"].items():
            assert abs(got.sequences[seq]["success_auc"] - per["success_score"]) <= 1e-9, (name, seq)
            assert abs(got.sequences[seq]["precision_20"] - per["precision_score"]) <= 1e-9, (name, seq)


def test_rasbench_tracker_runs_inside_got10k(tiny_otb, tmp_path):
    """The other direction: a rasbench tracker as a got10k Tracker."""
    from rasbench.adapters.got10k import to_got10k

    bench, root = tiny_otb
    seq = open_dataset(bench, root=root)["Alpha"]
    tracker = to_got10k("identity")
    boxes, times = tracker.track([str(p) for p in seq.frame_paths], seq.groundtruth[0])
    assert tracker.name == "identity" and len(boxes) == len(seq)
    assert np.array_equal(boxes[-1], seq.groundtruth[0])


def test_got10k_tracker_runs_inside_rasbench(tiny_otb, tmp_path):
    from got10k.trackers import IdentityTracker

    from rasbench.registry import resolve
    from rasbench.runner import run_experiment

    bench, root = tiny_otb
    spec = resolve("got10k.trackers:IdentityTracker")
    tracker = spec.create()
    assert type(tracker).__name__ == "FromGot10k" and isinstance(tracker.inner, IdentityTracker)
    summary = run_experiment(bench, "ope", open_dataset(bench, root=root), spec, tmp_path / "res", progress=False)
    assert summary.ok and summary.tracker == "IdentityTracker"
    assert os.path.exists(tmp_path / "res/tiny/IdentityTracker/ope/Alpha.txt")
