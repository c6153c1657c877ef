"""The VOT family's scoring: EAO, accuracy, robustness, per-tag numbers, speed.

Reads the VOT toolkit layout (:mod:`rasbench.results.vot`), ours and anybody's (pysot
writes the same layout). Result files with the wrong number of lines, that do not
parse, hold a code other than 0, 1 or 2, or are refused unread are listed under the
tracker's ``problems`` and left out; the tracker is then marked incomplete, never
silently scored over other frames. The protocol options (burn-in, skip, EAO interval)
are the experiment's, as the run used them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config.benchmarks import BenchmarkDef, ExperimentDef
from ..config.conventions import VOTConvention
from ..datasets import Dataset
from ..errors import DatasetError
from ..fingerprint import dataset_digest, folder_digest, parts_digest
from ..geometry.raster import overlaps
from ..geometry.regions import SPECIAL, Regions
from ..metrics import vot as V
from ..results.manifest import run_convention_notes
from ..results.vot import VOTLayout, read_run, read_trajectory
from ..text import plural
from .cache import MeasuredRunsCache
from .model import CurveSpec, Measure, PlotSpec, Report, Scores, TrackerResult, finite
from .view import TrackView, place

# Every score JSON and CSV write first, in this order (None where an experiment has none).
HEADLINE = ("eao", "accuracy", "robustness", "failures", "average_overlap", "fps")
# The VOT tags in the order tables and plots list them; others follow alphabetically.
TAG_ORDER = ("camera_motion", "illum_change", "motion_change", "size_change", "occlusion", "empty")

FPS = Measure("fps", "FPS", 1, ranked=False, speed=True)
ACCURACY = Measure("accuracy", "A", 3)


def _load(result: TrackerResult, experiment: ExperimentDef, dataset: Dataset, convention: VOTConvention) -> dict:
    """Parsed runs per sequence: {seq: [(Regions, times or None), ...]}; the others become problems."""
    runs: dict[str, list] = {}
    for seq_name, files in VOTLayout(experiment).scan(result.folder, list(dataset)).items():
        if isinstance(files, str):
            result.problems[seq_name] = files
            continue
        if convention.name == "pysot" and len(files) != 15:
            files = files[:1]  # pysot's loader: all 15 repetitions, else a single file
        try:
            runs[seq_name] = [read_run(path, column, len(dataset[seq_name])) for column, path in enumerate(files)]
        except DatasetError as exc:
            result.problems[seq_name] = str(exc)
    return runs


def _speed(times: dict) -> float | None:
    """VOT-M analyze_speed: per sequence 1 / mean over runs of the mean frame time (NaN
    frames ignored); the mean over sequences. ``times``: {sequence: [frame times or None per run]}."""
    per_seq = []
    for seq_times in times.values():
        means = [np.nanmean(t[~np.isnan(t)]) for t in seq_times if t is not None and np.any(~np.isnan(t))]
        if means and np.mean(means) > 0:
            per_seq.append(1.0 / float(np.mean(means)))
    return float(np.mean(per_seq)) if per_seq else None


@dataclass
class _Measured:
    """What scoring reads of a tracker's runs: per run its sequence and frame times, per
    frame of all runs (in order) the special-frame codes and the overlaps each analysis
    needs. Cached per tracker folder (:class:`~rasbench.evaluation.cache.MeasuredRunsCache`)."""

    runs: dict[str, int]  # sequence -> number of runs, in dataset order
    times: list  # per run: frame times or None
    codes: np.ndarray
    overlaps: dict[str, np.ndarray]

    def to_cache(self) -> tuple[dict, dict]:
        timed = [t is not None for t in self.times]
        times = [t if t is not None else np.full(0, np.nan) for t in self.times]
        return ({"runs": self.runs, "timed": timed},
                {"codes": self.codes, "frame_times": np.concatenate(times) if times else np.zeros(0),
                 "time_counts": np.array([len(t) for t in times]),
                 **{f"overlaps:{k}": v for k, v in self.overlaps.items()}})

    @classmethod
    def from_cache(cls, facts: dict, arrays: dict) -> _Measured:
        counts = arrays["time_counts"]
        times = np.split(arrays["frame_times"], np.cumsum(counts)[:-1]) if len(counts) else []
        return cls(facts["runs"], [t if timed else None for t, timed in zip(times, facts["timed"])], arrays["codes"],
                   {k.partition(":")[2]: v for k, v in arrays.items() if k.startswith("overlaps:")})


def _measure(result: TrackerResult, experiment: ExperimentDef, dataset: Dataset,
             convention: VOTConvention) -> _Measured | None:
    """Parse the tracker's runs and rasterise their overlaps (None: no run could be read)."""
    runs = _load(result, experiment, dataset, convention)
    if not runs:
        return None
    preds, gts, sizes = [], [], []
    for seq_name, seq_runs in runs.items():
        seq = dataset[seq_name]
        if seq.image_size is None and convention.bounded:
            raise DatasetError(f"{seq_name}: image size unknown (needed for bounded overlaps); "
                               f"give the images or a pysot JSON with width/height", seq.source)
        for traj, _ in seq_runs:
            preds.append(traj)
            gts.append(seq.groundtruth)
            sizes.append(np.broadcast_to(np.asarray(seq.image_size or (0, 0), float), (len(seq), 2)))
    pred, gt, frame_sizes = Regions.concat(preds), Regions.concat(gts), np.concatenate(sizes)
    analyses = ("unsupervised",) if experiment.protocol == "unsupervised" else ("accuracy", "eao")
    return _Measured({n: len(r) for n, r in runs.items()}, [t for r in runs.values() for _, t in r], pred.codes(),
                     V.analysis_overlaps(pred, gt, frame_sizes, convention, analyses))


def _measured(result: TrackerResult, experiment: ExperimentDef, dataset: Dataset, convention: VOTConvention,
              cache: MeasuredRunsCache, scope: str, inputs: str) -> _Measured | None:
    """:func:`_measure`, or what it gave while the folder's files, the ground truth and the
    convention were the same (``inputs``: their digest, but for the folder)."""
    key = parts_digest(inputs, folder_digest(result.folder))
    hit = cache.load(result.folder, scope, key)
    if hit is not None:
        facts, arrays = hit
        result.problems.update(facts["problems"])
        return _Measured.from_cache(facts["measured"], arrays) if facts["measured"] else None
    measured = _measure(result, experiment, dataset, convention)
    facts, arrays = measured.to_cache() if measured is not None else (None, {})
    cache.save(result.folder, scope, key, {"problems": result.problems, "measured": facts}, arrays)
    return measured


def _score_tracker(result: TrackerResult, experiment: ExperimentDef, dataset: Dataset, convention: VOTConvention,
                   interval, measured: _Measured | None) -> TrackerResult:
    settings = experiment.settings
    if measured is None:
        return result
    names = list(measured.runs)
    gts, lengths, groups, tags = [], [], [], {}
    for index, seq_name in enumerate(names):
        seq = dataset[seq_name]
        for _ in range(measured.runs[seq_name]):
            gts.append(seq.groundtruth)
            lengths.append(len(seq))
            groups.append(index)
            for tag, values in seq.tags.items():
                tags.setdefault(tag, []).append(values)
    layout = V.RunLayout.from_lengths(lengths, groups)
    codes, ov = measured.codes, measured.overlaps
    per_seq_times = dict.fromkeys(names)
    run_times = iter(measured.times)
    for seq_name in names:
        per_seq_times[seq_name] = [next(run_times) for _ in range(measured.runs[seq_name])]
    result.scores["fps"] = _speed(per_seq_times)
    result.scores["runs"] = int(len(lengths))
    if experiment.protocol == "unsupervised":
        gt = Regions.concat(gts)
        result.scores["average_overlap"] = V.unsupervised_average_overlap(ov["unsupervised"], codes, layout,
                                                                          convention, gt.kind == SPECIAL,
                                                                          burnin=settings.burnin)
        for key in ("eao", "accuracy", "robustness", "failures"):
            result.scores[key] = None
        return result
    ar = V.accuracy_robustness(ov["accuracy"], codes, layout, convention, burnin=settings.burnin)
    low, high = interval
    fragments = V.eao_fragments(ov["eao"], codes, layout, convention, skip_initialize=settings.skip_initialize)
    curve = V.eao_curve(fragments, convention)
    eao = V.eao_score(curve, low, high, convention)
    result.sequence_terms = {**ar.ratio_terms(), "eao": V.eao_sequence_terms(fragments, layout, convention, low, high)}
    result.curves["eao_curve"] = [float(v) for v in curve]
    result.scores.update(eao=eao, accuracy=ar.accuracy, robustness=ar.robustness, failures=ar.failures,
                         failure_rate=ar.failure_rate, ar_robustness=ar.ar_robustness, average_overlap=None)
    for i, seq_name in enumerate(names):
        result.sequences[seq_name] = {"accuracy": float(ar.sequence_accuracy[i]),
                                      "failures": float(ar.sequence_failures[i]),
                                      "runs": measured.runs[seq_name]}
    if tags:
        masks = {tag: np.concatenate(values) for tag, values in tags.items()}
        masks["empty"] = ~np.any(np.stack(list(masks.values())), axis=0)
        for tag, r in V.tag_accuracy_robustness(ov["accuracy"], codes, layout, masks, convention,
                                                burnin=settings.burnin).items():
            result.groups[tag] = Scores({"accuracy": finite(r.accuracy), "robustness": finite(r.robustness),
                                         "failures": finite(r.failures)}, count=int(r.frames))
    return result


def tag_order(tags) -> list[str]:
    """``tags`` as tables and plots list them (:data:`TAG_ORDER`, then the others alphabetically)."""
    return sorted(tags, key=lambda g: (TAG_ORDER.index(g) if g in TAG_ORDER else len(TAG_ORDER), g))


def _presentation(benchmark: BenchmarkDef, experiment: ExperimentDef, conv: VOTConvention, dataset: Dataset,
                  interval, trackers: dict) -> dict:
    """The report fields that say how a VOT experiment is shown."""
    exp = experiment.name
    short = benchmark.title.split(" (")[0]
    sequences = plural(len(dataset), "sequence")
    tags = tag_order({g for t in trackers.values() for g in t.groups})
    robustness = Measure("robustness", "R", 2, higher_is_better=False)
    common = dict(
        headline=HEADLINE, counts=("runs", "runs"), experiment_label=exp,
        curves=[CurveSpec("eao_curve", "EAO curves", None, "Sequence length (frames)", "Expected overlap", "eao",
                          "upper right")],
        group_kind="tags", group_noun="tag", group_count="frames",
        group_measures=[ACCURACY, robustness, Measure("failures", "F", 1, higher_is_better=False)],
        group_table=[ACCURACY, robustness], group_order=tags, group_names={g: g.replace("_", " ") for g in tags},
        group_caption="accuracy / robustness (failures per 100 frames) per tag",
        group_note='A = accuracy, R = failures per 100 frames, on the frames carrying each tag ("empty": frames '
                   'with no tag).',
        sequence_measures=[ACCURACY, Measure("failures", "F", 1, higher_is_better=False), Measure("runs", "runs", 0)],
        sequence_table=[ACCURACY, Measure("failures", "F", 1, higher_is_better=False)],
        sequence_note="A = accuracy, F = failures (mean over runs) per sequence.",
        extras={"eao_interval": list(interval) if interval else None})
    if experiment.protocol == "unsupervised":
        ao = Measure("average_overlap", "AO", 3, axis_label="Average overlap")
        return dict(common, measures=[ao, FPS], primary="average_overlap", ranking=[ao],
                    ranking_title=f"AO, {short} {exp} ({sequences})",
                    plots=[PlotSpec("ranking", "ranking", f"Average overlap, {exp}")])
    fail = ("fail = failures per sequence (mean over runs), frame-weighted mean over sequences (vot-toolkit)"
            if conv.failures == "weighted" else "fail = failures (mean over runs, summed)")
    eao = Measure("eao", "EAO", 3, axis_label="Expected average overlap")
    plots = [PlotSpec("eao_curve", "eao_curve", f"Expected overlap curves, {exp}"),
             PlotSpec("eao_ranking", "ranking", f"EAO ranking, {exp}"),
             PlotSpec("ar", "ar", f"AR plot, {exp}")]
    if tags:
        plots.append(PlotSpec("tags", "tags", f"Per-tag accuracy and robustness, {exp}", "groups"))
    return dict(
        common, primary="eao", ranking=[eao], ranking_title=f"EAO, {short} {exp} ({sequences})", plots=plots,
        measures=[eao, ACCURACY, Measure("robustness", "R", 3, higher_is_better=False, table_digits=2),
                  Measure("failures", "Fail.", 1, higher_is_better=False, table_label="fail"), FPS],
        title_notes=[f"EAO over lengths {interval[0]}-{interval[1]}"],
        footnotes=[f"R = 100 x failures / frames (VOT2016-2018 tables); {fail}"])


def cross_plots(benchmark: BenchmarkDef, experiment: str) -> list[tuple[str, str]]:
    """Plots combining ``experiment`` with another of the benchmark: [(plot kind, other
    experiment)]: real-time against baseline EAO for the realtime experiment."""
    baseline = next((e.name for e in benchmark.experiments.values() if e.protocol == "baseline"), None)
    return [("realtime_vs_baseline", baseline)] if benchmark.experiment(experiment).protocol == "realtime" \
        and baseline else []


def score(benchmark: BenchmarkDef, experiment: str, dataset: Dataset, tracker_dirs: dict[str, Path],
          conv: VOTConvention, cache: bool = True, workers: int | None = 1) -> Report:
    """Score every tracker folder on a VOT experiment; each folder's overlaps are cached
    while its files, the ground truth and the convention stay the same (``cache=False``:
    recompute). ``workers`` is unused: the overlaps are the work, and they are cached."""
    exp = benchmark.experiment(experiment)
    interval = None
    if exp.protocol != "unsupervised":
        interval = exp.settings.eao_interval or V.eao_interval([len(s) for s in dataset.values()])[:2]
    measured_cache = MeasuredRunsCache(enabled=cache)
    scope = f"{benchmark.name}/{exp.name}/{conv.name}"
    inputs = parts_digest(dataset_digest(dataset), conv.name, exp.protocol, repr(exp.settings))
    trackers = {}
    for name, folder in tracker_dirs.items():
        result = TrackerResult(name, Path(folder))
        measured = _measured(result, exp, dataset, conv, measured_cache, scope, inputs)
        result = _score_tracker(result, exp, dataset, conv, interval, measured)
        result.notes += run_convention_notes(name, folder, conv.name)
        trackers[name] = result
    return Report(benchmark, experiment, "vot", conv, dataset, trackers=trackers,
                  cross=cross_plots(benchmark, experiment),
                  **_presentation(benchmark, exp, conv, dataset, interval, trackers))


def run_count(benchmark: BenchmarkDef, experiment: str, sequence) -> int:
    """How many repetitions ``experiment`` makes of a sequence, at most (a deterministic tracker makes one)."""
    return benchmark.experiment(experiment).settings.repetitions


def view_run(benchmark: BenchmarkDef, experiment: str, sequence, folder: Path, run: int) -> TrackView:
    """Repetition ``run`` of ``sequence`` in ``folder`` for the viewer: the trajectory,
    its codes (initialisation, failure, skipped frames) and overlaps bounded by the image."""
    n = len(sequence)
    path = VOTLayout(benchmark.experiment(experiment)).run_path(Path(folder), sequence.name, run)
    if path is None:
        return TrackView.missing(n, f"no result file for {sequence.name} (run {run})")
    try:
        regions = read_trajectory(path, n)
    except DatasetError as exc:
        return TrackView.missing(n, f"{path.name}: {exc}")
    regions, problem = place(regions, n, n, path.name, at_end=False)
    width, height = sequence.image_size or (10 ** 6, 10 ** 6)
    ious = overlaps(regions, sequence.groundtruth, bounds=(width - 1, height - 1))
    return TrackView(regions, np.asarray(ious, dtype=float), regions.codes(), problem, events=True)


def groundtruth_regions(sequence) -> Regions:
    """The ground truth (already 0-based regions), as the viewer draws it."""
    return sequence.groundtruth
