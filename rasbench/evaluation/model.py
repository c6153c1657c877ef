"""The one report model: what scoring produces and every output format consumes.

A family's scorer (:mod:`rasbench.evaluation.otb`, :mod:`~rasbench.evaluation.vot`)
fills a :class:`Report`: per tracker its scores, curves, per-sequence and per-group
(OTB attribute, VOT tag) numbers, problems and notes, and, as data, how to present them:
the measures with their labels, digits and directions, the curves, the groups, the
plots it offers, footnotes. Tables (text, CSV, JSON, LaTeX, HTML) and plots read only
this model, so a new family needs no new renderer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Measure:
    """A number a report shows. ``label``/``digits``: as LaTeX and HTML tables print it;
    ``table_label``/``table_digits``: the terminal table's, where they differ; ``speed``:
    a rate (the terminal table prints it compactly); ``ranked``: competes for best /
    second best; ``axis_label``: in ranking plots; ``description``: a footnote."""

    key: str
    label: str
    digits: int
    higher_is_better: bool = True
    ranked: bool = True
    description: str = ""
    table_label: str | None = None
    table_digits: int | None = None
    speed: bool = False
    axis_label: str | None = None


@dataclass(frozen=True)
class CurveSpec:
    """A per-tracker curve (``TrackerResult.curves[key]``): its x values (None: 1, 2, ...
    for each tracker's own length), axis labels, the measure its legend quotes, and how a
    published number of that measure is drawn (``published_at``: the x of its hollow
    marker; None: a text-only legend row)."""

    key: str
    title: str
    x: np.ndarray | None
    xlabel: str
    ylabel: str
    summary: str
    legend: str = "best"
    published_at: float | None = None
    band: bool = False  # a bootstrap band per x value (TrackerResult.bands) when intervals are on


@dataclass(frozen=True)
class PlotSpec:
    """A plot a report offers: ``name`` (the file is ``<experiment>_<name>``), ``kind`` (a
    key of :data:`rasbench.plots.KINDS`), its ``title`` in report listings, ``placement``
    in the HTML report (``overall``, ``groups``: the per-group section's summary,
    ``each-group`` / ``each-group-details``: one per group), ``params`` for the kind."""

    name: str
    kind: str
    title: str
    placement: str = "overall"
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Interval:
    """A confidence interval of one score: bounds (None where undefined), its level, and
    the bootstrap that made it (resamples, seed)."""

    low: float | None
    high: float | None
    level: float
    n_boot: int
    seed: int

    def to_dict(self) -> dict:
        return {"ci_low": self.low, "ci_high": self.high, "ci_level": self.level, "n_boot": self.n_boot,
                "seed": self.seed}


@dataclass(frozen=True)
class Uncertainty:
    """How a report's intervals and tests were made: ``n_boot`` resamples of the sequences
    from ``seed`` (BCa intervals at ``level``), paired permutation tests with at most
    ``n_permutations`` swap patterns (all of them for few sequences)."""

    n_boot: int = 10_000
    level: float = 0.95
    seed: int = 0
    n_permutations: int = 10_000

    @property
    def method(self) -> str:
        """One sentence naming the method (footnotes, JSON)."""
        return (f"{self.level:.0%} BCa bootstrap intervals over sequences ({self.n_boot:,} resamples, seed "
                f"{self.seed}, the same resamples for every tracker); paired sign-flip permutation tests "
                f"(exact up to {int(np.log2(self.n_permutations))} sequences, else {self.n_permutations:,} "
                f"random swaps), Holm-adjusted over all pairs")


@dataclass(frozen=True)
class Comparison:
    """Tracker ``a`` against tracker ``b`` on one measure: ``delta`` = score(a) - score(b),
    its interval (same resamples for both), the two-sided paired permutation p-value
    (``p_se``: its Monte Carlo standard error, 0 when exact) and the Holm-adjusted one
    (over all pairs of the report's table); ``method``: how."""

    a: str
    b: str
    measure: str
    delta: float
    interval: Interval
    p: float
    p_se: float
    p_holm: float
    method: str

    def __str__(self) -> str:
        low, high = (f"{v:+.4f}" if v is not None else "-" for v in (self.interval.low, self.interval.high))
        return (f"{self.a} - {self.b} ({self.measure}): {self.delta:+.4f} [{low}, {high}], p = {self.p:.4f}, "
                f"Holm-adjusted {self.p_holm:.4f}")


@dataclass(frozen=True)
class PairTable:
    """All pairs of the complete trackers on one measure; entry [i, j] compares
    ``trackers[i]`` with ``trackers[j]`` (see :class:`rasbench.metrics.stats.PairedComparisons`).
    ``tied_with_best``: the best tracker and those not significantly different from it
    (Holm, 0.05); ``exact``: every swap pattern enumerated."""

    measure: str
    trackers: tuple[str, ...]
    delta: np.ndarray
    delta_low: np.ndarray
    delta_high: np.ndarray
    p: np.ndarray
    p_se: np.ndarray
    p_holm: np.ndarray
    tied_with_best: tuple[str, ...]
    exact: bool
    n_permutations: int
    level: float
    n_boot: int
    seed: int

    def pair(self, a: str, b: str, method: str = "") -> Comparison:
        i, j = self.trackers.index(a), self.trackers.index(b)
        return Comparison(a, b, self.measure, float(self.delta[i, j]),
                          Interval(finite(self.delta_low[i, j]), finite(self.delta_high[i, j]), self.level,
                                   self.n_boot, self.seed),
                          float(self.p[i, j]), float(self.p_se[i, j]), float(self.p_holm[i, j]), method)

    def to_dict(self) -> dict:
        pairs = [{"a": a, "b": b, "delta": finite(self.delta[i, j]),
                  "delta_ci": [finite(self.delta_low[i, j]), finite(self.delta_high[i, j])],
                  "p": float(self.p[i, j]), "p_se": float(self.p_se[i, j]), "p_holm": float(self.p_holm[i, j])}
                 for i, a in enumerate(self.trackers) for j, b in enumerate(self.trackers) if i < j]
        return {"trackers": list(self.trackers), "tied_with_best": list(self.tied_with_best), "exact": self.exact,
                "n_permutations": self.n_permutations, "ci_level": self.level, "n_boot": self.n_boot,
                "seed": self.seed, "pairs": pairs}


class Scores:
    """One tracker's numbers over a set of sequences (or frames): ``values`` by measure
    key, ``curves`` by curve key, ``count`` (sequences or frames), ``intervals`` by
    measure key (where computed). Values and curves read as attributes too:
    ``scores.success_auc``, ``scores.success_curve``."""

    def __init__(self, values: dict[str, Any], curves: dict[str, Any] | None = None, count: int = 0):
        self.values, self.curves, self.count = dict(values), dict(curves or {}), count
        self.intervals: dict[str, Interval] = {}

    def __getattr__(self, key: str):
        if key in ("values", "curves", "count", "intervals"):
            raise AttributeError(key)
        if key in self.values:
            return self.values[key]
        if key in self.curves:
            return self.curves[key]
        raise AttributeError(f"no score or curve {key!r} (scores: {', '.join(self.values)})")

    def __repr__(self) -> str:
        return f"Scores({self.values!r}, count={self.count})"


@dataclass
class TrackerResult:
    """One tracker's scores on one experiment.

    ``scores``: the headline numbers by measure key, and counts (``runs``,
    ``scored_sequences``); ``curves``: arrays by curve key; ``sequences``: per sequence
    ``{measure: value}``; ``groups``: per attribute / tag, :class:`Scores`;
    ``problems``: sequences that could not be scored and why (then the tracker is
    incomplete, never ranked); ``sequence_terms``: the per-sequence (numerator,
    denominator) of each ratio score and banded curve, rows in ``sequences`` order, the
    input of :mod:`rasbench.metrics.stats`; ``run_values``: per measure, (numerator,
    denominator), (sequences, runs) each, where a tracker ran several times (the spread);
    ``intervals``: headline confidence intervals by measure key; ``bands``: per banded
    curve, (low, high) arrays; ``run_spread``: per measure, {"run_scores", "run_sd"}."""

    name: str
    folder: Path
    scores: dict[str, Any] = field(default_factory=dict)
    curves: dict[str, Any] = field(default_factory=dict)
    sequences: dict[str, dict] = field(default_factory=dict)
    groups: dict[str, Scores] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sequence_terms: dict = field(default_factory=dict)
    run_values: dict = field(default_factory=dict)
    intervals: dict[str, Interval] = field(default_factory=dict)
    bands: dict[str, tuple] = field(default_factory=dict)
    run_spread: dict[str, dict] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.problems

    @property
    def overall(self) -> Scores | None:
        """The headline scores and curves as one :class:`Scores`; None when nothing was scored."""
        if not any(isinstance(v, float) for v in self.scores.values()):
            return None
        return Scores(self.scores, self.curves, len(self.sequences))

    @property
    def fps(self) -> float | None:
        return self.scores.get("fps")


def finite(value) -> float | None:
    """``value`` as a float, None for None or NaN (how missing numbers are written)."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _plain(value):
    """A number as JSON writes it: ints stay ints, NaN becomes None."""
    return value if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else finite(value)


@dataclass
class Report:
    """The scores of several trackers on one experiment, and how to present them.

    ``measures``: the headline columns, in order; ``primary``: the measure that ranks;
    ``headline``: every score key JSON and CSV write first (some may be None for this
    experiment); ``counts``: (key, column label) of the count tables print last;
    ``curves``, ``plots``: what it offers; ``group_kind``/``group_noun``/``group_count``:
    "attributes"/"attribute"/"sequences" or "tags"/"tag"/"frames"; ``group_measures``:
    their numbers; ``group_table``: those a terminal table shows; ``group_order``: the
    groups in display order; ``group_sizes``: sequences per group in the dataset, where
    known; ``sequence_measures``: per-sequence numbers, ``sequence_table`` those an HTML
    table shows; ``extras``: further top-level JSON keys (``eao_interval``); ``cross``:
    plots combining this experiment with another, [(plot kind, other experiment)];
    ``group_sequences``: the sequences of each group where a group is a set of sequences
    (OTB attributes; their intervals resample those); ``uncertainty``: how intervals and
    tests were made (None: not computed); ``comparisons``: all pairs per measure."""

    benchmark: Any  # BenchmarkDef
    experiment: str
    family: str
    convention: Any  # the family's convention (config.conventions)
    dataset: Any  # Dataset
    measures: list[Measure]
    primary: str
    headline: tuple[str, ...]
    counts: tuple[str, str]
    experiment_label: str
    curves: list[CurveSpec] = field(default_factory=list)
    plots: list[PlotSpec] = field(default_factory=list)
    group_kind: str = "attributes"
    group_noun: str = "attribute"
    group_count: str = "sequences"
    group_measures: list[Measure] = field(default_factory=list)
    group_table: list[Measure] = field(default_factory=list)
    group_order: list[str] = field(default_factory=list)
    group_names: dict[str, str] = field(default_factory=dict)
    group_sizes: dict[str, int] = field(default_factory=dict)
    group_title: str = ""
    group_caption: str = ""
    group_note: str = ""
    sequence_measures: list[Measure] = field(default_factory=list)
    sequence_table: list[Measure] = field(default_factory=list)
    sequence_note: str = ""
    ranking: list[Measure] = field(default_factory=list)
    ranking_title: str = ""
    title_notes: list[str] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
    extras: dict = field(default_factory=dict)
    cross: list[tuple[str, str]] = field(default_factory=list)
    group_sequences: dict[str, list[str]] = field(default_factory=dict)
    trackers: dict[str, TrackerResult] = field(default_factory=dict)
    uncertainty: Uncertainty | None = None
    comparisons: dict[str, PairTable] = field(default_factory=dict)

    def measure(self, key: str) -> Measure:
        return next(m for m in self.measures if m.key == key)

    def ranked(self) -> list[TrackerResult]:
        """Trackers by the primary measure, best first (unscored last), then by name."""
        def order(t: TrackerResult):
            value = finite(t.scores.get(self.primary))
            return (value is None, -(value or 0.0), t.name)
        return sorted(self.trackers.values(), key=order)

    def display_order(self) -> list[TrackerResult]:
        """Trackers as tables and plots list them: the complete ones in rank order, then the
        incomplete ones (unranked, below a rule), best first."""
        ranked = self.ranked()
        return [t for t in ranked if t.complete] + [t for t in ranked if not t.complete]

    def __getitem__(self, name: str) -> TrackerResult:
        return self.trackers[name]

    def table(self):
        """A pandas DataFrame, one row per tracker in rank order: the headline measures,
        the count and ``complete`` as columns."""
        import pandas as pd

        rows = [{"tracker": t.name, **{m.key: finite(t.scores.get(m.key)) for m in self.measures},
                 self.counts[0]: t.scores.get(self.counts[0], 0), "complete": t.complete} for t in self.ranked()]
        return pd.DataFrame(rows).set_index("tracker")

    def compare(self, a: str, b: str, measure: str | None = None) -> Comparison:
        """Tracker ``a`` against ``b`` on ``measure`` (default: the primary one): the
        difference, its interval and the paired permutation p-value (both trackers must
        be complete: compared on the same sequences)."""
        measure = measure or self.primary
        if self.uncertainty is None:
            raise ValueError("this report was made without intervals and tests (evaluate with uncertainty)")
        table = self.comparisons.get(measure)
        if table is None:
            raise ValueError(f"no paired comparisons of {measure!r}; there are: {', '.join(self.comparisons)}")
        for name in (a, b):
            if name not in table.trackers:
                raise ValueError(f"{name!r} is not among the compared (complete) trackers: "
                                 f"{', '.join(table.trackers)}")
        return table.pair(a, b, self.uncertainty.method)

    def plot(self, name: str, **options):
        """The plot ``name`` (one of ``[p.name for p in report.plots]``) as a matplotlib Figure."""
        from ..plots import figure

        return figure(self, name, **options)

    def to_dict(self) -> dict:
        """What ``rasbench report --format json`` prints."""
        out = {"benchmark": self.benchmark.name, "experiment": self.experiment, "convention": self.convention.name,
               "dataset": self.dataset.source, **self.extras, "trackers": {}}
        for t in self.ranked():
            entry = {key: finite(t.scores.get(key)) for key in self.headline}
            entry.update({k: _plain(v) for k, v in t.scores.items() if k not in self.headline})
            entry.setdefault(self.counts[0], 0)
            entry["complete"] = t.complete
            for curve in self.curves:
                entry[curve.key] = [float(v) for v in t.curves.get(curve.key, [])]
            entry["sequences"] = {s: {k: _plain(v) for k, v in d.items()} for s, d in t.sequences.items()}
            entry[self.group_kind] = {g: {**{m.key: finite(s.values.get(m.key)) for m in self.group_measures},
                                          self.group_count: s.count} for g, s in t.groups.items()}
            if t.intervals:
                entry["intervals"] = {k: i.to_dict() for k, i in t.intervals.items()}
            for g, scores in t.groups.items():
                if scores.intervals:
                    entry[self.group_kind][g]["intervals"] = {k: i.to_dict() for k, i in scores.intervals.items()}
            if t.run_spread:
                entry["run_spread"] = {k: dict(v) for k, v in t.run_spread.items()}
            if t.problems:
                entry["problems"] = dict(t.problems)
            if t.notes:
                entry["notes"] = list(t.notes)
            out["trackers"][t.name] = entry
        if self.uncertainty is not None:
            u = self.uncertainty
            out["uncertainty"] = {"ci_level": u.level, "n_boot": u.n_boot, "seed": u.seed,
                                  "n_permutations": u.n_permutations, "method": u.method}
            out["comparisons"] = {k: table.to_dict() for k, table in self.comparisons.items()}
        return out
