"""Figures for papers and reports, made from the report model alone.

A report lists the plots it offers (``report.plots``: name, kind, title, parameters);
each kind is a function of the report here (:data:`KINDS`): curve plots for any curve
of the model (success, precision), the EAO curve, rankings, accuracy-robustness and
per-tag plots; plots that combine two experiments (real-time against baseline) are
:data:`CROSS_KINDS`. Published numbers appear as marked reference points, never as
curves.

matplotlib is imported only when a figure is made (``rasbench report --format table``
never loads it) and is used through its object API (``Figure`` and the Agg canvas), so
no GUI backend is selected and a caller's pyplot state is left alone. Text is drawn by
matplotlib itself (never LaTeX) and never as math (``text.parse_math`` is off). Figures
are drawn at the size they are printed at in a two-column paper with 6.5-8 pt text;
PDF/SVG keep text as embedded TrueType / paths. Every tracker keeps one colour, line
style and marker in all plots of a report; incomplete trackers (``*``) are listed after
the complete ones and never ranked among them; highlighted trackers are drawn thicker,
on top, with bold labels. Files are written atomically.
"""
from __future__ import annotations

from pathlib import Path

from .curves import curve_plot, curve_title, eao_curve_plot
from .points import ar_from_rate, ar_plot, realtime_vs_baseline, tag_plot
from .ranking import ranking, ranking_plot
from .style import COLUMN_WIDTH, FORMATS, PAGE_WIDTH, TrackerStyle, plural, render, save, tracker_styles

__all__ = ["COLUMN_WIDTH", "CROSS_KINDS", "FORMATS", "KINDS", "PAGE_WIDTH", "TrackerStyle", "ar_from_rate", "ar_plot",
           "cross_plot", "curve_plot", "curve_title", "eao_curve_plot", "figure", "plot_set", "plural",
           "ranking", "ranking_plot", "realtime_vs_baseline", "render", "save", "tag_plot", "tracker_styles"]

# Plot kinds of one report: kind -> function(report, spec, published, top, published_top, styles) -> Figure.
KINDS = {
    "curve": lambda r, spec, pub, top, ptop, styles: curve_plot(r, spec.params["curve"], spec.params.get("group"),
                                                                 pub, top, ptop, styles),
    "eao_curve": lambda r, spec, pub, top, ptop, styles: eao_curve_plot(r, top, styles),
    "ranking": lambda r, spec, pub, top, ptop, styles: ranking(r, pub, ptop, styles),
    "ar": lambda r, spec, pub, top, ptop, styles: ar_plot(r, pub, ptop, styles),
    "tags": lambda r, spec, pub, top, ptop, styles: tag_plot(r, styles),
}
# Plots of two experiments: kind -> function(report, other experiment's report, published, styles) -> Figure.
CROSS_KINDS = {
    "realtime_vs_baseline": lambda realtime, baseline, pub, styles: realtime_vs_baseline(baseline, realtime, pub,
                                                                                        styles),
}
CROSS_TITLES = {"realtime_vs_baseline": "Real-time vs baseline EAO"}


def _styles(reports, highlight=()) -> dict:
    first = next(iter(reports))
    names = [t.name for t in first.ranked()] + [n for r in reports for n in r.trackers if n not in first.trackers]
    return tracker_styles(names, highlight)


def figure(report, name: str, published=(), top: int = 10, published_top: int = 5, highlight=()):
    """The plot ``name`` of ``report`` (one of ``[p.name for p in report.plots]``) as a
    matplotlib Figure; ``published``: :class:`~rasbench.reports.published.PublishedNumber`
    to show beside the trackers."""
    spec = next((p for p in report.plots if p.name == name), None)
    if spec is None:
        raise ValueError(f"{report.experiment} has no plot {name!r}; it has {', '.join(p.name for p in report.plots)}")
    return KINDS[spec.kind](report, spec, list(published), top, published_top, _styles([report], highlight))


def plot_set(reports: dict, folder: Path, formats=("png", "pdf"), published=(), top: int = 10,
             published_top: int = 5, workers: int | None = None, highlight=(),
             progress: str | None = None) -> list[dict]:
    """Every plot of the given reports ({experiment: Report}), written as
    ``<experiment>_<plot>.<format>`` into ``folder``; [{"name", "title", "paths"}] in
    display order, then the plots combining two of them (``report.cross``).
    ``published`` numbers are shown in the plots of their experiment."""
    styles = _styles(reports.values(), highlight)
    tasks = []
    for exp, report in reports.items():
        refs = [p for p in published if p.experiment == exp]
        for spec in report.plots:
            tasks.append((f"{exp}_{spec.name}", spec.title,
                          lambda r=report, s=spec, refs=refs: KINDS[s.kind](r, s, refs, top, published_top, styles)))
    for report in reports.values():
        for kind, other in report.cross:
            if other in reports:
                tasks.append((kind, CROSS_TITLES[kind], lambda k=kind, r=report, o=reports[other]:
                              CROSS_KINDS[k](r, o, list(published), styles)))
    return render(tasks, folder, formats, workers, progress)


def cross_plot(kind: str, report, other, folder: Path, formats=("png", "pdf"), published=(), highlight=()) -> dict:
    """The plot ``kind`` of two experiments' reports, written as ``<kind>.<format>``."""
    fig = CROSS_KINDS[kind](report, other, list(published), _styles([other, report], highlight))
    return {"name": kind, "title": CROSS_TITLES[kind], "paths": save(fig, Path(folder) / kind, formats)}
