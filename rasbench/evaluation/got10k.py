"""The GOT-10k family's scoring: AO, SR0.50, SR0.75 and speed as got10k 0.1.3 computes them.

:mod:`rasbench.metrics.got10k` holds the rules (frame 1 dropped, boxes clipped to the
image, cover > 0 frames, IoUs and times pooled over every frame of every repetition of
every sequence). A sequence without results, with a box file of another length (got10k
asserts the shape) or without ``cover.label`` (the test split: its ground truth is
withheld, so it can only be packed for the server, ``rasbench pack``) is listed under
the tracker's ``problems`` and left out; the tracker is then incomplete.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config.benchmarks import BenchmarkDef
from ..datasets import Dataset
from ..datasets.got10k import VISIBLE
from ..datasets.textio import read_rows, size_bound
from ..errors import DatasetError
from ..geometry.boxes import overlap
from ..geometry.regions import Regions
from ..metrics import got10k as G
from ..results.got10k import GOT10kLayout
from ..results.manifest import run_convention_notes
from ..text import plural
from .model import CurveSpec, Measure, PlotSpec, Report, TrackerResult
from .view import TrackView, boxes_as_regions, place

AO = Measure("ao", "AO", 3, axis_label="Average overlap")
SR50 = Measure("sr50", "SR0.50", 3)
SR75 = Measure("sr75", "SR0.75", 3)
FPS = Measure("fps", "FPS", 1, ranked=False, speed=True)
MEASURES = [AO, SR50, SR75, FPS]


def _sequence(seq, runs: list[Path], times: Path | None) -> tuple[np.ndarray, np.ndarray | None]:
    """(pooled IoUs of the sequence's repetitions, its times or None); DatasetError for a problem."""
    if VISIBLE not in seq.tags:
        raise DatasetError("no cover.label (the ground truth of the test split is withheld: `rasbench pack` it "
                           "for the server)")
    if np.isnan(seq.groundtruth).any():
        raise DatasetError("the ground truth has unknown rows")
    ious = []
    for path in runs:
        boxes = read_rows(path, 4, "box", max_bytes=size_bound(len(seq)))
        if len(boxes) != len(seq):
            raise DatasetError(f"{path.name} has {plural(len(boxes), 'box', 'boxes')}, the ground truth "
                               f"{plural(len(seq), 'frame')}")
        ious.append(G.sequence_ious(boxes, seq.groundtruth, seq.tags[VISIBLE], seq.image_size))
    seq_times = read_rows(times, None, "time", max_bytes=size_bound(len(seq))).reshape(-1) if times is not None \
        else None
    return np.concatenate(ious), seq_times


def _score_tracker(result: TrackerResult, layout: GOT10kLayout, dataset: Dataset) -> TrackerResult:
    all_ious, all_times = [], []
    for name, found in layout.scan(result.folder, list(dataset)).items():
        if isinstance(found, str):
            result.problems[name] = found
            continue
        runs, times = found
        try:
            ious, seq_times = _sequence(dataset[name], runs, times)
        except DatasetError as exc:
            result.problems[name] = str(exc)
            continue
        all_ious.append(ious)
        if seq_times is not None:
            all_times.append(seq_times)
        result.sequences[name] = {**G.pooled_scores(ious), "fps": G.pooled_speed(seq_times) if seq_times is not None
                                  else None, "runs": len(runs)}
    result.scores["scored_sequences"] = len(result.sequences)
    if not all_ious:
        return result
    pooled = np.concatenate(all_ious)
    result.scores.update(G.pooled_scores(pooled), fps=G.pooled_speed(np.concatenate(all_times)) if all_times
                         else None, runs=int(sum(s["runs"] for s in result.sequences.values())))
    result.curves["success_curve"] = G.success_curve(pooled)
    return result


def _presentation(benchmark: BenchmarkDef, experiment: str, dataset: Dataset) -> dict:
    short = benchmark.title.split(" (")[0]
    sequences = plural(len(dataset), "sequence")
    curve = CurveSpec("success_curve", "Success plot", G.SUCCESS_THRESHOLDS, "Overlap threshold", "Success rate",
                      "ao", "lower left")
    return dict(
        measures=MEASURES, primary="ao", headline=tuple(m.key for m in MEASURES),
        counts=("scored_sequences", "seqs"), experiment_label=experiment.upper(), curves=[curve],
        plots=[PlotSpec("success", "curve", f"Success plot of {short} ({sequences})", params={"curve": curve.key}),
               PlotSpec("ranking", "ranking", f"{short} ranking")],
        sequence_measures=MEASURES + [Measure("runs", "runs", 0)], sequence_table=[AO],
        sequence_note="AO per sequence (its repetitions pooled).",
        ranking=[AO, SR50], ranking_title=f"{short} ({sequences})",
        footnotes=["AO, SR and speed pooled over the frames of all repetitions of all sequences (got10k 0.1.3)"])


def cross_plots(benchmark: BenchmarkDef, experiment: str) -> list[tuple[str, str]]:
    """Plots combining ``experiment`` with another: none."""
    return []


def score(benchmark: BenchmarkDef, experiment: str, dataset: Dataset, tracker_dirs: dict[str, Path],
          conv, cache: bool = True, workers: int | None = 1) -> Report:
    """Score every tracker folder on a GOT-10k experiment.

    ``cache`` and ``workers`` are unused: one pass over small files."""
    layout = GOT10kLayout(benchmark.experiment(experiment))
    trackers = {}
    for name, folder in tracker_dirs.items():
        result = _score_tracker(TrackerResult(name, Path(folder)), layout, dataset)
        result.notes += run_convention_notes(name, folder, conv.name)
        trackers[name] = result
    return Report(benchmark, experiment, "got10k", conv, dataset, trackers=trackers,
                  **_presentation(benchmark, experiment, dataset))


def run_count(benchmark: BenchmarkDef, experiment: str, sequence) -> int:
    """How many repetitions ``experiment`` makes of a sequence, at most."""
    return benchmark.experiment(experiment).settings.repetitions


def view_run(benchmark: BenchmarkDef, experiment: str, sequence, folder: Path, run: int) -> TrackView:
    """Repetition ``run`` of ``sequence`` in ``folder`` for the viewer, with its IoU per frame."""
    n = len(sequence)
    path = GOT10kLayout(benchmark.experiment(experiment)).unit_files(Path(folder), sequence.name, run).boxes
    if not path.is_file():
        return TrackView.missing(n, f"no result file for {sequence.name} (run {run})")
    try:
        regions = boxes_as_regions(read_rows(path, 4, "box"), sequence.origin)
    except DatasetError as exc:
        return TrackView.missing(n, f"{path.name}: {exc}")
    regions, problem = place(regions, n, n, path.name, at_end=True)
    boxes = np.where(np.isfinite(regions.coords[:, :4]).all(axis=1)[:, None], regions.coords[:, :4], np.nan)
    return TrackView(regions, np.asarray(overlap(boxes, sequence.groundtruth), dtype=float), np.full(n, -1), problem)


def groundtruth_regions(sequence) -> Regions:
    """The ground truth as 0-based regions (what the viewer draws)."""
    return boxes_as_regions(sequence.groundtruth, sequence.origin)
