"""The command-line contract scripts depend on."""
import json
import re
import subprocess
import sys

import yaml
from click.testing import CliRunner
from conftest import REPO, invoke, write_benchmark

from rasbench.cli import main


def _help(*args) -> str:
    """A command's help as one line: wrapped lines joined, words broken at a hyphen rejoined."""
    return re.sub(r"(?<=\w)- (?=\w)", "-", " ".join(invoke(*args, "--help").output.split()))


def test_help_is_useful():
    out = invoke("--help").output
    for command in ("run", "report", "datasets", "download", "synth", "trackers", "conventions"):
        assert command in out
    assert "--format" in invoke("report", "--help").output
    assert "module:Class" in invoke("run", "--help").output


def test_help_lists_installed_commands_without_importing_torch():
    """weights and train come from the rasbench.commands entry points (RASNet's package):
    listed by `rasbench --help`, which imports neither torch nor any module of that package
    but its light cli module; the core itself never imports rasbench_trackers."""
    code = ("import sys\n"
            "from click.testing import CliRunner\n"
            "from rasbench.cli import main\n"
            "r = CliRunner().invoke(main, ['--help'])\n"
            "assert r.exit_code == 0, r.output\n"
            "print(' '.join(line.split()[0] for line in r.output.split('Commands:')[1].splitlines() if line.strip()))\n"
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'rasbench_trackers'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    commands, modules = out.stdout.splitlines()[-2:]
    assert {"weights", "train", "run", "report"} <= set(commands.split())
    assert modules.split() == ["rasbench_trackers", "rasbench_trackers.rasnet", "rasbench_trackers.rasnet.cli"]


def test_a_broken_installed_command_is_one_warning_line(monkeypatch):
    import importlib.metadata

    from rasbench.cli import COMMAND_GROUP

    real = importlib.metadata.entry_points
    extra = [importlib.metadata.EntryPoint("broken", "rasbench_no_such_module:command", COMMAND_GROUP),
             importlib.metadata.EntryPoint("notacommand", "json:dumps", COMMAND_GROUP),
             importlib.metadata.EntryPoint("run", "json:dumps", COMMAND_GROUP)]  # a built-in name stays built in

    def entry_points(**selection):
        found = list(real(**selection))
        return found + extra if selection.get("group") == COMMAND_GROUP else found

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.setattr(main, "_added", None)
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0 and "Traceback" not in result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: command 'broken' (rasbench_no_such_module:command) failed to load: ModuleNotFoundError: "
        "No module named 'rasbench_no_such_module'",
        "warning: command 'notacommand' (json:dumps) failed to load: function is not a click command"]
    assert re.search(r"^  weights ", result.stdout, re.M) and re.search(r"^  run ", result.stdout, re.M)
    assert invoke("weights", "--help").exit_code == 0 and "Run a tracker" in invoke("run", "--help").output
    result = CliRunner().invoke(main, ["broken"])
    assert result.exit_code == 2 and result.stderr.splitlines()[-1].startswith("error: no such command 'broken'")


def test_help_lists_every_benchmark_experiment_and_convention_defined(tmp_path, monkeypatch):
    """The lists come from the definitions and convention tables: a user's benchmark with an
    alias and an experiment of its own shows up in them."""
    from rasbench.config.benchmarks import list_benchmarks, load_benchmark
    from rasbench.config.conventions import OTB_CONVENTIONS, VOT_CONVENTIONS

    (tmp_path / "defs").mkdir()
    path = write_benchmark(tmp_path / "defs" / "mine.yaml", {"Alpha": {"frames": [1, 30]}}, name="mine")
    definition = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**definition, "aliases": ["mine-alias"], "base": str(REPO / "experiments" / "otb"
                                    / "experiments.yaml"), "experiments": {"ope-short": {"protocol": "ope"}}}))
    monkeypatch.setenv("RASBENCH_EXPERIMENTS", str(tmp_path / "defs"))
    run_help, report_help, show_help = _help("run"), _help("report"), _help("show")
    assert "otb2015 (otb15, otb-2015, otb100, tb100, tb-100)" in run_help and "vot2017, vot2018, vot2019" in run_help
    assert "mine (mine-alias)" in run_help and "mine (mine-alias)" in report_help and "mine (mine-alias)" in show_help
    assert "ope, tre, sre, ope-short (OTB family); baseline, realtime, unsupervised (VOT family)" in run_help
    for name in list_benchmarks():
        for exp in load_benchmark(name).experiments:
            assert exp in run_help and exp in report_help and exp in show_help
    conventions = (f"OTB experiments: {', '.join(OTB_CONVENTIONS)}; VOT experiments: {', '.join(VOT_CONVENTIONS)}")
    assert "vot-toolkit" in conventions and conventions in report_help and conventions in run_help
    assert "{" + "benchmarks}" not in invoke("--help").output  # the command list shows no unfilled list
    assert invoke("conventions").output.splitlines()[0] == "OTB (ope, tre, sre, ope-short)"


def test_unknown_benchmark_lists_the_aliases():
    result = CliRunner().invoke(main, ["run", "nosuch", "-t", "identity"])
    assert result.exit_code == 2 and result.stderr.startswith("error: unknown benchmark 'nosuch'; available: ")
    assert ", otb2013 (" in result.stderr and ", tc128 (tc-128, " in result.stderr
    assert "vot2017, vot2018, vot2019, or a YAML file" in result.stderr


def test_counts_of_one_are_singular(tiny_otb, tmp_path):
    bench, root = tiny_otb
    run = invoke("run", bench.path, "-t", "identity", "--root", root, "--results", tmp_path / "res",
                 "-s", "Alpha", "-q")
    assert "identity tiny/ope: 1 unit run, 0 already done, 0 failed" in run.output
    table = invoke("report", bench.path, "--results", tmp_path / "res", "--root", root, "-s", "Alpha").output
    assert table.splitlines()[0].endswith(" - 1 sequence")


def test_run_then_report_json_contract(tiny_otb, tmp_path):
    bench, root = tiny_otb
    bench_file = str(bench.path)
    results = tmp_path / "res"
    run = invoke("run", bench_file, "--tracker", "identity", "--root", root, "--results", results, "-q")
    assert run.exit_code == 0, run.output
    again = invoke("run", bench_file, "--tracker", "identity", "--root", root, "--results", results, "-q")
    assert "0 units run, 2 already done" in again.output
    out = invoke("report", bench_file, "--results", results, "--root", root, "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert (data["benchmark"], data["experiment"], data["convention"]) == ("tiny", "ope", "official")
    entry = data["trackers"]["identity"]
    for key in ("success_auc", "precision_20", "norm_precision_20", "success_rate_50", "fps"):
        assert key in entry
    assert 0 <= entry["success_auc"] <= 1 and entry["fps"] > 0
    assert set(entry["sequences"]) == {"Alpha", "Beta"}
    assert set(entry["sequences"]["Alpha"]) >= {"success_auc", "precision_20"}


def test_report_table_and_csv(tiny_otb, tmp_path):
    bench, root = tiny_otb
    invoke("run", bench.path, "-t", "identity", "--root", root, "--results", tmp_path / "res", "-q")
    table = invoke("report", bench.path, "--results", tmp_path / "res", "--root", root).output
    assert "identity" in table and "AUC" in table
    csv_out = invoke("report", bench.path, "--results", tmp_path / "res", "--root", root, "-f", "csv").output
    assert csv_out.splitlines()[0].startswith("tracker,success_auc,precision_20")
    attrs = invoke("report", bench.path, "--results", tmp_path / "res", "--root", root, "--attributes").output
    assert "SV(1)" in attrs and "FM(2)" in attrs


def test_failures_set_the_exit_code(tiny_otb, tmp_path):
    bench, root = tiny_otb
    result = invoke("run", bench.path, "-t", "fake_trackers:Faulty", "-p", "fail_at=3", "--root", root,
                    "--results", tmp_path / "res", "-q")
    assert result.exit_code == 1 and "simulated crash" in result.output


def test_dataset_errors_are_one_clear_line(tiny_otb, tmp_path):
    bench, root = tiny_otb
    (root / "Alpha" / "groundtruth_rect.txt").write_text("1,2,3\n")
    result = CliRunner().invoke(main, ["run", str(bench.path), "-t", "identity", "--root", str(root)])
    assert result.exit_code == 2
    assert "error:" in result.output and "groundtruth_rect.txt, line 1" in result.output
    assert "Traceback" not in result.output


def test_incomplete_results_are_marked_and_strict_fails(tiny_otb, tmp_path):
    bench, root = tiny_otb
    invoke("run", bench.path, "-t", "identity", "--root", root, "--results", tmp_path / "res", "-q")
    path = tmp_path / "res/tiny/identity/ope/Beta.txt"
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")
    table = invoke("report", bench.path, "--results", tmp_path / "res", "--root", root)
    assert "identity *" in table.output and "21 boxes, the ground truth 22 frames" in table.output
    data = json.loads(invoke("report", bench.path, "--results", tmp_path / "res", "--root", root, "-f", "json").output)
    assert data["trackers"]["identity"]["complete"] is False
    assert invoke("report", bench.path, "--results", tmp_path / "res", "--root", root, "--strict").exit_code == 3


def test_trackers_and_conventions_lists():
    assert "identity" in invoke("trackers").output
    out = invoke("conventions").output
    assert "official" in out and "got10k" in out and "pysot" in out


def test_datasets_reports_what_is_found_and_missing(tmp_path, monkeypatch):
    from conftest import invoke, moving_boxes, write_otb_sequence

    root = tmp_path / "OTB100"
    write_otb_sequence(root, "Couple", moving_boxes(140))
    write_otb_sequence(root, "Deer", moving_boxes(71))
    (root / "Deer" / "img" / "0071.jpg").unlink()
    out = invoke("datasets", "--root", tmp_path).output
    line = next(row for row in out.splitlines() if row.startswith("otb2015"))
    assert "1/100" in line and "99 missing" in line and str(root) in line
    assert "Deer: 1 of frames 1-71 missing (frames 71;" in out
    assert "synth" in out
