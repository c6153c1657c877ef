"""End to end with the installed vot-toolkit (0.9.0): a local workspace over the synthetic
benchmark's VOT layout; no download, no network, no GPU.

One module fixture builds everything (about 20 s on two cores; 35 s when numba has yet
to compile the toolkit's rasteriser):

1. The session's synthetic benchmark (``synth_data`` in tests/conftest.py, what ``rasbench
   synth`` writes); a vot-toolkit workspace is made beside it: ``sequences/`` holds four
   of its VOT sequences (links), ``stack.yaml``
   the VOT2017 baseline and unsupervised analyses with the synthetic benchmark's own
   settings (repetitions, skip_initialize, and EAO interval from experiments/synth.yaml),
   ``trackers.ini`` a TraX tracker written by ``rasbench trax --print-config`` (a template
   matcher, tests/vot_workspace/e2e_trackers.py) and a results-only entry.
2. The toolkit itself runs the rasbench tracker through TraX (our server): the
   unsupervised experiment as published; the baseline with the few-line workaround of
   tests/vot_workspace/vot_cli.py, because 0.9.0 as published cannot run a single-object
   TraX tracker in a supervised experiment (checked here too). Text results
   (``VOT_RESULTS_BINARY=0``).
3. ``rasbench run synth -e baseline,unsupervised`` runs a stochastic tracker that fails
   now and then (``NoisyOracle``: 15 repetitions on one sequence, 3 identical ones
   elsewhere; rectangles and polygons; codes 1/2/0); its folder is copied into the
   workspace's results, where the toolkit reads our ``.txt`` trajectories and
   ``_time.value`` files as its own.
4. ``vot analysis`` (the toolkit's own CLI, JSON output) and ``rasbench report
   --convention vot-toolkit --format json`` score the same files.

The numbers must agree: accuracy, failures (frame-weighted and cumulative), AR-plot
robustness and the unsupervised average overlap to 1e-9 (both compute in float64); EAO
and the EAO curve to 1e-6, because vot-toolkit builds its EAO curve in float32: each
fragment's running mean is accumulated in float32 (``np.mean`` of a float32 slice), where
rasbench computes it in float64 and rounds to float32, so curve points can differ by a
few float32 ulps (seen: ~2e-7) and the EAO, their mean, by ~5e-9.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

vot = pytest.importorskip("vot")
pytest.importorskip("vot.analysis")

from click.testing import CliRunner  # noqa: E402
from conftest import TESTS  # noqa: E402

from rasbench.cli import main as rasbench_cli  # noqa: E402
from rasbench.config.benchmarks import load_benchmark  # noqa: E402
from rasbench.geometry import parse_regions  # noqa: E402

pytestmark = pytest.mark.slow  # the module fixture alone takes minutes on a busy machine
HELPERS = TESTS / "vot_workspace"
TRACKERS = HELPERS / "e2e_trackers.py"
VOT_CLI = HELPERS / "vot_cli.py"
# spin: in-plane rotation (rotated ground-truth polygons), the oracle's stochastic sequence;
# escape: the target leaves the view (bounded overlaps); storm (180 frames; the oracle never
# fails there) and twins (170; the template matcher never fails there) give fragments
# reaching past the EAO interval (137-154).
SEQUENCES = ["escape", "spin", "storm", "twins"]
TRAX_TRACKER = "rasbench_templatematch"   # run by the toolkit over TraX
ORACLE = "noisyoracle"                    # run by rasbench, results copied to the workspace
FLOAT64_TOL = 1e-9
EAO_TOL = 1e-6
MULTI_OBJECT_BUG = "Tracker does not support multiple objects"


def _rasbench(*args) -> str:
    result = CliRunner().invoke(rasbench_cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.symlink(source, target, target_is_directory=True)
    except OSError:
        shutil.copytree(source, target)


def _stack(bench) -> str:
    """The VOT2017 stack's baseline and unsupervised experiments with the synthetic
    benchmark's settings."""
    baseline = bench.experiment("baseline").options
    low, high = baseline["eao_interval"]
    return (f"title: rasbench synthetic benchmark, VOT2017 analyses\n"
            f"experiments:\n"
            f"  baseline:\n"
            f"    type: supervised\n"
            f"    repetitions: {baseline['repetitions']}\n"
            f"    skip_initialize: {baseline['skip_initialize']}\n"
            f"    failure_overlap: {baseline['failure_overlap']}\n"
            f"    analyses:\n"
            f"      - type: supervised_average_ar\n"
            f"        sensitivity: 30\n"
            f"        burnin: {baseline['burnin']}\n"
            f"      - type: cumulative_failures\n"
            f"      - type: supervised_eao_score\n"
            f"        low: {low}\n"
            f"        high: {high}\n"
            f"      - type: supervised_eao_curve\n"
            f"  unsupervised:\n"
            f"    type: unsupervised\n"
            f"    repetitions: {bench.experiment('unsupervised').options.get('repetitions', 1)}\n"
            f"    analyses:\n"
            f"      - type: average_accuracy\n")


class Toolkit:
    """Runs vot-toolkit's CLI (through vot_cli.py) on the workspace in a subprocess."""

    def __init__(self, workspace: Path, env: dict):
        self.workspace = workspace
        self.env = env

    def __call__(self, *args, fix_supervised=False, check=True) -> str:
        argv = [sys.executable, str(VOT_CLI)] + (["--fix-supervised"] if fix_supervised else [])
        argv += [str(a) for a in args]
        done = subprocess.run(argv, cwd=self.workspace, env=self.env, capture_output=True, text=True, timeout=300)
        output = done.stdout + done.stderr
        assert done.returncode == 0 or not check, output
        return output


def _analysis(data: dict, experiment: str) -> dict:
    """{tracker: {analysis type (class name): value}} from `vot analysis --format json`."""
    exp = data["results"][experiment]
    kinds = [a["type"].rsplit(".", 1)[1] for a in exp["parameters"]["analyses"]]
    trackers = list(data["trackers"])
    out = {t: {} for t in trackers}
    for kind, values in zip(kinds, exp["results"]):
        assert len(values) == len(trackers), (kind, values)
        for tracker, value in zip(trackers, values):
            out[tracker][kind] = value
    return out


@pytest.fixture(scope="module")
def e2e(tmp_path_factory, synth_data):
    base = tmp_path_factory.mktemp("vot_e2e")
    bench = load_benchmark("synth")
    synth = synth_data

    # rasbench's own runs: a stochastic tracker with failures, and the TraX tracker itself
    ours = base / "rasbench_results"
    common = ["--root", synth, "--results", ours, "-s", ",".join(SEQUENCES), "--convention", "vot-toolkit", "-q"]
    _rasbench("run", "synth", "-t", f"{TRACKERS}:NoisyOracle", "-p", "stochastic=[spin]", "-p", "steady=[storm]",
              "-e", "baseline,unsupervised", *common)
    _rasbench("run", "synth", "-t", f"{TRACKERS}:TemplateMatch", "-e", "baseline", *common)

    ws = base / "workspace"
    (ws / "sequences").mkdir(parents=True)
    for name in SEQUENCES:
        _link_or_copy(synth / "vot" / name, ws / "sequences" / name)
    (ws / "sequences" / "list.txt").write_text("".join(f"{n}\n" for n in SEQUENCES))
    (ws / "stack.yaml").write_text(_stack(bench))
    (ws / "config.yaml").write_text("stack: ./stack.yaml\nregistry:\n  - ./trackers.ini\n")
    entry = _rasbench("trax", "--print-config", "--tracker", f"{TRACKERS}:TemplateMatch", "--name", TRAX_TRACKER)
    (ws / "trackers.ini").write_text(entry + f"\n[{ORACLE}]\nlabel = rasbench run, results only\ncommand =\n")
    (ws / "results").mkdir()
    shutil.copytree(ours / "synth" / ORACLE, ws / "results" / ORACLE)

    env = dict(os.environ, VOT_RESULTS_BINARY="0", VOT_PERSISTENT_CACHE="0", VOT_WORKER_POOL_SIZE="1",
               RASBENCH_CACHE=str(base / "cache"), MPLBACKEND="Agg")
    toolkit = Toolkit(ws, env)
    logs = {
        "unsupervised": toolkit("evaluate", "--workspace", ws, "--experiments", "unsupervised", TRAX_TRACKER),
        "baseline (as published)": toolkit("evaluate", "--workspace", ws, "--experiments", "baseline", TRAX_TRACKER,
                                           check=False),
    }
    logs["baseline (workaround)"] = toolkit("evaluate", "--workspace", ws, "--experiments", "baseline", TRAX_TRACKER,
                                            fix_supervised=True)
    toolkit("analysis", "--workspace", ws, "--format", "json", "--name", "e2e", TRAX_TRACKER, ORACLE)
    analysis = json.loads((ws / "analysis" / "e2e.json").read_text())

    reports = {}
    for experiment in ("baseline", "unsupervised"):
        out = _rasbench("report", "synth", "--results", ws / "results", "--root", synth, "-e", experiment,
                        "-s", ",".join(SEQUENCES), "--convention", "vot-toolkit", "--format", "json", "--strict")
        reports[experiment] = json.loads(out)
    return {"bench": bench, "ws": ws, "ours": ours / "synth", "logs": logs, "analysis": analysis,
            "reports": reports}


# ------------------------------------------------------------------------------- the runs
def test_toolkit_runs_the_unsupervised_experiment_over_trax(e2e):
    folder = e2e["ws"] / "results" / TRAX_TRACKER / "unsupervised"
    for name in SEQUENCES:
        files = sorted(p.name for p in (folder / name).iterdir())
        assert files == [f"{name}_001.txt", f"{name}_001_time.value"], files  # text, not .bin
        lines = (folder / name / f"{name}_001.txt").read_text().splitlines()
        assert lines[0] == "1" and len(lines) == len((e2e["ws"] / "sequences" / name / "groundtruth.txt")
                                                     .read_text().splitlines())
    assert "Evaluation concluded successfuly" in e2e["logs"]["unsupervised"]


def test_published_0_9_0_cannot_run_the_baseline_for_a_single_object_tracker(e2e):
    if vot.__version__ != "0.9.0":
        pytest.skip(f"documents vot-toolkit 0.9.0; this is {vot.__version__}")
    log = e2e["logs"]["baseline (as published)"]
    assert MULTI_OBJECT_BUG in log and "Evaluation interrupted by tracker error" in log


def test_toolkit_baseline_with_the_workaround_matches_rasbench_runner(e2e):
    """With the workaround the toolkit runs the baseline; being deterministic, the tracker
    stops after three identical repetitions (the toolkit's early stop). Its resets fall
    on the frames rasbench's own baseline runner chose (same tracker, same failure rule)."""
    log = e2e["logs"]["baseline (workaround)"]
    assert "Evaluation concluded successfuly" in log, log
    folder = e2e["ws"] / "results" / TRAX_TRACKER / "baseline"
    for name in SEQUENCES:
        runs = sorted((folder / name).glob(f"{name}_[0-9][0-9][0-9].txt"))
        assert [p.name for p in runs] == [f"{name}_{i:03d}.txt" for i in (1, 2, 3)]
        theirs = parse_regions(runs[0].read_text().splitlines()).codes()
        ours = parse_regions((e2e["ours"] / "templatematch" / "baseline" / name / f"{name}_001.txt")
                             .read_text().splitlines()).codes()
        assert np.array_equal(theirs, ours), name


# --------------------------------------------------------------------------- the numbers
@pytest.mark.parametrize("tracker", [TRAX_TRACKER, ORACLE])
def test_baseline_numbers_equal_vot_toolkit_analysis(e2e, tracker):
    theirs = _analysis(e2e["analysis"], "baseline")[tracker]
    ours = e2e["reports"]["baseline"]["trackers"][tracker]
    assert ours["complete"] and set(ours["sequences"]) == set(SEQUENCES)
    accuracy, failures, (ar_robustness, ar_accuracy), _ = theirs["AverageAccuracyRobustness"]
    assert abs(ours["accuracy"] - accuracy) <= FLOAT64_TOL
    assert abs(ours["failures"] - failures) <= FLOAT64_TOL          # frame-weighted mean per sequence
    assert abs(ours["ar_robustness"] - ar_robustness) <= FLOAT64_TOL
    assert abs(ours["accuracy"] - ar_accuracy) <= FLOAT64_TOL
    cumulative, = theirs["CumulativeFailureCount"]
    assert abs(sum(s["failures"] for s in ours["sequences"].values()) - cumulative) <= FLOAT64_TOL
    assert cumulative > 0                                             # resets were exercised
    eao, = theirs["EAOScore"]
    curve, = theirs["EAOCurve"]
    low, high = e2e["bench"].experiment("baseline").options["eao_interval"]
    assert len(curve) > high + 1, "a fragment must reach past the EAO interval"
    assert len(ours["eao_curve"]) == len(curve)
    assert np.max(np.abs(np.array(ours["eao_curve"]) - np.array(curve))) <= EAO_TOL
    assert np.isfinite(eao) and abs(ours["eao"] - eao) <= EAO_TOL
    print(f"\n{tracker} baseline: A {accuracy:.6f} (diff {abs(ours['accuracy'] - accuracy):.1e}), failures "
          f"{failures:.6f} ({abs(ours['failures'] - failures):.1e}), cumulative {cumulative:g}, AR robustness "
          f"{ar_robustness:.6f} ({abs(ours['ar_robustness'] - ar_robustness):.1e}), EAO {eao:.6f} "
          f"({abs(ours['eao'] - eao):.1e}), curve max diff "
          f"{np.max(np.abs(np.array(ours['eao_curve']) - np.array(curve))):.1e}")


def test_baseline_inputs_cover_what_matters(e2e):
    """Repetitions (15 where stochastic, 3 where identical), polygons and the skip code."""
    ours = e2e["reports"]["baseline"]["trackers"][ORACLE]["sequences"]
    assert {n: s["runs"] for n, s in ours.items()} == {"escape": 3, "spin": 15, "storm": 3, "twins": 3}
    text = "".join(p.read_text() for p in (e2e["ws"] / "results" / ORACLE / "baseline").rglob("*_0[0-9][0-9].txt"))
    lines = text.splitlines()
    assert {"0", "1", "2"} <= set(lines)
    assert any(line.count(",") == 7 for line in lines) and any(line.count(",") == 3 for line in lines)


def _speed_from_value_files(folder: Path) -> float:
    """VOT-M's analyze_speed from the toolkit's ``<seq>_<rep>_time.value`` files, read
    here independently: an empty line is a frame the run skipped after a failure."""
    per_sequence = []
    for name in SEQUENCES:
        means = []
        for path in sorted((folder / name).glob(f"{name}_[0-9][0-9][0-9]_time.value")):
            values = [float(v) if v.strip() else np.nan for v in path.read_text().splitlines()]
            means.append(np.nanmean(values))
        per_sequence.append(1.0 / np.mean(means))
    return float(np.mean(per_sequence))


def test_report_reads_the_toolkits_time_files(e2e):
    """vot-toolkit writes an empty line in ``_time.value`` for every frame a supervised run
    skips; the report reads those as not processed and keeps every run's times."""
    folder = e2e["ws"] / "results" / TRAX_TRACKER / "baseline"
    assert any(line == "" for p in folder.rglob("*_time.value") for line in p.read_text().splitlines())
    fps = e2e["reports"]["baseline"]["trackers"][TRAX_TRACKER]["fps"]
    assert fps == pytest.approx(_speed_from_value_files(folder), rel=1e-9)


@pytest.mark.parametrize("tracker", [TRAX_TRACKER, ORACLE])
def test_unsupervised_average_overlap_equals_vot_toolkit(e2e, tracker):
    theirs, = _analysis(e2e["analysis"], "unsupervised")[tracker]["AverageAccuracy"]
    ours = e2e["reports"]["unsupervised"]["trackers"][tracker]
    assert ours["complete"] and 0.0 < theirs < 1.0
    assert abs(ours["average_overlap"] - theirs) <= FLOAT64_TOL
    print(f"\n{tracker} unsupervised: AO {theirs:.6f} (diff {abs(ours['average_overlap'] - theirs):.1e})")
