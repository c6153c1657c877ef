"""GOT-10k: the synthetic benchmark in GOT-10k's layout, scored by rasbench and by got10k
0.1.3's own ``ExperimentGOT10k.report`` on the same files (equal to the last bit); runs
written in got10k's layout; the test-server archive and its checks."""
import contextlib
import io
import zipfile

import numpy as np
import pytest
import yaml
from conftest import invoke

from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import open_dataset, synth_root
from rasbench.datasets.synthetic import ensure_generated, write_got10k_copy
from rasbench.errors import ResultsError
from rasbench.evaluation import evaluate
from rasbench.metrics import got10k as G
from rasbench.results.discovery import find_tracker_dirs
from rasbench.results.submission import check_archive, pack

# Curtain and Storm have frames where the target is fully occluded (cover 0), Escape
# frames where it is partly outside the image.
SEQUENCES = ["Curtain", "Escape", "Storm", "Speck"]


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """(definition, GOT-10k root with val/, the val split folder) of four synthetic sequences."""
    synth = load_benchmark("synth")
    base = tmp_path_factory.mktemp("got10k")
    split = base / "GOT-10k" / "val"
    names = write_got10k_copy(synth, ensure_generated(synth, synth_root(synth)), split, sequences=SEQUENCES)
    definition = base / "synth-got10k.yaml"
    definition.write_text(yaml.safe_dump({"name": "synth-got10k", "title": "synthetic GOT-10k copy",
                                          "format": "got10k", "experiments": {"ope": {"protocol": "got10k"}},
                                          "sequences": names}))
    return load_benchmark(str(definition)), base / "GOT-10k", split


def _results(dataset, folder, rng):
    """got10k-layout results: noisy boxes (some far outside the image), 3 repetitions for
    every other sequence, times with zeros and NaN."""
    for k, (name, seq) in enumerate(dataset.items()):
        (folder / name).mkdir(parents=True)
        reps = 3 if k % 2 == 0 else 1
        for r in range(1, reps + 1):
            boxes = seq.groundtruth + rng.normal(0, 12, seq.groundtruth.shape)
            boxes[:, 2:] = np.abs(boxes[:, 2:])
            boxes[rng.random(len(seq)) < 0.1, :2] -= 80  # left of / above the image: moved, not cut
            boxes[rng.random(len(seq)) < 0.05, 0] += 400  # right of the image
            np.savetxt(folder / name / f"{name}_{r:03d}.txt", boxes, fmt="%.3f", delimiter=",")
        times = rng.uniform(0.001, 0.05, (len(seq), reps))
        times[rng.random(times.shape) < 0.05] = 0
        times[rng.random(times.shape) < 0.02] = np.nan
        np.savetxt(folder / name / f"{name}_time.txt", times, fmt="%.8f", delimiter=",")


def _got10k_report(root, results, tracker, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    experiments = pytest.importorskip("got10k.experiments")
    experiment = experiments.ExperimentGOT10k(str(root), subset="val", result_dir=str(results),
                                              report_dir=str(tmp_path / "reports"))
    with contextlib.redirect_stdout(io.StringIO()):
        return experiment.report([tracker])[tracker]


def test_scores_equal_got10k(copy, tmp_path, monkeypatch):
    bench, root, split = copy
    dataset = open_dataset(bench, root=split, images=False)
    assert any((~s.tags["visible"]).any() for s in dataset.values())  # cover-0 frames to leave out
    _results(dataset, tmp_path / "results" / "GOT-10k" / "T", np.random.default_rng(3))
    theirs = _got10k_report(root, tmp_path / "results", "T", tmp_path, monkeypatch)
    dirs = find_tracker_dirs([tmp_path / "results" / "GOT-10k"], bench.name, "ope")  # their folders as they are
    ours = evaluate(bench, "ope", dataset, dirs).trackers["T"]
    assert ours.complete and ours.scores["runs"] == 8
    overall = theirs["overall"]
    assert abs(ours.scores["ao"] - overall["ao"]) <= 1e-9 and abs(ours.scores["sr50"] - overall["sr"]) <= 1e-9
    assert abs(ours.scores["fps"] - overall["speed_fps"]) <= 1e-9
    assert np.max(np.abs(ours.curves["success_curve"] - np.array(overall["succ_curve"]))) <= 1e-9
    assert ours.scores["sr75"] == overall["succ_curve"][75]  # linspace(0, 1, 101)[75] is 0.75 exactly
    for name, seq_scores in theirs["seq_wise"].items():
        assert abs(ours.sequences[name]["ao"] - seq_scores["ao"]) <= 1e-9
        assert abs(ours.sequences[name]["sr50"] - seq_scores["sr"]) <= 1e-9
    print(f"got10k AO {overall['ao']!r} SR {overall['sr']!r} fps {overall['speed_fps']!r}; "
          f"rasbench AO {ours.scores['ao']!r} SR0.50 {ours.scores['sr50']!r} SR0.75 {ours.scores['sr75']!r}")


def test_clipping_moves_a_box_left_of_the_image():
    """got10k clips x first, then w to W - x: x = -10, w = 30 becomes x = 0, w = 30."""
    clipped = G.clip_to_image(np.array([[-10.0, 5, 30, 20], [300, 230, 50, 50]]), 320, 240)
    assert clipped.tolist() == [[0, 5, 30, 20], [300, 230, 20, 10]]


def test_run_writes_got10k_layout_and_packs(copy, tmp_path, monkeypatch):
    """``rasbench run`` writes what got10k reads; ``rasbench pack`` zips it as got10k does,
    checked; an incomplete set is refused naming what is missing."""
    bench, root, split = copy
    results = tmp_path / "results"
    run = invoke("run", str(bench.path), "-t", "identity", "--root", str(split), "--results", str(results), "-q")
    assert run.exit_code == 0, run.output
    folder = results / bench.name / "identity" / "ope"
    assert sorted(p.name for p in (folder / "Speck").iterdir()) == ["Speck_001.txt", "Speck_time.txt"]
    (tmp_path / "theirs" / "GOT-10k").mkdir(parents=True)
    (tmp_path / "theirs" / "GOT-10k" / "identity").symlink_to(folder)
    theirs = _got10k_report(root, tmp_path / "theirs", "identity", tmp_path, monkeypatch)["overall"]
    dataset = open_dataset(bench, root=split, images=False)
    ours = evaluate(bench, "ope", dataset, {"identity": folder}).trackers["identity"].scores
    assert abs(ours["ao"] - theirs["ao"]) <= 1e-9 and abs(ours["sr50"] - theirs["sr"]) <= 1e-9

    out = tmp_path / "identity.zip"
    packed = invoke("pack", str(bench.path), "--results", str(results), "-t", "identity", "--root", str(split),
                    "-o", str(out))
    assert packed.exit_code == 0, packed.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(f"{n}/{n}_{suffix}.txt" for n in SEQUENCES
                                                    for suffix in ("001", "time"))
    check_archive(bench, "ope", out)

    (folder / "Storm" / "Storm_001.txt").unlink()
    (folder / "Speck" / "Speck_time.txt").write_text("0.1\n")
    refused = invoke("pack", str(bench.path), "--results", str(results), "-t", "identity", "-o",
                     str(tmp_path / "bad.zip"))
    assert refused.exit_code == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr == ("error: 2 problems for 4 sequences: Storm: no result files; Speck: Speck_time.txt "
                              "has 1 line, 140 frames expected\n")
    assert not (tmp_path / "bad.zip").exists()


def test_archive_check_names_what_is_wrong(tmp_path):
    bench = load_benchmark("got10k-test")
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("GOT-10k_Test_000001/GOT-10k_Test_000001_001.txt", "1,2,3,4\n5,6,7,8\n")
        archive.writestr("GOT-10k_Test_000001/GOT-10k_Test_000001_time.txt", "0.1\n")
        archive.writestr("T/GOT-10k_Test_000002/GOT-10k_Test_000002_001.txt", "1,2,3,4\n")
    with pytest.raises(ResultsError) as problem:
        check_archive(bench, "ope", path)
    assert str(problem.value) == ("3 problems for 180 sequences: unexpected member T/GOT-10k_Test_000002/"
                                  "GOT-10k_Test_000002_001.txt; 179 sequences missing (GOT-10k_Test_000002, "
                                  "GOT-10k_Test_000003, GOT-10k_Test_000004, GOT-10k_Test_000005, "
                                  "GOT-10k_Test_000006, ...); GOT-10k_Test_000001: files of different lengths "
                                  "(1, 2 lines)")


def test_shared_test_submission_example_packs(shared_data, tmp_path):
    """Ocean-online's 180 GOT-10k test folders (got10k's layout) pack and validate."""
    bench = load_benchmark("got10k-test")
    dirs = find_tracker_dirs([shared_data / "got10k/test_submission_example"], bench.name, "ope")
    out = tmp_path / "Ocean-online.zip"
    assert pack(bench, "ope", dirs["Ocean-online"], out) == 360
    check_archive(bench, "ope", out)
    with zipfile.ZipFile(out) as archive:
        assert len({n.split("/")[0] for n in archive.namelist()}) == 180


def test_datasets_checks_a_copy(copy, tmp_path, monkeypatch):
    """`rasbench datasets` on a GOT-10k copy: counts, and per broken sequence what is wrong."""
    import shutil

    bench, _, split = copy
    broken = tmp_path / "val"
    shutil.copytree(split, broken)
    shutil.rmtree(broken / "Escape")
    (broken / "Speck" / "00000140.jpg").unlink()
    (broken / "Storm" / "cover.label").write_text("8\n" * 10)
    monkeypatch.setenv("RASBENCH_EXPERIMENTS", str(bench.path.parent))
    shown = invoke("datasets", "--root", str(broken))
    assert shown.exit_code == 0, shown.output
    lines = [line.strip() for line in shown.output.splitlines()]
    row = next(line for line in lines if line.startswith("synth-got10k"))
    assert row.split()[1:4] == ["images", "1/4", "3"]
    assert "Speck: 140 ground-truth boxes for 139 images; one per image, or the first only" in shown.output
    assert "10 labels for 180 frames" in shown.output
    assert "not there: Escape" in shown.output
    (tmp_path / "empty").mkdir()
    nowhere = invoke("datasets", "--root", str(tmp_path / "empty")).output
    assert "got10k-val not found  (get it from http://got-10k.aitestunion.com/downloads" in nowhere
