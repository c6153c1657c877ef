"""What the publishable tables (LaTeX, HTML) share: rows in display order, best and
second-best marks as printed, published rows."""
from __future__ import annotations

from ..evaluation.model import Measure, Report, finite


def rank_marks(values: list, digits: int, lower_is_better: bool = False, eligible: list | None = None) -> list[int]:
    """0 = best, 1 = second best, -1 = neither, compared as printed (ties share a mark);
    only ``eligible`` rows (complete results) compete."""
    printed = [round(v, digits) if finite(v) is not None and (eligible is None or eligible[i]) else None
               for i, v in enumerate(values)]
    distinct = sorted({v for v in printed if v is not None}, reverse=not lower_is_better)
    order = {v: i for i, v in enumerate(distinct[:2])}
    return [order.get(v, -1) if v is not None else -1 for v in printed]


def column_marks(rows: list[tuple[str, bool, dict]], measures: list[Measure]) -> dict[str, list[int]]:
    """Per measure, the marks of ``rows`` (:func:`headline_rows`); unranked measures get none."""
    eligible = [ok for _, ok, _ in rows]
    return {m.key: rank_marks([v.get(m.key) for _, _, v in rows], m.digits, not m.higher_is_better, eligible)
            if m.ranked else [-1] * len(rows) for m in measures}


def headline_rows(report: Report) -> list[tuple[str, bool, dict]]:
    """[(tracker, complete, {measure key: value})] in display order (complete trackers
    ranked, then incomplete ones), from the report's own numbers (the JSON report's
    values, unrounded)."""
    return [(t.name, t.complete, {m.key: t.scores.get(m.key) for m in report.measures})
            for t in report.display_order()]


def published_by_tracker(published, measures: list[Measure], rank_key: str,
                         limit: int | None) -> list[tuple[str, dict, list]]:
    """[(tracker, {measure key: value}, [numbers])] of the published trackers with a
    number of the ranking measure, best first, at most ``limit``."""
    keys = {m.key for m in measures}
    grouped: dict[str, dict] = {}
    for p in published:
        if p.metric in keys:
            grouped.setdefault(p.label, {})[p.metric] = p
    rows = [(name, {k: p.value for k, p in by_metric.items()}, list(by_metric.values()))
            for name, by_metric in grouped.items() if rank_key in by_metric]
    rows.sort(key=lambda r: -r[1][rank_key])
    return rows[:limit] if limit is not None else rows

