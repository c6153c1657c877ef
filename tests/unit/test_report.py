"""Scoring result folders: other people's naming, strictness about lengths, the run-score cache."""
import os
import shutil

import numpy as np
import pytest

from rasbench.datasets import open_dataset
from rasbench.evaluation import evaluate
from rasbench.evaluation.cache import RunScoreCache
from rasbench.registry import resolve
from rasbench.reports.text import to_dict
from rasbench.results.discovery import find_tracker_dirs
from rasbench.runner import run_experiment


@pytest.fixture
def scored(tiny_otb, tmp_path):
    bench, root = tiny_otb
    dataset = open_dataset(bench, root=root)
    for tracker in ("identity", "fake_trackers:BrightBox"):
        run_experiment(bench, "ope", dataset, resolve(tracker), tmp_path / "res", progress=False)
    return bench, open_dataset(bench, root=root, images=False), tmp_path / "res" / "tiny"


def _auc(bench, dataset, folder, name, **kwargs):
    rep = evaluate(bench, "ope", dataset, find_tracker_dirs([folder], "tiny", "ope"), **kwargs)
    return rep.trackers[name]


def test_other_toolkits_file_names_are_accepted(scored, tmp_path):
    bench, dataset, folder = scored
    theirs = tmp_path / "theirs" / "Other"  # got10k/pysot layout: files directly in the tracker folder
    theirs.mkdir(parents=True)
    shutil.copy(folder / "brightbox" / "ope" / "Alpha.txt", theirs / "alpha.txt")  # lower case
    shutil.copy(folder / "brightbox" / "ope" / "Beta.txt", theirs / "BETA.txt")
    other = evaluate(bench, "ope", dataset, find_tracker_dirs([folder, tmp_path / "theirs"], "tiny", "ope"))
    assert set(other.trackers) == {"identity", "brightbox", "Other"}
    assert other.trackers["Other"].overall.success_auc == other.trackers["brightbox"].overall.success_auc


def test_duplicate_variants_are_noted(scored):
    bench, dataset, folder = scored
    shutil.copy(folder / "identity" / "ope" / "Alpha.txt", folder / "identity" / "ope" / "alpha.txt")
    t = _auc(bench, dataset, folder, "identity")
    assert t.complete and "using Alpha.txt" in t.notes[0]


def test_wrong_length_and_unparsable_files_are_problems_not_scores(scored):
    bench, dataset, folder = scored
    (folder / "identity" / "ope" / "Alpha.txt").write_text("1,2,3,4\n" * 5)
    (folder / "identity" / "ope" / "Beta.txt").write_text("1,2,3,4\nnot,a,box,!\n")
    t = _auc(bench, dataset, folder, "identity")
    assert t.overall is None
    assert "5 boxes, the ground truth 30 frames" in t.problems["Alpha"]
    assert "line 2" in t.problems["Beta"]
    assert to_dict(evaluate(bench, "ope", dataset, {"identity": folder / "identity" / "ope"}))["trackers"]["identity"][
        "complete"] is False


def test_cache_serves_unchanged_runs_and_notices_changes(scored, tmp_path):
    bench, dataset, folder = scored
    first = _auc(bench, dataset, folder, "brightbox").overall.success_auc
    assert any(RunScoreCache().directory.glob("*.arrays"))
    assert _auc(bench, dataset, folder, "brightbox").overall.success_auc == first
    # replace a result by the identity tracker's: the score must follow the file
    path = folder / "brightbox" / "ope" / "Alpha.txt"
    shutil.copy(folder / "identity" / "ope" / "Alpha.txt", path)
    os.utime(path, ns=(1, 1))  # even an old timestamp is a different key
    changed = _auc(bench, dataset, folder, "brightbox").overall.success_auc
    assert changed < first
    assert changed == _auc(bench, dataset, folder, "brightbox", cache=False).overall.success_auc


def test_cache_notices_changed_ground_truth(scored):
    bench, dataset, folder = scored
    before = _auc(bench, dataset, folder, "identity").overall.success_auc
    dataset["Alpha"].groundtruth = dataset["Alpha"].groundtruth + np.array([3.0, 0, 0, 0])
    after = _auc(bench, dataset, folder, "identity").overall.success_auc
    assert after != before and after == _auc(bench, dataset, folder, "identity", cache=False).overall.success_auc


@pytest.mark.parametrize("damage", [lambda data: b"garbage", lambda data: b"", lambda data: data[:len(data) // 2],
                                    lambda data: bytes(len(data)),
                                    lambda data: data[:len(data) // 2] + bytes(len(data) - len(data) // 2),
                                    lambda data: data[:-9] + bytes([data[-9] ^ 1]) + data[-8:]],
                         ids=["garbage", "empty", "torn", "zeros", "zero-tail", "one-bit"])
def test_corrupt_cache_is_ignored(scored, damage, monkeypatch):
    bench, dataset, folder = scored
    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    earlier = set(RunScoreCache().directory.glob("*.arrays"))  # the cache folder is the session's
    expected = _auc(bench, dataset, folder, "identity").overall.success_auc
    # entries are not synced: what a power loss can leave of one (empty, torn, zeros) is a miss
    assert synced == []
    entries = set(RunScoreCache().directory.glob("*.arrays")) - earlier
    assert entries
    for entry in entries:
        entry.write_bytes(damage(entry.read_bytes()))
    assert _auc(bench, dataset, folder, "identity").overall.success_auc == expected


def test_conventions_do_not_share_cache_entries(scored):
    bench, dataset, folder = scored
    (folder / "identity" / "ope" / "Alpha.txt").write_text(
        "nan,nan,nan,nan\n" + (folder / "identity" / "ope" / "Alpha.txt").read_text().split("\n", 1)[1])
    official = _auc(bench, dataset, folder, "identity").overall.success_auc
    pysot = _auc(bench, dataset, folder, "identity", convention="pysot").overall.success_auc
    assert pysot < official  # pysot scores the NaN first line; official replaces it by the GT


def test_scoring_goes_on_here_where_no_worker_can_start(scored, monkeypatch):
    """fork failing (EAGAIN under a process limit), or a daemonic process (a multiprocessing
    Pool's worker, which may not have children): the trackers are scored here, as serially."""
    import multiprocessing

    from rasbench.evaluation import otb as otb_scoring

    bench, dataset, folder = scored
    dirs = find_tracker_dirs([folder], "tiny", "ope")
    serial = to_dict(evaluate(bench, "ope", dataset, dirs, cache=False, workers=1))
    monkeypatch.setattr(otb_scoring, "FORK_MIN_BOXES", 0)

    def refuse(self):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.get_context("fork").Process, "start", refuse)
    assert to_dict(evaluate(bench, "ope", dataset, dirs, cache=False, workers=2)) == serial
    monkeypatch.undo()
    monkeypatch.setattr(otb_scoring, "FORK_MIN_BOXES", 0)
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True, raising=False)
    assert to_dict(evaluate(bench, "ope", dataset, dirs, cache=False, workers=2)) == serial


@pytest.mark.parametrize("worker_fails", [False, True], ids=["forked", "a-worker-dies"])
def test_scoring_shared_out_to_forked_workers_gives_the_serial_report(scored, monkeypatch, worker_fails):
    from rasbench.evaluation import otb as otb_scoring

    bench, dataset, folder = scored
    for i in range(4):  # more trackers than workers, one with a problem
        shutil.copytree(folder / "brightbox", folder / f"copy{i}")
    (folder / "copy2" / "ope" / "Beta.txt").write_text("1,2,3,4\nnot,a,box,!\n")
    dirs = find_tracker_dirs([folder], "tiny", "ope")
    serial = to_dict(evaluate(bench, "ope", dataset, dirs, cache=False, workers=1))
    monkeypatch.setattr(otb_scoring, "FORK_MIN_BOXES", 0)
    parent, real = os.getpid(), otb_scoring._score_missing
    scored_here = []

    def score_missing(pending, *args):
        if os.getpid() == parent:
            scored_here.append(pending.result.name)
        elif worker_fails and pending.result.name == "copy1":
            os._exit(3)  # a worker dies mid-way: what it had not sent is scored here
        return real(pending, *args)

    monkeypatch.setattr(otb_scoring, "_score_missing", score_missing)
    shared = to_dict(evaluate(bench, "ope", dataset, dirs, cache=False, workers=2))
    assert shared == serial and "line 2" in shared["trackers"]["copy2"]["problems"]["Beta"]
    # 6 trackers, worker 0 takes the 1st, 3rd and 5th (brightbox, copy1, copy3) and dies at copy1
    assert scored_here == (["copy1", "copy3"] if worker_fails else [])
