"""The Python API (rasbench.run / rasbench.evaluate): the numbers the CLI prints, its resume and guards."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from conftest import invoke

import rasbench
from rasbench.errors import ConfigError, ResultsError, TrackerError
from rasbench_trackers.identity import IdentityTracker


class Still(IdentityTracker):
    """The identity tracker under another name, so two trackers share a report."""

    name = "still"


def _same_numbers(report, cli: dict) -> None:
    """Every number of the API's report equals the CLI's ``--format json`` output."""
    assert report.to_dict() == cli
    table = report.table()
    assert list(table.index) == list(cli["trackers"])  # rank order
    for name, entry in cli["trackers"].items():
        for measure in report.measures:
            value = table.loc[name, measure.key]
            assert (entry[measure.key] is None and math.isnan(value)) or value == entry[measure.key], measure.key
        assert bool(table.loc[name, "complete"]) is entry["complete"]
        assert report[name].sequences == entry["sequences"]


def test_import_rasbench_is_cheap():
    code = ("import sys, rasbench; rasbench.run, rasbench.evaluate; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'pandas', 'cv2', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert {"run", "evaluate", "Report", "RunSummary", "Tracker"} <= set(rasbench.__all__)
    assert rasbench.Report.__module__ == "rasbench.evaluation.model"


def test_run_and_evaluate_equal_the_cli(tiny_otb, tmp_path):
    bench, root = tiny_otb
    results = tmp_path / "res"
    runs = rasbench.run(IdentityTracker(), bench, experiment="ope", root=root, results=results, progress=False)
    assert [(r.tracker, r.completed, r.skipped, r.ok) for r in runs] == [("identity", 2, 0, True)]
    runs = rasbench.run(Still, bench, experiment=["ope", "tre"], root=root, results=results, progress=False)
    assert [(r.tracker, r.ok) for r in runs] == [("still", True), ("still", True)]
    assert runs[1].folder == results / "tiny" / "still" / "tre"
    report = rasbench.evaluate(bench, results=results, root=root)
    assert isinstance(report, rasbench.Report) and report.experiment == "ope"
    cli = invoke("report", bench.path, "--results", results, "--root", root, "-f", "json")
    assert cli.exit_code == 0, cli.output
    _same_numbers(report, json.loads(cli.output))
    assert set(report["still"].sequences) == {"Alpha", "Beta"}
    only = rasbench.evaluate(str(bench.path), results=[results], experiment="tre", trackers="still",
                             sequences=["Beta"], root=root)
    cli = invoke("report", bench.path, "--results", results, "--root", root, "-e", "tre", "-t", "still",
                 "-s", "Beta", "-f", "json")
    _same_numbers(only, json.loads(cli.output))


def test_run_resumes_and_keeps_the_clis_guards(tiny_otb, tmp_path):
    bench, root = tiny_otb
    results = tmp_path / "res"
    first = rasbench.run(IdentityTracker(), bench, root=root, results=results, progress=False)
    again = rasbench.run(IdentityTracker(), bench, root=root, results=results, progress=False)
    assert [(r.completed, r.skipped) for r in first + again] == [(2, 0), (0, 2)]
    manifest = json.loads((first[0].folder / "manifest.json").read_text())
    assert manifest["tracker_spec"] == "rasbench_trackers.identity:IdentityTracker"
    with pytest.raises(ResultsError, match="made differently"):  # the manifest guard: another spec, same folder
        rasbench.run("identity", bench, root=root, results=results, progress=False)
    with pytest.raises(ConfigError, match="tracker object runs in this process"):
        rasbench.run(IdentityTracker(), bench, root=root, results=results, workers=2, progress=False)
    with pytest.raises(TrackerError, match="pass its class"):
        rasbench.run(IdentityTracker(), bench, root=root, results=results, params={"x": 1}, progress=False)
    with pytest.raises(ConfigError):
        rasbench.evaluate(bench, results=results, root=root, convention="nonsense")
    with pytest.raises(ConfigError, match="one experiment at a time"):
        rasbench.evaluate(bench, results=results, root=root, experiment="ope,tre")


@pytest.mark.slow  # generates the whole synthetic benchmark (~20 s of CPU)
def test_the_issue_example_on_the_synthetic_benchmark(synth_data, tmp_path):
    import matplotlib.figure

    root, results, sequences = synth_data, tmp_path / "results", ["Zoom", "Spin"]
    runs = rasbench.run(IdentityTracker(), "synth", experiment="ope", root=root, results=results,
                        sequences=sequences, progress=False)
    runs += rasbench.run("mil", "synth", experiment="ope", root=root, results=results, sequences=sequences,
                         progress=False)
    assert [(r.tracker, r.completed, r.ok) for r in runs] == [("identity", 2, True), ("mil", 2, True)]
    report = rasbench.evaluate("synth", results=results, convention="official", root=root, sequences=sequences)
    cli = invoke("report", "synth", "--results", results, "--root", root, "-s", ",".join(sequences), "-f", "json")
    assert cli.exit_code == 0, cli.output
    _same_numbers(report, json.loads(cli.output))
    assert list(report.table().columns[:2]) == ["success_auc", "precision_20"]
    assert set(report["mil"].sequences) == set(sequences)
    figure = report.plot("success")
    assert isinstance(figure, matplotlib.figure.Figure)
