"""What every plot shares: print-size style, one look per tracker, legends, atomic saving,
rendering a plot set in worker processes.

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

from ..errors import ConfigError
from ..forking import can_fork, cpu_count, forked_map
from ..paths import atomic_write_bytes
from ..text import plural

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


def new_figure(**kwargs):
    """A matplotlib Figure (imported on first use)."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


@contextmanager
def print_style():
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


def line_look(style: TrackerStyle, bold: bool) -> dict:
    """Line width, opacity and stacking of a curve: highlighted > the ``top`` > the rest."""
    if style.highlight:
        return {"linewidth": 2.4, "alpha": 1.0, "zorder": 6}
    return {"linewidth": 1.6, "alpha": 1.0, "zorder": 3} if bold else {"linewidth": 0.9, "alpha": 0.75, "zorder": 2}


def is_finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def published_rows(published, metric: str, limit: int | None) -> list:
    """The best (highest) ``limit`` published numbers for ``metric`` (already filtered
    to the benchmark and experiment by the caller)."""
    rows = [p for p in published if p.metric == metric and is_finite(p.value)]
    rows.sort(key=lambda p: -p.value)
    return rows[:limit] if limit is not None else rows


def published_name(p) -> str:
    return getattr(p, "label", p.tracker)


def published_label(p, digits: int = 3) -> str:
    return f"{published_name(p)}{DAGGER}{'' if p.verified else UNVERIFIED_MARK} [{p.value:.{digits}f}]"


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
    with print_style():
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


def height_for(entries: int, axes_height: float = 2.3, titled: bool = False) -> float:
    """Figure height: the axes, or the rows of a legend beside them if those are taller."""
    columns = _legend_columns(entries)
    if not columns:
        return axes_height
    return max(axes_height, 0.45 + LEGEND_ROW * (math.ceil(entries / columns) + (1 if titled else 0)))


def legend(ax, handles, labels, inside_loc: str, title: str | None, emphasised=()):
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


def legend_title(notes: list[str]) -> str | None:
    return "; ".join(notes) if notes else None


def rank_key(complete: bool, value):
    """Sort key: complete entries by value (best first), then incomplete ones by value."""
    return (not complete, not is_finite(value), -value if is_finite(value) else 0.0)


def hollow(ax, x, y, marker: str, size: float = 4.0):
    """A published number's glyph: a grey hollow marker (also its legend handle)."""
    (point,) = ax.plot(x, y, linestyle="none", marker=marker, markerfacecolor="white",
                       markeredgecolor=PUBLISHED_COLOR, markeredgewidth=0.8, markersize=size, zorder=4)
    return point


def style_published_labels(leg) -> None:
    for text in leg.get_texts():
        if DAGGER in text.get_text():
            text.set_fontstyle("italic")
            text.set_color(PUBLISHED_COLOR)


def short_title(report) -> str:
    """"VOT2017" from "VOT2017 (60 sequences; ...)"."""
    return report.benchmark.title.split(" (")[0]


def sequences_title(report) -> str:
    """"VOT2017 baseline (60 sequences)"."""
    return f"{short_title(report)} {report.experiment_label} ({plural(len(report.dataset), 'sequence')})"


def complete_first(trackers: list) -> list:
    """Trackers in rank order with the incomplete ones moved after the complete ones."""
    return [t for t in trackers if t.complete] + [t for t in trackers if not t.complete]


# Figures are independent and matplotlib draws on one core, so a plot set is rendered by
# forked worker processes (rasbench.forking), which inherit the tasks (closures are not pickled).


def default_workers() -> int:
    """$RASBENCH_PLOT_WORKERS, else one process per CPU core (rendering 50 files takes
    ~10 s on one core); :func:`render` starts no more than there are plots."""
    value = os.environ.get("RASBENCH_PLOT_WORKERS", "").strip()
    if not value:
        return cpu_count()
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"$RASBENCH_PLOT_WORKERS must be a whole number of processes, 1 or more, got {value!r}")
    return int(value)


def _render_one(task, folder: str, formats: tuple) -> dict:
    name, title, build = task
    return {"name": name, "title": title, "paths": save(build(), Path(folder) / name, formats)}


def render(tasks: list, folder: Path, formats=("png", "pdf"), workers: int | None = None,
           progress: str | None = None) -> list[dict]:
    """Build and save each ``(name, title, build)`` task -- ``build()`` returns a Figure
    -- as ``folder/name.<format>``; [{"name", "title", "paths"}] in task order.
    ``progress``: the description of a progress bar on stderr (None: no bar). Plots a
    worker process did not deliver (it hung or died) are drawn here, so a plot's own
    error is raised here, as in a serial run."""
    from tqdm import tqdm

    tasks = list(tasks)
    workers = min(default_workers() if workers is None else workers, len(tasks))
    folder, formats = str(folder), tuple(formats)
    done: dict[int, dict] = {}
    bar = tqdm(total=len(tasks), desc=progress, unit="plot", disable=progress is None)
    try:
        if workers > 1 and len(tasks) > 2 and can_fork():
            # loaded once here, the workers inherit matplotlib and its font list (each would load them again)
            import matplotlib.backends.backend_agg  # noqa: F401
            import matplotlib.figure  # noqa: F401
            import matplotlib.font_manager  # noqa: F401
            done.update(forked_map(lambda index: _render_one(tasks[index], folder, formats), len(tasks), workers,
                                   lambda index, item: bar.update()))
        for index, task in enumerate(tasks):
            if index not in done:
                done[index] = _render_one(task, folder, formats)
                bar.update()
    finally:
        bar.close()
    return [done[index] for index in range(len(tasks))]
