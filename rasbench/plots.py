"""Figures for papers and reports: OTB success / precision plots, VOT EAO, AR, real-time
and per-tag plots, with published numbers as marked reference points.

matplotlib is imported only when a figure is made (``rasbench report --format table``
never loads it) and is used through its object API (``Figure`` and the Agg canvas), so
no GUI backend is selected and a caller's pyplot state is left alone. Text is drawn by
matplotlib itself (never LaTeX: forcing ``text.usetex`` is what breaks other toolkits'
plotting). Figures are drawn at the size they are printed at in a two-column paper
(:data:`COLUMN_WIDTH`, or :data:`PAGE_WIDTH` for the per-tag grid) with 6.5-8 pt text,
so they need no shrinking; PDF/SVG keep text as embedded TrueType / paths.

Published numbers (``publish.PublishedNumber``: ``tracker``, ``metric``, ``value``,
``verified``) never get a curve: they appear as hollow markers and dashed legend rows,
labelled with a dagger, "published, not re-computed".
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

COLUMN_WIDTH = 3.45  # inches: one column of a two-column (IEEE / CVF) paper
PAGE_WIDTH = 7.0  # both columns
DAGGER = "\u2020"
PUBLISHED_NOTE = f"{DAGGER} published, not re-computed"
UNVERIFIED_MARK = " (unverified)"

# Print-size typography: nothing below 6.5 pt at the sizes above.
RC = {
    "font.family": "DejaVu Sans", "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 6.5, "legend.title_fontsize": 6.5,
    "axes.linewidth": 0.6, "xtick.major.width": 0.6, "ytick.major.width": 0.6, "xtick.major.size": 2.5,
    "ytick.major.size": 2.5, "grid.linewidth": 0.4, "grid.alpha": 0.6, "grid.color": "#b0b0b0",
    "lines.linewidth": 1.2, "lines.markersize": 4, "axes.grid": True, "axes.axisbelow": True,
    "legend.framealpha": 0.9, "legend.edgecolor": "#cccccc", "legend.borderpad": 0.3,
    "legend.handlelength": 2.2, "legend.labelspacing": 0.25, "legend.columnspacing": 1.0,
    "text.usetex": False, "pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "path",
    "svg.hashsalt": "rasbench", "savefig.dpi": 200, "savefig.pad_inches": 0.02,
}
# Ten distinguishable colours (matplotlib's tab10), then line styles for trackers 11-40.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f")
LINESTYLES = ("-", (0, (4, 1.5)), (0, (1, 1)), (0, (4, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
PUBLISHED_COLOR = "#333333"
FORMATS = ("png", "pdf", "svg")
MAX_INSIDE = 10  # legend entries that fit inside the axes; more go below them
LEGEND_ROW = 0.118  # inches per legend row at 6.5 pt


def _mpl():
    """matplotlib's Figure class, imported on first use."""
    from matplotlib.figure import Figure

    return Figure


@contextmanager
def _style():
    import matplotlib

    with matplotlib.rc_context(RC):
        yield


@dataclass(frozen=True)
class TrackerStyle:
    color: str
    linestyle: object
    marker: str


def tracker_styles(names: list[str]) -> dict[str, TrackerStyle]:
    """One fixed (colour, line style, marker) per tracker, given in overall rank order,
    so a tracker looks the same in every plot of a report."""
    return {name: TrackerStyle(PALETTE[i % len(PALETTE)], LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)],
                               MARKERS[i % len(MARKERS)]) for i, name in enumerate(names)}


def _finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _published_rows(published, metric: str, limit: int | None) -> list:
    """The best (highest) ``limit`` published numbers for ``metric`` (already filtered
    to the benchmark and experiment by the caller)."""
    rows = [p for p in published if p.metric == metric and _finite(p.value)]
    rows.sort(key=lambda p: -p.value)
    return rows[:limit] if limit is not None else rows


def _label(p) -> str:
    return getattr(p, "label", p.tracker)


def _published_label(p, digits: int = 3) -> str:
    return f"{_label(p)}{DAGGER}{'' if p.verified else UNVERIFIED_MARK} [{p.value:.{digits}f}]"


def save(fig, stem: Path, formats=("png", "pdf")) -> list[Path]:
    """Write ``fig`` as ``stem.<format>`` for each format; returns the paths."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)  # Agg for PNG; PDF / SVG pick their own canvas from the suffix
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    with _style():
        for fmt in formats:
            if fmt not in FORMATS:
                raise ValueError(f"unknown plot format {fmt!r}; choose from {', '.join(FORMATS)}")
            path = stem.with_name(f"{stem.name}.{fmt}")
            # fixed metadata: the same figure gives the same bytes (caches, diffs)
            metadata = {"Software": None} if fmt == "png" else {"Creator": None, "CreationDate": None} \
                if fmt == "pdf" else {"Date": None, "Creator": None}
            fig.savefig(path, format=fmt, bbox_inches="tight", metadata=metadata)
            paths.append(path)
    return paths


# ------------------------------------------------------------------------------ legends
def _legend(ax, handles, labels, inside_loc: str, title: str | None, max_inside: int = MAX_INSIDE):
    """Inside the axes for a few entries; below the axes, in two columns, for many, so
    the figure keeps its column width and the text its print size (the figure's height
    is made for it by :func:`_height_for`; constrained layout places it)."""
    if len(handles) <= max_inside:
        leg = ax.legend(handles, labels, loc=inside_loc, title=title, handlelength=1.8)
    else:
        leg = ax.figure.legend(handles, labels, loc="outside lower center", ncols=2, title=title, frameon=False,
                               handlelength=2.2)
    if title:
        leg.get_title().set_fontstyle("italic")
    return leg


def _height_for(entries: int, axes_height: float = 2.3, titled: bool = False) -> float:
    """Figure height: the axes plus, for a legend below them, its rows."""
    if entries <= MAX_INSIDE:
        return axes_height
    return axes_height + 0.1 + LEGEND_ROW * (math.ceil(entries / 2) + (1 if titled else 0))


def _legend_title(notes: list[str]) -> str | None:
    return "; ".join(notes) if notes else None


# ------------------------------------------------------------------------------ OTB
SUCCESS, PRECISION = "success", "precision"


def _otb_series(report, kind: str, attribute: str | None):
    """[(tracker report, curve, score)] for one plot, best first; trackers without a
    score in this plot are left out."""
    out = []
    for t in report.trackers.values():
        scores = t.overall if attribute is None else t.attributes.get(attribute)
        if scores is None:
            continue
        if kind == SUCCESS:
            out.append((t, scores.success_curve, scores.success_auc))
        else:
            out.append((t, scores.precision_curve, scores.precision_20))
    out.sort(key=lambda row: (math.isnan(row[2]), -row[2] if not math.isnan(row[2]) else 0.0, row[0].name))
    return out


def attribute_counts(report) -> dict[str, int]:
    """Sequences per attribute in the report's dataset (the title's count)."""
    from .benchmarks import ATTRIBUTE_CODES

    counts = {c: sum(c in s.attributes for s in report.dataset.values()) for c in ATTRIBUTE_CODES}
    return {c: n for c, n in counts.items() if n}


# The OTB attribute names, for benchmark definitions that do not name them.
ATTRIBUTE_NAMES = {"IV": "illumination variation", "OPR": "out-of-plane rotation", "SV": "scale variation",
                   "OCC": "occlusion", "DEF": "deformation", "MB": "motion blur", "FM": "fast motion",
                   "IPR": "in-plane rotation", "OV": "out of view", "BC": "background clutter",
                   "LR": "low resolution"}


def otb_title(report, kind: str, attribute: str | None = None) -> str:
    title = f"{'Success' if kind == SUCCESS else 'Precision'} plots of {report.experiment.upper()}"
    if attribute is None:
        return title + f" ({len(report.dataset)} sequences)"
    name = report.benchmark.attribute_names.get(attribute) or ATTRIBUTE_NAMES.get(attribute, attribute)
    return title + f" - {name} ({attribute_counts(report).get(attribute, 0)})"


def otb_plot(report, kind: str = SUCCESS, attribute: str | None = None, published=(), top: int = 10,
             published_top: int = 5, styles: dict | None = None):
    """Success (AUC in the legend) or precision (precision at 20 px) plot of an OTB
    report, overall or for one attribute; legend sorted by score, the ``top`` trackers
    drawn bold. ``published`` numbers (overall plots only) become dashed legend rows and,
    on precision plots, hollow markers at 20 px."""
    from .conventions import PRECISION_THRESHOLDS
    from matplotlib.lines import Line2D

    series = _otb_series(report, kind, attribute)
    styles = styles or tracker_styles([t.name for t, _, _ in series])
    metric = "success_auc" if kind == SUCCESS else "precision_20"
    refs = _published_rows(published, metric, published_top) if attribute is None else []
    entries = [(score, "ours", (t, curve)) for t, curve, score in series] + [(p.value, "published", p) for p in refs]
    entries.sort(key=lambda e: (not _finite(e[0]), -(e[0] if _finite(e[0]) else 0.0)))
    incomplete = any(not t.complete for t, _, _ in series)
    notes = ([PUBLISHED_NOTE] if refs else []) + (["* incomplete"] if incomplete else [])
    with _style():
        fig = _mpl()(layout="constrained", figsize=(COLUMN_WIDTH, _height_for(len(entries), titled=bool(notes))))
        ax = fig.add_subplot()
        x = report.convention.success_thresholds if kind == SUCCESS else PRECISION_THRESHOLDS
        handles, labels = [], []
        rank = 0
        for score, source, item in entries:
            if source == "ours":
                t, curve = item
                style = styles.get(t.name) or TrackerStyle(PALETTE[rank % 10], "-", "o")
                bold = rank < top
                (line,) = ax.plot(x, curve, color=style.color, linestyle=style.linestyle,
                                  linewidth=1.6 if bold else 0.9, alpha=1.0 if bold else 0.75, zorder=3 if bold else 2)
                star = "" if t.complete else "*"
                handles.append(line)
                labels.append(f"{t.name}{star} [{score:.3f}]")
                rank += 1
            else:
                p = item
                handle = Line2D([], [], color=PUBLISHED_COLOR, linestyle=(0, (2, 1.5)), linewidth=0.8, marker="o",
                                markerfacecolor="white", markeredgecolor=PUBLISHED_COLOR, markersize=3.5)
                if kind == PRECISION:  # a precision at 20 px is a point of the plot
                    ax.plot([20], [p.value], linestyle="none", marker="o", markerfacecolor="none",
                            markeredgecolor=PUBLISHED_COLOR, markersize=4, markeredgewidth=0.8, zorder=4)
                handles.append(handle)
                labels.append(_published_label(p))
        if kind == SUCCESS:
            ax.set_xlim(0, 1)
            ax.set_xlabel("Overlap threshold")
            ax.set_ylabel("Success rate")
        else:
            ax.set_xlim(0, 50)
            ax.set_xlabel("Location error threshold (pixels)")
            ax.set_ylabel("Precision")
            if refs:
                ax.axvline(20, color="#999999", linewidth=0.5, linestyle=":", zorder=1)
        ax.set_ylim(0, 1)
        ax.set_title(otb_title(report, kind, attribute))
        if handles:
            leg = _legend(ax, handles, labels, "lower left" if kind == SUCCESS else "lower right",
                          _legend_title(notes))
            _style_published_labels(leg)
        else:
            ax.text(0.5, 0.5, "no scored trackers", ha="center", va="center", transform=ax.transAxes)
    return fig


def _style_published_labels(legend) -> None:
    for text in legend.get_texts():
        if DAGGER in text.get_text():
            text.set_fontstyle("italic")
            text.set_color(PUBLISHED_COLOR)


def ranking_plot(rows, metrics: list[tuple[str, str]], title: str, published=(), published_top: int = 5,
                 styles: dict | None = None):
    """A dot plot per metric: one row per tracker (best at the top), ours filled in the
    tracker's colour, published numbers hollow with a dagger.

    ``rows``: [(name, complete, {metric: value})] in rank order; ``metrics``: [(key,
    axis label)], the first one ranks. Published rows of the ranking metric are
    placed among ours by value; their other metrics are drawn where known.
    """
    key = metrics[0][0]
    refs = _published_rows(published, key, published_top)
    by_tracker: dict[str, dict] = {}
    for p in published:  # every published metric of the selected trackers
        by_tracker.setdefault(_label(p), {}).setdefault(p.metric, p)
    entries = [(values.get(key), False, name, complete, values) for name, complete, values in rows]
    entries += [(p.value, True, _label(p), p.verified, {m: q.value for m, q in by_tracker[_label(p)].items()})
                for p in refs]
    entries.sort(key=lambda e: (not _finite(e[0]), -(e[0] or 0.0) if _finite(e[0]) else 0.0))
    styles = styles or tracker_styles([name for name, _, _ in rows])
    n = max(len(entries), 1)
    with _style():
        # title, axis label and notes take ~1 in; each row 0.13 in (7 pt labels)
        fig = _mpl()(layout="constrained", figsize=(COLUMN_WIDTH, 1.0 + 0.13 * n))
        axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
        y = np.arange(n)[::-1]
        for ax, (metric, label) in zip(axes, metrics):
            values = []
            for row_y, (_, is_pub, name, flag, vals) in zip(y, entries):
                v = vals.get(metric)
                if not _finite(v):
                    continue
                values.append(v)
                if is_pub:
                    ax.plot([v], [row_y], linestyle="none", marker="o", markerfacecolor="white",
                            markeredgecolor=PUBLISHED_COLOR, markeredgewidth=0.8, markersize=4, zorder=3)
                else:
                    style = styles.get(name) or TrackerStyle(PALETTE[0], "-", "o")
                    ax.plot([v], [row_y], linestyle="none", marker=style.marker, color=style.color, markersize=4,
                            zorder=3)
            ax.set_xlabel(label)
            ax.grid(axis="y", linewidth=0.3, alpha=0.4)
            if values:
                low, high = min(values), max(values)
                pad = max((high - low) * 0.08, 0.01)
                ax.set_xlim(low - pad, high + pad)
        labels = []
        for _, is_pub, name, flag, _ in entries:
            if is_pub:
                labels.append(f"{name}{DAGGER}" + ("" if flag else "?"))
            else:
                labels.append(name + ("" if flag else "*"))
        axes[0].set_yticks(y)
        axes[0].set_yticklabels(labels)
        for tick, (_, is_pub, _, _, _) in zip(axes[0].get_yticklabels(), entries):
            if is_pub:
                tick.set_fontstyle("italic")
                tick.set_color(PUBLISHED_COLOR)
        axes[0].set_ylim(-0.7, n - 0.3)
        notes = []
        if refs:
            notes.append(PUBLISHED_NOTE + ("; ? unverified" if any(not p.verified for p in refs) else ""))
        if any(not complete for _, complete, _ in rows):
            notes.append("* incomplete")
        fig.suptitle(title, fontsize=8)
        if notes:
            fig.supxlabel("; ".join(notes), fontsize=6.5, fontstyle="italic", x=0.0, ha="left")
    return fig


def otb_ranking(report, published=(), published_top: int = 5, styles=None):
    """AUC and precision at 20 px of every tracker, published numbers beside them."""
    rows = [(t.name, t.complete, {"success_auc": t.overall.success_auc, "precision_20": t.overall.precision_20})
            for t in report.ranked() if t.overall is not None]
    return ranking_plot(rows, [("success_auc", "Success AUC"), ("precision_20", "Precision @20px")],
                        f"{_short(report.benchmark)} {report.experiment.upper()}", published,
                        published_top, styles)


def otb_plot_set(report, folder: Path, formats=("png", "pdf"), published=(), top: int = 10,
                 published_top: int = 5, workers: int | None = None) -> list[dict]:
    """Every OTB plot of one experiment: overall success / precision, both per attribute,
    and the ranking; written as ``<experiment>_<plot>.<format>`` into ``folder``.
    Returns [{"name", "title", "paths"}] in display order."""
    styles = tracker_styles([t.name for t in report.ranked()])
    exp = report.experiment.lower()
    tasks = []
    for kind in (SUCCESS, PRECISION):
        tasks.append((f"{exp}_{kind}", otb_title(report, kind),
                      lambda kind=kind: otb_plot(report, kind, None, published, top, published_top, styles)))
    tasks.append((f"{exp}_ranking", f"{exp.upper()} ranking",
                  lambda: otb_ranking(report, published, published_top, styles)))
    for code in attribute_counts(report):
        for kind in (SUCCESS, PRECISION):
            tasks.append((f"{exp}_{kind}_{code}", otb_title(report, kind, code),
                          lambda kind=kind, code=code: otb_plot(report, kind, code, (), top, published_top, styles)))
    return render(tasks, folder, formats, workers)


# Figures are independent and matplotlib draws on one core, so a plot set is rendered
# by forked worker processes; they find their tasks here (closures are not pickled).
_TASKS: list = []


def default_workers() -> int:
    """$RASBENCH_PLOT_WORKERS, else up to 2 processes (rendering 50 files takes ~10 s on one core)."""
    import os

    value = os.environ.get("RASBENCH_PLOT_WORKERS")
    return max(1, int(value)) if value else max(1, min(2, os.cpu_count() or 1))


def _render_one(job) -> dict:
    index, folder, formats = job
    name, title, build = _TASKS[index]
    return {"name": name, "title": title, "paths": save(build(), Path(folder) / name, formats)}


def render(tasks: list, folder: Path, formats=("png", "pdf"), workers: int | None = None) -> list[dict]:
    """Build and save each ``(name, title, build)`` task -- ``build()`` returns a Figure
    -- as ``folder/name.<format>``; [{"name", "title", "paths"}] in task order."""
    import multiprocessing

    global _TASKS
    workers = default_workers() if workers is None else workers
    jobs = [(i, str(folder), tuple(formats)) for i in range(len(tasks))]
    _TASKS = list(tasks)
    try:
        if workers > 1 and len(tasks) > 2 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(min(workers, len(tasks))) as pool:
                made = pool.map(_render_one, jobs, chunksize=1)
        else:
            made = [_render_one(job) for job in jobs]
    finally:
        _TASKS = []
    for item in made:
        item["paths"] = [Path(p) for p in item["paths"]]
    return made


# ------------------------------------------------------------------------------ VOT
def _short(benchmark) -> str:
    """"VOT2017" from "VOT2017 (60 sequences; ...)"."""
    return benchmark.title.split(" (")[0]


def _vot_title(report) -> str:
    return f"{_short(report.benchmark)} {report.experiment}"


def eao_curve_plot(report, top: int = 10, styles=None):
    """Expected overlap against sequence length, the benchmark's EAO interval shaded;
    legend sorted by EAO."""
    ranked = [t for t in report.ranked() if t.eao_curve]
    styles = styles or tracker_styles([t.name for t in ranked])
    low, high = report.eao_interval
    with _style():
        fig = _mpl()(layout="constrained", figsize=(COLUMN_WIDTH, _height_for(len(ranked))))
        ax = fig.add_subplot()
        ax.axvspan(low, high, color="#e8e8e8", zorder=0, linewidth=0)
        longest = 1
        handles, labels = [], []
        for rank, t in enumerate(ranked):
            curve = np.asarray(t.eao_curve, dtype=float)
            longest = max(longest, len(curve))
            style = styles[t.name]
            bold = rank < top
            (line,) = ax.plot(np.arange(1, len(curve) + 1), curve, color=style.color, linestyle=style.linestyle,
                              linewidth=1.4 if bold else 0.8, alpha=1.0 if bold else 0.75)
            handles.append(line)
            labels.append(f"{t.name}{'' if t.complete else '*'} [{t.scores['eao']:.3f}]")
        # beyond ~2.5x the interval the curves only decay; the tail is not informative
        ax.set_xlim(1, max(min(longest, int(2.5 * high)), high + 20))
        ax.set_ylim(0, 1)
        ax.set_xlabel("Sequence length (frames)")
        ax.set_ylabel("Expected overlap")
        ax.set_title(f"Expected overlap curves, {_vot_title(report)}")
        ax.text((low + high) / 2, 0.97, f"EAO interval\n{low}-{high}", ha="center", va="top", fontsize=6.5,
                color="#555555")
        notes = ["* incomplete"] if any(not t.complete for t in ranked) else []
        if handles:
            _legend(ax, handles, labels, "upper right", _legend_title(notes))
    return fig


def vot_ranking(report, published=(), published_top: int = 5, styles=None):
    """EAO (or average overlap, unsupervised) of every tracker, published numbers beside."""
    key = report.key
    rows = [(t.name, t.complete, {key: t.scores.get(key)}) for t in report.ranked() if _finite(t.scores.get(key))]
    label = "Expected average overlap" if key == "eao" else "Average overlap"
    refs = [p for p in published if p.metric == key]
    return ranking_plot(rows, [(key, label)], f"{label}, {_vot_title(report)}", refs, published_top, styles)


def _ar_from_rate(robustness_per_100: float, sensitivity: float) -> float:
    """The AR-plot robustness exp(-S F / N) from R = 100 F / N (the tables' number)."""
    return float(math.exp(-sensitivity * robustness_per_100 / 100.0))


def ar_plot(report, published=(), published_top: int = 5, styles=None):
    """Accuracy against robustness (exp(-S F / N), S = the convention's sensitivity),
    better trackers to the top right; published (A, R) pairs as hollow markers."""
    conv = report.convention
    ranked = [t for t in report.ranked() if _finite(t.scores.get("accuracy"))]
    styles = styles or tracker_styles([t.name for t in ranked])
    pairs = []
    if conv.ar_plot == "rate":  # the published R converts to this axis only for the rate form
        acc = {p.tracker: p for p in published if p.metric == "accuracy"}
        rob = {p.tracker: p for p in published if p.metric == "robustness"}
        eao = {p.tracker: p.value for p in published if p.metric == "eao"}
        pairs = [(acc[n], rob[n], eao.get(n)) for n in acc if n in rob][:published_top]
    with _style():
        fig = _mpl()(layout="constrained", figsize=(COLUMN_WIDTH, _height_for(len(ranked) + len(pairs), 2.6)))
        ax = fig.add_subplot()
        handles, labels = [], []
        for t in ranked:
            style = styles[t.name]
            (h,) = ax.plot([t.scores["ar_robustness"]], [t.scores["accuracy"]], linestyle="none",
                           marker=style.marker, color=style.color, markersize=5)
            handles.append(h)
            eao = t.scores.get("eao")
            labels.append(f"{t.name}{'' if t.complete else '*'}" + (f" [{eao:.3f}]" if _finite(eao) else ""))
        for a, r, eao in pairs:
            (h,) = ax.plot([_ar_from_rate(r.value, conv.sensitivity)], [a.value], linestyle="none", marker="o",
                           markerfacecolor="white", markeredgecolor=PUBLISHED_COLOR, markersize=5,
                           markeredgewidth=0.8)
            handles.append(h)
            verified = a.verified and r.verified
            labels.append(f"{_label(a)}{DAGGER}{'' if verified else UNVERIFIED_MARK}"
                          + (f" [{eao:.3f}]" if eao is not None else ""))
        ax.set_xlim(0, 1.0)
        ax.set_ylim(0, 1.0)
        ax.set_xlabel(f"Robustness exp(-{conv.sensitivity:g} F/N)")
        ax.set_ylabel("Accuracy")
        ax.set_title(f"AR plot, {_vot_title(report)}")
        notes = ([PUBLISHED_NOTE] if pairs else []) + (["* incomplete"] if any(not t.complete for t in ranked)
                                                       else [])
        if handles:
            leg = _legend(ax, handles, labels, "best", _legend_title(notes))
            _style_published_labels(leg)
    return fig


def realtime_vs_baseline(baseline, realtime, published=(), styles=None):
    """Real-time EAO against baseline EAO; trackers on the diagonal lose nothing to
    the real-time clock."""
    base = {t.name: t for t in baseline.trackers.values() if _finite(t.scores.get("eao"))}
    rt = {t.name: t for t in realtime.trackers.values() if _finite(t.scores.get("eao"))}
    names = [t.name for t in baseline.ranked() if t.name in rt and t.name in base]
    styles = styles or tracker_styles(names)
    pub_base = {p.tracker: p for p in published if p.metric == "eao" and p.experiment == "baseline"}
    pub_rt = {p.tracker: p for p in published if p.metric == "eao" and p.experiment == "realtime"}
    pub = [(pub_base[n], pub_rt[n]) for n in pub_base if n in pub_rt]
    values = [v for n in names for v in (base[n].scores["eao"], rt[n].scores["eao"])]
    values += [v for b, r in pub for v in (b.value, r.value)]
    top = max(values + [0.1]) * 1.15
    with _style():
        fig = _mpl()(layout="constrained", figsize=(COLUMN_WIDTH, _height_for(len(names) + len(pub), 2.6)))
        ax = fig.add_subplot()
        ax.plot([0, top], [0, top], color="#999999", linewidth=0.6, linestyle="--", zorder=1)
        handles, labels = [], []
        for n in names:
            style = styles[n]
            (h,) = ax.plot([base[n].scores["eao"]], [rt[n].scores["eao"]], linestyle="none", marker=style.marker,
                           color=style.color, markersize=5)
            handles.append(h)
            incomplete = not (base[n].complete and rt[n].complete)
            labels.append(f"{n}{'*' if incomplete else ''} [{base[n].scores['eao']:.3f} / {rt[n].scores['eao']:.3f}]")
        for b, r in pub:
            (h,) = ax.plot([b.value], [r.value], linestyle="none", marker="o", markerfacecolor="white",
                           markeredgecolor=PUBLISHED_COLOR, markersize=5, markeredgewidth=0.8)
            handles.append(h)
            verified = b.verified and r.verified
            labels.append(f"{_label(b)}{DAGGER}{'' if verified else UNVERIFIED_MARK} [{b.value:.3f} / {r.value:.3f}]")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("EAO, baseline")
        ax.set_ylabel("EAO, real-time")
        ax.set_title(f"Real-time vs baseline EAO, {_short(baseline.benchmark)}")
        notes = ([PUBLISHED_NOTE] if pub else [])
        if handles:
            leg = _legend(ax, handles, labels, "best", _legend_title(notes))
            _style_published_labels(leg)
    return fig


TAG_ORDER = ("camera_motion", "illum_change", "motion_change", "size_change", "occlusion", "empty")


def tag_plot(report, styles=None):
    """Per-tag AR plots (VOT's per-attribute analysis): accuracy against robustness
    exp(-S F/N) on the frames carrying each tag; one panel per tag, a shared legend."""
    ranked = [t for t in report.ranked() if t.tags]
    styles = styles or tracker_styles([t.name for t in ranked])
    tags = [g for g in TAG_ORDER if any(g in t.tags for t in ranked)]
    tags += sorted({g for t in ranked for g in t.tags} - set(tags))
    sensitivity = report.convention.sensitivity
    cols = 3
    rows = max(1, math.ceil(len(tags) / cols))
    with _style():
        fig = _mpl()(layout="constrained", figsize=(PAGE_WIDTH, 2.1 * rows + 0.3))
        axes = fig.subplots(rows, cols, squeeze=False).reshape(-1)
        handles = {}
        for ax, tag in zip(axes, tags):
            for t in ranked:
                d = t.tags.get(tag)
                if not d or not _finite(d.get("accuracy")) or not _finite(d.get("robustness")):
                    continue
                style = styles[t.name]
                (h,) = ax.plot([_ar_from_rate(d["robustness"], sensitivity)], [d["accuracy"]], linestyle="none",
                               marker=style.marker, color=style.color, markersize=4.5)
                handles.setdefault(t.name, h)
            frames = max((t.tags[tag]["frames"] for t in ranked if tag in t.tags), default=0)
            ax.set_title(f"{tag.replace('_', ' ')} ({frames} frames)")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_xlabel(f"Robustness exp(-{sensitivity:g} F/N)")
            ax.set_ylabel("Accuracy")
        for ax in axes[len(tags):]:
            ax.set_visible(False)
        for ax in axes[:len(tags)]:
            if ax.get_subplotspec().colspan.start:
                ax.set_ylabel("")
        fig.suptitle(f"Per-tag accuracy and robustness, {_vot_title(report)}", fontsize=8)
        names = [t.name for t in ranked if t.name in handles]
        if names:
            fig.legend([handles[n] for n in names], [n + ("" if report.trackers[n].complete else "*") for n in names],
                       loc="outside lower center", ncols=min(len(names), 6), frameon=False)
    return fig


def vot_plot_set(reports: dict, folder: Path, formats=("png", "pdf"), published=(), top: int = 10,
                 published_top: int = 5, workers: int | None = None) -> list[dict]:
    """Every VOT plot of the given experiments ({experiment: VOTReport}): EAO curves,
    EAO ranking, AR plot and per-tag AR plots per supervised experiment, the average
    overlap ranking for unsupervised, real-time against baseline when both are there."""
    first = next(iter(reports.values()))
    styles = tracker_styles([t.name for t in first.ranked()]
                            + [n for r in reports.values() for n in r.trackers if n not in first.trackers])
    tasks = []
    for exp, report in reports.items():
        refs = [p for p in published if p.experiment == exp]
        if report.key == "average_overlap":
            tasks.append((f"{exp}_ranking", f"Average overlap, {exp}",
                          lambda r=report, refs=refs: vot_ranking(r, refs, published_top, styles)))
            continue
        tasks.append((f"{exp}_eao_curve", f"Expected overlap curves, {exp}",
                      lambda r=report: eao_curve_plot(r, top, styles)))
        tasks.append((f"{exp}_eao_ranking", f"EAO ranking, {exp}",
                      lambda r=report, refs=refs: vot_ranking(r, refs, published_top, styles)))
        tasks.append((f"{exp}_ar", f"AR plot, {exp}", lambda r=report, refs=refs: ar_plot(r, refs, published_top,
                                                                                            styles)))
        if any(t.tags for t in report.trackers.values()):
            tasks.append((f"{exp}_tags", f"Per-tag accuracy and robustness, {exp}",
                          lambda r=report: tag_plot(r, styles)))
    if "baseline" in reports and "realtime" in reports:
        tasks.append(("realtime_vs_baseline", "Real-time vs baseline EAO",
                      lambda: realtime_vs_baseline(reports["baseline"], reports["realtime"], published, styles)))
    return render(tasks, folder, formats, workers)
