"""Intervals and paired tests for a scored report, from the per-sequence terms its family put in it.

Family-blind: a family's scorer leaves in every :class:`~rasbench.evaluation.model.TrackerResult`
the per-sequence (numerator, denominator) of each score (``sequence_terms``, keyed by
measure or curve key, rows in ``sequences`` order) and, for several runs, each run's
values (``run_values``); groups that are sets of sequences are listed in
``Report.group_sequences``. This module adds, with :mod:`rasbench.metrics.stats`:

* ``TrackerResult.intervals``: a BCa interval of every headline measure with terms;
  trackers scored on the same sequences share one set of resamples (paired);
* ``Scores.intervals`` of each such group (its sequences resampled);
* ``TrackerResult.bands``: pointwise intervals of every curve whose spec asks for a band;
* ``TrackerResult.run_spread``: each run's score and the standard deviation between runs;
* ``Report.comparisons``: all pairs of the complete trackers per ranked measure (difference
  intervals, permutation p-values, Holm, tied with the best).

Method and defaults: docs/statistics.md.
"""
from __future__ import annotations

import numpy as np

from ..metrics import stats as S
from .model import Interval, PairTable, Report, TrackerResult, Uncertainty, finite


def add_uncertainty(report: Report, options: Uncertainty) -> Report:
    """Fill ``report``'s intervals, bands, run spreads and comparisons (in place); returns it."""
    report.uncertainty = options
    scored = [t for t in report.ranked() if t.sequence_terms]  # comparison tables in rank order
    order = {s: i for i, s in enumerate(report.dataset)}
    headline = [m for m in report.measures if any(m.key in t.sequence_terms for t in scored)]
    by_set: dict[tuple, list[TrackerResult]] = {}
    for t in scored:
        by_set.setdefault(tuple(sorted(t.sequences, key=order.get)), []).append(t)
    for sequences, trackers in by_set.items():
        if len(sequences) < 2:
            continue
        resampling = S.Resampling(len(sequences), options.n_boot, options.n_permutations, options.seed)
        for m in headline:
            have = [t for t in trackers if m.key in t.sequence_terms]
            if have:
                ci = S.confidence_intervals(_terms(have, m.key, sequences), resampling, options.level)
                for t, low, high in zip(have, ci.low, ci.high):
                    t.intervals[m.key] = Interval(finite(low), finite(high), options.level, options.n_boot,
                                                  options.seed)
        for curve in report.curves:
            have = [t for t in trackers if curve.band and curve.key in t.sequence_terms]
            if have:
                _bands(have, curve.key, sequences, resampling, options.level)
        complete = [t for t in trackers if t.complete]
        if len(complete) > 1:
            for m in headline:
                if m.ranked and all(m.key in t.sequence_terms for t in complete):
                    report.comparisons[m.key] = _pairs(complete, m, sequences, resampling, options.level)
    for t in scored:
        for key, (num, den) in t.run_values.items():
            _, spread = S.several_runs(np.asarray(num)[None], np.asarray(den)[None])
            t.run_spread[key] = {"run_scores": [finite(v) for v in spread.per_run[0]],
                                 "run_sd": finite(spread.std[0])}
    _group_intervals(report, scored, options)
    return report


def _terms(trackers: list[TrackerResult], key: str, sequences) -> S.RatioTerms:
    """The ``key`` terms of ``trackers`` on ``sequences`` (rows picked by name)."""
    pairs = []
    for t in trackers:
        rows = _rows(t, sequences)
        num, den = t.sequence_terms[key]
        pairs.append((np.asarray(num)[rows], np.asarray(den)[rows]))
    return S.RatioTerms.stack(pairs)


def _rows(t: TrackerResult, sequences) -> np.ndarray:
    index = {s: i for i, s in enumerate(t.sequences)}
    return np.array([index[s] for s in sequences])


def _bands(trackers: list[TrackerResult], key: str, sequences, resampling: S.Resampling, level: float) -> None:
    """Pointwise intervals of a curve: each x value scored as a tracker of its own."""
    terms = _terms(trackers, key, sequences)
    t, s, k = terms.num.shape
    columns = S.RatioTerms(terms.num.transpose(0, 2, 1).reshape(t * k, s),
                           terms.den.transpose(0, 2, 1).reshape(t * k, s))
    ci = S.confidence_intervals(columns, resampling, level)
    for i, tracker in enumerate(trackers):
        tracker.bands[key] = (ci.low[i * k:(i + 1) * k], ci.high[i * k:(i + 1) * k])


def _pairs(trackers: list[TrackerResult], measure, sequences, resampling: S.Resampling, level: float) -> PairTable:
    terms = _terms(trackers, measure.key, sequences)
    c = S.paired_comparisons(terms, resampling, level)
    tied = S.tied_with_best(terms.scores(), c, higher_is_better=measure.higher_is_better)
    names = tuple(t.name for t in trackers)
    return PairTable(measure.key, names, c.delta, c.delta_low, c.delta_high, c.p, c.p_se, c.p_holm,
                     tuple(n for n, flag in zip(names, tied) if flag), c.exact, c.n_permutations, c.level,
                     c.n_boot, c.seed)


def _group_intervals(report: Report, scored: list[TrackerResult], options: Uncertainty) -> None:
    """Intervals of each group's measures, the group's sequences resampled (trackers with
    the same sequences of the group share the resamples)."""
    for group, members in report.group_sequences.items():
        by_set: dict[tuple, list[TrackerResult]] = {}
        for t in scored:
            if group in t.groups:
                by_set.setdefault(tuple(s for s in members if s in t.sequences), []).append(t)
        for sequences, trackers in by_set.items():
            if len(sequences) < 2:
                continue
            resampling = S.Resampling(len(sequences), options.n_boot, options.n_permutations, options.seed)
            for m in report.group_measures:
                have = [t for t in trackers if m.key in t.sequence_terms]
                if not have:
                    continue
                ci = S.confidence_intervals(_terms(have, m.key, sequences), resampling, options.level)
                for t, low, high in zip(have, ci.low, ci.high):
                    t.groups[group].intervals[m.key] = Interval(finite(low), finite(high), options.level,
                                                                options.n_boot, options.seed)
