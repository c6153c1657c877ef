"""Issue 16 in the report: intervals and paired tests in the model, every output and the CLI.

A twelve-sequence OTB-layout benchmark (ground truth only) with three trackers whose boxes
jitter by different amounts: few enough sequences for exact permutation tests (2^12 swap
patterns), so p-values are compared with scipy's exactly; intervals are compared with
:mod:`rasbench.metrics.stats` run on the report's own per-sequence values.
"""
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import moving_boxes, write_benchmark
from scipy import stats as sps

from rasbench.cli import main
from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.evaluation import evaluate
from rasbench.evaluation.model import Uncertainty
from rasbench.metrics import stats as S
from rasbench.results.discovery import find_tracker_dirs

TRACKERS = {"steady": 1.0, "shaky": 2.5, "lost": 6.0}  # box jitter (pixels)


@pytest.fixture
def twelve(tmp_path):
    """(benchmark, dataset, tracker folders, results root) of 12 sequences x 20 frames."""
    rng = np.random.default_rng(7)
    sequences = {f"Seq{i:02d}": {"frames": [1, 20], "attributes": ["FM"] if i % 3 else ["FM", "SV"]}
                 for i in range(12)}
    root, results = tmp_path / "data", tmp_path / "res"
    for i, name in enumerate(sequences):
        gt = moving_boxes(20, start=(10.0 + i, 8.0, 16.0 + i, 12.0))
        (root / name).mkdir(parents=True)
        np.savetxt(root / name / "groundtruth_rect.txt", gt, fmt="%g", delimiter=",")
        difficulty = 0.5 + i / 6  # some sequences harder for everyone
        for tracker, jitter in TRACKERS.items():
            folder = results / "tiny" / tracker / "ope"
            folder.mkdir(parents=True, exist_ok=True)
            boxes = gt + rng.normal(0, jitter * difficulty, gt.shape) * [1, 1, 0.3, 0.3]
            np.savetxt(folder / f"{name}.txt", boxes, fmt="%.3f", delimiter=",")
    bench = load_benchmark(str(write_benchmark(tmp_path / "tiny.yaml", sequences)))
    dataset = open_dataset(bench, root=root, images=False)
    return bench, dataset, find_tracker_dirs([results], "tiny", "ope"), root, results


def per_sequence(report, measure):
    names = [t.name for t in report.ranked()]
    return names, np.array([[report[n].sequences[s][measure] for s in report.dataset] for n in names])


def test_report_intervals_are_the_stats_of_its_per_sequence_values(twelve):
    bench, dataset, dirs, _, _ = twelve
    rep = evaluate(bench, "ope", dataset, dirs)
    assert rep.uncertainty == Uncertainty(n_boot=10_000, level=0.95, seed=0, n_permutations=10_000)
    resampling = S.Resampling(12, 10_000, 10_000, 0)
    for measure in ("success_auc", "precision_20", "norm_precision_20", "success_rate_50"):
        names, values = per_sequence(rep, measure)
        ci = S.confidence_intervals(S.RatioTerms.means(values), resampling)
        assert ci.estimate == pytest.approx([rep[n].scores[measure] for n in names], abs=1e-12)
        for i, n in enumerate(names):
            interval = rep[n].intervals[measure]
            assert (interval.low, interval.high) == (ci.low[i], ci.high[i])
            assert interval.low <= rep[n].scores[measure] <= interval.high
            assert (interval.level, interval.n_boot, interval.seed) == (0.95, 10_000, 0)
    # an attribute: its own sequences resampled
    sv = [s for s in dataset if "SV" in dataset[s].attributes]
    names, values = per_sequence(rep, "success_auc")
    rows = [list(dataset).index(s) for s in sv]
    ci = S.confidence_intervals(S.RatioTerms.means(values[:, rows]), S.Resampling(len(sv), 10_000, 10_000, 0))
    assert [rep[n].groups["SV"].intervals["success_auc"].low for n in names] == list(ci.low)
    # the success curve's band: pointwise intervals around the mean curve
    low, high = rep["steady"].bands["success_curve"]
    curve = rep["steady"].curves["success_curve"]
    assert low.shape == high.shape == curve.shape and np.all(low <= curve + 1e-12) and np.all(curve <= high + 1e-12)


def test_compare_is_the_exact_paired_permutation_test(twelve):
    bench, dataset, dirs, _, _ = twelve
    rep = evaluate(bench, "ope", dataset, dirs)
    names, values = per_sequence(rep, "success_auc")
    table = rep.comparisons["success_auc"]
    assert table.trackers == tuple(names) and table.exact and table.n_permutations == 2 ** 12
    p = {}
    for a, b in (("steady", "shaky"), ("steady", "lost"), ("shaky", "lost")):
        x, y = values[names.index(a)], values[names.index(b)]
        c = rep.compare(a, b)
        ref = sps.permutation_test((x, y), lambda u, v, axis: np.mean(u - v, axis=axis), permutation_type="samples",
                                   n_resamples=np.inf).pvalue
        assert c.p == pytest.approx(ref, abs=1e-15) and c.p_se == 0
        assert c.delta == pytest.approx(rep[a].scores["success_auc"] - rep[b].scores["success_auc"], abs=1e-12)
        assert c.interval.low < c.delta < c.interval.high and "BCa" in c.method
        assert rep.compare(b, a).delta == -c.delta and rep.compare(b, a).p == c.p
        p[a, b] = c
    assert [c.p_holm for c in p.values()] == pytest.approx(S.holm([c.p for c in p.values()]).tolist())
    assert p["steady", "lost"].p < 0.01 and set(table.tied_with_best) >= {names[0]}
    assert "steady - lost (success_auc): +0." in str(p["steady", "lost"])
    assert rep.compare("steady", "lost", "precision_20").measure == "precision_20"
    with pytest.raises(ValueError, match="not among the compared"):
        rep.compare("steady", "nobody")
    with pytest.raises(ValueError, match="without intervals"):
        evaluate(bench, "ope", dataset, dirs, uncertainty=None).compare("steady", "lost")


def test_intervals_add_to_the_outputs_and_change_no_number(twelve):
    """Golden numbers stay: the JSON without intervals is the JSON with them minus the new keys."""
    bench, dataset, dirs, _, _ = twelve
    plain = evaluate(bench, "ope", dataset, dirs, uncertainty=None).to_dict()
    full = evaluate(bench, "ope", dataset, dirs).to_dict()
    assert set(full) - set(plain) == {"uncertainty", "comparisons"}
    for name, entry in full["trackers"].items():
        assert set(entry) - set(plain["trackers"][name]) == {"intervals"}
        for group in entry["attributes"].values():
            assert set(group.pop("intervals")) == {"success_auc", "precision_20"}
        entry.pop("intervals")
    full.pop("uncertainty")
    full.pop("comparisons")
    assert full == plain


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_report_command_options_and_formats(twelve):
    _, _, _, root, results = twelve
    definition = str(root.parent / "tiny.yaml")
    common = (definition, "--root", root, "--results", results)
    table = invoke("report", *common, "--ci")
    assert table.exit_code == 0, table.output
    steady = next(line for line in table.output.splitlines() if line.startswith("steady"))
    assert re.search(r"0\.\d{3} \[0\.\d{3}, 0\.\d{3}\]", steady)
    assert "BCa bootstrap intervals over sequences (10,000 resamples, seed 0" in table.output
    assert "[" not in invoke("report", *common).output.splitlines()[3]  # the plain table stays plain
    data = json.loads(invoke("report", *common, "-f", "json", "--n-boot", 500, "--seed", 3, "--ci-level", 0.9).output)
    assert data["uncertainty"]["n_boot"] == 500 and data["uncertainty"]["seed"] == 3
    assert data["trackers"]["steady"]["intervals"]["success_auc"]["ci_level"] == 0.9
    pair = data["comparisons"]["success_auc"]["pairs"][0]
    assert set(pair) == {"a", "b", "delta", "delta_ci", "p", "p_se", "p_holm"}
    assert "intervals" not in json.loads(invoke("report", *common, "-f", "json", "--no-ci").output)["trackers"]["lost"]
    header = invoke("report", *common, "-f", "csv").output.splitlines()[0].split(",")
    assert header[:8] == ["tracker", "success_auc", "precision_20", "norm_precision_20", "success_rate_50", "fps",
                          "scored_sequences", "complete"]
    assert header[8:10] == ["success_auc_ci_low", "success_auc_ci_high"] and header[-3:] == ["ci_level", "n_boot",
                                                                                             "seed"]
    assert r"\scriptsize" not in invoke("report", *common, "-f", "latex").output
    pm = invoke("report", *common, "-f", "latex", "--ci").output
    assert re.search(r"0\.\d{3}}?\{\\scriptsize\$\\pm\$0\.\d{3}\}", pm) and "BCa bootstrap" in pm
    assert re.search(r"\{\\scriptsize\[0\.\d{3}, 0\.\d{3}\]\}", invoke("report", *common, "-f", "latex", "--ci",
                                                                      "--ci-format", "brackets").output)
    for bad, message in ((("--no-ci", "--n-boot", 100),
                          "--n-boot set how intervals are computed or shown: drop --no-ci"),
                         (("--ci-level", "1"), "--ci-level must be a number between 0 and 1"),
                         (("--n-boot", "5"), "--n-boot")):
        result = invoke("report", *common, *bad)
        assert result.exit_code == 2 and result.output.count("\n") == 1 and message in result.output, result.output



def test_outputs_that_print_no_intervals_do_not_compute_them(twelve, monkeypatch):
    """Resampling costs seconds on a 100-sequence benchmark: the plain table and LaTeX skip it."""
    from rasbench import evaluation

    _, _, _, root, results = twelve
    common = (str(root.parent / "tiny.yaml"), "--root", root, "--results", results)
    asked, real = [], evaluation.evaluate
    monkeypatch.setattr(evaluation, "evaluate", lambda *a, uncertainty=None, **k: asked.append(uncertainty) or real(
        *a, uncertainty=uncertainty, **k))
    for args in ((), ("-f", "latex"), ("--ci",), ("-f", "latex", "--ci"), ("-f", "json"), ("-f", "csv")):
        assert invoke("report", *common, *args).exit_code == 0
    assert [u is not None for u in asked] == [False, False, True, True, True, True]


def test_html_and_plots_show_intervals_bands_and_the_matrix(twelve, tmp_path):
    from matplotlib.collections import LineCollection, PolyCollection

    from rasbench.plots import figure

    bench, dataset, dirs, root, results = twelve
    rep = evaluate(bench, "ope", dataset, dirs)
    ranking = figure(rep, "ranking")
    bars = [c for ax in ranking.axes for c in ax.collections if isinstance(c, LineCollection)]
    assert len(bars) == 3 * 2  # every tracker, AUC and P@20
    assert sorted(tuple(np.round(seg[:, 0], 12)) for seg in bars[0].get_segments())[0] == pytest.approx(
        (rep["steady"].intervals["success_auc"].low, rep["steady"].intervals["success_auc"].high), abs=1e-12)
    success = figure(rep, "success")
    assert sum(isinstance(c, PolyCollection) for c in success.axes[0].collections) == 3  # the best 3 shaded
    assert not any(isinstance(c, PolyCollection) for c in figure(rep, "success_FM").axes[0].collections)
    plain = figure(evaluate(bench, "ope", dataset, dirs, uncertainty=None), "ranking")
    assert not any(isinstance(c, LineCollection) for ax in plain.axes for c in ax.collections)
    out = tmp_path / "html"
    result = invoke("report", str(root.parent / "tiny.yaml"), "--root", root, "--results", results, "-f", "html",
                    "-o", out, "--no-plots", "-q")
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    assert page.count('<span class="ci">[') == 3 * 4 + 3 * 2  # headline cells, AUC per attribute (FM, SV)
    assert '<table class="matrix">' in page and "Statistically tied with the best" in page
    steady_lost = rep.comparisons["success_auc"].p_holm[0, 2]
    assert 'title="steady - lost: ' in page and steady_lost < 0.05 and 'class="sig-better"' in page
