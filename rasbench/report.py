"""Scoring result folders and printing the numbers (table, JSON, CSV).

Loading is tolerant of other toolkits' naming; scoring is strict: a result file whose
length does not match the ground truth, or that cannot be parsed, is listed under the
tracker's ``problems`` and left out, and the tracker is marked incomplete, never
silently scored over a different set of frames.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config.benchmarks import ATTRIBUTE_CODES, BenchmarkDef
from .cache import RunScore, RunScoreCache
from .config.conventions import OTBConvention, otb_convention
from .datasets import Dataset
from .datasets.textio import RefusedFile
from .fingerprint import file_key, rows_digest
from .metrics import otb as M
from .protocols.otb import expected_lengths
from .results.manifest import run_convention_notes
from .results.otb import OTBLayout, RunFiles, read_runs


@dataclass
class ScoreSet:
    """Curves and headline numbers of one tracker over a set of sequences."""

    success_curve: np.ndarray
    precision_curve: np.ndarray
    norm_precision_curve: np.ndarray
    sequences: int

    @property
    def success_auc(self) -> float:
        return M.auc(self.success_curve)

    @property
    def precision_20(self) -> float:
        return float(self.precision_curve[M.PRECISION_INDEX])

    @property
    def norm_precision_20(self) -> float:
        return float(self.norm_precision_curve[M.PRECISION_INDEX])

    @property
    def success_rate_50(self) -> float:
        return float(self.success_curve[M.SUCCESS_RATE_INDEX])


@dataclass
class TrackerReport:
    name: str
    folder: Path
    overall: ScoreSet | None
    fps: float | None
    sequences: dict[str, dict] = field(default_factory=dict)
    attributes: dict[str, ScoreSet] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems


@dataclass
class Report:
    benchmark: BenchmarkDef
    experiment: str
    convention: OTBConvention
    dataset: Dataset
    trackers: dict[str, TrackerReport]

    def ranked(self) -> list[TrackerReport]:
        def key(t: TrackerReport):
            auc = t.overall.success_auc if t.overall else float("nan")
            return (math.isnan(auc), -auc if not math.isnan(auc) else 0.0, t.name)
        return sorted(self.trackers.values(), key=key)


def _plan_tracker(name: str, folder: Path, exp, dataset: Dataset, lengths_by_sequence: dict[str, list[int]],
                  benchmark: BenchmarkDef) -> tuple[TrackerReport, list[RunFiles]]:
    """Which files a tracker's score needs; sequences without them become problems."""
    specs = {s: benchmark.sequences[s] for s in dataset}
    scan = OTBLayout(exp).scan(Path(folder), specs, lengths_by_sequence)
    report = TrackerReport(name, Path(folder), None, None, problems=dict(scan.problems), notes=list(scan.notes))
    return report, scan.runs


def _score_runs(runs: list[RunFiles], dataset: Dataset, convention: OTBConvention) -> dict:
    """Parse and score runs: {run: RunScore or problem text}."""
    out: dict = {}
    boxes, times = read_runs(runs)
    good = []
    for run, parsed in zip(runs, boxes):
        if isinstance(parsed, Exception):
            out[run] = str(parsed)
        elif isinstance(times.get(run.times), RefusedFile):  # unreadable times are merely unknown, these hostile
            out[run] = str(times[run.times])
        elif len(parsed) != run.length:
            out[run] = (f"{run.boxes.name} has {plural(len(parsed), 'box', 'boxes')}, the ground truth "
                        f"{plural(run.length, 'frame')}")
        else:
            good.append((run, parsed))
    if not good:
        return out
    gts = [dataset[run.sequence].groundtruth[len(dataset[run.sequence]) - run.length:] for run, _ in good]
    lengths = np.array([run.length for run, _ in good])
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    measures = M.frame_measures(np.concatenate([p for _, p in good]), np.concatenate(gts), starts, convention)
    success, precision, norm = M.run_curve_counts(measures, convention)
    for i, (run, _) in enumerate(good):
        t = times.get(run.times)
        fps = M.sequence_fps(t.reshape(-1), convention.speed) if isinstance(t, np.ndarray) and t.size == run.length \
            else None
        out[run] = RunScore(success[i], precision[i], norm[i], run.length, fps)
    return out


def _score(report: TrackerReport, runs: list[RunFiles], dataset: Dataset, convention: OTBConvention,
           gt_hashes: dict, cache: RunScoreCache, scope: str) -> TrackerReport:
    """Score a tracker's planned runs, reusing cached run scores whose inputs are unchanged."""
    cached = cache.load(report.folder, scope)
    scores: dict = {}
    keys = {}
    for run in runs:
        rel = run.boxes.relative_to(report.folder).as_posix()
        key = [file_key(run.boxes), file_key(run.times), gt_hashes[(run.sequence, run.length)]]
        keys[run] = (rel, key)
        hit = cached.get(rel)
        if hit is not None and hit[0] == key:
            scores[run] = hit[1]
    missing = [run for run in runs if run not in scores]
    if missing:
        scores.update(_score_runs(missing, dataset, convention))
        cache.save(report.folder, scope, [(*keys[run], s) for run, s in scores.items() if isinstance(s, RunScore)])

    by_sequence: dict[str, list[RunScore]] = {}
    for run in runs:
        score = scores[run]
        if isinstance(score, str):
            report.problems.setdefault(run.sequence, score)
        elif run.sequence not in report.problems:
            by_sequence.setdefault(run.sequence, []).append(score)
    seq_names = [s for s in by_sequence if s not in report.problems]
    if not seq_names:
        return report
    run_scores = [score for s in seq_names for score in by_sequence[s]]
    groups = np.repeat(np.arange(len(seq_names)), [len(by_sequence[s]) for s in seq_names])
    counts = tuple(np.stack([getattr(r, k) for r in run_scores]) for k in ("success", "precision", "norm_precision"))
    curves = M.sequence_curves(counts, np.array([r.frames for r in run_scores]), groups)
    seq_fps = []
    for s in seq_names:
        known = [r.fps for r in by_sequence[s] if r.fps is not None]
        seq_fps.append(float(np.mean(known)) if known else None)

    def score_set(rows) -> ScoreSet:
        drop = convention.drop_empty_sequences
        return ScoreSet(M.mean_curve(curves.success[rows], drop), M.mean_curve(curves.precision[rows], drop),
                        M.mean_curve(curves.norm_precision[rows], drop), len(rows))

    report.overall = score_set(np.arange(len(seq_names)))
    report.fps = M.mean_fps(seq_fps, convention.speed)
    per_sequence = zip(seq_names, curves.success.mean(axis=1), curves.precision[:, M.PRECISION_INDEX],
                       curves.norm_precision[:, M.PRECISION_INDEX], curves.success[:, M.SUCCESS_RATE_INDEX], seq_fps)
    for seq_name, auc, precision, norm_precision, success_rate, fps in per_sequence:
        report.sequences[seq_name] = {"success_auc": float(auc), "precision_20": float(precision),
                                      "norm_precision_20": float(norm_precision),
                                      "success_rate_50": float(success_rate), "fps": fps}
    for code in ATTRIBUTE_CODES:
        rows = [i for i, s in enumerate(seq_names) if code in dataset[s].attributes]
        if rows:
            report.attributes[code] = score_set(np.array(rows))
    return report


def evaluate(benchmark: BenchmarkDef, experiment: str, dataset: Dataset, tracker_dirs: dict[str, Path],
             convention: str = "official", cache: bool = True) -> Report:
    """Score every tracker folder (run scores are cached, see :mod:`rasbench.cache`)."""
    conv = otb_convention(convention)
    exp = benchmark.experiment(experiment)
    lengths = {name: expected_lengths(seq, exp.settings, conv.run.start) for name, seq in dataset.items()}
    gt_hashes = {}
    for name, seq in dataset.items():
        for length in set(lengths[name]):
            gt_hashes[(name, length)] = rows_digest(seq.groundtruth[len(seq) - length:])
    scores = RunScoreCache(enabled=cache)
    scope = f"{benchmark.name}/{exp.name}/{conv.name}"
    trackers = {}
    for name, folder in tracker_dirs.items():
        report, runs = _plan_tracker(name, folder, exp, dataset, lengths, benchmark)
        report.notes += run_convention_notes(name, folder, conv.name)
        trackers[name] = _score(report, runs, dataset, conv, gt_hashes, scores, scope)
    return Report(benchmark, experiment, conv, dataset, trackers)


# ---------------------------------------------------------------------------------------
# Output formats


def display_order(report) -> list:
    """An OTB or VOT report's trackers as tables and plots list them: the complete ones
    in rank order, then the incomplete ones (unranked, below a rule), best first."""
    ranked = report.ranked()
    return [t for t in ranked if t.complete] + [t for t in ranked if not t.complete]


def _num(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def to_dict(report: Report) -> dict:
    out = {
        "benchmark": report.benchmark.name,
        "experiment": report.experiment,
        "convention": report.convention.name,
        "dataset": report.dataset.source,
        "trackers": {},
    }
    for t in report.ranked():
        o = t.overall
        entry = {
            "success_auc": _num(o.success_auc) if o else None,
            "precision_20": _num(o.precision_20) if o else None,
            "norm_precision_20": _num(o.norm_precision_20) if o else None,
            "success_rate_50": _num(o.success_rate_50) if o else None,
            "fps": _num(t.fps),
            "complete": t.complete,
            "scored_sequences": len(t.sequences),
            "sequences": {s: {k: _num(v) for k, v in d.items()} for s, d in t.sequences.items()},
            "attributes": {code: {"success_auc": _num(a.success_auc), "precision_20": _num(a.precision_20),
                                  "sequences": a.sequences} for code, a in t.attributes.items()},
            "success_curve": [float(v) for v in o.success_curve] if o else [],
            "precision_curve": [float(v) for v in o.precision_curve] if o else [],
        }
        if t.problems:
            entry["problems"] = dict(t.problems)
        if t.notes:
            entry["notes"] = list(t.notes)
        out["trackers"][t.name] = entry
    return out


def to_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2)


CSV_FIELDS = ("tracker", "success_auc", "precision_20", "norm_precision_20", "success_rate_50", "fps",
              "scored_sequences", "complete")


def to_csv(report: Report, per_sequence: bool = False, attributes: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if per_sequence:
        writer.writerow(("tracker", "sequence", "success_auc", "precision_20", "norm_precision_20",
                         "success_rate_50", "fps"))
        for t in report.ranked():
            for s, d in t.sequences.items():
                writer.writerow((t.name, s, *(_csv(d[k]) for k in ("success_auc", "precision_20",
                                                                    "norm_precision_20", "success_rate_50", "fps"))))
        return buf.getvalue()
    if attributes:
        writer.writerow(("tracker", "attribute", "sequences", "success_auc", "precision_20"))
        for t in report.ranked():
            for code, a in t.attributes.items():
                writer.writerow((t.name, code, a.sequences, _csv(a.success_auc), _csv(a.precision_20)))
        return buf.getvalue()
    writer.writerow(CSV_FIELDS)
    for t in report.ranked():
        o = t.overall
        writer.writerow((t.name, _csv(o and o.success_auc), _csv(o and o.precision_20),
                         _csv(o and o.norm_precision_20), _csv(o and o.success_rate_50), _csv(t.fps),
                         len(t.sequences), t.complete))
    return buf.getvalue()


def _csv(value) -> str:
    value = _num(value)
    return "" if value is None else f"{value:.6f}"


def _fmt(value, digits: int = 3) -> str:
    value = _num(value)
    return "-" if value is None else f"{value:.{digits}f}"


def _fmt_fps(value) -> str:
    value = _num(value)
    return "-" if value is None else f"{value:.1f}" if value < 1e4 else f"{value:.1e}"


def best_cells(values: list[list], complete: list[bool], lower_is_better=()) -> set[tuple[int, int]]:
    """(row, column) of each column's best value among the complete rows (every row
    that ties with it); ``lower_is_better``: those columns' best is their minimum."""
    best = set()
    for c in range(len(values[0]) if values else 0):
        column = [(i, row[c]) for i, row in enumerate(values) if complete[i] and _num(row[c]) is not None]
        if column:
            target = (min if c in lower_is_better else max)(v for _, v in column)
            best |= {(i, c) for i, v in column if v == target}
    return best


def text_table(title: str, header: list[str], rows: list[list[str]], complete: list[bool], bold=frozenset(),
               color: bool = False) -> list[str]:
    """The lines of a terminal table: ``rows`` of cells (name first), those of
    incomplete trackers after the complete ones, below a rule; ``bold``: (row, value
    column) cells printed bold when ``color``."""
    widths = [max([len(h)] + [len(r[c]) for r in rows]) for c, h in enumerate(header)]
    rule = "  ".join("-" * w for w in widths)
    lines = [title, "  ".join(h.ljust(widths[0]) if c == 0 else h.rjust(widths[c]) for c, h in enumerate(header)),
             rule]
    for i, row in enumerate(rows):
        if i and not complete[i] and complete[i - 1]:
            lines.append(rule)  # incomplete trackers: not ranked
        out = []
        for c, text in enumerate(row):
            text = text.ljust(widths[c]) if c == 0 else text.rjust(widths[c])
            if color and (i, c - 1) in bold:
                text = f"\033[1m{text}\033[0m"
            out.append(text)
        lines.append("  ".join(out))
    return lines


def incomplete_notes(trackers) -> list[str]:
    """Why each incomplete tracker is incomplete (the first 8 problems of each)."""
    incomplete = [t for t in trackers if not t.complete]
    if not incomplete:
        return []
    lines = ["", "* incomplete: scored without the sequences listed below (numbers are not comparable, not ranked)"]
    for t in incomplete:
        problems = list(t.problems.items())
        lines += [f"  {t.name} / {seq}: {why}" for seq, why in problems[:8]]
        if len(problems) > 8:
            lines.append(f"  {t.name}: ... and {len(problems) - 8} more")
    return lines


def to_table(report: Report, attributes: bool = False, color: bool = False) -> str:
    """Terminal table: complete trackers ranked, incomplete ones (``*``) below a rule;
    the best value per column among the complete trackers in bold (when ``color``)."""
    order = display_order(report)
    title = (f"{report.benchmark.title} - {report.experiment.upper()} - convention {report.convention.name} - "
             f"{plural(len(report.dataset), 'sequence')}")
    if attributes:
        codes = [c for c in ATTRIBUTE_CODES if any(c in t.attributes for t in order)]
        header = ["tracker"] + [f"{c}({max(t.attributes[c].sequences for t in order if c in t.attributes)})"
                                for c in codes]
        values = [[t.attributes[c].success_auc if c in t.attributes else None for c in codes] for t in order]
        cells = [[_fmt(v) for v in row] for row in values]
        title += " - success AUC per attribute (sequences)"
    else:
        header = ["tracker", "AUC", "P@20", "NP@20", "SR@0.5", "FPS", "seqs"]
        values = [([t.overall.success_auc, t.overall.precision_20, t.overall.norm_precision_20,
                    t.overall.success_rate_50] if t.overall else [None] * 4) + [t.fps] for t in order]
        cells = [[_fmt(v) for v in row[:4]] + [_fmt_fps(row[4]), str(len(t.sequences))]
                 for row, t in zip(values, order)]
    complete = [t.complete for t in order]
    rows = [[t.name + ("" if t.complete else " *")] + row for t, row in zip(order, cells)]
    lines = text_table(title, header, rows, complete, best_cells(values, complete), color)
    return "\n".join(lines + incomplete_notes(order))
