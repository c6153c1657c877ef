"""Reading result folders somebody else made: files that are not files, files without end,
result codes the VOT toolkits never write."""
import json
import os
import resource
import subprocess
import sys

import numpy as np
import pytest
from conftest import deadline

from rasbench.datasets import open_dataset
from rasbench.datasets.textio import BYTES_PER_LINE, SLACK_BYTES, read_many, read_text, size_bound
from rasbench.errors import DatasetError
from rasbench.evaluation import evaluate
from rasbench.evaluation import evaluate as evaluate_vot
from rasbench.registry import resolve
from rasbench.runner import run_experiment


def _cli(*args, timeout=90):
    """``rasbench ARGS`` in a child with at most 2 GiB of address space, so a reader that
    hangs or reads without end fails the test instead of the machine."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-m", "rasbench", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit)


@pytest.fixture
def otb_results(tiny_otb, tmp_path):
    bench, root = tiny_otb
    dataset = open_dataset(bench, root=root)
    run_experiment(bench, "ope", dataset, resolve("identity"), tmp_path / "res", progress=False)
    return bench, root, tmp_path / "res" / "tiny" / "identity" / "ope"


def test_size_bound_is_proportional_to_the_lines():
    assert size_bound(100) == 100 * BYTES_PER_LINE + SLACK_BYTES
    assert size_bound(1000) - size_bound(100) == 900 * BYTES_PER_LINE


def test_fifo_and_dev_zero_results_are_refused_not_read(otb_results):
    bench, root, folder = otb_results
    (folder / "Alpha.txt").unlink()
    os.mkfifo(folder / "Alpha.txt")  # opening it for reading would wait for a writer forever
    (folder / "Beta.txt").unlink()
    (folder / "Beta.txt").symlink_to("/dev/zero")  # reads without end
    out = _cli("report", bench.path, "--results", folder.parents[2], "--root", root, "-f", "json")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    entry = json.loads(out.stdout)["trackers"]["identity"]
    assert entry["complete"] is False
    assert "not a regular file (a FIFO)" in entry["problems"]["Alpha"]
    assert "not a regular file (a character device)" in entry["problems"]["Beta"]


def test_an_oversized_result_file_is_a_problem_naming_the_bound(otb_results):
    bench, root, folder = otb_results
    lines = (folder / "Alpha.txt").read_text().splitlines()
    # 30 frames: valid lines, then a padding comment of more than the bound
    (folder / "Alpha.txt").write_text("\n".join(lines) + "\n" + " " * size_bound(30) + "\n")
    rep = evaluate(bench, "ope", open_dataset(bench, root=root, images=False), {"identity": folder})
    problem = rep.trackers["identity"].problems["Alpha"]
    assert f"more than the {size_bound(30)} bytes" in problem and "30 lines" in problem


def test_a_refused_times_file_makes_the_tracker_incomplete(otb_results):
    bench, root, folder = otb_results
    times = folder / "times" / "Beta_time.txt"
    times.unlink()
    os.mkfifo(times)
    with deadline():
        rep = evaluate(bench, "ope", open_dataset(bench, root=root, images=False), {"identity": folder})
    t = rep.trackers["identity"]
    assert not t.complete and "Beta_time.txt" in t.problems["Beta"] and "FIFO" in t.problems["Beta"]
    assert "Alpha" in t.sequences  # the other sequence is scored as before


def test_a_times_folder_that_is_a_symlink_loop_holds_no_times(otb_results):
    bench, root, folder = otb_results
    for path in (folder / "times").iterdir():
        path.unlink()
    (folder / "times").rmdir()
    (folder / "times").symlink_to("times")  # ELOOP on listing it
    with deadline():
        rep = evaluate(bench, "ope", open_dataset(bench, root=root, images=False), {"identity": folder})
    t = rep.trackers["identity"]
    assert t.complete and not t.problems and set(t.sequences) == {"Alpha", "Beta"}


def test_bulk_reader_refuses_the_same_files(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("1,2,3,4\n" * 3)
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    big = tmp_path / "big.txt"
    big.write_text("1,2,3,4\n" * 3 + "#" * size_bound(3))
    folder = tmp_path / "dir.txt"
    folder.mkdir()
    with deadline():
        got = read_many([good, fifo, big, folder], 4, "box", lines=[3, 3, 3, 3])
    assert got[0].tolist() == [[1, 2, 3, 4]] * 3
    assert all(isinstance(g, DatasetError) for g in got[1:])
    assert "FIFO" in str(got[1]) and "bytes" in str(got[2]) and "directory" in str(got[3])
    with deadline(), pytest.raises(DatasetError, match="FIFO"):
        read_text(fifo, "box")


def test_unreadable_error_records_do_not_hang_the_report(otb_results):
    bench, root, folder = otb_results
    (folder / "Alpha.txt").unlink()
    os.mkfifo(folder / "Alpha.error.json")
    with deadline():
        rep = evaluate(bench, "ope", open_dataset(bench, root=root, images=False), {"identity": folder})
    assert rep.trackers["identity"].problems["Alpha"].startswith("failed: unreadable error record")


# ----------------------------------------------------------------------------- VOT


@pytest.fixture
def vot_results(tmp_path):
    """tinyvot with one hand-written tracker folder: (bench, dataset, tracker folder)."""
    from report_fixtures import tiny_vot

    bench, root = tiny_vot(tmp_path)
    dataset = open_dataset(bench, root=root, images=False, experiment="baseline")
    folder = tmp_path / "res" / "tinyvot" / "mine" / "baseline"
    for name, seq in dataset.items():
        lines = ["1"] + ["10,8,16,12"] * (len(seq) - 1)
        (folder / name).mkdir(parents=True)
        (folder / name / f"{name}_001.txt").write_text("\n".join(lines) + "\n")
    return bench, dataset, folder


def _vot_problems(bench, dataset, folder):
    return evaluate_vot(bench, "baseline", dataset, {"mine": folder}).trackers["mine"]


def test_vot_fifo_result_and_time_files_are_problems(vot_results):
    bench, dataset, folder = vot_results
    os.mkfifo(folder / "beta" / "beta_001_time.value")
    path = folder / "alpha" / "alpha_001.txt"
    path.unlink()
    os.mkfifo(path)
    with deadline():
        t = _vot_problems(bench, dataset, folder)
    assert "alpha_001.txt" in t.problems["alpha"] and "FIFO" in t.problems["alpha"]
    assert "beta_001_time.value" in t.problems["beta"] and "FIFO" in t.problems["beta"]


@pytest.mark.parametrize("code, line", [("5", 7), ("-3", 12), ("2.5", 3), ("nan", 20)])
def test_vot_codes_other_than_0_1_2_are_problems_with_file_and_line(vot_results, code, line):
    bench, dataset, folder = vot_results
    path = folder / "alpha" / "alpha_001.txt"
    lines = path.read_text().splitlines()
    lines[line - 1] = code
    path.write_text("\n".join(lines) + "\n")
    t = _vot_problems(bench, dataset, folder)
    assert not t.complete and set(t.problems) == {"alpha"}
    assert f"alpha_001.txt, line {line}: {code!r} is not a result code" in t.problems["alpha"]
    assert "beta" in t.sequences


def test_vot_codes_0_1_2_and_regions_are_accepted(vot_results):
    bench, dataset, folder = vot_results
    path = folder / "alpha" / "alpha_001.txt"
    lines = path.read_text().splitlines()
    lines[5:12] = ["2", "0", "0", "0", "0", "1.0", "1,2,3,4,5,6,7,8"]
    path.write_text("\n".join(lines) + "\n")
    t = _vot_problems(bench, dataset, folder)
    assert t.complete and t.scores["failures"] == 1.0
    assert np.isfinite(t.scores["accuracy"])
