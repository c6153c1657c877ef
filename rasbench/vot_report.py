"""Scoring VOT result folders: EAO, accuracy, robustness, per-tag numbers, speed.

Reads the VOT toolkit layout (``<tracker>/<experiment>/<seq>/<seq>_001.txt`` with the
1/2/0 codes, ``<seq>_time.txt`` or vot-toolkit's ``<seq>_001_time.value``), ours and
anybody's (pysot writes the same layout). Result files with the wrong number of lines,
that do not parse, hold a code other than 0, 1 or 2, or are refused unread (not a
regular file, larger than :func:`~rasbench.datasets.textio.size_bound`) are listed
under the tracker's ``problems`` and left out; the tracker is then marked incomplete,
never silently scored over other frames.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config.benchmarks import BenchmarkDef
from .datasets import Dataset
from .errors import DatasetError
from .metrics import vot as V
from .config.conventions import VOTConvention
from .geometry.regions import SPECIAL, Regions
from .report import _fmt, _fmt_fps, _num, best_cells, display_order, incomplete_notes, text_table
from .results.manifest import run_convention_notes
from .results.vot import VOTLayout, read_run

# Scores shown in tables and the JSON "trackers" entries, in this order.
HEADLINE = ("eao", "accuracy", "robustness", "failures", "average_overlap", "fps")


@dataclass
class VOTTrackerReport:
    name: str
    folder: Path
    scores: dict = field(default_factory=dict)  # HEADLINE keys and more; None where not applicable
    eao_curve: list = field(default_factory=list)
    sequences: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    # per score, (numerator, denominator) per sequence in ``sequences`` order, EAO's (S, K)
    # over its interval: the input of rasbench.metrics.stats (not written out)
    sequence_terms: dict = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.problems


@dataclass
class VOTReport:
    benchmark: BenchmarkDef
    experiment: str
    convention: VOTConvention
    dataset: Dataset
    trackers: dict
    eao_interval: tuple | None  # None for the unsupervised experiment (no EAO)
    options: object  # the experiment's typed protocol options

    @property
    def key(self) -> str:
        return "average_overlap" if self.experiment_protocol == "unsupervised" else "eao"

    @property
    def experiment_protocol(self) -> str:
        return self.benchmark.experiment(self.experiment).protocol

    def ranked(self) -> list[VOTTrackerReport]:
        def order(t):
            v = t.scores.get(self.key)
            return (v is None or math.isnan(v), -(v or 0.0), t.name)
        return sorted(self.trackers.values(), key=order)


def _load_tracker(name: str, folder: Path, experiment, dataset: Dataset, convention: VOTConvention):
    """Parsed runs per sequence: {seq: [(Regions, times or None), ...]}, plus the report."""
    report = VOTTrackerReport(name, folder)
    runs: dict[str, list] = {}
    for seq_name, files in VOTLayout(experiment).scan(folder, list(dataset)).items():
        if isinstance(files, str):
            report.problems[seq_name] = files
            continue
        if convention.name == "pysot" and len(files) != 15:
            files = files[:1]  # pysot's loader: all 15 repetitions, else a single file
        try:
            runs[seq_name] = [read_run(path, column, len(dataset[seq_name])) for column, path in enumerate(files)]
        except DatasetError as exc:
            report.problems[seq_name] = str(exc)
    return report, runs


def _speed(runs: dict) -> float | None:
    """VOT-M analyze_speed: per sequence 1 / mean over runs of the mean frame time (NaN
    frames ignored); the mean over sequences."""
    per_seq = []
    for seq_runs in runs.values():
        means = [np.nanmean(t[~np.isnan(t)]) for _, t in seq_runs if t is not None and np.any(~np.isnan(t))]
        if means and np.mean(means) > 0:
            per_seq.append(1.0 / float(np.mean(means)))
    return float(np.mean(per_seq)) if per_seq else None


def _score_tracker(name, folder, experiment, options, dataset, convention, interval) -> VOTTrackerReport:
    protocol = experiment.protocol
    report, runs = _load_tracker(name, Path(folder), experiment, dataset, convention)
    if not runs:
        return report
    names = list(runs)
    preds, gts, lengths, groups, sizes, tags = [], [], [], [], [], {}
    for index, seq_name in enumerate(names):
        seq = dataset[seq_name]
        if seq.image_size is None and convention.bounded:
            raise DatasetError(f"{seq_name}: image size unknown (needed for bounded overlaps); "
                               f"give the images or a pysot JSON with width/height", seq.source)
        for traj, _ in runs[seq_name]:
            preds.append(traj)
            gts.append(seq.groundtruth)
            lengths.append(len(seq))
            groups.append(index)
            sizes.append(np.broadcast_to(np.asarray(seq.image_size or (0, 0), float), (len(seq), 2)))
            for tag, values in seq.tags.items():
                tags.setdefault(tag, []).append(values)
    pred, gt = Regions.concat(preds), Regions.concat(gts)
    layout = V.RunLayout.from_lengths(lengths, groups)
    codes = pred.codes()
    frame_sizes = np.concatenate(sizes)
    report.scores["fps"] = _speed(runs)
    report.scores["runs"] = int(len(lengths))
    if protocol == "unsupervised":
        ov = V.run_overlaps(pred, gt, frame_sizes, convention, "unsupervised")
        report.scores["average_overlap"] = V.unsupervised_average_overlap(ov, codes, layout, convention,
                                                                          gt.kind == SPECIAL, burnin=options.burnin)
        for key in ("eao", "accuracy", "robustness", "failures"):
            report.scores[key] = None
        return report
    ov = V.analysis_overlaps(pred, gt, frame_sizes, convention, ("accuracy", "eao"))
    ar = V.accuracy_robustness(ov["accuracy"], codes, layout, convention, burnin=options.burnin)
    low, high = interval
    fragments = V.eao_fragments(ov["eao"], codes, layout, convention, skip_initialize=options.skip_initialize)
    curve = V.eao_curve(fragments, convention)
    eao = V.eao_score(curve, low, high, convention)
    report.sequence_terms = {**ar.ratio_terms(), "eao": V.eao_sequence_terms(fragments, layout, convention, low, high)}
    report.eao_curve = [float(v) for v in curve]
    report.scores.update(eao=eao, accuracy=ar.accuracy, robustness=ar.robustness, failures=ar.failures,
                         failure_rate=ar.failure_rate, ar_robustness=ar.ar_robustness, average_overlap=None)
    for i, seq_name in enumerate(names):
        report.sequences[seq_name] = {"accuracy": float(ar.sequence_accuracy[i]),
                                      "failures": float(ar.sequence_failures[i]),
                                      "runs": len(runs[seq_name])}
    if tags:
        masks = {tag: np.concatenate(values) for tag, values in tags.items()}
        masks["empty"] = ~np.any(np.stack(list(masks.values())), axis=0)
        for tag, result in V.tag_accuracy_robustness(ov["accuracy"], codes, layout, masks, convention,
                                                     burnin=options.burnin).items():
            report.tags[tag] = {"accuracy": _num(result.accuracy), "robustness": _num(result.robustness),
                                "failures": _num(result.failures), "frames": int(result.frames)}
    return report


def evaluate_vot(benchmark: BenchmarkDef, experiment: str, dataset: Dataset, tracker_dirs: dict[str, Path],
                 convention: str = "official") -> VOTReport:
    """Score every tracker folder with the experiment's protocol options (burn-in, skip,
    EAO interval: the benchmark definition's, as the run used them)."""
    conv = V.vot_convention(check_convention(convention, "vot"))
    exp = benchmark.experiment(experiment)
    options = exp.settings
    interval = options.eao_interval
    if interval is None and exp.protocol != "unsupervised":
        interval = V.eao_interval([len(s) for s in dataset.values()])[:2]
    trackers = {name: _score_tracker(name, folder, exp, options, dataset, conv, interval)
                for name, folder in tracker_dirs.items()}
    for name, folder in tracker_dirs.items():
        trackers[name].notes += run_convention_notes(name, folder, conv.name)
    return VOTReport(benchmark, experiment, conv, dataset, trackers, interval, options)


# ---------------------------------------------------------------------------------------
# Output formats


def to_dict(report: VOTReport) -> dict:
    out = {"benchmark": report.benchmark.name, "experiment": report.experiment,
           "convention": report.convention.name, "dataset": report.dataset.source,
           "eao_interval": list(report.eao_interval) if report.eao_interval else None, "trackers": {}}
    for t in report.ranked():
        entry = {k: _num(t.scores.get(k)) for k in HEADLINE}
        entry.update({k: _num(v) for k, v in t.scores.items() if k not in HEADLINE and k != "runs"})
        entry["runs"] = t.scores.get("runs", 0)
        entry["complete"] = t.complete
        entry["eao_curve"] = t.eao_curve
        entry["sequences"] = t.sequences
        if t.tags:
            entry["tags"] = t.tags
        if t.problems:
            entry["problems"] = dict(t.problems)
        if t.notes:
            entry["notes"] = list(t.notes)
        out["trackers"][t.name] = entry
    return out


def to_json(report: VOTReport) -> str:
    return json.dumps(to_dict(report), indent=2)


def to_csv(report: VOTReport, per_sequence: bool = False, attributes: bool = False) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if per_sequence:
        writer.writerow(("tracker", "sequence", "accuracy", "failures", "runs"))
        for t in report.ranked():
            for s, d in t.sequences.items():
                writer.writerow((t.name, s, f"{d['accuracy']:.6f}", f"{d['failures']:.6f}", d["runs"]))
    elif attributes:
        writer.writerow(("tracker", "tag", "frames", "accuracy", "robustness", "failures"))
        for t in report.ranked():
            for tag, d in t.tags.items():
                writer.writerow((t.name, tag, d["frames"], *(("" if d[k] is None else f"{d[k]:.6f}")
                                                             for k in ("accuracy", "robustness", "failures"))))
    else:
        writer.writerow(("tracker",) + HEADLINE + ("complete",))
        for t in report.ranked():
            writer.writerow((t.name, *(("" if _num(t.scores.get(k)) is None else f"{t.scores[k]:.6f}")
                                       for k in HEADLINE), t.complete))
    return buf.getvalue()


def to_table(report: VOTReport, attributes: bool = False, color: bool = False) -> str:
    """Terminal table: complete trackers ranked by EAO (AO), incomplete ones (``*``)
    below a rule; the best value per column among the complete trackers in bold (when
    ``color``). ``attributes``: accuracy / robustness per tag, as precise as the
    headline columns."""
    order = display_order(report)
    unsupervised = report.experiment_protocol == "unsupervised"
    title = (f"{report.benchmark.title} - {report.experiment} - convention {report.convention.name} - "
             f"{plural(len(report.dataset), 'sequence')}" + ("" if unsupervised else
                                                   f" - EAO over lengths {report.eao_interval[0]}-"
                                                   f"{report.eao_interval[1]}"))
    complete = [t.complete for t in order]
    if attributes:
        tags = sorted({tag for t in order for tag in t.tags})
        header = ["tracker"] + [f"{tag} A/R" for tag in tags]
        cells = [[f"{_fmt(t.tags[g]['accuracy'])}/{_fmt(t.tags[g]['robustness'], 2)}" if g in t.tags else "-"
                  for g in tags] for t in order]
        bold = set()
    else:
        keys = ["average_overlap"] if unsupervised else ["eao", "accuracy", "robustness", "failures"]
        header = ["tracker"] + [{"eao": "EAO", "accuracy": "A", "robustness": "R", "failures": "fail",
                                 "average_overlap": "AO"}[k] for k in keys] + ["FPS", "runs"]
        values = [[t.scores.get(k) for k in keys] for t in order]
        digits = {"failures": 1, "robustness": 2}
        cells = [[_fmt(v, digits.get(k, 3)) for k, v in zip(keys, row)]
                 + [_fmt_fps(t.scores.get("fps")), str(t.scores.get("runs", 0))] for t, row in zip(order, values)]
        lower = {c for c, k in enumerate(keys) if k in ("robustness", "failures")}
        bold = best_cells(values, complete, lower)
    rows = [[t.name + ("" if t.complete else " *")] + row for t, row in zip(order, cells)]
    lines = text_table(title, header, rows, complete, bold, color)
    if not unsupervised and not attributes:
        fail = ("fail = failures per sequence (mean over runs), frame-weighted mean over sequences (vot-toolkit)"
                if report.convention.failures == "weighted" else "fail = failures (mean over runs, summed)")
        lines.append(f"R = 100 x failures / frames (VOT2016-2018 tables); {fail}")
    return "\n".join(lines + incomplete_notes(order))
