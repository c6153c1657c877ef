"""Plots: every OTB and VOT figure is made, legends are sorted and marked, published
numbers are labelled as such, 30 trackers stay readable, matplotlib loads lazily."""
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time

import pytest
from conftest import REPO, deadline
from PIL import Image
from report_fixtures import many_trackers, otb_report, run_vot_trackers, tiny_vot, vot_reports

from rasbench import forking, plots
from rasbench.plots import style
from rasbench.reports.published import PublishedNumber


def _pub(tracker, metric, value, experiment="ope", verified=True):
    return PublishedNumber(tracker, "tiny", experiment, metric, value, "a paper", "secondary", verified=verified)


@pytest.mark.slow
def test_otb_plot_set_has_overall_attribute_and_ranking_plots(otb, tmp_path):
    bench, root, folder = otb
    for exp in ("ope", "tre"):
        report = otb_report(bench, root, folder, exp)
        formats = ("png", "pdf", "svg") if exp == "ope" else ("png",)
        made = plots.plot_set({exp: report}, tmp_path / "plots", formats, workers=1 if exp == "ope" else 2)
        names = [p["name"] for p in made]
        # FM is on both sequences, SV on one: overall + per attribute, success and precision
        assert names == [f"{exp}_success", f"{exp}_precision", f"{exp}_ranking", f"{exp}_success_SV",
                         f"{exp}_precision_SV", f"{exp}_success_FM", f"{exp}_precision_FM"]
        for p in made:
            assert [f.suffix[1:] for f in p["paths"]] == list(formats)
            assert all(f.stat().st_size > 1000 for f in p["paths"])
        titles = {p["name"]: p["title"] for p in made}
        assert titles[f"{exp}_success_FM"] == f"Success plots of {exp.upper()} - fast motion (2)"
        assert titles[f"{exp}_precision_SV"] == f"Precision plots of {exp.upper()} - scale variation (1)"
        assert titles[f"{exp}_success"] == f"Success plots of {exp.upper()} (2 sequences)"
    png = tmp_path / "plots" / "ope_success.png"
    with Image.open(png) as image:  # one column of a two-column paper at 200 dpi
        assert 600 <= image.width <= 760
    assert b"usetex" not in (tmp_path / "plots" / "ope_success.svg").read_bytes()


def test_legend_is_sorted_by_score_and_published_rows_are_marked(otb):
    bench, root, folder = otb
    report = otb_report(bench, root, folder)
    published = [_pub("Paper-A", "success_auc", 0.5), _pub("Paper-B", "precision_20", 0.9),
                 _pub("Paper-C", "success_auc", 0.2, verified=False)]
    fig = plots.curve_plot(report, "success_curve", published=published, top=1)
    legend = fig.axes[0].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    scores = [float(label.rsplit("[", 1)[1].rstrip("]")) for label in labels]
    assert scores == sorted(scores, reverse=True)
    assert "Paper-A\u2020 [0.500]" in labels and "Paper-C\u2020 (unverified) [0.200]" in labels
    assert not any("Paper-B" in label for label in labels)  # a precision number has no place on a success plot
    assert "published, not re-computed" in legend.get_title().get_text()
    lines = fig.axes[0].get_lines()
    assert len(lines) == len(report.trackers)  # published numbers get no curve
    assert sorted(line.get_linewidth() for line in lines)[-1] > sorted(line.get_linewidth() for line in lines)[0]
    # on the precision plot the published P@20 is a hollow marker at 20 px
    fig = plots.curve_plot(report, "precision_curve", published=published)
    markers = [line for line in fig.axes[0].get_lines() if list(line.get_xdata()) == [20]]
    assert len(markers) == 1 and markers[0].get_markerfacecolor() == "white"  # hollow


def test_thirty_trackers_stay_readable(otb, tmp_path):
    bench, root, folder = otb
    report = many_trackers(otb_report(bench, root, folder), 30)
    published = [_pub(f"Published-{i}", "success_auc", 0.3 + 0.05 * i) for i in range(5)]
    fig = plots.curve_plot(report, "success_curve", published=published, top=10)
    path = plots.save(fig, tmp_path / "many", ("png",))[0]
    fig.canvas.draw()  # lay out at the figure's own dpi, then measure
    renderer = fig.canvas.get_renderer()
    legend = fig.legends[0]  # 35 entries: beside the axes in two columns, not over the curves
    assert len(legend.get_texts()) == 35
    axes_box = fig.axes[0].get_tightbbox(renderer)
    texts = legend.get_texts() + [legend.get_title()]
    assert min(t.get_window_extent(renderer).x0 for t in texts) >= axes_box.x1
    assert legend.get_window_extent(renderer).width < 0.5 * fig.get_figwidth() * fig.dpi
    assert min(t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize"))) >= 6.5
    with Image.open(path) as image:  # the axes keep a column's width, the whole fits a page's (7 in)
        assert 4.2 < image.width / 200 <= plots.PAGE_WIDTH
    bold = [line for line in fig.axes[0].get_lines() if line.get_linewidth() > 1.2]
    assert len(bold) == 10


@pytest.mark.slow
def test_vot_plot_set(tmp_path):
    bench, root = tiny_vot(tmp_path)
    folder = run_vot_trackers(bench, root, tmp_path / "res")
    reports = vot_reports(bench, root, folder)
    published = [PublishedNumber("Paper-X", "tinyvot", "baseline", "eao", 0.2, "s", "secondary"),
                 PublishedNumber("Paper-X", "tinyvot", "baseline", "accuracy", 0.5, "s", "secondary"),
                 PublishedNumber("Paper-X", "tinyvot", "baseline", "robustness", 2.0, "s", "secondary"),
                 PublishedNumber("Paper-X", "tinyvot", "realtime", "eao", 0.1, "s", "UNVERIFIED", verified=False)]
    made = plots.plot_set(reports, tmp_path / "plots", ("png",), published, workers=2)
    names = [p["name"] for p in made]
    assert names == ["baseline_eao_curve", "baseline_eao_ranking", "baseline_ar", "baseline_tags",
                     "realtime_eao_curve", "realtime_eao_ranking", "realtime_ar", "realtime_tags",
                     "unsupervised_ranking", "realtime_vs_baseline"]
    assert all(p["paths"][0].is_file() for p in made)
    base = reports["baseline"]
    fig = plots.eao_curve_plot(base)
    spans = [p for p in fig.axes[0].patches]  # the EAO interval, shaded
    assert len(spans) == 1 and spans[0].get_x() == pytest.approx(5)
    fig = plots.ar_plot(base, published)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(label.startswith("Paper-X\u2020") for label in labels)
    point = [line for line in fig.axes[0].get_lines() if line.get_markerfacecolor() == "white"][0]
    assert point.get_xdata()[0] == pytest.approx(plots.ar_from_rate(2.0, 30))  # exp(-30 * 2 / 100)
    fig = plots.ranking(base, published)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks[0] == "identity" or "Paper-X\u2020" in ticks
    fig = plots.realtime_vs_baseline(reports["baseline"], reports["realtime"], published)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "Paper-X\u2020 (unverified) [0.200 / 0.100]" in labels
    fig = plots.tag_plot(base)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles[0].startswith("camera motion (") and titles[-1].startswith("empty (")


def test_table_report_does_not_import_matplotlib_or_torch(otb):
    bench, root, folder = otb
    code = (
        "import sys, json\n"
        "from click.testing import CliRunner\n"
        "from rasbench.cli import main\n"
        f"r = CliRunner().invoke(main, ['report', {str(bench.path)!r}, '--results', {str(folder.parent)!r}, "
        f"'--root', {str(root)!r}, '--format', 'table'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'torch'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO / "tests")})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_every_tracker_has_its_own_colour_and_style():
    styles = plots.tracker_styles([f"t{i}" for i in range(60)])
    assert len({(s.color, str(s.linestyle)) for s in styles.values()}) == 60  # curves
    assert len({(s.color, s.marker) for s in styles.values()}) == 60  # points (ranking, AR plots)


def test_twenty_four_trackers_legend_beside_the_axes(otb, tmp_path):
    bench, root, folder = otb
    report = many_trackers(otb_report(bench, root, folder), 24)
    published = [_pub(f"Published-{i}", "precision_20", 0.5 + 0.05 * i) for i in range(3)]
    for kind in ("success", "precision"):
        fig = plots.curve_plot(report, f"{kind}_curve", published=published if kind == "precision" else ())
        plots.save(fig, tmp_path / kind, ("png",))
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legend = fig.legends[0]
        box, axes = legend.get_window_extent(renderer), fig.axes[0].get_tightbbox(renderer)
        width = fig.get_figwidth() * fig.dpi
        assert box.x0 >= axes.x1 - 1 and box.x1 <= width + 1  # beside the axes, inside the figure
        assert box.width < 0.45 * width  # not half the figure
        assert fig.axes[0].get_window_extent(renderer).width / fig.dpi > 2.5  # the axes keep a column's width
        assert min(t.get_fontsize() for t in legend.get_texts()) >= 6.5
    # published entries: the legend shows the glyph drawn at 20 px
    drawn = {(line.get_marker(), round(float(line.get_ydata()[0]), 6)) for line in fig.axes[0].get_lines()
             if list(line.get_xdata()) == [20]}
    shown = [(h.get_marker(), t.get_text()) for h, t in zip(legend.legend_handles, legend.get_texts())
             if "Published" in t.get_text()]
    assert len(shown) == 3 and len({m for m, _ in shown}) == 3
    for marker, text in shown:
        value = float(text.rsplit("[", 1)[1].rstrip("]"))
        assert (marker, round(value, 6)) in drawn


def test_highlighted_trackers_stand_out(otb):
    bench, root, folder = otb
    report = many_trackers(otb_report(bench, root, folder), 12)
    styles = plots.tracker_styles([t.name for t in report.ranked()], highlight=["Tracker-03"])
    fig = plots.curve_plot(report, "success_curve", styles=styles)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    mine = lines["Tracker-03"]
    assert mine.get_linewidth() > max(line.get_linewidth() for n, line in lines.items() if n != "Tracker-03")
    assert mine.get_zorder() > max(line.get_zorder() for n, line in lines.items() if n != "Tracker-03")
    texts = [t for t in fig.legends[0].get_texts() if t.get_text().startswith("Tracker-03 ")]
    assert texts and texts[0].get_fontweight() == "bold"
    fig = plots.ranking(report, styles=styles)
    ticks = [t for t in fig.axes[0].get_yticklabels() if t.get_text() == "Tracker-03"]
    assert ticks[0].get_fontweight() == "bold"


def test_names_are_never_math(otb):
    bench, root, folder = otb
    import dataclasses

    report = otb_report(bench, root, folder)
    trackers = {n: dataclasses.replace(t, name=n) for n, t in zip(("$\\frac$", "$x^2$"), report.trackers.values())}
    report = dataclasses.replace(report, trackers=trackers)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    for fig in (plots.curve_plot(report, "success_curve"), plots.ranking(report)):
        FigureCanvasAgg(fig).draw()  # "$\frac$" as math would raise here
        texts = [t for t in fig.findobj(Text) if t.get_visible()]
        assert any(t.get_text().startswith("$x^2$") for t in texts)
        assert not any(t.get_parse_math() for t in texts if "$" in t.get_text())


def test_vot_titles_state_the_number_of_sequences(tmp_path):
    bench, root = tiny_vot(tmp_path)
    folder = run_vot_trackers(bench, root, tmp_path / "res", ("baseline",))
    report = vot_reports(bench, root, folder, ("baseline",))["baseline"]
    assert plots.eao_curve_plot(report).axes[0].get_title().endswith("(2 sequences)")
    assert plots.ar_plot(report).axes[0].get_title().endswith("(2 sequences)")
    assert plots.ranking(report)._suptitle.get_text().endswith("(2 sequences)")
    assert plots.tag_plot(report)._suptitle.get_text().endswith("(2 sequences)")


def _parent_only(build, misbehave):
    """A plot task that draws ``build()`` in this process but ``misbehave()``s in a forked worker."""
    parent = os.getpid()

    def task():
        if os.getpid() != parent:
            misbehave()
        return build()
    return task


def _line_figure(slope):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [0, slope])
    return fig


@pytest.mark.parametrize("misbehave", [lambda: time.sleep(3600), lambda: os._exit(3)], ids=["hangs", "dies"])
def test_plots_a_worker_does_not_deliver_are_drawn_here(tmp_path, monkeypatch, misbehave):
    # CI once hung for 300 s in multiprocessing.Pool's exit: a forked plot worker never ended
    monkeypatch.setattr(forking, "STALL_SECONDS", 2.0)
    tasks = [(f"p{i}", f"plot {i}", _parent_only(lambda: _line_figure(1), misbehave) if i == 1
              else lambda: _line_figure(1)) for i in range(5)]
    started = time.monotonic()
    with deadline(60):
        made = style.render(tasks, tmp_path, ("png",), workers=2)
    assert time.monotonic() - started < 30
    assert [m["name"] for m in made] == ["p0", "p1", "p2", "p3", "p4"]
    sizes = set()
    for item in made:
        (path,) = item["paths"]
        image = Image.open(path)
        assert path == tmp_path / f"{item['name']}.png" and image.format == "PNG"
        sizes.add(image.size)
    assert len(sizes) == 1  # drawn here or in a worker, the same figure
    assert multiprocessing.active_children() == []


def test_a_plot_that_fails_raises_its_own_error(tmp_path, capfd):
    def broken():
        raise ValueError("no data for this plot")

    tasks = [("p0", "a", lambda: _line_figure(1)), ("p1", "b", broken), ("p2", "c", lambda: _line_figure(2))]
    with deadline(60), pytest.raises(ValueError, match="no data for this plot"):
        style.render(tasks, tmp_path, ("png",), workers=2)
    assert multiprocessing.active_children() == []
    assert "Traceback" not in capfd.readouterr().err  # raised once, here; the worker ended quietly


def test_plot_sets_rendered_at_once_from_two_threads_keep_their_own_plots(tmp_path):
    # the tasks were a module global: a second render replaced the first one's (fails before)
    made, errors = {}, []

    def render_set(prefix):
        try:
            tasks = [(f"{prefix}{i}", "t", lambda: (time.sleep(0.05), _line_figure(1))[1]) for i in range(6)]
            made[prefix] = style.render(tasks, tmp_path, ("png",), workers=2)
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(repr(exc))

    threads = [threading.Thread(target=render_set, args=(prefix,)) for prefix in "ab"]
    with deadline(120):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    for prefix in "ab":
        assert [m["name"] for m in made[prefix]] == [f"{prefix}{i}" for i in range(6)]
        assert all(m["paths"] == [tmp_path / f"{m['name']}.png"] and m["paths"][0].is_file() for m in made[prefix])


@pytest.mark.parametrize("value", ["junk", "0", "-2", "1.5"])
def test_a_bad_plot_worker_count_is_one_clear_error(value, monkeypatch):
    from rasbench.errors import ConfigError

    monkeypatch.setenv("RASBENCH_PLOT_WORKERS", value)
    with pytest.raises(ConfigError, match=r"\$RASBENCH_PLOT_WORKERS must be a whole number of processes"):
        style.default_workers()  # was a ValueError traceback ("junk"), or 1 for "0" and "-2"
    monkeypatch.setenv("RASBENCH_PLOT_WORKERS", " 3 ")
    assert style.default_workers() == 3
