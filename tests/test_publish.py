"""Publishable reports: the published-numbers file, LaTeX tables (numbers equal the JSON
report's; compiled when pdflatex is there), the self-contained HTML report (rendered in
headless Chromium when it is there), the output cache and the `report` command."""
import json
import os
import re
import shutil
import subprocess
import time

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import invoke
from rasbench.benchmarks import load_benchmark
from rasbench.cli import main
from rasbench.publish import (CACHE_FILE, PublishedNumber, ReportRequest, build_report, latex_attribute_table,
                             latex_table, load_published, select_published)
from rasbench.report import to_dict
from rasbench.vot_report import to_dict as vot_to_dict
from report_fixtures import otb_report, run_vot_trackers, tiny_vot, vot_reports

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
    from rasbench.results import find_tracker_dirs

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
    bench = load_benchmark("vot2017")
    shown, matched = select_published(numbers, bench, ["baseline"], recomputed=["DaSiamRPN"])
    assert {p.benchmark for p in shown} == {"vot2017", "vot2018"}
    assert all(p.context == "VOT2018" for p in shown if p.benchmark == "vot2018")
    assert "Ocean (VOT2018)" in {p.label for p in shown}
    assert {p.tracker for p in matched} == {"DaSiamRPN"} and len(matched) == 4  # VOT2017 EAO + VOT2018 A/R/EAO
    assert not any(p.tracker == "DaSiamRPN" for p in shown)
    # one number per tracker and metric: "siamrpn_r50_l234_dwxcorr (SiamRPN++)" is SiamRPN++
    eao = [p.label for p in shown if p.metric == "eao"]
    assert len(eao) == len(set(eao)) and eao.count("SiamRPN++ (VOT2018)") == 1
    otb, _ = select_published(numbers, load_benchmark("otb2015"), ["ope"])
    assert not {p.experiment for p in otb} - {"ope"} and {p.benchmark for p in otb} == {"otb2015"}


# ------------------------------------------------------------------------------ LaTeX
def _tex_rows(tex: str) -> dict:
    """{tracker: {column: text}} of a table written by latex_table (marks removed)."""
    header = re.search(r"\\toprule\n(.*?) \\\\", tex).group(1).split(" & ")
    rows = {}
    for line in tex.split("\\midrule", 1)[1].split("\\bottomrule")[0].splitlines():
        if not line.endswith(r"\\"):
            continue
        cells = [c.strip() for c in line[:-2].split(" & ")]
        name = re.sub(r"\\textit\{(.*?)\}|\$\^[^$]*\$", r"\1", cells[0]).replace(r"\_", "_")
        values = [re.sub(r"\\(textbf|underline)\{(.*?)\}", r"\2", c) for c in cells[1:]]
        rows[name] = dict(zip(header[1:], values))
    return rows


def _expected(value, digits):
    return "--" if value is None else f"{value:.{digits}f}"


def test_latex_numbers_equal_the_json_report(otb, vot):
    bench, root, folder = otb
    report = otb_report(bench, root, folder)
    published = [PublishedNumber("Some_Paper", "tiny", "ope", "success_auc", 0.9, "a paper", "secondary")]
    tex = latex_table(report, published)
    assert "\\toprule" in tex and "\\bottomrule" in tex and "\\begin{tabular}{lrrrrr}" in tex
    rows = _tex_rows(tex)
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
    rows = _tex_rows(latex_table(vreport))
    for name, entry in vot_to_dict(vreport)["trackers"].items():
        assert [rows[name][k] for k in ("EAO", "A", "R", "Fail.")] == [
            _expected(entry["eao"], 3), _expected(entry["accuracy"], 3), _expected(entry["robustness"], 3),
            _expected(entry["failures"], 1)]
    assert "camera motion A / R" in latex_attribute_table(vreport)


@pytest.mark.skipif(not PDFLATEX, reason="pdflatex not installed")
def test_latex_tables_compile(otb, tmp_path):
    bench, root, folder = otb
    report = otb_report(bench, root, folder)
    published = [PublishedNumber("Paper_&_Co", "tiny", "ope", "success_auc", 0.9, "s", "UNVERIFIED", verified=False)]
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


@pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (apt-get install chromium)")
def test_html_report_renders_in_headless_chromium(otb, tmp_path):
    bench, root, folder = otb
    request = _request(bench, root, folder, ["ope", "tre"], formats=("html",), plot_formats=("png",))
    build_report(request, tmp_path / "out")
    page = tmp_path / "out" / "report.html"
    images = len(re.findall(r"<img ", page.read_text()))

    def chromium(*args, target=page):
        profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
        return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000",
                               *args, target.as_uri()], capture_output=True, text=True, timeout=120)

    dom = chromium("--dump-dom").stdout
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
    assert 'data-images="broken"' in chromium("--dump-dom", target=broken).stdout


def test_outputs_are_reused_until_an_input_changes(otb, tmp_path):
    bench, root, folder = otb
    out = tmp_path / "out"
    kwargs = dict(formats=("latex",), plot_formats=("png",))
    first = build_report(_request(bench, root, folder, ["ope"], **kwargs), out)
    assert sorted(first.rebuilt) == ["latex:ope", "plots:ope"] and (out / CACHE_FILE).is_file()
    stamp = (out / "ope_table.tex").stat().st_mtime_ns
    again = build_report(_request(bench, root, folder, ["ope"], **kwargs), out)
    assert again.rebuilt == [] and sorted(again.reused) == ["latex:ope", "plots:ope"]
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
    assert "plots:ope" in build_report(_request(bench, root, folder, ["ope"], **kwargs), out).rebuilt
    (out / "plots" / "ope_success_FM.png").unlink()
    assert build_report(_request(bench, root, folder, ["ope"], **kwargs), out).rebuilt == ["plots:ope"]
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
    assert "1 output(s) built" in html.output
    again = invoke(*args, "-e", "ope,tre", "--format", "html", "--out", out, "--no-plots")
    assert "0 output(s) built, 1 reused" in again.output
    svg = invoke(*args, "-e", "tre", "--format", "latex", "--out", out, "--plot-format", "svg")
    assert svg.exit_code == 0 and (out / "tre_table.tex").is_file()
    assert (out / "plots" / "tre_success_FM.svg").is_file() and not list(out.glob("plots/*.png"))
    table = invoke(*args, "--out", out, "--no-plots")
    assert "tracker" in table.output and (out / "ope_table.txt").is_file()
    (folder / "identity" / "ope" / "Beta.txt").write_text("1,2,3,4\n")
    strict = invoke(*args, "--format", "json", "--out", out, "--strict", "--no-plots")
    assert strict.exit_code == 3 and json.loads((out / "ope_report.json").read_text())["trackers"]["identity"][
        "complete"] is False


# ------------------------------------------------------------------------------ shared data
def test_otb2015_report_of_all_raw_results_takes_seconds(shared_data, tmp_path):
    out = tmp_path / "otb2015"
    args = ["report", "otb2015", "--annotations", shared_data / "otb/annotations/OTB100.json",
            "--results", shared_data / "otb/results", "--out", out]
    started = time.perf_counter()
    html = invoke(*args, "--format", "html", "--plot-format", "png")  # PNG + PDF: twice the time (~15 s CPU)
    seconds = time.perf_counter() - started
    assert html.exit_code == 0, html.output
    assert len(list((out / "plots").glob("ope_*.png"))) == 3 + 2 * 11
    assert seconds < 60, f"{seconds:.1f} s"
    invoke(*args, "--format", "latex", "--plot-format", "png")  # the plots are reused
    invoke(*args, "--format", "json", "--plot-format", "png")
    rows = _tex_rows((out / "ope_table.tex").read_text())
    data = json.loads((out / "ope_report.json").read_text())["trackers"]
    assert len(data) == 18 and rows["ATOM"]["AUC"] == "0.667"
    for name, entry in data.items():
        assert rows[name]["AUC"] == f"{entry['success_auc']:.3f}"
        assert rows[name]["P@20"] == f"{entry['precision_20']:.3f}"
    assert "\\textit{SiamRPN++}$^\\dagger$" in (out / "ope_table.tex").read_text()  # published, no raw results
