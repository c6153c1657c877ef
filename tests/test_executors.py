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
import pytest

from rasbench.datasets import open_dataset
from rasbench.registry import resolve
from rasbench.report import evaluate
from rasbench.results import find_tracker_dirs, read_boxes
from rasbench.runner import run_experiment

TESTS = Path(__file__).resolve().parent


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
    assert "hangs" in json.loads((folder / "Alpha.error.json").read_text())["error"]


def test_killed_worker_is_reported_like_an_out_of_memory_kill(tiny_otb, tmp_path):
    bench, root = tiny_otb
    summary = _run(bench, root, tmp_path / "res", "fake_trackers:Suicide", workers=2)
    assert [f.sequence for f in summary.failures] == ["Alpha"]
    assert "SIGKILL" in summary.failures[0].message and "out-of-memory" in summary.failures[0].message
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
    _run(bench, root, tmp_path / "res", "fake_trackers:EnvProbe", {"log": str(log)}, experiment="tre",
         devices=["5", "7"])
    seen = log.read_text().split()
    assert set(seen) == {"5", "7"} and len(seen) == 33


def _cli(*args, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    return subprocess.Popen([sys.executable, "-m", "rasbench", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)


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


@pytest.mark.slow
def test_ray_cluster_gives_the_same_results(tiny_otb, tmp_path):
    ray = pytest.importorskip("ray")
    bench, root = tiny_otb
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(TESTS)}})
    try:
        distributed = _run(bench, root, tmp_path / "ray", "fake_trackers:BrightBox", experiment="tre",
                           executor="ray", workers=2)
    finally:
        ray.shutdown()
    local = _run(bench, root, tmp_path / "local", "fake_trackers:BrightBox", experiment="tre")
    assert distributed.ok and distributed.completed == local.completed == 33
    assert _files(tmp_path / "ray/tiny/brightbox/tre") == _files(tmp_path / "local/tiny/brightbox/tre")
    dataset = open_dataset(bench, root=root, images=False)
    a = evaluate(bench, "tre", dataset, find_tracker_dirs([tmp_path / "ray"], "tiny", "tre"), cache=False)
    b = evaluate(bench, "tre", dataset, find_tracker_dirs([tmp_path / "local"], "tiny", "tre"), cache=False)
    assert np.array_equal(a.trackers["brightbox"].overall.success_curve, b.trackers["brightbox"].overall.success_curve)
