"""Point plots of the VOT analyses: accuracy against robustness (overall and per tag) and
real-time against baseline EAO."""
from __future__ import annotations

import math

from .style import (
    COLUMN_WIDTH,
    DAGGER,
    PAGE_WIDTH,
    PUBLISHED_MARKERS,
    PUBLISHED_NOTE,
    UNVERIFIED_MARK,
    TrackerStyle,
    complete_first,
    height_for,
    hollow,
    is_finite,
    legend,
    legend_title,
    new_figure,
    plural,
    print_style,
    published_name,
    sequences_title,
    short_title,
    style_published_labels,
    tracker_styles,
)


def ar_from_rate(robustness_per_100: float, sensitivity: float) -> float:
    """The AR-plot robustness exp(-S F / N) from R = 100 F / N (the tables' number)."""
    return float(math.exp(-sensitivity * robustness_per_100 / 100.0))


def _point(ax, x, y, style: TrackerStyle, size: float = 5.0):
    (point,) = ax.plot([x], [y], linestyle="none", marker=style.marker, color=style.color,
                       markersize=size * 1.4 if style.highlight else size, zorder=5 if style.highlight else 3)
    return point


def ar_plot(report, published=(), published_top: int = 5, styles=None):
    """Accuracy against robustness (exp(-S F / N), S = the convention's sensitivity),
    better trackers to the top right; published (A, R) pairs as hollow markers."""
    conv = report.convention
    ranked = complete_first([t for t in report.ranked() if is_finite(t.scores.get("accuracy"))])
    styles = styles or tracker_styles([t.name for t in ranked])
    pairs = []
    if conv.ar_plot == "rate":  # the published R converts to this axis only for the rate form
        acc = {p.tracker: p for p in published if p.metric == "accuracy"}
        rob = {p.tracker: p for p in published if p.metric == "robustness"}
        eao = {p.tracker: p.value for p in published if p.metric == "eao"}
        pairs = [(acc[n], rob[n], eao.get(n)) for n in acc if n in rob][:published_top]
    notes = ([PUBLISHED_NOTE] if pairs else []) + (["* incomplete"] if any(not t.complete for t in ranked) else [])
    with print_style():
        fig = new_figure(layout="constrained", figsize=(COLUMN_WIDTH, height_for(len(ranked) + len(pairs), 2.6,
                                                                              bool(notes))))
        ax = fig.add_subplot()
        handles, labels = [], []
        for t in ranked:
            handles.append(_point(ax, t.scores["ar_robustness"], t.scores["accuracy"], styles[t.name]))
            eao = t.scores.get("eao")
            labels.append(f"{t.name}{'' if t.complete else '*'}" + (f" [{eao:.3f}]" if is_finite(eao) else ""))
        for k, (a, r, eao) in enumerate(pairs):
            handles.append(hollow(ax, [ar_from_rate(r.value, conv.sensitivity)], [a.value],
                                   PUBLISHED_MARKERS[k % len(PUBLISHED_MARKERS)], 5))
            verified = a.verified and r.verified
            labels.append(f"{published_name(a)}{DAGGER}{'' if verified else UNVERIFIED_MARK}"
                          + (f" [{eao:.3f}]" if eao is not None else ""))
        ax.set_xlim(0, 1.0)
        ax.set_ylim(0, 1.0)
        ax.set_xlabel(f"Robustness exp(-{conv.sensitivity:g} F/N)")
        ax.set_ylabel("Accuracy")
        ax.set_title(f"AR plot, {sequences_title(report)}")
        if handles:
            leg = legend(ax, handles, labels, "best", legend_title(notes),
                          [styles[t.name].highlight for t in ranked])
            style_published_labels(leg)
    return fig


def realtime_vs_baseline(baseline, realtime, published=(), styles=None):
    """Real-time EAO against baseline EAO; trackers on the diagonal lose nothing to
    the real-time clock."""
    base = {t.name: t for t in baseline.trackers.values() if is_finite(t.scores.get("eao"))}
    rt = {t.name: t for t in realtime.trackers.values() if is_finite(t.scores.get("eao"))}
    names = [t.name for t in baseline.ranked() if t.name in rt and t.name in base]
    complete = {n: base[n].complete and rt[n].complete for n in names}
    names = [n for n in names if complete[n]] + [n for n in names if not complete[n]]
    styles = styles or tracker_styles(names)
    pub_base = {p.tracker: p for p in published if p.metric == "eao" and p.experiment == "baseline"}
    pub_rt = {p.tracker: p for p in published if p.metric == "eao" and p.experiment == "realtime"}
    pub = [(pub_base[n], pub_rt[n]) for n in pub_base if n in pub_rt]
    values = [v for n in names for v in (base[n].scores["eao"], rt[n].scores["eao"])]
    values += [v for b, r in pub for v in (b.value, r.value)]
    top = max(values + [0.1]) * 1.15
    notes = ([PUBLISHED_NOTE] if pub else []) + (["* incomplete"] if not all(complete.values()) else [])
    with print_style():
        fig = new_figure(layout="constrained", figsize=(COLUMN_WIDTH, height_for(len(names) + len(pub), 2.6,
                                                                              bool(notes))))
        ax = fig.add_subplot()
        ax.plot([0, top], [0, top], color="#999999", linewidth=0.6, linestyle="--", zorder=1)
        handles, labels = [], []
        for n in names:
            handles.append(_point(ax, base[n].scores["eao"], rt[n].scores["eao"], styles[n]))
            labels.append(f"{n}{'' if complete[n] else '*'} [{base[n].scores['eao']:.3f} / "
                          f"{rt[n].scores['eao']:.3f}]")
        for k, (b, r) in enumerate(pub):
            handles.append(hollow(ax, [b.value], [r.value], PUBLISHED_MARKERS[k % len(PUBLISHED_MARKERS)], 5))
            verified = b.verified and r.verified
            labels.append(f"{published_name(b)}{DAGGER}{'' if verified else UNVERIFIED_MARK} "
                          f"[{b.value:.3f} / {r.value:.3f}]")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("EAO, baseline")
        ax.set_ylabel("EAO, real-time")
        ax.set_title(f"Real-time vs baseline EAO\n{short_title(baseline)} "
                     f"({plural(len(baseline.dataset), 'sequence')})")
        if handles:
            leg = legend(ax, handles, labels, "best", legend_title(notes), [styles[n].highlight for n in names])
            style_published_labels(leg)
    return fig


def tag_plot(report, styles=None):
    """Per-tag AR plots (VOT's per-attribute analysis): accuracy against robustness
    exp(-S F/N) on the frames carrying each tag; one panel per tag, a shared legend."""
    ranked = complete_first([t for t in report.ranked() if t.groups])
    styles = styles or tracker_styles([t.name for t in ranked])
    tags = [g for g in report.group_order if any(g in t.groups for t in ranked)]
    sensitivity = report.convention.sensitivity
    cols = 3
    rows = max(1, math.ceil(len(tags) / cols))
    with print_style():
        fig = new_figure(layout="constrained", figsize=(PAGE_WIDTH, 2.1 * rows + 0.3))
        axes = fig.subplots(rows, cols, squeeze=False).reshape(-1)
        handles = {}
        for ax, tag in zip(axes, tags):
            for t in ranked:
                d = t.groups[tag].values if tag in t.groups else {}
                if not is_finite(d.get("accuracy")) or not is_finite(d.get("robustness")):
                    continue
                handles.setdefault(t.name, _point(ax, ar_from_rate(d["robustness"], sensitivity), d["accuracy"],
                                                  styles[t.name], 4.5))
            frames = max((t.groups[tag].count for t in ranked if tag in t.groups), default=0)
            ax.set_title(f"{report.group_names.get(tag, tag)} ({frames} {report.group_count})")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_xlabel(f"Robustness exp(-{sensitivity:g} F/N)")
            ax.set_ylabel("Accuracy")
        for ax in axes[len(tags):]:
            ax.set_visible(False)
        for ax in axes[:len(tags)]:
            if ax.get_subplotspec().colspan.start:
                ax.set_ylabel("")
        fig.suptitle(f"Per-tag accuracy and robustness, {sequences_title(report)}", fontsize=8)
        names = [t.name for t in ranked if t.name in handles]
        if names:
            leg = fig.legend([handles[n] for n in names],
                             [n + ("" if report.trackers[n].complete else "*") for n in names],
                             loc="outside lower center", ncols=min(len(names), 6), frameon=False)
            for text, n in zip(leg.get_texts(), names):
                if styles[n].highlight:
                    text.set_fontweight("bold")
    return fig


