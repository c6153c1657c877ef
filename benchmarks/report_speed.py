"""Scoring speed: rasbench's OTB-2015 report vs got10k's, same inputs, one process.

Inputs: every tracker folder in ../shared/data/otb/results (18 trackers x 100 sequences,
about a million boxes) and the OTB-100 ground truth (pysot's OTB100.json).

got10k 0.1.3's ExperimentOTB is built without its constructor (which would download
OTB) and given a dataset object that, like got10k's own OTB class, reads the sequence's
annotation file with np.loadtxt on every access, but does not glob the image folder,
so got10k is timed slightly faster than it really is. Its report() also draws two
plots; both timings are shown. rasbench is timed cold (empty run-score cache: every
file parsed and scored) and warm (a repeated report, cache valid), under the got10k
convention so the numbers can be checked against got10k's.

    python benchmarks/report_speed.py [--shared-data DIR] [--repeat N]
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


class Got10kStyleDataset:
    """What ExperimentOTB.report reads: seq_names, dataset[i] -> (img_files, anno), len."""

    def __init__(self, names, anno_dir: Path):
        self.seq_names = list(names)
        self.anno_dir = anno_dir

    def __getitem__(self, index):
        with open(self.anno_dir / f"{self.seq_names[index]}.txt") as f:  # as got10k's OTB.__getitem__
            anno = np.loadtxt(io.StringIO(f.read().replace(",", " ")))
        return [], anno

    def __len__(self):
        return len(self.seq_names)


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results_dir = args.shared_data / "otb" / "results"
    annotations = args.shared_data / "otb" / "annotations" / "OTB100.json"
    if not annotations.is_file():
        raise SystemExit(f"shared data not found at {args.shared_data}")

    import pandas  # noqa: F401  (imported by rasbench's bulk parser; load it outside the timers)
    from got10k.experiments import ExperimentOTB

    from rasbench.config.benchmarks import load_benchmark
    from rasbench.datasets import open_dataset
    from rasbench.evaluation import evaluate
    from rasbench.results.discovery import find_tracker_dirs

    bench = load_benchmark("otb2015")
    trackers = sorted(p.name for p in results_dir.iterdir() if p.is_dir())
    work = Path(tempfile.mkdtemp(prefix="rasbench-speed-"))
    anno_dir = work / "anno"
    anno_dir.mkdir()
    dataset = open_dataset(bench, annotations=annotations, images=False)
    for name, seq in dataset.items():
        np.savetxt(anno_dir / f"{name}.txt", seq.groundtruth, fmt="%g", delimiter=",")

    def got10k_report(plots: bool):
        experiment = ExperimentOTB.__new__(ExperimentOTB)
        experiment.dataset = Got10kStyleDataset(dataset, anno_dir)
        experiment.result_dir, experiment.report_dir = str(results_dir), str(work / "reports")
        experiment.nbins_iou, experiment.nbins_ce = 21, 51
        if not plots:
            experiment.plot_curves = lambda names: None
        return experiment.report(trackers)

    def rasbench_report():
        ds = open_dataset(bench, annotations=annotations, images=False)
        return evaluate(bench, "ope", ds, find_tracker_dirs([results_dir], "otb2015", "ope", trackers), "got10k")

    import contextlib

    with contextlib.redirect_stdout(io.StringIO()):
        g_plots, _ = timed(lambda: got10k_report(True), args.repeat)
        g_score, reference = timed(lambda: got10k_report(False), args.repeat)
    colds = []
    for i in range(args.repeat):
        os.environ["RASBENCH_CACHE"] = str(work / f"cache-cold-{i}")
        t, _ = timed(rasbench_report, 1)
        colds.append(t)
    cold = statistics.median(colds)
    warm, ours = timed(rasbench_report, args.repeat)

    worst = max(abs(ours.trackers[n].overall.success_auc - reference[n]["overall"]["success_score"]) for n in trackers)
    frames = sum(len(s) for s in dataset.values()) * len(trackers)
    print(f"inputs: {len(trackers)} trackers x {len(dataset)} sequences, {frames:,} boxes; median of {args.repeat}")
    print(f"{'':34s}{'seconds':>9s}{'rasbench cold':>15s}{'rasbench warm':>15s}")
    for label, t in (("got10k report() (with its plots)", g_plots), ("got10k scoring only (no plots)", g_score)):
        print(f"{label:34s}{t:9.3f}{t / cold:14.1f}x{t / warm:14.1f}x")
    print(f"{'rasbench cold (nothing cached)':34s}{cold:9.3f}")
    print(f"{'rasbench warm (repeated report)':34s}{warm:9.3f}")
    print(f"largest |AUC difference| vs got10k: {worst:.2e}")


if __name__ == "__main__":
    main()
