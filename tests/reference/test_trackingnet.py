"""TrackingNet: the devkit's metrics on its own dummy case, through the archive reader and
through ``rasbench report``; the 511-sequence test-server archive and its checks."""
import json
import zipfile

import numpy as np
import pytest
import yaml
from conftest import invoke

from rasbench.config.benchmarks import load_benchmark
from rasbench.errors import ResultsError
from rasbench.metrics import trackingnet as T
from rasbench.results.submission import check_archive, pack
from rasbench.results.trackingnet import archive_sequences, read_archive

# metrics.py of SilvioGiancola/TrackingNet-devkit @79783f27 on dummy_GT.zip / dummy_subm.zip
# (pandas 1.5.3; docs/benchmarks.md section 8.2): 7 files identical to the ground truth,
# a8v0k4Bz_QA_0 48 rows short, a9jgDU5THOU_0 missing.
DUMMY = {"coverage": 88.95555555555555, "success": 88.07962962962964, "precision": 87.80246913580248,
         "norm_precision": 87.80246913580248}


def test_devkit_dummy_case(shared_data):
    folder = shared_data / "trackingnet/devkit_dummy"
    names = archive_sequences(folder / "dummy_GT.zip")
    truth, submitted = read_archive(folder / "dummy_GT.zip", names), read_archive(folder / "dummy_subm.zip", names)
    assert len(names) == 9 and submitted["a9jgDU5THOU_0"] is None and len(submitted["a8v0k4Bz_QA_0"]) == 432
    got = T.overall([T.sequence_curves(truth[n], submitted[n]) for n in names])
    assert {key: got[key] for key in DUMMY} == DUMMY  # to the last digit


def test_rules_that_decide_digits():
    gt = np.array([[10, 10, 20, 20], [10, 10, 20, 20], [10, 10, 20, 20], [10, 10, 0, 5]], float)
    # frame 1 := the ground truth; 12.5 rounds to 12 (half to even); a NaN row fails every test
    result = np.array([[0, 0, 0, 0], [12.5, 10, 20, 20], [np.nan] * 4, [10, 10, 1, 5]])
    c = T.sequence_curves(gt, result)
    assert c.covered.tolist() == [True, True, False, True]
    # IoU: 1, 18 x 20 / (400 + 400 - 360) = 0.82, NaN, 0 (zero-width ground truth): success(0)
    # counts every row that is not NaN (IoU >= 0), success(0.8) rows 1 and 2
    assert c.success[0] == 0.75 and c.success[16] == 0.5
    # centres x + (w + 1) / 2: distances 0, 2, NaN, 0.5 px; thresholds 0, 2.5, ...
    assert c.precision[0] == 0.25 and c.precision[1] == 0.75
    # normalised by the ground truth's w: 0, 0.1, NaN, inf (w = 0 fails); threshold 0.125
    assert c.norm_precision[5] == 0.5
    assert T.sequence_curves(gt, None).covered.tolist() == [True, False, False, False]  # a missing file: zeros


def _folders(shared_data, tmp_path):
    """The dummy case as a TrackingNet chunk folder (anno/) and a results folder."""
    folder = shared_data / "trackingnet/devkit_dummy"
    chunk, results = tmp_path / "TRAIN_0", tmp_path / "results" / "dummy"
    (chunk / "anno").mkdir(parents=True)
    results.mkdir(parents=True)
    with zipfile.ZipFile(folder / "dummy_GT.zip") as archive:
        for member in archive.namelist():
            if member.endswith(".txt") and "__MACOSX" not in member:
                (chunk / "anno" / member.rsplit("/", 1)[-1]).write_bytes(archive.read(member))
    with zipfile.ZipFile(folder / "dummy_subm.zip") as archive:
        for member in archive.namelist():
            if member.endswith(".txt") and "__MACOSX" not in member:
                (results / member.rsplit("/", 1)[-1]).write_bytes(archive.read(member))
    names = sorted(p.stem for p in (chunk / "anno").glob("*.txt"))
    definition = tmp_path / "heldout.yaml"
    definition.write_text(yaml.safe_dump({"name": "heldout", "title": "TrackingNet held-out", "format": "trackingnet",
                                          "experiments": {"ope": {"protocol": "trackingnet"}}, "sequences": names}))
    return definition, chunk, tmp_path / "results"


def test_report_scores_the_dummy_case_as_the_devkit(shared_data, tmp_path):
    definition, chunk, results = _folders(shared_data, tmp_path)
    shown = invoke("report", str(definition), "--results", str(results), "--root", str(chunk), "-f", "json")
    assert shown.exit_code == 0, shown.output
    tracker = json.loads(shown.stdout)["trackers"]["dummy"]
    assert {key: tracker[key] for key in DUMMY} == DUMMY
    assert not tracker["complete"] and tracker["problems"] == {
        "a8v0k4Bz_QA_0": "a8v0k4Bz_QA_0.txt has 432 boxes, the ground truth 480 frames (scored as the devkit does)",
        "a9jgDU5THOU_0": "no result file (scored as zero boxes, as the devkit does)"}
    table = invoke("report", str(definition), "--results", str(results), "--root", str(chunk))
    assert table.exit_code == 0 and "88.08" in table.output


def test_pack_trackingnet_test(tmp_path):
    bench = load_benchmark("trackingnet-test")
    folder = tmp_path / "results" / "trackingnet-test" / "T" / "ope"
    folder.mkdir(parents=True)
    for k, name in enumerate(bench.sequences):
        np.savetxt(folder / f"{name}.txt", np.full((3 + k % 4, 4), k, float), fmt="%.3f", delimiter=",")
    out = tmp_path / "T.zip"
    assert pack(bench, "ope", folder, out) == 511
    check_archive(bench, "ope", out)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(f"{n}.txt" for n in bench.sequences)
        assert archive.read("-Dz7OIf54b0_0.txt").decode().splitlines()[0] == "0.000,0.000,0.000,0.000"

    (folder / "zxTw_b64trk_0.txt").unlink()
    shown = invoke("pack", "trackingnet-test", "--results", str(tmp_path / "results"), "-t", "T", "-o",
                   str(tmp_path / "bad.zip"))
    assert shown.exit_code == 2 and shown.stderr == ("error: 1 problem for 511 sequences: zxTw_b64trk_0: no result "
                                                     "file\n")
    assert not (tmp_path / "bad.zip").exists()


def test_archive_check_names_what_is_wrong(tmp_path):
    bench = load_benchmark("trackingnet-test")
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in list(bench.sequences)[:510]:
            archive.writestr(f"{name}.txt", "1,2,3,4\n")
        archive.writestr("sub/zxTw_b64trk_0.txt", "1,2,3,4\n")
    with pytest.raises(ResultsError, match=r"^2 problems for 511 sequences: unexpected member sub/zxTw_b64trk_0.txt; "
                                           r"1 sequence missing \(zxTw_b64trk_0.txt\)$"):
        check_archive(bench, "ope", path)


def test_run_and_pack_a_test_split_copy(tmp_path):
    """A TrackingNet chunk whose ground truth is the first box only (as TEST): it runs, packs
    with its lengths checked against the frames, and is not scored locally."""
    import cv2

    chunk = tmp_path / "TEST"
    names = ["-abc_0", "Xyz_1"]
    for k, name in enumerate(names):
        (chunk / "frames" / name).mkdir(parents=True)
        for i in range(6 + k):
            cv2.imwrite(str(chunk / "frames" / name / f"{i}.jpg"), np.full((48, 64, 3), 40 * i, np.uint8))
        (chunk / "anno").mkdir(exist_ok=True)
        (chunk / "anno" / f"{name}.txt").write_text("10,12,20,16\n")
    definition = tmp_path / "tn.yaml"
    definition.write_text(yaml.safe_dump({"name": "tn", "format": "trackingnet", "sequences": names,
                                          "experiments": {"ope": {"protocol": "trackingnet"}}}))
    results = tmp_path / "results"
    run = invoke("run", str(definition), "-t", "identity", "--root", str(chunk), "--results", str(results), "-q")
    assert run.exit_code == 0, run.output
    boxes = np.loadtxt(results / "tn" / "identity" / "ope" / "Xyz_1.txt", delimiter=",")
    assert boxes.shape == (7, 4) and (boxes == [10, 12, 20, 16]).all()  # identity: the first box, as given
    packed = invoke("pack", str(definition), "--results", str(results), "-t", "identity", "--root", str(chunk),
                    "-o", str(tmp_path / "tn.zip"))
    assert packed.exit_code == 0, packed.output
    with zipfile.ZipFile(tmp_path / "tn.zip") as archive:
        assert sorted(archive.namelist()) == ["-abc_0.txt", "Xyz_1.txt"]
    shown = invoke("report", str(definition), "--results", str(results), "--root", str(chunk), "-f", "json")
    problems = json.loads(shown.stdout)["trackers"]["identity"]["problems"]
    assert set(problems) == set(names) and "the test split is scored by the server" in problems["Xyz_1"]
    (chunk / "frames" / "Xyz_1" / "3.jpg").unlink()
    broken = invoke("run", str(definition), "-t", "identity", "--root", str(chunk), "--results", str(results), "-q")
    assert broken.exit_code == 2 and "Xyz_1: 1 of frames 0-6 missing (first: 3)" in broken.stderr
