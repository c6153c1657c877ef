"""Every command, fed a bad input, ends the same way: exit code 2 and exactly one line on
stderr, ``error: ...``, naming the problem; never a traceback, never click's usage block.

One case per line: an id, the command line (``{name}`` stands for a path of the sandbox
below, ``{out}`` for the test's own empty folder), and what the error line must say.
"""
from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, moving_boxes, write_benchmark, write_otb_sequence

from rasbench.cli import main


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> dict[str, Path]:
    """A tiny OTB and a tiny VOT benchmark with identity results, and malformed inputs of every kind."""
    from report_fixtures import tiny_vot

    base = tmp_path_factory.mktemp("bad_inputs")
    root = base / "data"
    write_otb_sequence(root, "Alpha", moving_boxes(30))
    write_otb_sequence(root, "Beta", moving_boxes(24), first=3)
    bench = write_benchmark(base / "tiny.yaml", {"Alpha": {"frames": [1, 30]}, "Beta": {"frames": [3, 26]}})
    vbench, vroot = tiny_vot(base)
    results = base / "results"
    for args in ([bench, "--root", root], [vbench.path, "-e", "baseline", "--root", vroot]):
        done = CliRunner().invoke(main, ["run", *map(str, args), "-t", "identity", "--results", str(results), "-q"])
        assert done.exit_code == 0, done.output
    paths = dict(base=base, bench=bench, root=root, vbench=vbench.path, vroot=vroot, results=results,
                 missing=base / "missing", file=base / "file.txt", dir=base / "folder", dir_py=base / "folder.py",
                 dir_yaml=base / "folder.yaml", bad_yaml=base / "bad.yaml", list_yaml=base / "list.yaml",
                 nokeys_yaml=base / "nokeys.yaml", bad_json=base / "bad.json", list_json=base / "list.json",
                 bad_ini=base / "bad.ini", other_ini=base / "other.ini", text_pt=base / "text.pt",
                 bad_gt_root=base / "bad_gt", bad_manifest=base / "bad_manifest")
    for folder in ("dir", "dir_py", "dir_yaml"):
        paths[folder].mkdir()
    for name, text in (("file", "a file\n"), ("bad_yaml", "name: [unclosed\n"), ("list_yaml", "- 1\n- 2\n"),
                       ("nokeys_yaml", "name: x\n"), ("bad_json", "{not json"), ("list_json", "[1, 2]"),
                       ("bad_ini", "no section header\n"), ("other_ini", "[other]\nprotocol = trax\ncommand = true\n"),
                       ("text_pt", "not a checkpoint")):
        paths[name].write_text(text)
    shutil.copytree(root, paths["bad_gt_root"])
    (paths["bad_gt_root"] / "Alpha" / "groundtruth_rect.txt").write_text("1,2,3\n")
    manifest = paths["bad_manifest"] / "tiny" / "identity" / "ope" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("[1, 2]")
    return paths


# (id, command line, what the error line says); {{ }} is a literal brace.
CASES = [
    ("unknown command", "nosuchcmd", "no such command 'nosuchcmd'"),
    ("unknown option", "--nosuchopt", "no such option"),
    ("weights: unknown subcommand", "weights nosuch", "no such command 'nosuch'"),
    # run
    ("run: no benchmark", "run", "missing argument 'BENCHMARK'"),
    ("run: no tracker", "run {bench}", "missing option '--tracker'"),
    ("run: unknown benchmark", "run nosuch -t identity", "unknown benchmark 'nosuch'; available: "),
    ("run: unknown tracker", "run {bench} -t nosuch", "unknown tracker 'nosuch'"),
    ("run: unknown tracker module", "run {bench} -t nosuchmodule:Foo", "cannot import 'nosuchmodule'"),
    ("run: tracker file missing", "run {bench} -t {missing}/x.py:Foo", "x.py does not exist"),
    ("run: tracker file is a folder", "run {bench} -t {dir_py}:Foo", "folder.py is not a file"),
    ("run: unknown tracker class", "run {bench} -t fake_trackers:Nope", "has no attribute 'Nope'"),
    ("run: tracker constructor fails", "run {bench} -t identity -p nosuchparam=1 --root {root} --results {out} -q",
     "cannot create tracker 'identity'"),
    ("run: unknown experiment", "run {bench} -t identity -e nosuch", "tiny has no experiment 'nosuch'"),
    ("run: unknown convention", "run {bench} -t identity --convention nosuch", "unknown convention 'nosuch'"),
    ("run: VOT convention for OTB", "run {bench} -t identity --convention vot-toolkit",
     "convention 'vot-toolkit' is for VOT experiments; OTB experiments take official, got10k, pysot"),
    ("run: OTB convention for VOT", "run {vbench} -t identity -e baseline --convention got10k",
     "convention 'got10k' is for OTB experiments"),
    ("run: unknown sequence", "run {bench} -t identity -s Nope --root {root}", "no sequence Nope"),
    ("run: unknown executor", "run {bench} -t identity --executor bogus", "'bogus' is not one of"),
    ("run: --workers 0", "run {bench} -t identity -j 0", "'--workers' / '-j': 0 is not in the range"),
    ("run: --workers -1", "run {bench} -t identity -j -1", "'--workers' / '-j': -1 is not in the range"),
    ("run: --workers not a number", "run {bench} -t identity -j x", "'--workers' / '-j': 'x'"),
    ("run: --frame-timeout 0", "run {bench} -t identity --frame-timeout 0", "--frame-timeout must be"),
    ("run: --frame-timeout -1", "run {bench} -t identity --frame-timeout -1", "--frame-timeout must be"),
    ("run: --frame-timeout nan", "run {bench} -t identity --frame-timeout nan", "--frame-timeout must be"),
    ("run: --devices empty", "run {bench} -t identity --devices ,", "--devices expects GPU numbers"),
    ("run: --address without ray", "run {bench} -t identity --address auto", "--address"),
    ("run: -p without =", "run {bench} -t identity -p novalue", "expected KEY=VALUE, got 'novalue'"),
    ("run: -p not YAML", "run {bench} -t identity -p x=[1", "not valid YAML (line 1, column 3"),
    ("run: --root missing", "run {bench} -t identity --root {missing}", "the dataset folder does not exist"),
    ("run: --root a file", "run {bench} -t identity --root {file}",
     "the dataset folder is a file (an annotation file goes to --annotations)"),
    ("run: --results a file", "run {bench} -t identity --root {root} --results {file} -q",
     "results folder {file} is a file"),
    ("run: --sequences naming nothing", "run {bench} -t identity --root {root} -s , -q",
     "--sequences names no sequence"),
    ("run: --name with path parts", "run {bench} -t identity --root {root} --name ../x",
     "'../x' cannot name a file or folder"),
    ("run: definition not YAML", "run {bad_yaml} -t identity", "bad.yaml is not valid YAML: line 2, column 1"),
    ("run: definition not a mapping", "run {list_yaml} -t identity", "must hold a mapping"),
    ("run: definition without format", "run {nokeys_yaml} -t identity", "missing key 'format'"),
    ("run: definition is a folder", "run {dir_yaml} -t identity", "unknown benchmark"),
    ("run: malformed ground truth", "run {bench} -t identity --root {bad_gt_root} --results {out}",
     "groundtruth_rect.txt, line 1"),
    ("run: malformed manifest.json", "run {bench} -t identity --root {root} --results {bad_manifest} -q",
     "manifest.json"),
    ("run: trackers.ini malformed", "RASBENCH_TRAX_REGISTRY={bad_ini} run {bench} -t trax:foo --root {root} "
     "--results {out} -q", "bad.ini: cannot read this TraX registry"),
    ("run: trax tracker not declared", "RASBENCH_TRAX_REGISTRY={other_ini} run {bench} -t trax:nosuch --root {root} "
     "--results {out} -q", "no TraX tracker 'nosuch' is declared"),
    # report
    ("report: unknown benchmark", "report nosuch", "unknown benchmark 'nosuch'"),
    ("report: unknown experiment", "report {bench} --results {results} --root {root} -e nosuch",
     "tiny has no experiment 'nosuch'"),
    ("report: experiment without results", "report {bench} --results {results} --root {root} -e tre",
     "no tre tracker folders found in {results}"),
    ("report: two experiments without --out", "report {bench} --results {results} --root {root} -e ope,tre",
     "several experiments need --out"),
    ("report: unknown convention", "report {bench} --results {results} --root {root} -c nosuch",
     "unknown convention 'nosuch'"),
    ("report: VOT convention for OTB", "report {bench} --results {results} --root {root} -c vot-toolkit",
     "convention 'vot-toolkit' is for VOT experiments"),
    ("report: OTB convention for VOT", "report {vbench} --results {results} --root {vroot} -c got10k",
     "convention 'got10k' is for OTB experiments; VOT experiments take official, pysot, vot-toolkit"),
    ("report: unknown VOT convention", "report {vbench} --results {results} --root {vroot} -c nosuch",
     "unknown convention 'nosuch'"),
    ("report: unknown tracker", "report {bench} --results {results} --root {root} -t nosuch",
     "no ope results for tracker 'nosuch'"),
    ("report: tracker folder missing", "report {bench} --results {results} --root {root} -t {missing}",
     "no ope results for tracker '{missing}'"),
    ("report: --results missing", "report {bench} --results {missing} --root {root}",
     "results folder {missing} does not exist"),
    ("report: --results a file", "report {bench} --results {file} --root {root}", "results folder {file} is a file"),
    ("report: --root missing", "report {bench} --results {results} --root {missing}",
     "the dataset folder does not exist"),
    ("report: --annotations missing", "report {bench} --results {results} --annotations {missing}",
     "annotation path does not exist"),
    ("report: annotation JSON malformed", "report {bench} --results {results} --annotations {bad_json}",
     "cannot read pysot dataset JSON"),
    ("report: annotation JSON not a mapping", "report {bench} --results {results} --annotations {list_json}",
     "not a pysot dataset JSON"),
    ("report: --annotations a folder", "report {bench} --results {results} --annotations {dir}",
     "neither a pysot JSON file nor an OTB anno/ folder"),
    ("report: unknown format", "report {bench} --results {results} --root {root} -f nosuch", "--format nosuch"),
    ("report: html without --out", "report {bench} --results {results} --root {root} -f html", "give --out DIR"),
    ("report: unknown plot format", "report {bench} --results {results} --root {root} --plot-format gif -o {out}/r",
     "--plot-format gif"),
    ("report: --top -1", "report {bench} --results {results} --root {root} --top -1", "--top must be 0 or more"),
    ("report: --top not a number", "report {bench} --results {results} --root {root} --top x", "'--top': 'x'"),
    ("report: --published-top -1", "report {bench} --results {results} --root {root} --published-top -1",
     "--published-top must be 0 or more"),
    ("report: published file missing", "report {bench} --results {results} --root {root} --published-file {missing}",
     "'--published-file'"),
    ("report: published file a folder", "report {bench} --results {results} --root {root} --published-file {dir}",
     "is a directory"),
    ("report: published file not YAML", "report {bench} --results {results} --root {root} --published-file "
     "{bad_yaml}", "published numbers {bad_yaml} are not valid YAML: line 2, column 1"),
    ("report: published file not a mapping", "report {bench} --results {results} --root {root} --published-file "
     "{list_yaml}", "must hold a mapping with 'entries'"),
    ("report: --out a file", "report {bench} --results {results} --root {root} -f json -o {file}", "is a file"),
    ("report: unknown --highlight", "report {bench} --results {results} --root {root} --highlight nosuch -o {out}/r",
     "--highlight nosuch"),
    ("report: unknown sequence", "report {bench} --results {results} --root {root} -s Nope", "no sequence Nope"),
    # show
    ("show: no sequence", "show {bench}", "missing argument 'SEQUENCE'"),
    ("show: unknown sequence", "show {bench} Nope --root {root} --results {results}", "no sequence Nope"),
    ("show: --scale 0", "show {bench} Alpha --root {root} --results {results} --scale 0", "--scale must be"),
    ("show: --scale -1", "show {bench} Alpha --root {root} --results {results} --scale -1", "--scale must be"),
    ("show: --scale nan", "show {bench} Alpha --root {root} --results {results} --scale nan", "--scale must be"),
    ("show: --step 0", "show {bench} Alpha --root {root} --results {results} --step 0", "--step must be"),
    ("show: --fps -1", "show {bench} Alpha --root {root} --results {results} --fps -1", "--fps must be"),
    ("show: --frames reversed", "show {bench} Alpha --root {root} --results {results} --frames 5-3", "--frames"),
    ("show: --frames not numbers", "show {bench} Alpha --root {root} --results {results} --frames a-b", "--frames"),
    ("show: --frames beyond the sequence", "show {bench} Alpha --root {root} --results {results} --frames 1-99 "
     "-o {out}/a.gif", "frames 1-99 are outside 1-30"),
    ("show: --run 0", "show {bench} Alpha --root {root} --results {results} --run 0", "--run must be 1 or more"),
    ("show: --run beyond OPE", "show {bench} Alpha --root {root} --results {results} --run 2 -o {out}/a.gif",
     "--run 2: ope makes 1 run of Alpha"),
    ("show: --run beyond VOT", "show {vbench} alpha -e baseline --root {vroot} --results {results} --run 16 "
     "-o {out}/a.gif", "--run 16: baseline makes 15 runs of alpha"),
    ("show: unknown output type", "show {bench} Alpha --root {root} --results {results} -o {out}/a.txt",
     "unknown output type '.txt'"),
    ("show: unknown tracker", "show {bench} Alpha --root {root} --results {results} -t nosuch",
     "no ope results for tracker 'nosuch'"),
    ("show: unknown experiment", "show {bench} Alpha --root {root} --results {results} -e nosuch",
     "no experiment 'nosuch'"),
    ("show: two experiments", "show {bench} Alpha --root {root} --results {results} -e ope,tre", "one at a time"),
    ("show: experiment without results", "show {bench} Alpha --root {root} --results {results} -e tre",
     "no tre tracker folders found"),
    ("show: --root missing", "show {bench} Alpha --root {missing} --results {results}",
     "the dataset folder does not exist"),
    # datasets
    ("datasets: --root missing", "datasets --root {missing}", "the dataset folder does not exist"),
    ("datasets: --root a file", "datasets --root {file}",
     "the dataset folder is a file (an annotation file goes to --annotations)"),
    ("datasets: extra argument", "datasets extra", "unexpected extra argument (extra)"),
    # download: every one refused before the network is touched
    ("download: unknown benchmark", "download nosuch --root {out}", "unknown benchmark 'nosuch'"),
    ("download: no --root", "download otb2015", "missing option '--root'"),
    ("download: --root a file", "download otb2015 --root {file} -s Basketball", "{file} is a file"),
    ("download: unknown sequence", "download otb2015 --root {out} -s Nope", "has no sequence 'Nope'"),
    ("download: unknown VOT sequence", "download vot2017 --root {out} -s Nope", "has no sequence 'Nope'"),
    ("download: --timeout 0", "download otb2015 --root {out} --timeout 0", "--timeout must be"),
    ("download: --timeout nan", "download otb2015 --root {out} --timeout nan", "--timeout must be"),
    ("download: --min-rate -1", "download otb2015 --root {out} --min-rate -1", "--min-rate must be"),
    ("download: --deadline 0", "download otb2015 --root {out} --deadline 0", "--deadline must be"),
    ("download: --max-unpacked 0", "download otb2015 --root {out} --max-unpacked 0", "--max-unpacked must be"),
    ("download: --max-unpacked a word", "download otb2015 --root {out} --max-unpacked lots", "--max-unpacked must be"),
    ("download: --max-unpack-ratio 0", "download otb2015 --root {out} --max-unpack-ratio 0",
     "--max-unpack-ratio must be"),
    ("download: --url without {{folder}}", "download otb2015 --root {out} --url http://127.0.0.1/x.zip",
     "no download URL template with '{{folder}}'"),
    ("download: --url not a URL", "download otb2015 --root {out} -s Basketball --url x{{folder}}.zip",
     "download URL template 'x{{folder}}.zip' is not a URL"),
    ("download: VOT --url not a URL", "download vot2017 --root {out} -s bag --url description.json",
     "dataset description URL 'description.json' is not a URL"),
    ("download: synth", "download synth --root {out}", "are not downloaded"),
    ("download: benchmark without URL", "download {bench} --root {out}", "no download URL template"),
    ("download: registration needed", "download got10k-val --root {out}", "get it from http://got-10k"),
    # pack
    ("pack: unknown benchmark", "pack nosuch -t identity", "unknown benchmark 'nosuch'"),
    ("pack: no --tracker", "pack got10k-test", "missing option '--tracker'"),
    ("pack: unknown tracker", "pack {bench} --results {results} -t nosuch", "no ope results for tracker 'nosuch'"),
    ("pack: unknown experiment", "pack {bench} --results {results} -t identity -e nosuch", "has no experiment"),
    ("pack: OTB results", "pack {bench} --results {results} -t identity -o {out}/x.zip",
     "OTB results are not packed for an evaluation server"),
    ("pack: --out a folder", "pack {bench} --results {results} -t identity -o {out}", "is a folder"),
    ("pack: --out in a missing folder", "pack {bench} --results {results} -t identity -o {missing}/x.zip",
     "does not exist"),
    # synth
    ("synth: --seed without --out", "synth --seed 3", "give --out with --seed"),
    ("synth: --seed not a number", "synth --seed x", "'--seed': 'x'"),
    ("synth: --seed -1", "synth --seed -1 --out {out}/s", "seed"),
    ("synth: --out a file", "synth --out {file}", "not a folder"),
    # trackers, conventions
    ("trackers: extra argument", "trackers extra", "unexpected extra argument (extra)"),
    ("conventions: extra argument", "conventions extra", "unexpected extra argument (extra)"),
    # trax
    ("trax: unknown region", "trax --region nosuch", "'nosuch' is not one of 'rectangle', 'polygon'"),
    ("trax: --trax-version 0", "trax --trax-version 0", "0 is not a TraX version"),
    ("trax: --trax-version 99", "trax --trax-version 99", "99 is not a TraX version"),
    ("trax: no tracker", "trax", "--tracker is required"),
    ("trax: unknown tracker", "trax -t nosuch", "unknown tracker 'nosuch'"),
    ("trax: --print-config unknown tracker", "trax --print-config -t nosuch", "unknown tracker 'nosuch'"),
    ("trax: -p without =", "trax -t identity -p bad", "expected KEY=VALUE"),
    ("trax: --name not a VOT name", "trax --print-config -t identity --name 'a b'", "'a b' cannot name a VOT tracker"),
    # weights
    ("weights info: missing file", "weights info {missing}", "'{missing}' does not exist"),
    ("weights info: a folder", "weights info {dir}", "{dir}"),
    ("weights info: not a checkpoint", "weights info {text_pt}", "text.pt cannot be loaded"),
    ("weights pack: not a checkpoint", "weights pack {text_pt} {out}/p.pt", "text.pt cannot be loaded"),
    ("weights convert: not a checkpoint", "weights convert {text_pt} {out}/c.pt", "text.pt cannot be loaded"),
    ("weights convert: unknown format", "weights convert {text_pt} {out}/c.pt --format nosuch",
     "'nosuch' is not one of 'auto'"),
    # train: refused before any data is read
    ("train: no --data", "train --out {out}/t", "missing option '--data'"),
    ("train: --out a file", "train --data synth: --out {file}", "output folder {file} is a file"),
    ("train: --init a folder", "train --data synth:7 --out {out}/t --init {dir}", "is a folder"),
    ("train: --max-gap 0", "train --data synth:7 --out {out}/t --max-gap 0", "max_gap must be >= 1 frame"),
    ("train: unknown variant", "train --data synth: --out {out}/t --variant nosuch", "'nosuch' is not one of"),
    ("train: unknown data kind", "train --data nosuch:x --out {out}/t", "unknown training data kind"),
    ("train: data folder missing", "train --data got10k:{missing} --out {out}/t", "does not exist"),
    ("train: --epochs 0", "train --data synth: --out {out}/t --epochs 0", "bad training settings"),
    ("train: --batch-size -3", "train --data synth: --out {out}/t --batch-size -3", "bad training settings"),
    ("train: --lr negative", "train --data synth: --out {out}/t --lr -1 1", "learning rates must be positive"),
    ("train: --val-fraction 2", "train --data synth: --out {out}/t --val-fraction 2", "val_fraction"),
    ("train: --momentum nan", "train --data synth: --out {out}/t --momentum nan", "momentum"),
    ("train: --init missing", "train --data synth: --out {out}/t --init {missing}", "'{missing}' does not exist"),
    ("train: unknown device", "train --data synth: --out {out}/t --device nosuch", "device must be"),
    ("train: --workers a word", "train --data synth: --out {out}/t --workers x", "workers must be"),
    ("train: unknown --amp", "train --data synth: --out {out}/t --amp nosuch", "'nosuch' is not one of"),
]

# Unreadable and unwritable paths (root reads and writes everything: skipped there).
PERMISSION_CASES = [
    ("run: definition unreadable", "run {locked_file} -t identity", "cannot read benchmark definition"),
    ("run: --root unreadable", "run {bench} -t identity --root {locked_dir}", "locked_dir"),
    ("run: --results read-only", "run {bench} -t identity --root {root} --results {read_only}/r -q", "cannot write"),
    ("report: --results unreadable", "report {bench} --results {locked_dir} --root {root}", "locked_dir"),
    ("report: published file unreadable", "report {bench} --results {results} --root {root} --published-file "
     "{locked_file}", "is not readable"),
    ("report: --out read-only", "report {bench} --results {results} --root {root} -f json -o {read_only}/r",
     "cannot write"),
    ("datasets: --root unreadable", "datasets --root {locked_dir}", "locked_dir"),
    ("weights info: unreadable", "weights info {locked_file}", "locked.yaml"),
]


def _invoke(line: str, paths: dict, out: Path):
    """Run ``line`` in-process; leading NAME=VALUE words are environment variables."""
    args = shlex.split(line.format(**paths, out=out))
    env = {}
    while args and "=" in args[0] and args[0].partition("=")[0].isupper():
        key, _, value = args.pop(0).partition("=")
        env[key] = value
    return CliRunner(env=env).invoke(main, args)


def _assert_one_error_line(result, expected: str) -> None:
    stderr = result.stderr.splitlines()
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert len(stderr) == 1 and stderr[0].startswith("error: "), result.stderr
    assert expected in stderr[0]
    assert "Traceback" not in result.output and "Usage:" not in result.output


@pytest.mark.parametrize("line, expected", [pytest.param(line, expected, id=name) for name, line, expected in CASES])
def test_bad_input_is_one_error_line(sandbox, tmp_path, monkeypatch, line, expected):
    monkeypatch.chdir(tmp_path)  # where a command that wrongly went ahead would write
    _assert_one_error_line(_invoke(line, sandbox, tmp_path), expected.format(**sandbox, out=tmp_path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes every path")
@pytest.mark.parametrize("line, expected", [pytest.param(line, expected, id=name)
                                            for name, line, expected in PERMISSION_CASES])
def test_unreadable_path_is_one_error_line(sandbox, tmp_path, line, expected):
    locked_dir, locked_file, read_only = tmp_path / "locked_dir", tmp_path / "locked.yaml", tmp_path / "read_only"
    locked_dir.mkdir()
    read_only.mkdir()
    locked_file.write_text("name: x\n")
    for path, mode in ((locked_dir, 0), (locked_file, 0), (read_only, 0o555)):
        path.chmod(mode)
    paths = dict(sandbox, locked_dir=locked_dir, locked_file=locked_file, read_only=read_only)
    try:
        _assert_one_error_line(_invoke(line, paths, tmp_path), expected)
    finally:
        for path in (locked_dir, locked_file, read_only):
            path.chmod(0o755)


@pytest.mark.parametrize("args, expected", [
    pytest.param(["nosuchcmd"], "error: no such command 'nosuchcmd' (see rasbench --help)", id="usage error"),
    pytest.param(["run", "{bench}", "-t", "identity", "-j", "0"], "error: invalid value for '--workers' / '-j'",
                 id="bad option value"),
    pytest.param(["report", "{bench}", "--results", "{results}", "--root", "{root}", "-e", "tre"],
                 "error: no tre tracker folders found", id="no results for the experiment"),
    pytest.param(["report", "{vbench}", "--results", "{results}", "--root", "{vroot}", "-c", "got10k"],
                 "error: convention 'got10k' is for OTB experiments", id="convention of the other family"),
])
def test_the_installed_command_gives_one_error_line(sandbox, args, expected):
    """The real entry point (``rasbench``, as installed), not only the click group in-process."""
    command = shutil.which("rasbench", path=str(Path(sys.executable).parent)) or "rasbench"
    done = subprocess.run([command, *(a.format(**sandbox) for a in args)], capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()] and done.stderr.startswith(expected), done.stderr


# --- optional dependencies: a missing one names the extra that installs it ---------------------

def _without(monkeypatch, module: str) -> None:
    """Make ``import module`` fail as if it were not installed (without torch, RASNet's modules
    are imported afresh, and fail; the loaded ones are back after the test)."""
    monkeypatch.setitem(sys.modules, module, None)
    if module == "torch":
        for name in [n for n in sys.modules if n.startswith("rasbench_trackers.rasnet")]:
            monkeypatch.delitem(sys.modules, name)


@pytest.mark.parametrize("module, line, expected", [
    pytest.param("torch", "run synth -t rasnet", "tracker 'rasnet' needs torch", id="run -t rasnet"),
    pytest.param("torch", "trax --print-config -t rasnet-siamfc", "tracker 'rasnet-siamfc' needs torch",
                 id="trax --print-config"),
    pytest.param("torch", "weights info {file}", "rasbench weights info needs torch", id="weights info"),
    pytest.param("torch", "train --data synth: --out {out}/t", "rasbench train needs torch", id="train"),
    pytest.param("ray", "run {bench} -t identity --root {root} --results {out} --executor ray -q",
                 "--executor ray needs ray", id="--executor ray"),
    pytest.param("scipy.io", "weights convert {file} {out}/c.pt --format matconvnet",
                 "reading MatConvNet .mat files needs scipy", id="weights convert .mat",
                 marks=pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch")),
])
def test_a_missing_optional_dependency_names_its_extra(sandbox, tmp_path, monkeypatch, module, line, expected):
    _without(monkeypatch, module)
    extra = {"torch": "torch", "ray": "ray", "scipy.io": "matconvnet"}[module]
    result = _invoke(line, sandbox, tmp_path)
    _assert_one_error_line(result, f'{expected}, which is not installed: pip install "rasbench[{extra}]"')


def test_the_got10k_adapter_names_its_extra(monkeypatch):
    from rasbench.adapters.got10k import to_got10k
    from rasbench.errors import ConfigError

    _without(monkeypatch, "got10k.trackers")
    with pytest.raises(ConfigError, match=r'needs got10k, which is not installed: pip install "rasbench\[got10k\]"'):
        to_got10k("identity")


def test_the_got10k_extra_installs_what_got10k_fails_to_declare():
    import configparser

    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    extra = config["options.extras_require"]["got10k"].split()
    assert "got10k==0.1.3" in extra and "six" in extra  # got10k 0.1.3 imports six without declaring it


def test_messages_never_point_at_files_an_installation_lacks():
    pytest.importorskip("torch")
    from rasbench_trackers.rasnet.model import VARIANTS
    from rasbench_trackers.rasnet.tracker import no_weights_message

    for variant in VARIANTS:
        message = no_weights_message(variant)
        assert ".md" not in message and "README" not in message and "rasbench train" in message
