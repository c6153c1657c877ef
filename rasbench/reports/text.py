"""A report as a terminal table, CSV and JSON.

Complete trackers are ranked; incomplete ones (``*``, sequences missing) follow below a
rule, unranked, with why at the end. Numbers are the report's own, rounded as the
measure says; CSV keeps six decimals, JSON everything.
"""
from __future__ import annotations

import csv
import io
import json

from ..evaluation.model import Interval, Measure, Report, finite
from ..text import plural


def fmt(value, digits: int = 3) -> str:
    value = finite(value)
    return "-" if value is None else f"{value:.{digits}f}"


def fmt_speed(value) -> str:
    value = finite(value)
    return "-" if value is None else f"{value:.1f}" if value < 1e4 else f"{value:.1e}"


def best_cells(values: list[list], complete: list[bool], lower_is_better=()) -> set[tuple[int, int]]:
    """(row, column) of each column's best value among the complete rows (every row
    that ties with it); ``lower_is_better``: those columns' best is their minimum."""
    best = set()
    for c in range(len(values[0]) if values else 0):
        column = [(i, row[c]) for i, row in enumerate(values) if complete[i] and finite(row[c]) is not None]
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


def title(report: Report) -> str:
    """"OTB-2015 (...) - OPE - convention official - 100 sequences"."""
    return (f"{report.benchmark.title} - {report.experiment_label} - convention {report.convention.name} - "
            f"{plural(len(report.dataset), 'sequence')}" + "".join(f" - {note}" for note in report.title_notes))


def _cell(measure: Measure, value, interval: Interval | None = None) -> str:
    """The value as the measure prints it; with ``interval``: ``0.582 [0.561, 0.603]``."""
    digits = measure.digits if measure.table_digits is None else measure.table_digits
    text = fmt_speed(value) if measure.speed else fmt(value, digits)
    if interval is not None and finite(value) is not None:
        text += f" [{fmt(interval.low, digits)}, {fmt(interval.high, digits)}]"
    return text


def interval_notes(report: Report) -> list[str]:
    """Footnotes of a table showing intervals: the method, who is tied with the best."""
    u = report.uncertainty
    if u is None:
        return []
    lines = [f"[low, high]: {u.method}."]
    for key, table in report.comparisons.items():
        if len(table.tied_with_best) > 1:
            label = report.measure(key).table_label or report.measure(key).label
            lines.append(f"{label}: statistically tied with the best (Holm-adjusted p >= 0.05): "
                         f"{', '.join(table.tied_with_best)}.")
    return lines


def run_notes(report: Report) -> list[str]:
    """Footnotes on trackers run several times: the spread of the primary measure between runs."""
    spread = [(t.name, t.run_spread[report.primary]) for t in report.display_order() if report.primary in t.run_spread]
    if not spread:
        return []
    label = report.measure(report.primary).table_label or report.measure(report.primary).label
    return [f"{label} is the mean over runs; between-run standard deviation: "
            + ", ".join(f"{name} {fmt(s['run_sd'], 4)} ({len(s['run_scores'])} runs)" for name, s in spread) + "."]


def to_table(report: Report, attributes: bool = False, color: bool = False, intervals: bool = False) -> str:
    """Terminal table: complete trackers ranked, incomplete ones (``*``) below a rule;
    the best value per ranked column among the complete trackers in bold (when
    ``color``). ``attributes``: the report's per-group table (OTB attributes, VOT tags).
    ``intervals``: every value with its confidence interval, where the report has them."""
    order = report.display_order()
    complete = [t.complete for t in order]
    heading = title(report)
    if attributes:
        measures = report.group_table
        groups = [g for g in report.group_order if any(g in t.groups for t in order)]
        if len(measures) == 1:
            header = [f"{g}({max(t.groups[g].count for t in order if g in t.groups)})" for g in groups]
        else:
            header = [f"{g} {'/'.join(m.table_label or m.label for m in measures)}" for g in groups]
        cells = [["/".join(_cell(m, t.groups[g].values.get(m.key),
                                 t.groups[g].intervals.get(m.key) if intervals else None) for m in measures)
                  if g in t.groups else "-" for g in groups] for t in order]
        values = [[t.groups[g].values.get(measures[0].key) if g in t.groups else None for g in groups] for t in order]
        bold = best_cells(values, complete) if len(measures) == 1 and measures[0].higher_is_better else set()
        if report.group_title:
            heading += f" - {report.group_title}"
        header = ["tracker"] + header
    else:
        measures = report.measures
        header = ["tracker"] + [m.table_label or m.label for m in measures] + [report.counts[1]]
        cells = [[_cell(m, t.scores.get(m.key), t.intervals.get(m.key) if intervals else None) for m in measures]
                 + [str(t.scores.get(report.counts[0], 0))] for t in order]
        ranked = [c for c, m in enumerate(measures) if m.ranked]
        values = [[t.scores.get(m.key) if m.ranked else None for m in measures] for t in order]
        bold = best_cells(values, complete, {c for c in ranked if not measures[c].higher_is_better})
    rows = [[t.name + ("" if t.complete else " *")] + row for t, row in zip(order, cells)]
    lines = text_table(heading, header, rows, complete, bold, color)
    if not attributes:
        lines += report.footnotes + run_notes(report)
    if intervals:
        lines += interval_notes(report)[:1] if attributes else interval_notes(report)
    return "\n".join(lines + incomplete_notes(order))


def _csv(value) -> str:
    """Six decimals; integers as they are; "" for a missing number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    value = finite(value)
    return "" if value is None else f"{value:.6f}"


def to_csv(report: Report, per_sequence: bool = False, attributes: bool = False) -> str:
    """One row per tracker (headline scores, count, complete), or per tracker and
    sequence, or per tracker and group (attribute / tag)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if per_sequence:
        keys = [m.key for m in report.sequence_measures]
        writer.writerow(("tracker", "sequence", *keys))
        for t in report.ranked():
            for s, d in t.sequences.items():
                writer.writerow((t.name, s, *(_csv(d.get(k)) for k in keys)))
    elif attributes:
        keys = [m.key for m in report.group_measures]
        ci = [k for k in keys if any(k in g.intervals for t in report.trackers.values() for g in t.groups.values())]
        writer.writerow(("tracker", report.group_noun, report.group_count, *keys,
                         *(f"{k}_ci_{end}" for k in ci for end in ("low", "high"))))
        for t in report.ranked():
            for g, scores in t.groups.items():
                bounds = [scores.intervals.get(k) for k in ci]
                writer.writerow((t.name, g, scores.count, *(_csv(scores.values.get(k)) for k in keys),
                                 *(_csv(getattr(b, end) if b else None) for b in bounds for end in ("low", "high"))))
    else:
        ci = [k for k in report.headline if any(k in t.intervals for t in report.trackers.values())]
        spread = [k for k in report.headline if any(k in t.run_spread for t in report.trackers.values())]
        u = report.uncertainty
        writer.writerow(("tracker", *report.headline, report.counts[0], "complete",
                         *(f"{k}_ci_{end}" for k in ci for end in ("low", "high")), *(f"{k}_run_sd" for k in spread),
                         *(("ci_level", "n_boot", "seed") if ci else ())))
        for t in report.ranked():
            bounds = [t.intervals.get(k) for k in ci]
            writer.writerow((t.name, *(_csv(t.scores.get(k)) for k in report.headline),
                             t.scores.get(report.counts[0], 0), t.complete,
                             *(_csv(getattr(b, end) if b else None) for b in bounds for end in ("low", "high")),
                             *(_csv(t.run_spread.get(k, {}).get("run_sd")) for k in spread),
                             *((u.level, u.n_boot, u.seed) if ci else ())))
    return buf.getvalue()


def to_dict(report: Report) -> dict:
    """The JSON report as a dict (:meth:`Report.to_dict`)."""
    return report.to_dict()


def to_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2)
