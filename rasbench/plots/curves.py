"""Curve plots: any per-tracker curve of a report (success, precision, ...) and the EAO curve."""
from __future__ import annotations

import numpy as np

from .style import (
    COLUMN_WIDTH,
    DAGGER,
    PALETTE,
    PUBLISHED_MARKERS,
    PUBLISHED_NOTE,
    TrackerStyle,
    complete_first,
    height_for,
    hollow,
    legend,
    legend_title,
    line_look,
    new_figure,
    plural,
    print_style,
    published_label,
    published_rows,
    rank_key,
    sequences_title,
    style_published_labels,
    tracker_styles,
)

BANDS = 3  # curves shaded with their bootstrap band: more hide each other


def curve_title(report, curve: str, group: str | None = None) -> str:
    """"Success plots of OPE (100 sequences)", "... - out of view (14)" for a group."""
    spec = next(c for c in report.curves if c.key == curve)
    title = f"{spec.title} of {report.experiment_label}"
    if group is None:
        return title + f" ({plural(len(report.dataset), 'sequence')})"
    return title + f" - {report.group_names.get(group, group)} ({report.group_sizes.get(group, 0)})"


def _series(report, curve: str, summary: str, group: str | None):
    """[(tracker, curve, score)] for one plot: complete trackers best first, then
    incomplete ones; trackers without a score in this plot are left out."""
    out = []
    for t in report.trackers.values():
        scores = t.overall if group is None else t.groups.get(group)
        if scores is None:
            continue
        out.append((t, scores.curves[curve], scores.values[summary]))
    out.sort(key=lambda row: (*rank_key(row[0].complete, row[2]), row[0].name))
    return out


def curve_plot(report, curve: str, group: str | None = None, published=(), top: int = 10, published_top: int = 5,
               styles: dict | None = None):
    """The curve ``curve`` (a key of ``report.curves``) of every tracker, overall or for one
    ``group``, its summary measure in the legend; legend sorted by that measure
    (incomplete trackers last), the ``top`` complete trackers drawn bold. ``published``
    numbers of the summary measure (overall plots only) get italic legend rows, and a
    hollow marker where the curve spec places them (a precision at 20 px; an AUC is no
    point of the plot: text only). Curves with a bootstrap band (``TrackerResult.bands``)
    are shaded with it (pointwise intervals), in overall plots for the best :data:`BANDS`
    and the highlighted trackers."""
    from matplotlib.lines import Line2D

    spec = next(c for c in report.curves if c.key == curve)
    series = _series(report, curve, spec.summary, group)
    styles = styles or tracker_styles([t.name for t, _, _ in series])
    refs = published_rows(published, spec.summary, published_top) if group is None else []
    entries = [(t.complete, score, "ours", (t, values)) for t, values, score in series]
    entries += [(True, p.value, "published", p) for p in refs]
    entries.sort(key=lambda e: rank_key(e[0], e[1]))
    incomplete = any(not t.complete for t, _, _ in series)
    notes = ([PUBLISHED_NOTE] if refs else []) + (["* incomplete, not ranked"] if incomplete else [])
    if group is None and report.uncertainty is not None and any(curve in t.bands for t, _, _ in series):
        notes.append(f"shaded: {report.uncertainty.level:.0%} intervals")
    with print_style():
        fig = new_figure(layout="constrained", figsize=(COLUMN_WIDTH, height_for(len(entries), titled=bool(notes))))
        ax = fig.add_subplot()
        handles, labels, emphasised = [], [], []
        rank = 0
        for _, score, source, item in entries:
            if source == "ours":
                t, values = item
                style = styles.get(t.name) or TrackerStyle(PALETTE[rank % len(PALETTE)], "-", "o")
                (line,) = ax.plot(spec.x, values, color=style.color, linestyle=style.linestyle, label=t.name,
                                  **line_look(style, t.complete and rank < top))
                band = t.bands.get(curve) if group is None else None
                if band is not None and t.complete and (rank < BANDS or style.highlight):
                    ax.fill_between(spec.x, band[0], band[1], color=style.color, alpha=0.08, linewidth=0, zorder=1)
                handles.append(line)
                labels.append(f"{t.name}{'' if t.complete else '*'} [{score:.3f}]")
                emphasised.append(style.highlight)
                rank += t.complete
            else:
                p = item
                marker = PUBLISHED_MARKERS[len([h for h in labels if DAGGER in h]) % len(PUBLISHED_MARKERS)]
                if spec.published_at is not None:
                    handles.append(hollow(ax, [spec.published_at], [p.value], marker))
                else:
                    handles.append(Line2D([], [], linestyle="none"))
                labels.append(published_label(p))
                emphasised.append(False)
        ax.set_xlim(spec.x[0], spec.x[-1])
        ax.set_xlabel(spec.xlabel)
        ax.set_ylabel(spec.ylabel)
        if refs and spec.published_at is not None:
            ax.axvline(spec.published_at, color="#999999", linewidth=0.5, linestyle=":", zorder=1)
        ax.set_ylim(0, 1)
        ax.set_title(curve_title(report, curve, group))
        if handles:
            leg = legend(ax, handles, labels, spec.legend, legend_title(notes), emphasised)
            style_published_labels(leg)
        else:
            ax.text(0.5, 0.5, "no scored trackers", ha="center", va="center", transform=ax.transAxes)
    return fig


def eao_curve_plot(report, top: int = 10, styles=None, curve: str = "eao_curve"):
    """Expected overlap against sequence length, the report's EAO interval shaded;
    legend sorted by EAO, incomplete trackers last."""
    spec = next(c for c in report.curves if c.key == curve)
    ranked = complete_first([t for t in report.ranked() if t.curves.get(curve)])
    styles = styles or tracker_styles([t.name for t in ranked])
    notes = ["* incomplete, not ranked"] if any(not t.complete for t in ranked) else []
    low, high = report.extras["eao_interval"]
    with print_style():
        fig = new_figure(layout="constrained", figsize=(COLUMN_WIDTH, height_for(len(ranked), titled=bool(notes))))
        ax = fig.add_subplot()
        ax.axvspan(low, high, color="#e8e8e8", zorder=0, linewidth=0)
        longest = 1
        handles, labels = [], []
        for rank, t in enumerate(ranked):
            values = np.asarray(t.curves[curve], dtype=float)
            longest = max(longest, len(values))
            style = styles[t.name]
            (line,) = ax.plot(np.arange(1, len(values) + 1), values, color=style.color, linestyle=style.linestyle,
                              label=t.name, **line_look(style, t.complete and rank < top))
            handles.append(line)
            labels.append(f"{t.name}{'' if t.complete else '*'} [{t.scores[spec.summary]:.3f}]")
        # beyond ~2.5x the interval the curves only decay; the tail is not informative
        ax.set_xlim(1, max(min(longest, int(2.5 * high)), high + 20))
        ax.set_ylim(0, 1)
        ax.set_xlabel(spec.xlabel)
        ax.set_ylabel(spec.ylabel)
        ax.set_title(f"{spec.title}, {sequences_title(report)}")
        ax.text((low + high) / 2, 0.97, f"EAO interval\n{low}-{high}", ha="center", va="top", fontsize=6.5,
                color="#555555")
        if handles:
            legend(ax, handles, labels, spec.legend, legend_title(notes), [styles[t.name].highlight for t in ranked])
    return fig
