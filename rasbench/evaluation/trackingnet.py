"""The TrackingNet family's scoring: the devkit's coverage, success, precision and
normalised precision (:mod:`rasbench.metrics.trackingnet`), for sequences whose whole
ground truth the user holds (a held-out part of the training set).

As the devkit (and so the server) does, a missing result file scores as zero boxes and a
short one as failures on the frames it lacks, and both count in the averages; such a
sequence is also listed under the tracker's ``problems`` (the tracker is incomplete), so
the numbers are the server's and the report says why they are low. A file that does not
parse, or a sequence whose ground truth is only its first box (the test split), is a
problem and is left out.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config.benchmarks import BenchmarkDef
from ..datasets import Dataset
from ..datasets.textio import read_rows, size_bound
from ..errors import DatasetError
from ..metrics import trackingnet as T
from ..results.manifest import run_convention_notes
from ..results.otb import read_boxes
from ..results.trackingnet import TrackingNetLayout
from ..text import plural
from .got10k import groundtruth_regions
from .model import CurveSpec, Measure, PlotSpec, Report, TrackerResult
from .view import TrackView, boxes_as_regions, place

SUCCESS = Measure("success", "Success", 2, axis_label="Success (%)")
PRECISION = Measure("precision", "Prec.", 2)
NORM_PRECISION = Measure("norm_precision", "N-Prec.", 2)
COVERAGE = Measure("coverage", "Cov.", 2, ranked=False)
MEASURES = [SUCCESS, PRECISION, NORM_PRECISION, COVERAGE]

__all__ = ["score", "cross_plots", "run_count", "view_run", "groundtruth_regions"]


def _score_tracker(result: TrackerResult, layout: TrackingNetLayout, benchmark: BenchmarkDef,
                   dataset: Dataset) -> TrackerResult:
    specs = {s: benchmark.sequences[s] for s in dataset}
    scan = layout.scan(result.folder, specs, {s: [len(seq)] for s, seq in dataset.items()})
    found = {run.sequence: run.boxes for run in scan.runs}
    curves = []
    for name, seq in dataset.items():
        if np.isnan(seq.groundtruth).any():
            result.problems[name] = "the ground truth has unknown rows (the test split is scored by the server: " \
                                    "`rasbench pack` it)"
            continue
        boxes = None
        path = found.get(name)
        if path is None:
            result.problems[name] = "no result file (scored as zero boxes, as the devkit does)"
        else:
            try:
                boxes = read_rows(path, 4, "box", max_bytes=size_bound(len(seq)))
            except DatasetError as exc:
                result.problems[name] = str(exc)
                continue
            if len(boxes) != len(seq):
                result.problems[name] = (f"{path.name} has {plural(len(boxes), 'box', 'boxes')}, the ground truth "
                                         f"{plural(len(seq), 'frame')} (scored as the devkit does)")
        c = T.sequence_curves(seq.groundtruth, boxes)
        curves.append(c)
        result.sequences[name] = {"success": T.area(c.success), "precision": T.area(c.precision),
                                  "norm_precision": T.area(c.norm_precision),
                                  "coverage": float(100 * c.covered.mean())}
    result.scores["scored_sequences"] = len(curves)
    if curves:
        overall = T.overall(curves)
        result.scores.update({m.key: overall[m.key] for m in MEASURES})
        result.curves = {f"{key}_curve": curve for key, curve in overall["curves"].items()}
    return result


def _presentation(benchmark: BenchmarkDef, experiment: str, dataset: Dataset) -> dict:
    short = benchmark.title.split(" (")[0]
    sequences = plural(len(dataset), "sequence")
    curves = [CurveSpec("success_curve", "Success plot", T.SUCCESS_THRESHOLDS, "Overlap threshold", "Success rate",
                        "success", "lower left"),
              CurveSpec("precision_curve", "Precision plot", T.PRECISION_THRESHOLDS,
                        "Location error threshold (pixels)", "Precision", "precision", "lower right"),
              CurveSpec("norm_precision_curve", "Normalised precision plot", T.NORM_PRECISION_THRESHOLDS,
                        "Normalised location error threshold", "Precision", "norm_precision", "lower right")]
    return dict(
        measures=MEASURES, primary="success", headline=tuple(m.key for m in MEASURES),
        counts=("scored_sequences", "seqs"), experiment_label=experiment.upper(), curves=curves,
        plots=[PlotSpec(c.key.removesuffix("_curve"), "curve", f"{c.title} of {short} ({sequences})",
                        params={"curve": c.key}) for c in curves]
        + [PlotSpec("ranking", "ranking", f"{short} ranking")],
        sequence_measures=MEASURES, sequence_table=[SUCCESS], sequence_note="Success (%) per sequence.",
        ranking=[SUCCESS, NORM_PRECISION], ranking_title=f"{short} ({sequences})",
        footnotes=["TrackingNet devkit: percentages; success, precision and normalised precision are trapezoid "
                   "areas of their 21-point curves over [0, 1]"])


def cross_plots(benchmark: BenchmarkDef, experiment: str) -> list[tuple[str, str]]:
    """Plots combining ``experiment`` with another: none."""
    return []


def score(benchmark: BenchmarkDef, experiment: str, dataset: Dataset, tracker_dirs: dict[str, Path],
          conv, cache: bool = True, workers: int | None = 1) -> Report:
    """Score every tracker folder on a TrackingNet experiment.

    ``cache`` and ``workers`` are unused: one pass over small files."""
    layout = TrackingNetLayout(benchmark.experiment(experiment))
    trackers = {}
    for name, folder in tracker_dirs.items():
        result = _score_tracker(TrackerResult(name, Path(folder)), layout, benchmark, dataset)
        result.notes += run_convention_notes(name, folder, conv.name)
        trackers[name] = result
    return Report(benchmark, experiment, "trackingnet", conv, dataset, trackers=trackers,
                  **_presentation(benchmark, experiment, dataset))


def run_count(benchmark: BenchmarkDef, experiment: str, sequence) -> int:
    """One run per sequence."""
    return 1


def view_run(benchmark: BenchmarkDef, experiment: str, sequence, folder: Path, run: int) -> TrackView:
    """The run of ``sequence`` in ``folder`` for the viewer, with its devkit IoU per frame."""
    n = len(sequence)
    spec = benchmark.sequences.get(sequence.name)
    path = TrackingNetLayout(benchmark.experiment(experiment)).run_path(Path(folder), spec, 1) if spec else None
    if path is None:
        return TrackView.missing(n, f"no result file for {sequence.name}")
    try:
        regions = boxes_as_regions(read_boxes(path), sequence.origin)
    except DatasetError as exc:
        return TrackView.missing(n, f"{path.name}: {exc}")
    regions, problem = place(regions, n, n, path.name, at_end=True)
    return TrackView(regions, np.full(n, np.nan), np.full(n, -1), problem)
