"""VOT runs through the runner on the synthetic benchmark's VOT copy: files, resets,
the real-time clock with a tracker of known latency, repetitions."""
import numpy as np
import pytest

from rasbench.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.datasets.textio import read_rows, read_text
from rasbench.protocols.vot import run_realtime
from rasbench.region import parse_regions
from rasbench.registry import resolve
from rasbench.runner import run_experiment

SEQS = ["zoom", "spin"]


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    bench = load_benchmark("synth")
    return bench, root


def _run(synth, tmp_path, tracker, experiment="baseline", params=None, sequences=SEQS, **kwargs):
    bench, root = synth
    dataset = open_dataset(bench, root=root, sequences=sequences, experiment=experiment)
    summary = run_experiment(bench, experiment, dataset, resolve(tracker, params or {}), tmp_path / "res",
                             progress=False, **kwargs)
    return summary, dataset, tmp_path / "res" / "synth"


def _trajectory(path):
    return parse_regions(read_text(path, "result").rstrip().splitlines())


def test_failing_tracker_resets_five_frames_after_each_failure(synth, tmp_path):
    summary, dataset, folder = _run(synth, tmp_path, "fake_trackers:LoseAfter", params={"after": 10})
    assert summary.ok and summary.completed == 2  # deterministic: one repetition per sequence
    traj = _trajectory(folder / "loseafter/baseline/zoom/zoom_001.txt")
    codes = traj.codes()
    n = len(dataset["zoom"])
    assert len(traj) == n
    # init at 0, 9 boxes, failure on the 10th update (frame 10), skip 4, re-init at 15, ...
    expected = []
    row = 0
    while row < n:
        expected.append((row, 1))
        fail = row + 10
        if fail >= n:
            break
        expected.append((fail, 2))
        row = fail + 5
    got = [(int(i), int(codes[i])) for i in np.flatnonzero(codes >= 0) if codes[i] != 0]
    assert got == expected
    skipped = [int(i) for i in np.flatnonzero(codes == 0)]
    assert skipped == [f + k for f, c in expected if c == 2 for k in range(1, 5) if f + k < n]
    times = read_rows(folder / "loseafter/baseline/zoom/zoom_time.txt", 1, "time").reshape(-1)
    assert len(times) == n and np.isnan(times[skipped]).all() and not np.isnan(times[0])


def test_initialisation_box_is_the_min_max_box_of_the_polygon(synth, tmp_path):
    from fake_trackers import Recorder

    from rasbench.region import bounding_boxes

    Recorder.init_boxes.clear()
    _, dataset, _ = _run(synth, tmp_path, "fake_trackers:Recorder", experiment="unsupervised", sequences=["spin"])
    gt = dataset["spin"].groundtruth
    assert np.allclose(Recorder.init_boxes[0], bounding_boxes(gt[0])[0])


def test_realtime_latency_decides_which_frames_the_tracker_sees(synth, tmp_path):
    summary, dataset, folder = _run(synth, tmp_path, "fake_trackers:Sleeper", experiment="realtime",
                                    params={"seconds": 0.12}, sequences=["zoom"])
    assert summary.ok
    times = read_rows(folder / "sleeper/realtime/zoom/zoom_001_time.value", 1, "time").reshape(-1)
    codes = _trajectory(folder / "sleeper/realtime/zoom/zoom_001.txt").codes()
    seen = np.flatnonzero(~np.isnan(times)).tolist()
    # the clock model replayed with the latencies that were measured and the same failures
    replay = run_realtime(len(times), lambda r: (None, times[r]), lambda r: (("region", r), times[r]),
                          lambda r, region: codes[r] == 2, fps=20, grace=3, skip_initialize=5)
    assert replay.seen == seen
    # 120 ms per frame at 20 fps: after the 3 grace responses the tracker sees 2 frames in 5
    assert seen[:5] == [0, 1, 2, 3, 5]
    unseen_region_frames = [r for r in range(len(codes)) if codes[r] == -1 and r not in seen]
    assert unseen_region_frames  # held outputs fill the frames the tracker never saw


def test_stochastic_tracker_gets_fifteen_repetitions_and_resumes(synth, tmp_path):
    summary, _, folder = _run(synth, tmp_path, "fake_trackers:Jitter", sequences=["zoom"])
    assert summary.completed == 15
    assert sorted(p.name for p in (folder / "jitter/baseline/zoom").glob("*_0??.txt")) == \
        [f"zoom_{k:03d}.txt" for k in range(1, 16)]
    matrix = np.loadtxt(folder / "jitter/baseline/zoom/zoom_time.txt", delimiter=",")
    assert matrix.shape[1] == 15
    again, _, _ = _run(synth, tmp_path, "fake_trackers:Jitter", sequences=["zoom"])
    assert (again.completed, again.skipped) == (0, 15)


def test_three_identical_repetitions_stop_a_tracker_that_claims_nothing(synth, tmp_path):
    # Recorder has no `deterministic` attribute, but it is deterministic
    summary, _, folder = _run(synth, tmp_path, "fake_trackers:Recorder", sequences=["zoom"])
    assert summary.completed == 3
    assert len(list((folder / "recorder/baseline/zoom").glob("zoom_0??.txt"))) == 3
