"""The OTB family's scoring: success and precision (OPE, TRE, SRE), per attribute and per sequence.

Loading is tolerant of other toolkits' naming (:mod:`rasbench.results.otb`); scoring is
strict: a result file whose length does not match the ground truth, or that cannot be
parsed, is listed under the tracker's ``problems`` and left out, and the tracker is
marked incomplete, never silently scored over a different set of frames. Run scores are
cached (:mod:`~rasbench.evaluation.cache`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config.benchmarks import BenchmarkDef
from ..config.conventions import PRECISION_THRESHOLDS, OTBConvention, otb_convention
from ..datasets import Dataset
from ..datasets.textio import RefusedFile
from ..errors import DatasetError
from ..fingerprint import file_key, rows_digest
from ..geometry.boxes import overlap
from ..geometry.regions import RECTANGLE, SPECIAL, Regions
from ..metrics import otb as M
from ..protocols.otb import expected_lengths
from ..results.manifest import run_convention_notes
from ..results.otb import OTBLayout, RunFiles, read_boxes, read_runs
from ..text import plural
from .cache import RunScore, RunScoreCache
from .model import CurveSpec, Measure, PlotSpec, Report, Scores, TrackerResult
from .view import TrackView, boxes_as_regions, place

SUCCESS_AUC = Measure("success_auc", "AUC", 3, axis_label="Success AUC")
PRECISION_20 = Measure("precision_20", "P@20", 3, axis_label="Precision @20px")
MEASURES = [SUCCESS_AUC, PRECISION_20, Measure("norm_precision_20", "NP@20", 3),
            Measure("success_rate_50", "SR@0.5", 3), Measure("fps", "FPS", 1, ranked=False, speed=True)]

# The OTB attribute names, for benchmark definitions that do not name them.
ATTRIBUTE_NAMES = {"IV": "illumination variation", "OPR": "out-of-plane rotation", "SV": "scale variation",
                   "OCC": "occlusion", "DEF": "deformation", "MB": "motion blur", "FM": "fast motion",
                   "IPR": "in-plane rotation", "OV": "out of view", "BC": "background clutter",
                   "LR": "low resolution"}


def _scores(curves: M.Curves, rows, drop_empty: bool) -> Scores:
    """The headline numbers and mean curves of the sequences ``rows``."""
    success = M.mean_curve(curves.success[rows], drop_empty)
    precision = M.mean_curve(curves.precision[rows], drop_empty)
    norm = M.mean_curve(curves.norm_precision[rows], drop_empty)
    values = {"success_auc": M.auc(success), "precision_20": float(precision[M.PRECISION_INDEX]),
              "norm_precision_20": float(norm[M.PRECISION_INDEX]),
              "success_rate_50": float(success[M.SUCCESS_RATE_INDEX])}
    return Scores(values, {"success_curve": success, "precision_curve": precision, "norm_precision_curve": norm},
                  len(rows))


def _sequence_terms(curves: M.Curves, drop_empty: bool) -> dict:
    """Per-sequence (numerator, denominator) of every headline score and of the success
    curve: the sequence's value, and 1 where the convention averages it (0 for an empty
    curve OTB leaves out)."""
    kept = {kind: M.kept_sequences(getattr(curves, kind), drop_empty).astype(np.float64)
            for kind in ("success", "precision", "norm_precision")}
    return {"success_auc": (curves.success.mean(axis=1), kept["success"]),
            "precision_20": (curves.precision[:, M.PRECISION_INDEX], kept["precision"]),
            "norm_precision_20": (curves.norm_precision[:, M.PRECISION_INDEX], kept["norm_precision"]),
            "success_rate_50": (curves.success[:, M.SUCCESS_RATE_INDEX], kept["success"]),
            "success_curve": (curves.success, np.repeat(kept["success"][:, None], curves.success.shape[1], 1))}


def _score_runs(runs: list[RunFiles], dataset: Dataset, convention: OTBConvention,
                cut: frozenset = frozenset()) -> dict:
    """Parse and score runs: {run: RunScore or problem text}. Results of the sequences in
    ``cut`` that are longer than the ground truth are cut to its length (a definition's
    ``cut_long_results``: LaSOT's monkey-17, which every reference toolkit cuts)."""
    out: dict = {}
    boxes, times = read_runs(runs)
    good = []
    for run, parsed in zip(runs, boxes):
        if isinstance(parsed, Exception):
            out[run] = str(parsed)
        elif isinstance(times.get(run.times), RefusedFile):  # unreadable times are merely unknown, these hostile
            out[run] = str(times[run.times])
        elif len(parsed) != run.length and not (len(parsed) > run.length and run.sequence in cut):
            out[run] = (f"{run.boxes.name} has {plural(len(parsed), 'box', 'boxes')}, the ground truth "
                        f"{plural(run.length, 'frame')}")
        else:
            good.append((run, parsed[:run.length]))
    if not good:
        return out
    gts = [dataset[run.sequence].groundtruth[len(dataset[run.sequence]) - run.length:] for run, _ in good]
    absent = [_absent(dataset[run.sequence])[len(dataset[run.sequence]) - run.length:] for run, _ in good]
    lengths = np.array([run.length for run, _ in good])
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    measures = M.frame_measures(_columns([p for _, p in good]), _columns(gts), starts, convention,
                                np.concatenate(absent))
    success, precision, norm = M.run_curve_counts(measures, convention)
    for i, (run, _) in enumerate(good):
        t = times.get(run.times)
        fps = M.sequence_fps(t.reshape(-1), convention.speed) if isinstance(t, np.ndarray) and t.size == run.length \
            else None
        out[run] = RunScore(success[i], precision[i], norm[i], int(measures.frames[i]), fps)
    return out


def _columns(parts: list[np.ndarray]) -> np.ndarray:
    """(N, 4) arrays joined into one with contiguous columns (Fortran order), as
    :func:`~rasbench.metrics.otb.frame_measures` works on them: one copy."""
    out = np.empty((4, sum(len(p) for p in parts)))
    np.concatenate([p.T for p in parts], axis=1, out=out)
    return out.T


BATCH_BOXES = 1 << 16  # boxes parsed and scored at once: bounds the memory of a long run set (LaSOT)


def _batches(runs: list[RunFiles]) -> list[list[RunFiles]]:
    """``runs`` in order, cut into batches of about :data:`BATCH_BOXES` boxes (a longer run alone)."""
    batches, size = [[]], 0
    for run in runs:
        if batches[-1] and size + run.length > BATCH_BOXES:
            batches.append([])
            size = 0
        batches[-1].append(run)
        size += run.length
    return batches


def _absent(sequence) -> np.ndarray:
    """The sequence's absent-target flags, all False where it has none."""
    return sequence.absent if sequence.absent is not None else np.zeros(len(sequence), dtype=bool)


def _cached_scores(result: TrackerResult, runs: list[RunFiles], gt_hashes: dict, cache: RunScoreCache,
                   scope: str) -> tuple[dict, dict, list[RunFiles]]:
    """The run scores the cache holds for unchanged inputs: ({run: RunScore}, {run: (relative
    path, key)} of every run, [runs still to score])."""
    cached = cache.load(result.folder, scope)
    scores: dict = {}
    keys = {}
    prefix = os.path.join(result.folder, "")
    for run in runs:
        boxes = str(run.boxes)
        # the run's file relative to the tracker folder (pytracking's runs are in sibling folders)
        rel = boxes[len(prefix):] if boxes.startswith(prefix) else os.path.relpath(boxes, result.folder)
        rel = rel.replace(os.sep, "/")
        key = [file_key(run.boxes), file_key(run.times), gt_hashes[(run.sequence, run.length)]]
        keys[run] = (rel, key)
        hit = cached.get(rel)
        if hit is not None and hit[0] == key:
            scores[run] = hit[1]
    return scores, keys, [run for run in runs if run not in scores]


@dataclass
class _Pending:
    """A tracker between the cache lookup and the aggregation."""

    result: TrackerResult
    runs: list[RunFiles]
    scores: dict  # run -> RunScore or problem text
    keys: dict  # run -> (relative path, key)
    missing: list[RunFiles]


def _score_missing(pending: _Pending, dataset: Dataset, convention: OTBConvention, cut: frozenset,
                   cache: RunScoreCache, scope: str) -> list:
    """Parse and score the tracker's missing runs (RunScore or problem text each, in order)
    and store its run scores in the cache."""
    fresh: dict = {}
    for batch in _batches(pending.missing):
        fresh.update(_score_runs(batch, dataset, convention, cut))
    items = [(*pending.keys[run], s) for run, s in {**pending.scores, **fresh}.items() if isinstance(s, RunScore)]
    cache.save(pending.result.folder, scope, items)
    return [fresh[run] for run in pending.missing]


# Cold scoring of at least this many boxes (~0.2 s on one core) is shared out to forked
# processes, one tracker each at a time; less is not worth the forks.
FORK_MIN_BOXES = 200_000
# A worker that sends nothing for this long is given up and its trackers are scored here: one
# tracker's TRE or SRE runs (thousands of files, on slow storage) can take a minute.
SCORING_STALL_SECONDS = 600.0


def _score_all(pending: list[_Pending], dataset: Dataset, convention: OTBConvention, benchmark: BenchmarkDef,
               cache: RunScoreCache, scope: str, workers: int | None) -> None:
    """Fill every tracker's ``scores`` with its missing runs: in ``workers`` forked processes
    (None: one per core; 1: none) when there is enough to do, else here; whatever a worker
    did not deliver is scored here."""
    todo = [p for p in pending if p.missing]
    if not todo:  # all cached: not even the forking machinery is imported
        return
    from ..forking import cpu_count, forked_map

    cut = frozenset(benchmark.raw.get("cut_long_results") or ())
    workers = min(cpu_count() if workers is None else workers, len(todo))
    done: dict[int, list] = {}
    if workers > 1 and sum(run.length for p in todo for run in p.missing) >= FORK_MIN_BOXES:  # forks where it can
        done = forked_map(lambda i: _score_missing(todo[i], dataset, convention, cut, cache, scope), len(todo),
                          workers, stall_seconds=SCORING_STALL_SECONDS)
    for i, p in enumerate(todo):
        fresh = done[i] if i in done else _score_missing(p, dataset, convention, cut, cache, scope)
        p.scores.update(zip(p.missing, fresh))


def _aggregate(result: TrackerResult, runs: list[RunFiles], scores: dict, dataset: Dataset,
               convention: OTBConvention, benchmark: BenchmarkDef) -> TrackerResult:
    """The tracker's scores, curves, per-sequence and per-attribute numbers from its run scores."""
    by_sequence: dict[str, list[RunScore]] = {}
    for run in runs:
        score = scores[run]
        if isinstance(score, str):
            result.problems.setdefault(run.sequence, score)
        elif run.sequence not in result.problems:
            by_sequence.setdefault(run.sequence, []).append(score)
    seq_names = [s for s in by_sequence if s not in result.problems]
    result.scores["scored_sequences"] = len(seq_names)
    if not seq_names:
        return result
    run_scores = [score for s in seq_names for score in by_sequence[s]]
    groups = np.repeat(np.arange(len(seq_names)), [len(by_sequence[s]) for s in seq_names])
    counts = tuple(np.stack([getattr(r, k) for r in run_scores]) for k in ("success", "precision", "norm_precision"))
    curves = M.sequence_curves(counts, np.array([r.frames for r in run_scores]), groups)
    seq_fps = []
    for s in seq_names:
        known = [r.fps for r in by_sequence[s] if r.fps is not None]
        seq_fps.append(float(np.mean(known)) if known else None)
    drop = convention.drop_empty_sequences
    overall = _scores(curves, np.arange(len(seq_names)), drop)
    result.scores = {**overall.values, "fps": M.mean_fps(seq_fps, convention.speed),
                     "scored_sequences": len(seq_names)}
    result.curves = overall.curves
    per_sequence = zip(seq_names, curves.success.mean(axis=1), curves.precision[:, M.PRECISION_INDEX],
                       curves.norm_precision[:, M.PRECISION_INDEX], curves.success[:, M.SUCCESS_RATE_INDEX], seq_fps)
    for seq_name, auc, precision, norm_precision, success_rate, fps in per_sequence:
        result.sequences[seq_name] = {"success_auc": float(auc), "precision_20": float(precision),
                                      "norm_precision_20": float(norm_precision),
                                      "success_rate_50": float(success_rate), "fps": fps}
    result.sequence_terms = _sequence_terms(curves, drop)
    repeats = max(run.repeat for run in runs)
    if repeats > 1:  # a repeated one-run experiment: every scored sequence has every run, in order
        each_run = M.sequence_curves(counts, np.array([r.frames for r in run_scores]), np.arange(len(run_scores)))
        result.scores["runs"] = repeats
        result.run_values = {key: tuple(np.reshape(a, (len(seq_names), repeats)) for a in terms)
                             for key, terms in _sequence_terms(each_run, drop).items() if key in result.scores}
    for code in benchmark.attribute_codes:
        rows = [i for i, s in enumerate(seq_names) if code in dataset[s].attributes]
        if rows:
            result.groups[code] = _scores(curves, np.array(rows), drop)
    return result


def attribute_counts(dataset: Dataset, codes: tuple[str, ...]) -> dict[str, int]:
    """Sequences per attribute in ``dataset``, in the order of ``codes`` (those with any)."""
    counts = {c: sum(c in s.attributes for s in dataset.values()) for c in codes}
    return {c: n for c, n in counts.items() if n}


def _presentation(benchmark: BenchmarkDef, experiment: str, conv: OTBConvention, dataset: Dataset) -> dict:
    """The report fields that say how an OTB experiment is shown."""
    label = experiment.upper()
    counts = attribute_counts(dataset, benchmark.attribute_codes)
    names = {c: benchmark.attribute_names.get(c) or ATTRIBUTE_NAMES.get(c, c) for c in counts}
    sequences = plural(len(dataset), "sequence")
    curves = [CurveSpec("success_curve", "Success plots", np.asarray(conv.success_thresholds), "Overlap threshold",
                        "Success rate", "success_auc", "lower left", band=True),
              CurveSpec("precision_curve", "Precision plots", PRECISION_THRESHOLDS,
                        "Location error threshold (pixels)", "Precision", "precision_20", "lower right", 20.0)]
    plots = [PlotSpec(kind, "curve", f"{curve.title} of {label} ({sequences})", params={"curve": curve.key})
             for kind, curve in zip(("success", "precision"), curves)]
    plots.append(PlotSpec("ranking", "ranking", f"{label} ranking"))
    for code in counts:
        for kind, curve, placement in (("success", curves[0], "each-group"),
                                       ("precision", curves[1], "each-group-details")):
            plots.append(PlotSpec(f"{kind}_{code}", "curve", f"{curve.title} of {label} - {names[code]} "
                                  f"({counts[code]})", placement, {"curve": curve.key, "group": code}))
    short = benchmark.title.split(" (")[0]
    return dict(
        measures=MEASURES, primary="success_auc", headline=tuple(m.key for m in MEASURES),
        counts=("scored_sequences", "seqs"), experiment_label=label, curves=curves, plots=plots,
        group_kind="attributes", group_noun="attribute", group_count="sequences",
        group_measures=[SUCCESS_AUC, PRECISION_20], group_table=[SUCCESS_AUC], group_order=list(counts),
        group_names=names, group_sizes=counts,
        group_sequences={c: [s for s, seq in dataset.items() if c in seq.attributes] for c in counts},
        group_title="success AUC per attribute (sequences)",
        group_caption="success AUC per attribute (number of sequences)",
        group_note="Success AUC per attribute; the number of sequences in brackets.",
        sequence_measures=MEASURES, sequence_table=[SUCCESS_AUC],
        sequence_note="Success AUC per sequence (hover a name for its attributes).",
        ranking=[SUCCESS_AUC, PRECISION_20], ranking_title=f"{short} {label} ({sequences})")


def cross_plots(benchmark: BenchmarkDef, experiment: str) -> list[tuple[str, str]]:
    """Plots combining ``experiment`` with another: none for OTB."""
    return []


def score(benchmark: BenchmarkDef, experiment: str, dataset: Dataset, tracker_dirs: dict[str, Path],
          conv: OTBConvention, cache: bool = True, workers: int | None = 1) -> Report:
    """Score every tracker folder on an OTB experiment (``workers``: see :func:`_score_all`)."""
    exp = benchmark.experiment(experiment)
    lengths = {name: expected_lengths(seq, exp.settings, conv.run.start) for name, seq in dataset.items()}
    gt_hashes = {}
    for name, seq in dataset.items():
        for length in set(lengths[name]):
            rows = seq.groundtruth[len(seq) - length:]
            if seq.absent is not None:  # the flags decide scores too
                rows = np.column_stack([rows, seq.absent[len(seq) - length:]])
            gt_hashes[(name, length)] = rows_digest(rows)
    scores = RunScoreCache(enabled=cache)
    scope = f"{benchmark.name}/{exp.name}/{conv.name}"
    layout = OTBLayout(exp)
    specs = {s: benchmark.sequences[s] for s in dataset}
    pending = []
    for name, folder in tracker_dirs.items():
        scan = layout.scan(Path(folder), specs, lengths)
        result = TrackerResult(name, Path(folder), problems=dict(scan.problems), notes=list(scan.notes))
        result.notes += run_convention_notes(name, folder, conv.name)
        pending.append(_Pending(result, scan.runs, *_cached_scores(result, scan.runs, gt_hashes, scores, scope)))
    _score_all(pending, dataset, conv, benchmark, scores, scope, workers)
    trackers = {p.result.name: _aggregate(p.result, p.runs, p.scores, dataset, conv, benchmark) for p in pending}
    return Report(benchmark, experiment, "otb", conv, dataset, trackers=trackers,
                  **_presentation(benchmark, experiment, conv, dataset))


def run_count(benchmark: BenchmarkDef, experiment: str, sequence) -> int:
    """How many runs ``experiment`` makes of ``sequence``: 1 (OPE), its TRE segments, the SRE perturbations."""
    settings = benchmark.experiment(experiment).settings
    return len(expected_lengths(sequence, settings, otb_convention("official").run.start))


def view_run(benchmark: BenchmarkDef, experiment: str, sequence, folder: Path, run: int) -> TrackView:
    """Run ``run`` of ``sequence`` in ``folder`` for the viewer: the boxes as 0-based
    regions over the whole sequence (runs that start late, Tiger1's OPE or a TRE
    segment, cover its last frames) and their IoU with the ground truth per frame."""
    exp = benchmark.experiment(experiment)
    n = len(sequence)
    spec = benchmark.sequences.get(sequence.name)
    path = OTBLayout(exp).run_path(Path(folder), spec, run) if spec else None
    if path is None:
        return TrackView.missing(n, f"no result file for {sequence.name} (run {run})")
    try:
        regions = boxes_as_regions(read_boxes(path), sequence.origin)
    except DatasetError as exc:
        return TrackView.missing(n, f"{path.name}: {exc}")
    lengths = expected_lengths(sequence, exp.settings, otb_convention("official").run.start)
    regions, problem = place(regions, n, lengths[min(run, len(lengths)) - 1], path.name, at_end=True)
    boxes = np.where((regions.kind == RECTANGLE)[:, None], regions.coords[:, :4], np.nan)
    truth = sequence.to_tracker(sequence.groundtruth)
    ious = overlap(boxes, truth)
    ious[~np.isfinite(truth).all(axis=1) | (truth[:, 2] <= 0)] = np.nan  # unlabelled frames
    return TrackView(regions, np.asarray(ious, dtype=float), np.where(regions.kind == SPECIAL, 0, -1), problem)


def groundtruth_regions(sequence) -> Regions:
    """The ground truth as 0-based regions (what the viewer draws)."""
    return boxes_as_regions(sequence.groundtruth, sequence.origin)
