"""Parallel and fault-tolerant execution: worker processes, hung and killed trackers,
GPUs per worker, interrupted runs, concurrent runs, a Ray cluster."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from conftest import TESTS

from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.evaluation import evaluate
from rasbench.registry import resolve
from rasbench.results.discovery import find_tracker_dirs
from rasbench.results.otb import read_boxes
from rasbench.runner import run_experiment


def _run(bench, root, results, tracker, params=None, experiment="ope", **kwargs):
    dataset = open_dataset(bench, root=root, experiment=experiment)
    return run_experiment(bench, experiment, dataset, resolve(tracker, params or {}), results, progress=False,
                          **kwargs)


def _files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.txt"))
            if "time" not in p.name}


def test_two_workers_write_exactly_what_one_process_writes(tiny_otb, tmp_path):
    bench, root = tiny_otb
    one = _run(bench, root, tmp_path / "one", "fake_trackers:BrightBox", experiment="tre")
    two = _run(bench, root, tmp_path / "two", "fake_trackers:BrightBox", experiment="tre", workers=2)
    assert one.ok and two.ok and one.completed == two.completed == 33
    assert _files(tmp_path / "one/tiny/brightbox/tre") == _files(tmp_path / "two/tiny/brightbox/tre")


def test_hung_tracker_is_abandoned_and_the_run_goes_on(tiny_otb, tmp_path):
    bench, root = tiny_otb
    t0 = time.monotonic()
    summary = _run(bench, root, tmp_path / "res", "fake_trackers:Hang", frame_timeout=2)
    assert time.monotonic() - t0 < 60
    assert [f.sequence for f in summary.failures] == ["Alpha"] and "hangs" in summary.failures[0].message
    folder = tmp_path / "res/tiny/hang/ope"
    assert (folder / "Beta.txt").is_file() and not (folder / "Alpha.txt").exists()
    record = json.loads((folder / "Alpha.error.json").read_text())
    # the third update hangs: frame 4 (frame 1 initialises)
    assert "hangs" in record["error"] and record["frame"] == summary.failures[0].frame == 4
    assert "sequence Alpha, frame 4: worker lost" in record["error"]


@pytest.mark.slow  # generates the synthetic benchmark when the session has not yet
def test_hung_vot_repetition_records_its_run_and_frame(tmp_path):
    bench = load_benchmark("synth")
    dataset = open_dataset(bench, sequences=["zoom"], experiment="baseline")  # the session's synth cache
    height = dataset["zoom"].frame(0).shape[0]
    summary = run_experiment(bench, "baseline", dataset, resolve("fake_trackers:Hang", {"at": 7, "height": height}),
                             tmp_path / "res", progress=False, frame_timeout=2)
    assert [(f.run, f.frame) for f in summary.failures] == [(1, 8)]
    record = json.loads((tmp_path / "res/synth/hang/baseline/zoom/zoom_001.error.json").read_text())
    assert (record["run"], record["frame"]) == (1, 8)


def test_killed_worker_is_reported_like_an_out_of_memory_kill(tiny_otb, tmp_path):
    bench, root = tiny_otb
    summary = _run(bench, root, tmp_path / "res", "fake_trackers:Suicide", workers=2)
    assert [f.sequence for f in summary.failures] == ["Alpha"]
    assert "SIGKILL" in summary.failures[0].message and "out-of-memory" in summary.failures[0].message
    assert summary.failures[0].frame == 2  # the first update kills it
    assert (tmp_path / "res/tiny/suicide/ope/Beta.txt").is_file()
    dataset = open_dataset(bench, root=root, images=False)
    rep = evaluate(bench, "ope", dataset, find_tracker_dirs([tmp_path / "res"], "tiny", "ope"))
    assert "SIGKILL" in rep.trackers["suicide"].problems["Alpha"]  # listed, not scored


def test_memory_error_in_process_is_a_unit_failure(tiny_otb, tmp_path):
    bench, root = tiny_otb
    summary = _run(bench, root, tmp_path / "res", "fake_trackers:Greedy")
    assert len(summary.failures) == 2 and "MemoryError" in summary.failures[0].message


def test_one_worker_per_device(tiny_otb, tmp_path):
    bench, root = tiny_otb
    log = tmp_path / "devices.log"
    # the probe waits until both devices have been seen: spawned workers become ready at different
    # times, and the first could otherwise run all 33 quick units alone (seen on a loaded machine)
    _run(bench, root, tmp_path / "res", "fake_trackers:EnvProbe", {"log": str(log), "wait_for": 2},
         experiment="tre", devices=["5", "7"])
    seen = log.read_text().split()
    assert set(seen) == {"5", "7"} and len(seen) == 33


def _cli(*args, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    return subprocess.Popen([sys.executable, "-m", "rasbench", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)


@pytest.mark.slow
def test_sigkill_at_any_moment_then_rerun_completes_with_the_same_numbers(tiny_otb, tmp_path):
    bench, root = tiny_otb
    args = ["run", bench.path, "-t", "fake_trackers:Slow", "-p", "seconds=0.02", "--root", root, "-e", "tre", "-q"]
    reference = _cli(*args, "--results", tmp_path / "ref")
    assert reference.wait(120) == 0
    for delay in (0.8, 1.6):
        results = tmp_path / f"killed-{delay}"
        victim = _cli(*args, "--results", results)
        time.sleep(delay)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        folder = results / "tiny/slow/tre"
        for path in folder.rglob("*_0??.txt"):  # every result file present is whole
            assert len(read_boxes(path)) in range(20, 31)
        assert _cli(*args, "--results", results).wait(120) == 0
        assert _files(folder) == _files(tmp_path / "ref/tiny/slow/tre")


def test_two_runs_into_the_same_folder_at_once(tiny_otb, tmp_path):
    bench, root = tiny_otb
    args = ["run", bench.path, "-t", "fake_trackers:Slow", "-p", "seconds=0.005", "--root", root, "-e", "tre",
            "--results", tmp_path / "res", "-q"]
    first, second = _cli(*args), _cli(*args)
    assert first.wait(120) == 0 and second.wait(120) == 0
    reference = _run(bench, root, tmp_path / "ref", "fake_trackers:Slow", {"seconds": 0.0}, experiment="tre")
    assert reference.ok
    assert _files(tmp_path / "res/tiny/slow/tre") == _files(tmp_path / "ref/tiny/slow/tre")
    manifest = json.loads((tmp_path / "res/tiny/slow/tre/manifest.json").read_text())
    assert manifest["tracker_spec"] == "fake_trackers:Slow"


# Runs the CLI with ResultStore.write_manifest slowed down, so that two runs started together
# are both between their manifest check and its write at the same time.
_SLOW_MANIFEST = """
import sys, time
from rasbench.results.store import ResultStore
write = ResultStore.write_manifest
def slow_write(self, tracker, manifest):
    time.sleep(4)
    write(self, tracker, manifest)
ResultStore.write_manifest = slow_write
from rasbench.cli import main
main(sys.argv[1:], prog_name="rasbench")
"""


def test_concurrent_runs_with_different_parameters_cannot_share_a_folder(tiny_otb, tmp_path):
    bench, root = tiny_otb
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    runs = [subprocess.Popen([sys.executable, "-c", _SLOW_MANIFEST, "run", str(bench.path), "-t", "fake_trackers:Drift",
                              "-p", f"step={step}", "--name", "drift", "--root", str(root), "--results",
                              str(tmp_path / "res"), "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) for step in (0, 50)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    codes = [run.returncode for run in runs]
    assert sorted(codes) == [0, 2], outputs
    winner, loser = (0, 1) if codes[0] == 0 else (1, 0)
    assert "holds results made differently (parameters: {'step': " in outputs[loser]
    folder = tmp_path / "res/tiny/drift/ope"
    step = (0, 50)[winner]
    assert json.loads((folder / "manifest.json").read_text())["parameters"] == {"step": step}
    alpha = read_boxes(folder / "Alpha.txt")
    assert alpha[-1, 0] - alpha[0, 0] == step * (len(alpha) - 1)  # every unit from the run that owns the folder


def _descendants(pid: int) -> list:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_the_main_process(tiny_otb, tmp_path, sig):
    bench, root = tiny_otb
    victim = _cli("run", bench.path, "-t", "fake_trackers:Slow", "-p", "seconds=0.05", "--root", root, "-e", "tre",
                  "-j", "2", "--results", tmp_path / "res", "-q")
    deadline = time.monotonic() + 60
    while not list((tmp_path / "res").rglob("*_0??.txt")):  # both workers are running units
        assert time.monotonic() < deadline and victim.poll() is None
        time.sleep(0.1)
    family = _descendants(victim.pid)
    assert len([p for p in family if "spawn_main" in " ".join(p.cmdline())]) == 2
    victim.send_signal(sig)
    output = victim.communicate(timeout=30)[0].decode()
    gone, alive = psutil.wait_procs(family, timeout=10)
    assert not alive, [p.cmdline() for p in alive]  # workers and the resource tracker
    if sig == signal.SIGTERM:  # as Ctrl-C: a short message, no traceback
        assert victim.returncode == 1 and "Traceback" not in output and "Aborted!" in output, output


def test_full_disk_in_workers_stops_the_run_with_one_line(tiny_otb, tmp_path):
    bench, root = tiny_otb
    result = _cli("run", bench.path, "-t", "fake_trackers:FileLimit", "-e", "tre", "-j", "2", "--root", root,
                  "--results", tmp_path / "res", "-q")
    output = result.communicate(timeout=120)[0].decode()
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert result.returncode == 2 and "Traceback" not in output and "continuing" not in output, output
    assert len(errors) == 1 and "cannot write" in errors[0] and "File too large" in errors[0], output
    assert (tmp_path / "res/tiny/filelimit/tre/manifest.json").is_file()
    assert not list((tmp_path / "res").rglob("*_0??.txt"))


@pytest.mark.slow
def test_ray_cluster_gives_the_same_results(tiny_otb, tmp_path, monkeypatch):
    pytest.importorskip("ray")
    bench, root = tiny_otb
    monkeypatch.setenv("PYTHONPATH", str(TESTS))  # the local cluster's workers import fake_trackers
    sigterm = signal.getsignal(signal.SIGTERM)
    distributed = _run(bench, root, tmp_path / "ray", "fake_trackers:BrightBox", experiment="tre",
                       executor="ray", workers=2)
    # ray.init's own SIGTERM handler outlives ray.shutdown; inherited by forked plot
    # workers it once kept one from ending (CI hung 300 s in multiprocessing.Pool's exit)
    assert signal.getsignal(signal.SIGTERM) is sigterm
    local = _run(bench, root, tmp_path / "local", "fake_trackers:BrightBox", experiment="tre")
    assert distributed.ok and distributed.completed == local.completed == 33
    assert _files(tmp_path / "ray/tiny/brightbox/tre") == _files(tmp_path / "local/tiny/brightbox/tre")
    dataset = open_dataset(bench, root=root, images=False)
    a = evaluate(bench, "tre", dataset, find_tracker_dirs([tmp_path / "ray"], "tiny", "tre"), cache=False)
    b = evaluate(bench, "tre", dataset, find_tracker_dirs([tmp_path / "local"], "tiny", "tre"), cache=False)
    assert np.array_equal(a.trackers["brightbox"].overall.success_curve, b.trackers["brightbox"].overall.success_curve)
