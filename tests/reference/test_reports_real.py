"""Reports, plots and the viewer on the shared raw OTB2015 and VOT2017 results."""
from __future__ import annotations

import json
import time
import zipfile

import numpy as np
import pytest
from conftest import invoke
from report_fixtures import tex_rows

from rasbench import plots
from rasbench.datasets import open_dataset
from rasbench.results.discovery import find_tracker_dirs
from rasbench.viewer import load_tracks


def test_otb2015_plots_of_the_shared_raw_results(shared_data, tmp_path):
    from rasbench.config.benchmarks import load_benchmark
    from rasbench.datasets import open_dataset
    from rasbench.evaluation import evaluate
    from rasbench.results.discovery import find_tracker_dirs

    bench = load_benchmark("otb2015")
    dataset = open_dataset(bench, annotations=shared_data / "otb/annotations/OTB100.json", images=False)
    dirs = find_tracker_dirs([shared_data / "otb/results"], "otb2015", "ope")
    report = evaluate(bench, "ope", dataset, dirs)
    # the per-attribute sequence counts printed in the OTB-2015 paper's plots
    assert report.group_sizes == {"IV": 38, "OPR": 63, "SV": 64, "OCC": 49, "DEF": 44, "MB": 29,
                                              "FM": 39, "IPR": 51, "OV": 14, "BC": 31, "LR": 9}
    assert plots.curve_title(report, "success_curve") == "Success plots of OPE (100 sequences)"
    assert plots.curve_title(report, "success_curve", "OV") == "Success plots of OPE - out of view (14)"
    assert plots.curve_title(report, "precision_curve", "LR") == "Precision plots of OPE - low resolution (9)"
    fig = plots.curve_plot(report, "success_curve", "OV")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0] == "ATOM [0.592]" and len(labels) == 18
    path = plots.save(fig, tmp_path / "ov", ("png",))[0]
    assert path.stat().st_size > 10000


@pytest.mark.slow
@pytest.mark.speed
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
    rows = tex_rows((out / "ope_table.tex").read_text())
    data = json.loads((out / "ope_report.json").read_text())["trackers"]
    assert len(data) == 18 and rows["ATOM"]["AUC"] == "0.667"
    for name, entry in data.items():
        assert rows[name]["AUC"] == f"{entry['success_auc']:.3f}"
        assert rows[name]["P@20"] == f"{entry['precision_20']:.3f}"
    assert "\\textit{SiamRPN++}$^\\dagger$" in (out / "ope_table.tex").read_text()  # published, no raw results


def test_vot2017_bag_with_the_shared_raw_results(shared_data, tmp_path):
    from rasbench.config.benchmarks import load_benchmark

    with zipfile.ZipFile(shared_data / "vot2017/results/DaSiamRPN_vot2018_rerun_HonglinChu.zip") as z:
        z.extractall(tmp_path)
    run = invoke("show", "vot2017", "bag", "-e", "baseline", "--root", shared_data / "sequences/vot2017",
                 "--results", shared_data / "vot2017/results", "--results", tmp_path / "VOT2018",
                 "--frames", "190-196", "-o", tmp_path / "bag")
    assert run.exit_code == 0, run.output
    assert "Ocean_vot2018: bag_001.txt has 195 lines, 196 expected" in run.output  # drawn, and said
    assert len(list((tmp_path / "bag").glob("*.png"))) == 7
    bench = load_benchmark("vot2017")
    seq = open_dataset(bench, root=shared_data / "sequences/vot2017", sequences=["bag"], experiment="baseline")["bag"]
    dirs = find_tracker_dirs([tmp_path / "VOT2018"], "vot2017", "baseline")
    track = load_tracks(bench, "baseline", seq, dirs)[0]
    assert track.codes[0] == 1 and np.nanmean(track.overlaps) > 0.5
