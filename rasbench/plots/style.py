"""Figures for papers and reports: OTB success / precision plots, VOT EAO, AR, real-time
and per-tag plots, with published numbers as marked reference points.

matplotlib is imported only when a figure is made (``rasbench report --format table``
never loads it) and is used through its object API (``Figure`` and the Agg canvas), so
no GUI backend is selected and a caller's pyplot state is left alone. Text is drawn by
matplotlib itself (never LaTeX: forcing ``text.usetex`` is what breaks other toolkits'
plotting), and never as math: a tracker called ``$x^2$`` is printed as those five
characters (``text.parse_math`` is off). Figures are drawn at the size they are printed at in a two-column paper
(:data:`COLUMN_WIDTH`, or :data:`PAGE_WIDTH` for the per-tag grid) with 6.5-8 pt text,
so they need no shrinking; PDF/SVG keep text as embedded TrueType / paths.

Published numbers (``publish.PublishedNumber``: ``tracker``, ``metric``, ``value``,
``verified``) never get a curve: they appear as grey hollow markers, each with the glyph
its legend row shows (a success AUC is no point of the plot: legend text only),
labelled with a dagger, "published, not re-computed".

Every tracker keeps one colour, line style and marker in all plots of a report (no two
share a colour and a style); incomplete trackers (``*``) are listed after the complete
ones and never ranked among them; highlighted trackers (``--highlight``) are drawn
thicker, on top, with bold labels. Files are written atomically.
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .paths import atomic_write_bytes
from .text import plural

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
    "svg.hashsalt": "rasbench", "savefig.dpi": 200, "savefig.pad_inches": 0.02, "text.parse_math": False,
}
# Ten distinguishable colours (matplotlib's tab10); trackers 11-60 repeat them with
# other line styles, and shift the marker cycle by one per round of ten, so (colour,
# line style) is unique for 60 trackers and (colour, marker) for 100.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f")
LINESTYLES = ("-", (0, (4, 1.5)), (0, (1, 1)), (0, (4, 1, 1, 1)), (0, (8, 2)), (0, (4, 1, 1, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
PUBLISHED_COLOR = "#333333"
PUBLISHED_MARKERS = ("o", "s", "^", "D", "v", "<", ">", "p", "h", "8")  # drawn hollow
FORMATS = ("png", "pdf", "svg")
MAX_INSIDE = 10  # legend entries that fit inside the axes; more go beside them
BESIDE_ONE_COLUMN = 30  # legend entries beside the axes in one column; more take two
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
    highlight: bool = False


def tracker_styles(names: list[str], highlight=()) -> dict[str, TrackerStyle]:
    """One fixed (colour, line style, marker) per tracker, given in overall rank order,
    so a tracker looks the same in every plot of a report; ``highlight``: names drawn
    emphasised."""
    chosen = set(highlight)
    n = len(PALETTE)
    return {name: TrackerStyle(PALETTE[i % n], LINESTYLES[(i // n) % len(LINESTYLES)],
                               MARKERS[(i + i // n) % len(MARKERS)], name in chosen) for i, name in enumerate(names)}


def _line_look(style: TrackerStyle, bold: bool) -> dict:
    """Line width, opacity and stacking of a curve: highlighted > the ``top`` > the rest."""
    if style.highlight:
        return {"linewidth": 2.4, "alpha": 1.0, "zorder": 6}
    return {"linewidth": 1.6, "alpha": 1.0, "zorder": 3} if bold else {"linewidth": 0.9, "alpha": 0.75, "zorder": 2}


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
    """Write ``fig`` as ``stem.<format>`` for each format; returns the paths.

    Each file is written atomically (:func:`~rasbench.paths.atomic_write_bytes`): a
    killed or failing save leaves the previous file (or none), never a partial one; a
    file that cannot be written raises :class:`~rasbench.errors.ResultsWriteError`."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)  # Agg for PNG; PDF / SVG pick their own canvas from the format
    stem = Path(stem)
    paths = []
    with _style():
        for fmt in formats:
            if fmt not in FORMATS:
                raise ValueError(f"unknown plot format {fmt!r}; choose from {', '.join(FORMATS)}")
            # fixed metadata: the same figure gives the same bytes (caches, diffs)
            metadata = {"Software": None} if fmt == "png" else {"Creator": None, "CreationDate": None} \
                if fmt == "pdf" else {"Date": None, "Creator": None}
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt, bbox_inches="tight", metadata=metadata)
            paths.append(atomic_write_bytes(stem.with_name(f"{stem.name}.{fmt}"), buffer.getvalue()))
    return paths


# ------------------------------------------------------------------------------ legends
def _legend_columns(entries: int) -> int:
    """0: inside the axes; 1 or 2: columns beside them."""
    return 0 if entries <= MAX_INSIDE else 1 if entries <= BESIDE_ONE_COLUMN else 2


def _height_for(entries: int, axes_height: float = 2.3, titled: bool = False) -> float:
    """Figure height: the axes, or the rows of a legend beside them if those are taller."""
    columns = _legend_columns(entries)
    if not columns:
        return axes_height
    return max(axes_height, 0.45 + LEGEND_ROW * (math.ceil(entries / columns) + (1 if titled else 0)))


def _legend(ax, handles, labels, inside_loc: str, title: str | None, emphasised=()):
    """Inside the axes for a few entries; beside them, in one or two columns, for many:
    the figure is widened by the legend's width, so the axes keep their column width
    and the text its print size (the height comes from :func:`_height_for`).
    ``emphasised``: one flag per entry, drawn bold (highlighted trackers)."""
    columns = _legend_columns(len(handles))
    if not columns:
        leg = ax.legend(handles, labels, loc=inside_loc, title=title, handlelength=1.8)
    else:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        fig = ax.figure
        leg = fig.legend(handles, labels, loc="outside right upper", ncols=columns, title=title, frameon=False,
                         handlelength=1.8, alignment="left")
        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.set_figwidth(fig.get_figwidth() + leg.get_window_extent(renderer).width / fig.dpi + 0.05)
    if title:
        leg.get_title().set_fontstyle("italic")
    for text, bold in zip(leg.get_texts(), emphasised):
        if bold:
            text.set_fontweight("bold")
    return leg


def _legend_title(notes: list[str]) -> str | None:
    return "; ".join(notes) if notes else None


# ------------------------------------------------------------------------------ OTB
SUCCESS, PRECISION = "success", "precision"


def _rank_key(complete: bool, value):
    """Sort key: complete entries by value (best first), then incomplete ones by value."""
    return (not complete, not _finite(value), -value if _finite(value) else 0.0)


def _otb_series(report, kind: str, attribute: str | None):
    """[(tracker report, curve, score)] for one plot: complete trackers best first, then
    incomplete ones; trackers without a score in this plot are left out."""
    out = []
    for t in report.trackers.values():
        scores = t.overall if attribute is None else t.attributes.get(attribute)
        if scores is None:
            continue
        if kind == SUCCESS:
            out.append((t, scores.success_curve, scores.success_auc))
        else:
            out.append((t, scores.precision_curve, scores.precision_20))
    out.sort(key=lambda row: (*_rank_key(row[0].complete, row[2]), row[0].name))
    return out


def attribute_counts(report) -> dict[str, int]:
    """Sequences per attribute in the report's dataset (the title's count)."""
    from .config.benchmarks import ATTRIBUTE_CODES

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
        return title + f" ({plural(len(report.dataset), 'sequence')})"
    name = report.benchmark.attribute_names.get(attribute) or ATTRIBUTE_NAMES.get(attribute, attribute)
    return title + f" - {name} ({attribute_counts(report).get(attribute, 0)})"


def _hollow(ax, x, y, marker: str, size: float = 4.0):
    """A published number's glyph: a grey hollow marker (also its legend handle)."""
    (point,) = ax.plot(x, y, linestyle="none", marker=marker, markerfacecolor="white",
                       markeredgecolor=PUBLISHED_COLOR, markeredgewidth=0.8, markersize=size, zorder=4)
    return point


def otb_plot(report, kind: str = SUCCESS, attribute: str | None = None, published=(), top: int = 10,
             published_top: int = 5, styles: dict | None = None):
    """Success (AUC in the legend) or precision (precision at 20 px) plot of an OTB
    report, overall or for one attribute; legend sorted by score (incomplete trackers
    last), the ``top`` complete trackers drawn bold. ``published`` numbers (overall
    plots only) get italic legend rows; on precision plots also a hollow marker at
    20 px, the legend row showing the same glyph."""
    from matplotlib.lines import Line2D

    from .config.conventions import PRECISION_THRESHOLDS

    series = _otb_series(report, kind, attribute)
    styles = styles or tracker_styles([t.name for t, _, _ in series])
    metric = "success_auc" if kind == SUCCESS else "precision_20"
    refs = _published_rows(published, metric, published_top) if attribute is None else []
    entries = [(t.complete, score, "ours", (t, curve)) for t, curve, score in series]
    entries += [(True, p.value, "published", p) for p in refs]
    entries.sort(key=lambda e: _rank_key(e[0], e[1]))
    incomplete = any(not t.complete for t, _, _ in series)
    notes = ([PUBLISHED_NOTE] if refs else []) + (["* incomplete, not ranked"] if incomplete else [])
    with _style():
        fig = _mpl()(layout="constrained", figsize=(COLUMN_WIDTH, _height_for(len(entries), titled=bool(notes))))
        ax = fig.add_subplot()
        x = report.convention.success_thresholds if kind == SUCCESS else PRECISION_THRESHOLDS
        handles, labels, emphasised = [], [], []
        rank = 0
        for _, score, source, item in entries:
            if source == "ours":
                t, curve = item
                style = styles.get(t.name) or TrackerStyle(PALETTE[rank % len(PALETTE)], "-", "o")
                (line,) = ax.plot(x, curve, color=style.color, linestyle=style.linestyle, label=t.name,
                                  **_line_look(style, t.complete and rank < top))
                handles.append(line)
                labels.append(f"{t.name}{'' if t.complete else '*'} [{score:.3f}]")
                emphasised.append(style.highlight)
                rank += t.complete
            else:
                p = item
                marker = PUBLISHED_MARKERS[len([h for h in labels if DAGGER in h]) % len(PUBLISHED_MARKERS)]
                if kind == PRECISION:  # a precision at 20 px is a point of the plot
                    handles.append(_hollow(ax, [20], [p.value], marker))
                else:  # an AUC is not: the legend row is text only
                    handles.append(Line2D([], [], linestyle="none"))
                labels.append(_published_label(p))
                emphasised.append(False)
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
                          _legend_title(notes), emphasised)
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
    tracker's colour, published numbers hollow with a dagger; incomplete trackers
    below a rule, unranked.

    ``rows``: [(name, complete, {metric: value})] in rank order; ``metrics``: [(key,
    axis label)], the first one ranks. Published rows of the ranking metric are
    placed among the complete trackers by value; their other metrics are drawn where
    known.
    """
    key = metrics[0][0]
    refs = _published_rows(published, key, published_top)
    by_tracker: dict[str, dict] = {}
    for p in published:  # every published metric of the selected trackers
        by_tracker.setdefault(_label(p), {}).setdefault(p.metric, p)
    # (value, published?, name, complete, verified, {metric: value})
    entries = [(values.get(key), False, name, complete, True, values) for name, complete, values in rows]
    entries += [(p.value, True, _label(p), True, p.verified, {m: q.value for m, q in by_tracker[_label(p)].items()})
                for p in refs]
    entries.sort(key=lambda e: _rank_key(e[3], e[0]))
    ranked = sum(1 for e in entries if e[3])
    styles = styles or tracker_styles([name for name, _, _ in rows])
    n = max(len(entries), 1)
    with _style():
        # title, axis label and notes take ~1 in; each row 0.13 in (7 pt labels)
        fig = _mpl()(layout="constrained", figsize=(COLUMN_WIDTH, 1.0 + 0.13 * n))
        axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
        y = np.arange(n)[::-1]
        for ax, (metric, label) in zip(axes, metrics):
            values = []
            for row_y, (_, is_pub, name, _, _, vals) in zip(y, entries):
                v = vals.get(metric)
                if not _finite(v):
                    continue
                values.append(v)
                if is_pub:
                    _hollow(ax, [v], [row_y], "o")
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
        fig.suptitle(title, fontsize=8)
        if notes:
            fig.supxlabel("; ".join(notes), fontsize=6.5, fontstyle="italic", x=0.0, ha="left")
    return fig


def otb_ranking(report, published=(), published_top: int = 5, styles=None):
    """AUC and precision at 20 px of every tracker, published numbers beside them."""
    rows = [(t.name, t.complete, {"success_auc": t.overall.success_auc, "precision_20": t.overall.precision_20})
            for t in report.ranked() if t.overall is not None]
    return ranking_plot(rows, [("success_auc", "Success AUC"), ("precision_20", "Precision @20px")],
                        f"{_short(report.benchmark)} {report.experiment.upper()} "
                        f"({plural(len(report.dataset), 'sequence')})", published, published_top, styles)


def otb_plot_set(report, folder: Path, formats=("png", "pdf"), published=(), top: int = 10,
                 published_top: int = 5, workers: int | None = None, highlight=(),
                 progress: str | None = None) -> list[dict]:
    """Every OTB plot of one experiment: overall success / precision, both per attribute,
    and the ranking; written as ``<experiment>_<plot>.<format>`` into ``folder``.
    Returns [{"name", "title", "paths"}] in display order."""
    styles = tracker_styles([t.name for t in report.ranked()], highlight)
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
    return render(tasks, folder, formats, workers, progress)


# Figures are independent and matplotlib draws on one core, so a plot set is rendered
# by forked worker processes; they find their tasks here (closures are not pickled).
_TASKS: list = []


def default_workers() -> int:
    """$RASBENCH_PLOT_WORKERS, else up to 2 processes (rendering 50 files takes ~10 s on one core)."""
    value = os.environ.get("RASBENCH_PLOT_WORKERS")
    return max(1, int(value)) if value else max(1, min(2, os.cpu_count() or 1))


def _render_one(job) -> dict:
    index, folder, formats = job
    name, title, build = _TASKS[index]
    return {"name": name, "title": title, "paths": save(build(), Path(folder) / name, formats)}


def render(tasks: list, folder: Path, formats=("png", "pdf"), workers: int | None = None,
           progress: str | None = None) -> list[dict]:
    """Build and save each ``(name, title, build)`` task -- ``build()`` returns a Figure
    -- as ``folder/name.<format>``; [{"name", "title", "paths"}] in task order.
    ``progress``: the description of a progress bar on stderr (None: no bar)."""
    import multiprocessing

    from tqdm import tqdm

    global _TASKS
    workers = default_workers() if workers is None else workers
    jobs = [(i, str(folder), tuple(formats)) for i in range(len(tasks))]
    _TASKS = list(tasks)
    bar = tqdm(total=len(jobs), desc=progress, unit="plot", disable=progress is None)
    try:
        if workers > 1 and len(tasks) > 2 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(min(workers, len(tasks))) as pool:
                made = []
                for item in pool.imap(_render_one, jobs, chunksize=1):
                    made.append(item)
                    bar.update()
        else:
            made = []
            for job in jobs:
                made.append(_render_one(job))
                bar.update()
    finally:
        _TASKS = []
        bar.close()
    for item in made:
        item["paths"] = [Path(p) for p in item["paths"]]
    return made


# ------------------------------------------------------------------------------ VOT
def _short(benchmark) -> str:
    """"VOT2017" from "VOT2017 (60 sequences; ...)"."""
    return benchmark.title.split(" (")[0]


def _vot_title(report) -> str:
    """"VOT2017 baseline (60 sequences)"."""
    return f"{_short(report.benchmark)} {report.experiment} ({plural(len(report.dataset), 'sequence')})"


def _complete_first(trackers: list) -> list:
    """Trackers in rank order with the incomplete ones moved after the complete ones."""
    return [t for t in trackers if t.complete] + [t for t in trackers if not t.complete]


def eao_curve_plot(report, top: int = 10, styles=None):
    """Expected overlap against sequence length, the benchmark's EAO interval shaded;
    legend sorted by EAO, incomplete trackers last."""
    ranked = _complete_first([t for t in report.ranked() if t.eao_curve])
    styles = styles or tracker_styles([t.name for t in ranked])
    notes = ["* incomplete, not ranked"] if any(not t.complete for t in ranked) else []
    low, high = report.eao_interval
    with _style():
        fig = _mpl()(layout="constrained", figsize=(COLUMN_WIDTH, _height_for(len(ranked), titled=bool(notes))))
        ax = fig.add_subplot()
        ax.axvspan(low, high, color="#e8e8e8", zorder=0, linewidth=0)
        longest = 1
        handles, labels = [], []
        for rank, t in enumerate(ranked):
            curve = np.asarray(t.eao_curve, dtype=float)
            longest = max(longest, len(curve))
            style = styles[t.name]
            (line,) = ax.plot(np.arange(1, len(curve) + 1), curve, color=style.color, linestyle=style.linestyle,
                              label=t.name, **_line_look(style, t.complete and rank < top))
            handles.append(line)
            labels.append(f"{t.name}{'' if t.complete else '*'} [{t.scores['eao']:.3f}]")
        # beyond ~2.5x the interval the curves only decay; the tail is not informative
        ax.set_xlim(1, max(min(longest, int(2.5 * high)), high + 20))
        ax.set_ylim(0, 1)
        ax.set_xlabel("Sequence length (frames)")
        ax.set_ylabel("Expected overlap")
        ax.set_title(f"EAO curves, {_vot_title(report)}")
        ax.text((low + high) / 2, 0.97, f"EAO interval\n{low}-{high}", ha="center", va="top", fontsize=6.5,
                color="#555555")
        if handles:
            _legend(ax, handles, labels, "upper right", _legend_title(notes),
                    [styles[t.name].highlight for t in ranked])
    return fig


def vot_ranking(report, published=(), published_top: int = 5, styles=None):
    """EAO (or average overlap, unsupervised) of every tracker, published numbers beside."""
    key = report.key
    rows = [(t.name, t.complete, {key: t.scores.get(key)}) for t in report.ranked() if _finite(t.scores.get(key))]
    label = "Expected average overlap" if key == "eao" else "Average overlap"
    refs = [p for p in published if p.metric == key]
    return ranking_plot(rows, [(key, label)], f"{'EAO' if key == 'eao' else 'AO'}, {_vot_title(report)}", refs,
                        published_top, styles)


def _ar_from_rate(robustness_per_100: float, sensitivity: float) -> float:
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
    ranked = _complete_first([t for t in report.ranked() if _finite(t.scores.get("accuracy"))])
    styles = styles or tracker_styles([t.name for t in ranked])
    pairs = []
    if conv.ar_plot == "rate":  # the published R converts to this axis only for the rate form
        acc = {p.tracker: p for p in published if p.metric == "accuracy"}
        rob = {p.tracker: p for p in published if p.metric == "robustness"}
        eao = {p.tracker: p.value for p in published if p.metric == "eao"}
        pairs = [(acc[n], rob[n], eao.get(n)) for n in acc if n in rob][:published_top]
    notes = ([PUBLISHED_NOTE] if pairs else []) + (["* incomplete"] if any(not t.complete for t in ranked) else [])
    with _style():
        fig = _mpl()(layout="constrained", figsize=(COLUMN_WIDTH, _height_for(len(ranked) + len(pairs), 2.6,
                                                                              bool(notes))))
        ax = fig.add_subplot()
        handles, labels = [], []
        for t in ranked:
            handles.append(_point(ax, t.scores["ar_robustness"], t.scores["accuracy"], styles[t.name]))
            eao = t.scores.get("eao")
            labels.append(f"{t.name}{'' if t.complete else '*'}" + (f" [{eao:.3f}]" if _finite(eao) else ""))
        for k, (a, r, eao) in enumerate(pairs):
            handles.append(_hollow(ax, [_ar_from_rate(r.value, conv.sensitivity)], [a.value],
                                   PUBLISHED_MARKERS[k % len(PUBLISHED_MARKERS)], 5))
            verified = a.verified and r.verified
            labels.append(f"{_label(a)}{DAGGER}{'' if verified else UNVERIFIED_MARK}"
                          + (f" [{eao:.3f}]" if eao is not None else ""))
        ax.set_xlim(0, 1.0)
        ax.set_ylim(0, 1.0)
        ax.set_xlabel(f"Robustness exp(-{conv.sensitivity:g} F/N)")
        ax.set_ylabel("Accuracy")
        ax.set_title(f"AR plot, {_vot_title(report)}")
        if handles:
            leg = _legend(ax, handles, labels, "best", _legend_title(notes),
                          [styles[t.name].highlight for t in ranked])
            _style_published_labels(leg)
    return fig


def realtime_vs_baseline(baseline, realtime, published=(), styles=None):
    """Real-time EAO against baseline EAO; trackers on the diagonal lose nothing to
    the real-time clock."""
    base = {t.name: t for t in baseline.trackers.values() if _finite(t.scores.get("eao"))}
    rt = {t.name: t for t in realtime.trackers.values() if _finite(t.scores.get("eao"))}
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
    with _style():
        fig = _mpl()(layout="constrained", figsize=(COLUMN_WIDTH, _height_for(len(names) + len(pub), 2.6,
                                                                              bool(notes))))
        ax = fig.add_subplot()
        ax.plot([0, top], [0, top], color="#999999", linewidth=0.6, linestyle="--", zorder=1)
        handles, labels = [], []
        for n in names:
            handles.append(_point(ax, base[n].scores["eao"], rt[n].scores["eao"], styles[n]))
            labels.append(f"{n}{'' if complete[n] else '*'} [{base[n].scores['eao']:.3f} / "
                          f"{rt[n].scores['eao']:.3f}]")
        for k, (b, r) in enumerate(pub):
            handles.append(_hollow(ax, [b.value], [r.value], PUBLISHED_MARKERS[k % len(PUBLISHED_MARKERS)], 5))
            verified = b.verified and r.verified
            labels.append(f"{_label(b)}{DAGGER}{'' if verified else UNVERIFIED_MARK} [{b.value:.3f} / {r.value:.3f}]")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("EAO, baseline")
        ax.set_ylabel("EAO, real-time")
        ax.set_title(f"Real-time vs baseline EAO\n{_short(baseline.benchmark)} "
                     f"({plural(len(baseline.dataset), 'sequence')})")
        if handles:
            leg = _legend(ax, handles, labels, "best", _legend_title(notes), [styles[n].highlight for n in names])
            _style_published_labels(leg)
    return fig


TAG_ORDER = ("camera_motion", "illum_change", "motion_change", "size_change", "occlusion", "empty")


def tag_plot(report, styles=None):
    """Per-tag AR plots (VOT's per-attribute analysis): accuracy against robustness
    exp(-S F/N) on the frames carrying each tag; one panel per tag, a shared legend."""
    ranked = _complete_first([t for t in report.ranked() if t.tags])
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
                handles.setdefault(t.name, _point(ax, _ar_from_rate(d["robustness"], sensitivity), d["accuracy"],
                                                  styles[t.name], 4.5))
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
            leg = fig.legend([handles[n] for n in names],
                             [n + ("" if report.trackers[n].complete else "*") for n in names],
                             loc="outside lower center", ncols=min(len(names), 6), frameon=False)
            for text, n in zip(leg.get_texts(), names):
                if styles[n].highlight:
                    text.set_fontweight("bold")
    return fig


def vot_plot_set(reports: dict, folder: Path, formats=("png", "pdf"), published=(), top: int = 10,
                 published_top: int = 5, workers: int | None = None, highlight=(),
                 progress: str | None = None) -> list[dict]:
    """Every VOT plot of the given experiments ({experiment: VOTReport}): EAO curves,
    EAO ranking, AR plot and per-tag AR plots per supervised experiment, the average
    overlap ranking for unsupervised, real-time against baseline when both are there."""
    first = next(iter(reports.values()))
    styles = tracker_styles([t.name for t in first.ranked()]
                            + [n for r in reports.values() for n in r.trackers if n not in first.trackers], highlight)
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
    return render(tasks, folder, formats, workers, progress)
