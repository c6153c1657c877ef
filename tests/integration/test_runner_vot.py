"""VOT runs through the runner on the synthetic benchmark's VOT copy: files, resets,
the real-time clock with a tracker of known latency, repetitions."""
import numpy as np
import pytest

from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.datasets.textio import read_rows, read_text
from rasbench.errors import ConfigError
from rasbench.geometry import parse_regions
from rasbench.protocols.vot import run_realtime
from rasbench.registry import resolve
from rasbench.runner import run_experiment

SEQS = ["zoom", "spin"]


@pytest.fixture(scope="module")
def synth(synth_data):
    return load_benchmark("synth"), synth_data


def _run(synth, tmp_path, tracker, experiment="baseline", params=None, sequences=SEQS, **kwargs):
    bench, root = synth
    dataset = open_dataset(bench, root=root, sequences=sequences, experiment=experiment)
    summary = run_experiment(bench, experiment, dataset, resolve(tracker, params or {}), tmp_path / "res",
                             progress=False, **kwargs)
    return summary, dataset, tmp_path / "res" / "synth"


def _trajectory(path):
    return parse_regions(read_text(path, "result").rstrip().splitlines())


@pytest.mark.slow
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

    from rasbench.geometry import bounding_boxes

    Recorder.init_boxes.clear()
    _, dataset, _ = _run(synth, tmp_path, "fake_trackers:Recorder", experiment="unsupervised", sequences=["spin"])
    gt = dataset["spin"].groundtruth
    assert np.allclose(Recorder.init_boxes[0], bounding_boxes(gt[0])[0])


@pytest.mark.parametrize("clock", ["fake", "real"])
def test_realtime_latency_decides_which_frames_the_tracker_sees(synth, tmp_path, monkeypatch, clock):
    """With the protocol's clock replaced, every update takes exactly 120 ms; with the real one
    (sleeping), as long as the machine keeps each sleep under 150 ms (else only the replay is checked)."""
    import types

    from fake_trackers import FakeClock

    import rasbench.protocols.vot as vot_protocol

    if clock == "fake":
        monkeypatch.setattr(vot_protocol, "time", types.SimpleNamespace(perf_counter=FakeClock.perf_counter))
    summary, dataset, folder = _run(synth, tmp_path, "fake_trackers:Sleeper", experiment="realtime",
                                    params={"seconds": 0.12, "fake_clock": clock == "fake"}, sequences=["zoom"])
    assert summary.ok
    times = read_rows(folder / "sleeper/realtime/zoom/zoom_001_time.value", 1, "time").reshape(-1)
    codes = _trajectory(folder / "sleeper/realtime/zoom/zoom_001.txt").codes()
    seen = np.flatnonzero(~np.isnan(times)).tolist()
    # the clock model replayed with the latencies that were measured and the same failures
    replay = run_realtime(len(times), lambda r: (None, times[r]), lambda r: (("region", r), times[r]),
                          lambda r, region: codes[r] == 2, fps=20, grace=3, skip_initialize=5)
    assert replay.seen == seen
    if clock == "fake":
        assert set(np.round(times[seen], 9)) == {0.0, 0.12}  # initialisations take no time, updates 120 ms
    if clock == "fake" or np.nanmax(times[seen[1:6]]) < 0.15:
        # 120 ms per frame at 20 fps: after the 3 grace responses the tracker sees 2 frames in 5
        assert seen[:5] == [0, 1, 2, 3, 5]
    unseen_region_frames = [r for r in range(len(codes)) if codes[r] == -1 and r not in seen]
    assert unseen_region_frames  # held outputs fill the frames the tracker never saw


@pytest.mark.slow
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



# ------------------------------------------------------- protocol options: one source


def _skip_benchmark(tmp_path, **options):
    """One generated 30-frame VOT sequence (a static 20 x 10 box) and a benchmark whose
    baseline takes ``options``: (definition path, dataset root)."""
    import cv2
    import yaml

    root = tmp_path / "data"
    (root / "walk" / "color").mkdir(parents=True)
    for k in range(1, 31):
        cv2.imwrite(str(root / "walk" / "color" / f"{k:08d}.jpg"), np.full((48, 64, 3), 80, np.uint8))
    (root / "walk" / "groundtruth.txt").write_text("10,10,20,10\n" * 30)
    (root / "list.txt").write_text("walk\n")
    definition = tmp_path / "skipbench.yaml"
    definition.write_text(yaml.safe_dump({
        "name": "skipbench", "format": "vot", "sequences": ["walk"],
        "experiments": {"baseline": {"protocol": "baseline", **options}}}))
    return definition, root


def test_skip_and_burnin_of_the_definition_drive_the_run_and_the_scores(tmp_path):
    """skip_initialize 3 and burnin 5 in the YAML: the run re-initialises 3 frames after a
    failure, the scoring leaves 5 frames per initialisation out of accuracy and starts EAO
    fragments 3 frames after each failure; every number computed by hand."""
    from rasbench.evaluation import evaluate as evaluate_vot
    from rasbench.results.discovery import find_tracker_dirs

    definition, root = _skip_benchmark(tmp_path, repetitions=15, skip_initialize=3, burnin=5, failure_overlap=0,
                                       eao_interval=[2, 12])
    bench = load_benchmark(str(definition))
    dataset = open_dataset(bench, root=root, experiment="baseline")
    # Drift moves the 20 px wide box 2 px right per frame: overlap (20 - 2j) / (20 + 2j)
    # j frames after an initialisation, zero (a failure) at j = 10
    summary = run_experiment(bench, "baseline", dataset, resolve("fake_trackers:Drift", {"step": 2}),
                             tmp_path / "res", progress=False)
    assert summary.ok and summary.completed == 1
    codes = _trajectory(tmp_path / "res/skipbench/drift/baseline/walk/walk_001.txt").codes()
    events = {int(i): int(codes[i]) for i in np.flatnonzero(codes >= 0)}
    assert events == {0: 1, 10: 2, 11: 0, 12: 0, 13: 1, 23: 2, 24: 0, 25: 0, 26: 1}  # re-init at f + 3

    scored = evaluate_vot(bench, "baseline", open_dataset(bench, root=root, images=False, experiment="baseline"),
                          find_tracker_dirs([tmp_path / "res"], "skipbench", "baseline"), "official")
    t = scored.trackers["drift"]
    assert t.complete and scored.extras["eao_interval"] == [2, 12]
    # j frames after an initialisation; VOT-M's region.c returns single-precision overlaps
    overlap = [float(np.float32((10 - j) / (10 + j))) for j in range(10)]
    # burn-in 5: frames j = 5..9 after the inits on 0 and 13 count, the init on 26 leaves none
    assert t.scores["accuracy"] == pytest.approx(np.mean(overlap[5:10]), abs=1e-12)
    assert t.scores["failures"] == 2
    # EAO fragments start on frames 0, 13, 26 (failure + 3); for lengths 2..12 every
    # usable fragment holds overlap[1..9] then zeros (the failure, skipped, init frames)
    fragment = overlap[1:10] + [0.0] * 4
    curve = [np.mean(fragment[:length - 1]) for length in range(2, 13)]
    assert t.scores["eao"] == pytest.approx(np.mean(curve), abs=1e-12)


@pytest.mark.parametrize("options, message", [
    ({"skip_initialize": 0}, "skip_initialize must be an integer >= 1, got 0"),
    ({"burnin": -1}, "burnin must be an integer >= 0"),
    ({"burnin": 2.5}, "burnin must be an integer >= 0, got 2.5"),
    ({"failure_overlap": 1}, "failure_overlap must be a number in [0, 1)"),
    ({"eao_interval": [50, 10]}, "eao_interval must be [low, high] with 1 <= low <= high"),
    ({"burn_in": 5}, "1 unknown baseline option burn_in; it takes repetitions, skip_initialize, burnin"),
    ({"fps": 20}, "1 unknown baseline option fps"),
])
def test_protocol_options_are_checked_when_the_definition_loads(tmp_path, options, message):
    from conftest import invoke

    definition, root = _skip_benchmark(tmp_path, **options)
    out = invoke("report", definition, "--root", root, "-e", "baseline")
    assert out.exit_code == 2 and out.output.count("\n") == 1, out.output
    assert out.output.startswith(f"error: {definition}: experiment baseline: ") and message in out.output


def test_a_top_level_eao_interval_is_refused_with_where_it_belongs(tmp_path):
    definition, _ = _skip_benchmark(tmp_path)
    definition.write_text(definition.read_text() + "eao_interval: [2, 12]\n")
    with pytest.raises(ConfigError, match="eao_interval is an option of the baseline and realtime experiments"):
        load_benchmark(str(definition))
