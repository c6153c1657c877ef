"""Ranking plots: one row per tracker, best at the top, a dot per measure."""
from __future__ import annotations

import numpy as np

from .style import (
    COLUMN_WIDTH,
    DAGGER,
    PALETTE,
    PUBLISHED_COLOR,
    PUBLISHED_NOTE,
    TrackerStyle,
    hollow,
    is_finite,
    new_figure,
    print_style,
    published_name,
    published_rows,
    rank_key,
    tracker_styles,
)


def ranking_plot(rows, metrics: list[tuple[str, str]], title: str, published=(), published_top: int = 5,
                 styles: dict | None = None, intervals: dict | None = None, interval_note: str = ""):
    """A dot plot per metric: one row per tracker (best at the top), ours filled in the
    tracker's colour, published numbers hollow with a dagger; incomplete trackers
    below a rule, unranked.

    ``rows``: [(name, complete, {metric: value})] in rank order; ``metrics``: [(key,
    axis label)], the first one ranks. Published rows of the ranking metric are
    placed among the complete trackers by value; their other metrics are drawn where
    known. ``intervals``: {tracker: {metric: (low, high)}}, drawn as bars through the
    dots (``interval_note`` says what they are).
    """
    key = metrics[0][0]
    refs = published_rows(published, key, published_top)
    by_tracker: dict[str, dict] = {}
    for p in published:  # every published metric of the selected trackers
        by_tracker.setdefault(published_name(p), {}).setdefault(p.metric, p)
    # (value, published?, name, complete, verified, {metric: value})
    entries = [(values.get(key), False, name, complete, True, values) for name, complete, values in rows]
    entries += [(p.value, True, published_name(p), True, p.verified,
                 {m: q.value for m, q in by_tracker[published_name(p)].items()}) for p in refs]
    entries.sort(key=lambda e: rank_key(e[3], e[0]))
    ranked = sum(1 for e in entries if e[3])
    styles = styles or tracker_styles([name for name, _, _ in rows])
    n = max(len(entries), 1)
    with print_style():
        # title, axis label and notes take ~1 in; each row 0.13 in (7 pt labels)
        fig = new_figure(layout="constrained", figsize=(COLUMN_WIDTH, 1.0 + 0.13 * n))
        axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
        y = np.arange(n)[::-1]
        for ax, (metric, label) in zip(axes, metrics):
            values = []
            for row_y, (_, is_pub, name, _, _, vals) in zip(y, entries):
                v = vals.get(metric)
                if not is_finite(v):
                    continue
                values.append(v)
                bounds = (intervals or {}).get(name, {}).get(metric) if not is_pub else None
                if bounds is not None and all(is_finite(b) for b in bounds):
                    color = (styles.get(name) or TrackerStyle(PALETTE[0], "-", "o")).color
                    ax.hlines(row_y, *bounds, color=color, linewidth=1.0, alpha=0.6, zorder=2)
                    values += list(bounds)
                if is_pub:
                    hollow(ax, [v], [row_y], "o")
                else:
                    style = styles.get(name) or TrackerStyle(PALETTE[0], "-", "o")
                    ax.plot([v], [row_y], linestyle="none", marker=style.marker, color=style.color,
                            markersize=5.5 if style.highlight else 4, zorder=5 if style.highlight else 3)
            if 0 < ranked < len(entries):  # the incomplete trackers below a rule
                ax.axhline(n - ranked - 0.5, color="#777777", linewidth=0.6, zorder=1)
            ax.set_xlabel(label)
            ax.grid(axis="y", linewidth=0.3, alpha=0.4)
            if values:
                low, high = min(values), max(values)
                pad = max((high - low) * 0.08, 0.01)
                ax.set_xlim(low - pad, high + pad)
        labels = []
        for _, is_pub, name, complete, verified, _ in entries:
            if is_pub:
                labels.append(f"{name}{DAGGER}" + ("" if verified else "?"))
            else:
                labels.append(name + ("" if complete else "*"))
        axes[0].set_yticks(y)
        axes[0].set_yticklabels(labels)
        for tick, (_, is_pub, name, _, _, _) in zip(axes[0].get_yticklabels(), entries):
            if is_pub:
                tick.set_fontstyle("italic")
                tick.set_color(PUBLISHED_COLOR)
            elif name in styles and styles[name].highlight:
                tick.set_fontweight("bold")
        axes[0].set_ylim(-0.7, n - 0.3)
        notes = []
        if refs:
            notes.append(PUBLISHED_NOTE + ("; ? unverified" if any(not p.verified for p in refs) else ""))
        if ranked < len(entries):
            notes.append("* incomplete, not ranked")
        if intervals and interval_note:
            notes.append(interval_note)
        fig.suptitle(title, fontsize=8)
        if notes:
            fig.supxlabel("; ".join(notes), fontsize=6.5, fontstyle="italic", x=0.0, ha="left")
    return fig


def ranking(report, published=(), published_top: int = 5, styles=None):
    """The report's ranking measures of every tracker with a score, published numbers beside them."""
    key = report.ranking[0].key
    rows = [(t.name, t.complete, {m.key: t.scores.get(m.key) for m in report.ranking})
            for t in report.ranked() if is_finite(t.scores.get(key))]
    intervals = {t.name: {m.key: (t.intervals[m.key].low, t.intervals[m.key].high)
                          for m in report.ranking if m.key in t.intervals} for t in report.trackers.values()}
    note = (f"bars: {report.uncertainty.level:.0%} bootstrap intervals over sequences"
            if report.uncertainty is not None and any(intervals.values()) else "")
    return ranking_plot(rows, [(m.key, m.axis_label or m.label) for m in report.ranking], report.ranking_title,
                        published, published_top, styles, intervals, note)
