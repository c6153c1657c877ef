"""Publishable reports: the published-numbers file, LaTeX tables (numbers equal the JSON
report's; compiled when pdflatex is there), the self-contained HTML report (rendered in
headless Chromium when it is there), the output cache and the `report` command."""
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import invoke
from report_fixtures import otb_report, run_vot_trackers, tex_rows, tiny_vot, vot_reports

from rasbench.cli import main
from rasbench.config.benchmarks import load_benchmark
from rasbench.reports.build import CACHE_FILE, ReportRequest, build_report
from rasbench.reports.latex import latex_attribute_table, latex_table
from rasbench.reports.published import PublishedNumber, load_published, select_published
from rasbench.reports.text import to_dict

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PDFLATEX = shutil.which("pdflatex")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def vot(tmp_path):
    bench, root = tiny_vot(tmp_path)
    return bench, root, run_vot_trackers(bench, root, tmp_path / "vres")


def _request(bench, root, folder, experiments, **kwargs):
    from rasbench.datasets import open_dataset
    from rasbench.results.discovery import find_tracker_dirs

    datasets = {e: open_dataset(bench, root=root, images=False, experiment=e) for e in experiments}
    dirs = {e: find_tracker_dirs([folder], bench.name, e) for e in experiments}
    kwargs.setdefault("published", [])
    return ReportRequest(bench, list(experiments), datasets, dirs, **kwargs)


# ------------------------------------------------------------------------------ published numbers
def test_shipped_published_numbers_keep_their_sources():
    numbers = load_published()
    assert len(numbers) == 320  # every row of the collected table
    assert all(p.source and p.status for p in numbers)
    unverified = [p for p in numbers if not p.verified]
    assert {(p.tracker, p.benchmark, p.experiment, p.metric) for p in unverified} == {
        ("SiamFC", "vot2017", "baseline", "eao"), ("SiamFC", "vot2017", "baseline", "accuracy"),
        ("SiamFC", "vot2017", "baseline", "robustness"), ("SiamFC", "vot2017", "realtime", "eao")}
    assert all("UNVERIFIED" in p.status for p in unverified)
    for p in numbers:
        assert p.metric in ("success_auc", "precision_20", "eao", "accuracy", "robustness")
        assert 0 < p.value < (100 if p.metric == "robustness" else 1)
    jwlim = [p for p in numbers if p.tracker == "STRUCK" and p.benchmark == "otb2015"]
    assert jwlim[0].value == pytest.approx(0.4617) and "46.17" in jwlim[0].as_published
    assert any(p.tracker == "RASNet" and p.benchmark == "otb2015" and p.value == 0.642 for p in numbers)


def test_selection_by_benchmark_alias_names_and_recomputed_trackers():
    numbers = load_published()
    bench = load_benchmark("vot2018")  # its own definition (the VOT2017 data), no longer an alias of vot2017
    shown, matched = select_published(numbers, bench, ["baseline"], recomputed=["DaSiamRPN"])
    assert {p.benchmark for p in shown} == {"vot2018"} and not any(p.context for p in shown)
    assert "Ocean" in {p.label for p in shown}
    assert {p.tracker for p in matched} == {"DaSiamRPN"} and len(matched) == 3  # VOT2018 A/R/EAO
    assert not any(p.tracker == "DaSiamRPN" for p in shown)
    # one number per tracker and metric: "siamrpn_r50_l234_dwxcorr (SiamRPN++)" is SiamRPN++
    eao = [p.label for p in shown if p.metric == "eao"]
    assert len(eao) == len(set(eao)) and eao.count("SiamRPN++") == 1
    v17, _ = select_published(numbers, load_benchmark("vot2017"), ["baseline"])
    assert {p.benchmark for p in v17} == {"vot2017"}
    # an alias's numbers are shown with the name they were published under
    shown, _ = select_published(numbers, replace(load_benchmark("vot2017"), aliases=("vot2018",)), ["baseline"])
    assert "Ocean (VOT2018)" in {p.label for p in shown}
    otb, _ = select_published(numbers, load_benchmark("otb2015"), ["ope"])
    assert not {p.experiment for p in otb} - {"ope"} and {p.benchmark for p in otb} == {"otb2015"}


# ------------------------------------------------------------------------------ LaTeX


def _expected(value, digits):
    return "--" if value is None else f"{value:.{digits}f}"


def test_latex_numbers_equal_the_json_report(otb, vot):
    bench, root, folder = otb
    report = otb_report(bench, root, folder)
    published = [PublishedNumber("Some_Paper", "tiny", "ope", "success_auc", 0.9, "a paper", "secondary")]
    tex = latex_table(report, published)
    assert "\\toprule" in tex and "\\bottomrule" in tex and "\\begin{tabular}{lrrrrr}" in tex
    rows = tex_rows(tex)
    data = to_dict(report)["trackers"]
    for name, entry in data.items():
        assert rows[name]["AUC"] == _expected(entry["success_auc"], 3)
        assert rows[name]["P@20"] == _expected(entry["precision_20"], 3)
        assert rows[name]["NP@20"] == _expected(entry["norm_precision_20"], 3)
        assert rows[name]["SR@0.5"] == _expected(entry["success_rate_50"], 3)
        assert rows[name]["FPS"] == _expected(entry["fps"], 1)
    best = max(data, key=lambda n: data[n]["success_auc"])
    assert re.search(re.escape(best) + r" & \\textbf\{", tex)
    assert "\\underline{" in tex
    assert r"\textit{Some\_Paper}$^\dagger$ & 0.900 & -- &" in tex and "published, not re-computed" in tex
    attributes = latex_attribute_table(report)
    assert "FM (2)" in attributes and "SV (1)" in attributes

    vbench, vroot, vfolder = vot
    vreport = vot_reports(vbench, vroot, vfolder, ("baseline",))["baseline"]
    rows = tex_rows(latex_table(vreport))
    for name, entry in to_dict(vreport)["trackers"].items():
        assert [rows[name][k] for k in ("EAO", "A", "R", "Fail.")] == [
            _expected(entry["eao"], 3), _expected(entry["accuracy"], 3), _expected(entry["robustness"], 3),
            _expected(entry["failures"], 1)]
    assert "camera motion A / R" in latex_attribute_table(vreport)


@pytest.mark.skipif(not PDFLATEX, reason="pdflatex not installed")
def test_latex_tables_compile(otb, tmp_path):
    bench, root, folder = otb
    shutil.copytree(folder / "brightbox", folder / 'a<b>"c"$x^2$\\frac{')  # names are text, whatever they hold
    report = otb_report(bench, root, folder)
    published = [PublishedNumber('Paper_&_Co <x> "y"', "tiny", "ope", "success_auc", 0.9, "s", "UNVERIFIED",
                                 verified=False)]
    (tmp_path / "table.tex").write_text(latex_table(report, published))
    (tmp_path / "attributes.tex").write_text(latex_attribute_table(report))
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\\usepackage{booktabs}\\begin{document}"
                                      "\\input{table.tex}\\input{attributes.tex}\\end{document}\n")
    run = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


# ------------------------------------------------------------------------------ HTML + cache
def test_html_report_is_self_contained_with_tables_and_manifest(vot, tmp_path):
    bench, root, folder = vot
    manifest = folder / "identity" / "baseline" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["weights_sha256"] = "ab12" * 16  # as a tracker with weights records it
    manifest.write_text(json.dumps(data))
    published = [PublishedNumber("Paper-X", "tinyvot", "baseline", "eao", 0.2, "doi:10/xyz", "secondary")]
    request = _request(bench, root, folder, ["baseline", "realtime", "unsupervised"], formats=("html",),
                       published=published, plot_formats=("pdf",))
    result = build_report(request, tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text()
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)  # nothing to fetch
    assert len(sources) == 4 + 4 + 1 + 1  # EAO curve, ranking, AR, tags x 2; AO ranking; real-time vs baseline
    assert "<link" not in page and "http" not in page.split("<script>")[1]
    for text in ("rasbench 0.1.0", "Run manifest", "ab12" * 16, '{&quot;after&quot;: 10}', "fake_trackers:LoseAfter",
                 "annotation fingerprint", "Per tag", "Per sequence", "Paper-X\u2020", "doi:10/xyz", "camera_motion"):
        assert text in page, text
    assert (tmp_path / "out" / "plots" / "baseline_ar.pdf").is_file()  # asked for; PNG added for the page
    assert (tmp_path / "out" / "plots" / "baseline_ar.png").is_file()
    assert result.incomplete == {"baseline": [], "realtime": [], "unsupervised": []}


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (apt-get install chromium)")
def test_html_report_renders_in_headless_chromium(otb, tmp_path):
    bench, root, folder = otb
    request = _request(bench, root, folder, ["ope", "tre"], formats=("html",), plot_formats=("png",))
    build_report(request, tmp_path / "out")
    page = tmp_path / "out" / "report.html"
    images = len(re.findall(r"<img ", page.read_text()))

    def chromium(*args, target=page):
        profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
        # its own process group, killed whole: a timed-out Chromium leaves no renderer spinning
        browser = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                    "--virtual-time-budget=5000", *args, target.as_uri()],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            return browser.communicate(timeout=120)[0]
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGKILL)
            browser.wait()

    dom = chromium("--dump-dom")
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-images="loaded"' in body and f'data-image-count="{images}"' in body and images == 2 * 7
    shot = tmp_path / "screenshot.png"
    chromium("--window-size=1280,1600", f"--screenshot={shot}")
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1280, 1600)
        assert len(np.unique(np.asarray(image.convert("L")))) > 20  # a page, not a blank
    # the check itself notices an image that does not decode
    broken = tmp_path / "broken.html"
    script = page.read_text().split("<script>")[1].split("</script>")[0]
    broken.write_text(f'<html><body><img src="data:image/png;base64,AAAA"><script>{script}</script></body></html>')
    assert 'data-images="broken"' in chromium("--dump-dom", target=broken)


def test_outputs_are_reused_until_an_input_changes(otb, tmp_path):
    bench, root, folder = otb
    out = tmp_path / "out"
    kwargs = dict(formats=("latex",), plot_formats=("png",))
    first = build_report(_request(bench, root, folder, ["ope"], **kwargs), out)
    assert sorted(first.rebuilt) == ["latex:ope", "plots:ope:png"] and (out / CACHE_FILE).is_file()
    stamp = (out / "ope_table.tex").stat().st_mtime_ns
    again = build_report(_request(bench, root, folder, ["ope"], **kwargs), out)
    assert again.rebuilt == [] and sorted(again.reused) == ["latex:ope", "plots:ope:png"]
    assert (out / "ope_table.tex").stat().st_mtime_ns == stamp
    # another output of the same inputs: only it is made
    html = build_report(_request(bench, root, folder, ["ope"], formats=("html",), plot_formats=("png",)), out)
    assert html.rebuilt == ["html"]
    # a result file changes (size / mtime), another convention, other published numbers: rebuilt
    latex_only = dict(formats=("latex",), plots=False)
    result = folder / "identity" / "ope" / "Alpha.txt"
    os.utime(result, ns=(time.time_ns(), time.time_ns() + 10 ** 9))
    assert build_report(_request(bench, root, folder, ["ope"], **latex_only), out).rebuilt == ["latex:ope"]
    assert build_report(_request(bench, root, folder, ["ope"], **latex_only), out).rebuilt == []
    assert build_report(_request(bench, root, folder, ["ope"], convention="got10k", **latex_only), out).rebuilt
    published = [PublishedNumber("P", "tiny", "ope", "success_auc", 0.5, "s", "secondary")]
    assert build_report(_request(bench, root, folder, ["ope"], published=published, **latex_only), out).rebuilt
    # the plots were made from the old file: rebuilt now; a deleted plot is made again
    assert "plots:ope:png" in build_report(_request(bench, root, folder, ["ope"], **kwargs), out).rebuilt
    (out / "plots" / "ope_success_FM.png").unlink()
    assert build_report(_request(bench, root, folder, ["ope"], **kwargs), out).rebuilt == ["plots:ope:png"]
    assert (out / "plots" / "ope_success_FM.png").is_file()


def test_report_command_formats_and_outputs(otb, tmp_path):
    bench, root, folder = otb
    args = ["report", bench.path, "--results", folder.parent, "--root", root]
    latex = invoke(*args, "--format", "latex")
    assert latex.exit_code == 0 and latex.output.startswith("% rasbench") and "\\toprule" in latex.output
    no_out = CliRunner().invoke(main, [str(a) for a in args + ["--format", "html"]])
    assert no_out.exit_code == 2 and "--out" in no_out.output
    several = CliRunner().invoke(main, [str(a) for a in args + ["-e", "ope,tre"]])
    assert several.exit_code == 2
    out = tmp_path / "report"
    html = invoke(*args, "-e", "ope,tre", "--format", "html", "--out", out, "--no-plots")
    assert html.exit_code == 0, html.output
    page = (out / "report.html").read_text()
    assert '<section id="ope">' in page and '<section id="tre">' in page and "<img" not in page
    assert "1 output built" in html.output
    again = invoke(*args, "-e", "ope,tre", "--format", "html", "--out", out, "--no-plots")
    assert "0 outputs built, 1 reused" in again.output
    svg = invoke(*args, "-e", "tre", "--format", "latex", "--out", out, "--plot-format", "svg")
    assert svg.exit_code == 0 and (out / "tre_table.tex").is_file()
    assert (out / "plots" / "tre_success_FM.svg").is_file() and not list(out.glob("plots/*.png"))
    table = invoke(*args, "--out", out, "--no-plots")
    assert "tracker" in table.output and (out / "ope_table.txt").is_file()
    (folder / "identity" / "ope" / "Beta.txt").write_text("1,2,3,4\n")
    strict = invoke(*args, "--format", "json", "--out", out, "--strict", "--no-plots")
    assert strict.exit_code == 3 and json.loads((out / "ope_report.json").read_text())["trackers"]["identity"][
        "complete"] is False


# ------------------------------------------------------------------------------ faults: cache, lock, errors
def _latex_request(bench, root, folder, **kwargs):
    kwargs.setdefault("formats", ("latex",))
    kwargs.setdefault("plot_formats", ("png",))
    return _request(bench, root, folder, ["ope"], **kwargs)


def test_a_damaged_or_foreign_output_is_rebuilt_not_reused(otb, tmp_path):
    bench, root, folder = otb
    out = tmp_path / "out"
    build_report(_latex_request(bench, root, folder), out)
    plot, table = out / "plots" / "ope_success.png", out / "ope_table.tex"
    good_plot, good_table = plot.read_bytes(), table.read_text()
    plot.write_bytes(b"")  # what a report killed while writing it left behind
    table.write_text("% written by a report of another tracker set\n")
    again = build_report(_latex_request(bench, root, folder), out)
    assert plot.read_bytes() == good_plot and table.read_text() == good_table
    assert "latex:ope" in again.rebuilt and any(name.startswith("plots:ope") for name in again.rebuilt)
    assert build_report(_latex_request(bench, root, folder), out).rebuilt == []


def test_a_second_report_into_the_same_folder_waits_for_the_first(otb, tmp_path):
    import fcntl
    import threading

    from rasbench.reports.build import LOCK_FILE

    bench, root, folder = otb
    out = tmp_path / "out"
    out.mkdir()
    messages, done = [], []
    request = _latex_request(bench, root, folder, plots=False)
    with open(out / LOCK_FILE, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another report is writing the folder
        thread = threading.Thread(target=lambda: done.append(build_report(request, out, message=messages.append)))
        thread.start()
        deadline = time.monotonic() + 60
        while not messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert messages and "waiting" in messages[0] and str(out) in messages[0]
        time.sleep(0.3)
        assert thread.is_alive() and not (out / "ope_table.tex").exists()
    thread.join(120)
    assert done and (out / "ope_table.tex").is_file()


@pytest.mark.slow
def test_concurrent_reports_of_other_tracker_sets_leave_no_mixed_outputs(otb, tmp_path):
    import sys

    bench, root, folder = otb
    base = [sys.executable, "-m", "rasbench", "report", str(bench.path), "--results", str(folder.parent), "--root",
            str(root), "-f", "latex", "--plot-format", "png", "-q"]
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    both = [subprocess.Popen(base + ["-o", str(out), "-t", t], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for t in ("identity", "brightbox,identity")]
    for p in both:
        assert p.wait(300) == 0, p.stdout.read().decode()
    for target in (out, fresh):
        subprocess.run(base + ["-o", str(target), "-t", "identity"], check=True, capture_output=True, timeout=300)
    made = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert len(made) == 9  # two tables, seven plots
    for rel in made:
        assert (out / rel).read_bytes() == (fresh / rel).read_bytes(), rel


def test_plots_are_written_atomically(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from rasbench import plots
    from rasbench.errors import ResultsError

    fig = Figure()
    fig.add_subplot().plot([0, 1])
    path = plots.save(fig, tmp_path / "p", ("png",))[0]
    before = path.read_bytes()

    def disk_full(fd):  # the half-written temporary file is there when the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ResultsError, match="No space left on device"):
        plots.save(fig, tmp_path / "p", ("png",))
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["p.png"]


def _one_line_error(result, *phrases):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output, result.output
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def test_report_into_an_unwritable_folder_is_one_clear_error(otb, tmp_path, monkeypatch):
    bench, root, folder = otb
    args = ["report", str(bench.path), "--results", str(folder.parent), "--root", str(root), "-f", "latex",
            "--no-plots", "-o"]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    _one_line_error(CliRunner().invoke(main, args + [str(blocker / "report")]), "cannot write", str(blocker))
    if os.geteuid() != 0:  # root writes into read-only folders anyway
        locked = tmp_path / "read-only"
        locked.mkdir()
        locked.chmod(0o500)
        _one_line_error(CliRunner().invoke(main, args + [str(locked)]), "cannot write", "ermission denied")

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    _one_line_error(CliRunner().invoke(main, args + [str(tmp_path / "out")]), "cannot write", "No space left")


# ------------------------------------------------------------------------------ names are text
NASTY_NAMES = ("$\\frac$", "$x^2$", 'a<b>"c"_&%#~')


def test_tracker_names_are_text_in_every_output(otb, tmp_path):
    import html as htmllib
    import shutil as sh

    bench, root, folder = otb
    for name in NASTY_NAMES:
        sh.copytree(folder / "brightbox", folder / name)
    out = tmp_path / "out"
    result = invoke("report", bench.path, "--results", folder.parent, "--root", root, "-o", out, "-f", "html",
                    "--plot-format", "png")
    assert result.exit_code == 0, result.output
    result = invoke("report", bench.path, "--results", folder.parent, "--root", root, "-o", out, "-f", "latex",
                    "--plot-format", "png")
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    for name in NASTY_NAMES:
        assert htmllib.escape(name) in page
    tex = (out / "ope_table.tex").read_text()
    assert r"\$\textbackslash{}frac\$" in tex and r"\$x\textasciicircum{}2\$" in tex
    assert r"a\textless{}b\textgreater{}\texttt{\char34}c\texttt{\char34}\_\&\%\#\textasciitilde{}" in tex


def test_latex_escapes_what_plain_pdflatex_cannot_print():
    from rasbench.reports.latex import tex_escape

    assert tex_escape('<a> "b"') == r"\textless{}a\textgreater{} \texttt{\char34}b\texttt{\char34}"
    assert tex_escape("50% & $1_x #2 {y} ~^\\") == (r"50\% \& \$1\_x \#2 \{y\} \textasciitilde{}\textasciicircum{}"
                                                    r"\textbackslash{}")


# ------------------------------------------------------------------------------ honest tables (issue 13)
def _published_file(tmp_path, entries) -> Path:
    import yaml

    path = tmp_path / "published.yaml"
    path.write_text(yaml.safe_dump({"entries": [
        dict(tracker=t, benchmark="tiny", experiment="ope", metric=m, value=v, as_published=f"tiny {m} = {v}",
             source="a paper", status="secondary") for t, m, v in entries]}))
    return path


def test_published_numbers_only_beside_the_sequence_set_they_were_published_on(otb, tmp_path):
    bench, root, folder = otb
    numbers = _published_file(tmp_path, [("Paper-A", "success_auc", 0.55), ("Paper-A", "precision_20", 0.75)])
    args = ["report", bench.path, "--results", folder.parent, "--root", root, "--published-file", numbers]
    subset = invoke(*args, "-s", "Alpha", "-f", "latex")
    assert subset.exit_code == 0, subset.output
    assert "Paper-A" not in subset.output and "dagger" not in subset.output
    assert ", 1 sequence (convention official)" in subset.output
    full = invoke(*args, "-f", "latex")
    assert r"\textit{Paper-A}$^\dagger$" in full.output and "2 sequences" in full.output
    out = tmp_path / "out"
    built = invoke(*args, "-s", "Alpha", "-f", "html,latex", "-o", out, "--plot-format", "png")
    assert built.exit_code == 0, built.output
    assert "Paper-A" not in (out / "ope_table.tex").read_text()
    page = (out / "report.html").read_text()
    assert "Paper-A" not in page, page[page.find("Paper-A") - 300:page.find("Paper-A") + 50]
    assert "published numbers are for all 2 sequences" in page
    # the plots say so too
    from rasbench import plots
    from rasbench.datasets import open_dataset
    from rasbench.evaluation import evaluate
    from rasbench.results.discovery import find_tracker_dirs

    one = evaluate(bench, "ope", open_dataset(bench, root=root, images=False, sequences=["Alpha"]),
                   find_tracker_dirs([folder], "tiny", "ope"))
    assert plots.curve_title(one, "success_curve") == "Success plots of OPE (1 sequence)"
    fig = plots.ranking(one)
    assert fig._suptitle.get_text().endswith("(1 sequence)")


def test_incomplete_trackers_are_listed_below_the_ranked_ones(otb, tmp_path):
    from rasbench import plots
    from rasbench.reports.text import to_table

    bench, root, folder = otb
    (folder / "brightbox" / "ope" / "Beta.txt").unlink()
    report = otb_report(bench, root, folder)
    bright, ident = report.trackers["brightbox"], report.trackers["identity"]
    assert not bright.complete and bright.overall.success_auc > ident.overall.success_auc  # would rank first
    for attributes in (False, True):
        lines = to_table(report, attributes=attributes).splitlines()
        first = next(i for i, line in enumerate(lines) if line.startswith("identity"))
        star = next(i for i, line in enumerate(lines) if line.startswith("brightbox *"))
        assert first < star and set(lines[star - 1].replace(" ", "")) == {"-"}, "\n".join(lines)
    tex = latex_table(report)
    body = tex.split("\\midrule", 1)[1]
    assert body.index("identity & \\textbf{") < body.index("\\midrule") < body.index("brightbox$^*$")
    assert "\\textbf" not in body.split("brightbox$^*$")[1].split("\\\\")[0]
    attributes = latex_attribute_table(report)
    assert attributes.index("identity") < attributes.index("brightbox$^*$")
    out = tmp_path / "out"
    build_report(_request(bench, root, folder, ["ope"], formats=("html",), plots=False), out)
    page = (out / "report.html").read_text()
    assert re.search(r'<tr[^>]*><td>1</td><td class="name">identity', page)
    assert re.search(r'<tbody class="incomplete"><tr[^>]*><td></td><td class="name">brightbox', page)
    fig = plots.ranking(report)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["identity", "brightbox*"]
    rules = [line for line in fig.axes[0].get_lines() if len(set(line.get_ydata())) == 1 and len(line.get_ydata()) == 2]
    assert rules and rules[0].get_ydata()[0] == pytest.approx(0.5)  # between the rows at y = 1 and y = 0


def test_incomplete_vot_tracker_is_not_ranked_first(vot, tmp_path):
    from rasbench.reports.text import to_table

    bench, root, folder = vot
    oracle = folder / "oracle" / "baseline" / "alpha"  # the ground truth on alpha, nothing on beta
    oracle.mkdir(parents=True)
    truth = (root / "alpha" / "groundtruth.txt").read_text().splitlines()
    (oracle / "alpha_001.txt").write_text("1\n" + "\n".join(truth[1:]) + "\n")
    report = vot_reports(bench, root, folder, ("baseline",))["baseline"]
    scores = {n: t.scores["eao"] for n, t in report.trackers.items()}
    assert not report.trackers["oracle"].complete and scores["oracle"] == max(scores.values())
    lines = to_table(report).splitlines()
    star = next(i for i, line in enumerate(lines) if line.startswith("oracle *"))
    ranked = [i for i, line in enumerate(lines) if line.startswith(("identity ", "loseafter "))]
    assert len(ranked) == 2 and max(ranked) < star and set(lines[star - 1].replace(" ", "")) == {"-"}
    tex = latex_table(report)
    assert tex.index("\\textbf{") < tex.index("oracle$^*$") and tex.count("\\textbf{") >= 1
    assert "\\textbf" not in tex.split("oracle$^*$")[1].split("\\\\")[0]


def test_beyond_rounding_is_half_a_unit_of_the_last_printed_digit():
    from rasbench.reports.published import beyond_rounding

    dsst = PublishedNumber("DSST", "otb2015", "ope", "success_auc", 0.52, "s", "secondary",
                           as_published="OTB-2015 success_auc_OPE = 0.52")
    assert beyond_rounding(dsst, 0.470) and beyond_rounding(dsst, 0.5251) and beyond_rounding(dsst, 0.5149)
    assert not beyond_rounding(dsst, 0.525) and not beyond_rounding(dsst, 0.515) and not beyond_rounding(dsst, 0.52)
    struck = PublishedNumber("STRUCK", "otb2015", "ope", "success_auc", 0.4617, "s", "secondary",
                             as_published="OTB-2015 success_auc_OPE_pct(jwlim 21-threshold mean) = 46.17")
    assert not beyond_rounding(struck, 0.46174) and beyond_rounding(struck, 0.46176)
    bare = PublishedNumber("X", "otb2015", "ope", "success_auc", 0.643, "s", "secondary")
    assert not beyond_rounding(bare, 0.6434) and beyond_rounding(bare, 0.6436)


def test_html_compares_published_and_recomputed_numbers(otb, tmp_path):
    bench, root, folder = otb
    report = otb_report(bench, root, folder)
    auc = report.trackers["brightbox"].overall.success_auc
    rounded = round(auc, 2)
    published = [PublishedNumber("brightbox", "tiny", "ope", "success_auc", rounded, "s", "secondary",
                                 as_published=f"AUC = {rounded:.2f}"),
                 PublishedNumber("brightbox", "tiny", "ope", "precision_20", 0.123, "s", "secondary",
                                 as_published="P = 0.123")]
    out = tmp_path / "out"
    build_report(_request(bench, root, folder, ["ope"], formats=("html",), plots=False, published=published), out)
    section = (out / "report.html").read_text().split('id="published"')[1]
    assert "<th>Difference</th>" in section
    rows = re.findall(r"<tr[^>]*>.*?</tr>", section.split("<tbody>")[1].split("</tbody>")[0])
    ok = next(r for r in rows if "success_auc" in r)
    bad = next(r for r in rows if "precision_20" in r)
    precision = report.trackers["brightbox"].overall.precision_20
    assert f"{auc - rounded:+.3f}" in ok and "beyond rounding" not in ok
    assert f"{precision - 0.123:+.3f}" in bad and "beyond rounding" in bad


@pytest.mark.slow
def test_both_formats_in_one_command_and_plots_rendered_once(otb, tmp_path):
    bench, root, folder = otb
    args = ["report", bench.path, "--results", folder.parent, "--root", root]
    out = tmp_path / "out"
    both = invoke(*args, "-f", "html,latex", "-o", out)
    assert both.exit_code == 0, both.output
    assert (out / "report.html").is_file() and (out / "ope_table.tex").is_file()
    assert (out / "plots" / "ope_success.png").is_file() and (out / "plots" / "ope_success.pdf").is_file()
    other = tmp_path / "other"
    assert invoke(*args, "-f", "html", "--plot-format", "png", "-o", other).exit_code == 0
    stamps = {p.name: p.stat().st_mtime_ns for p in (other / "plots").glob("*.png")}
    latex = invoke(*args, "-f", "latex", "-o", other)  # PNG + PDF: the PNGs are those the HTML report made
    assert latex.exit_code == 0, latex.output
    assert {p.name: p.stat().st_mtime_ns for p in (other / "plots").glob("*.png")} == stamps
    assert len(list((other / "plots").glob("*.pdf"))) == len(stamps)
    bad = CliRunner().invoke(main, [str(a) for a in args + ["-f", "latex,pdf", "-o", out]])
    _one_line_error(bad, "pdf")
    several = CliRunner().invoke(main, [str(a) for a in args + ["-f", "table,json"]])
    _one_line_error(several, "--out")
    for option in ("--top", "--published-top"):
        _one_line_error(CliRunner().invoke(main, [str(a) for a in args + [option, "-1"]]), option)
    _one_line_error(CliRunner().invoke(main, [str(a) for a in args + ["--plot-format", "gif", "-o", out]]), "gif")


def test_report_shows_progress_over_the_plots(otb, tmp_path, capsys):
    bench, root, folder = otb
    build_report(_latex_request(bench, root, folder), tmp_path / "out", progress=True)
    err = capsys.readouterr().err
    assert "plots ope" in err and "7/7" in err
    build_report(_latex_request(bench, root, folder), tmp_path / "quiet", progress=False)
    assert capsys.readouterr().err == ""


def test_highlight_names_a_tracker_of_the_report(otb, tmp_path):
    bench, root, folder = otb
    args = ["report", bench.path, "--results", folder.parent, "--root", root, "-o", tmp_path / "out", "-f", "html",
            "--plot-format", "png"]
    _one_line_error(CliRunner().invoke(main, [str(a) for a in args + ["--highlight", "nosuch"]]), "nosuch",
                    "brightbox, identity")
    result = invoke(*args, "--highlight", "identity", "-q")
    assert result.exit_code == 0 and result.output == "", result.output
    page = (tmp_path / "out" / "report.html").read_text()
    assert re.search(r'<tr class="highlight"><td>\d</td><td class="name">identity', page)
