"""`rasbench show`: frames with the ground truth and trackers' regions drawn, as MP4,
GIF or PNG frames; OTB and VOT results, VOT events (initialisation, failure)."""
import zipfile

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import invoke
from rasbench.cli import main
from rasbench.datasets import open_dataset
from rasbench.results import find_tracker_dirs
from rasbench.show import FAILURE_COLOR, GT_COLOR, TRACKER_COLORS, load_tracks, show_sequence
from report_fixtures import run_vot_trackers, tiny_vot


def _has_color(image_bgr, color, tolerance=40) -> bool:
    return bool(np.any(np.all(np.abs(image_bgr.astype(int) - color) < tolerance, axis=2)))


def test_otb_sequence_to_gif_mp4_and_png_frames(otb, tmp_path):
    bench, root, folder = otb
    seq = open_dataset(bench, root=root, sequences=["Alpha"])["Alpha"]
    dirs = find_tracker_dirs([folder], "tiny", "ope", ["brightbox", "identity"])
    gif = show_sequence(bench, "ope", seq, dirs, tmp_path / "alpha.gif")
    assert gif.frames == 30 and [t.problem for t in gif.tracks] == [None, None]
    with Image.open(tmp_path / "alpha.gif") as image:
        assert image.n_frames == 30
    # BrightBox finds the box, identity stays where it started: overlap falls
    bright, identity = gif.tracks
    assert np.nanmin(bright.overlaps) > 0.5 and identity.overlaps[-1] < identity.overlaps[1]
    mp4 = show_sequence(bench, "ope", seq, dirs, tmp_path / "alpha.mp4", frames=(5, 24), step=2)
    video = cv2.VideoCapture(str(tmp_path / "alpha.mp4"))
    assert mp4.frames == 10 and int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 10
    video.release()
    frames = show_sequence(bench, "ope", seq, dirs, tmp_path / "frames", frames=(20, 20), scale=2.0)
    png = cv2.imread(str(tmp_path / "frames" / "00001.png"))
    assert frames.frames == 1 and png.shape[0] >= 96 and png.shape[1] > 128  # 64x48 frame at scale 2 + panel
    image = png[:96, :128]
    assert _has_color(image, GT_COLOR) and _has_color(image, TRACKER_COLORS[0])


def test_tre_run_is_aligned_to_the_end_of_the_sequence(otb, tmp_path):
    bench, root, folder = otb
    seq = open_dataset(bench, root=root, sequences=["Alpha"])["Alpha"]
    dirs = find_tracker_dirs([folder], "tiny", "tre", ["identity"])
    from rasbench.protocols.otb import expected_lengths

    lengths = expected_lengths(seq, "tre", bench.experiment("tre").options, "first_tre_start")
    last = lengths[-1]
    tracks = load_tracks(bench, "tre", seq, dirs, run=len(lengths))  # the last segment starts late
    drawn = np.flatnonzero(tracks[0].regions.kind != 0)
    assert tracks[0].problem is None and last < len(seq)
    assert drawn[0] == len(seq) - last and drawn[-1] == len(seq) - 1
    missing = load_tracks(bench, "tre", seq, dirs, run=99)
    assert "no result file" in missing[0].problem


def test_vot_failures_and_resets_are_marked(tmp_path):
    bench, root = tiny_vot(tmp_path)
    folder = run_vot_trackers(bench, root, tmp_path / "res", ("baseline",))
    seq = open_dataset(bench, root=root, sequences=["alpha"], experiment="baseline")["alpha"]
    dirs = find_tracker_dirs([folder], "tinyvot", "baseline", ["loseafter"])
    result = show_sequence(bench, "baseline", seq, dirs, tmp_path / "frames")
    track = result.tracks[0]
    failures = np.flatnonzero(track.codes == 2)
    assert len(failures) >= 1 and track.codes[0] == 1 and track.codes[failures[0] + 5] == 1  # reset 5 later
    frame = cv2.imread(str(tmp_path / "frames" / f"{failures[0] + 1:05d}.png"))
    assert _has_color(frame[:48, :64], FAILURE_COLOR, 30)  # the failure frame is framed in red


def test_show_command(otb, tmp_path):
    bench, root, folder = otb
    out = tmp_path / "beta.gif"
    run = invoke("show", bench.path, "Beta", "--root", root, "--results", folder.parent, "-t", "identity",
                 "--frames", "3-12", "-o", out)
    assert run.exit_code == 0, run.output
    assert "10 frames" in run.output and out.is_file()
    bad = CliRunner().invoke(main, [str(a) for a in ("show", bench.path, "Beta", "--root", root, "--results",
                                                       folder.parent, "--frames", "20-99", "-o", out)])
    assert bad.exit_code == 2 and "outside 1-24" in bad.output
    no_images = CliRunner().invoke(main, ["show", str(bench.path), "Nope", "--root", str(root)])
    assert no_images.exit_code == 2


def test_vot2017_bag_with_the_shared_raw_results(shared_data, tmp_path):
    from rasbench.benchmarks import load_benchmark

    with zipfile.ZipFile(shared_data / "vot2017/results/DaSiamRPN_vot2018_rerun_HonglinChu.zip") as z:
        z.extractall(tmp_path)
    run = invoke("show", "vot2017", "bag", "-e", "baseline", "--root", shared_data / "sequences/vot2017",
                 "--results", shared_data / "vot2017/results", "--results", tmp_path / "VOT2018",
                 "--frames", "190-196", "-o", tmp_path / "bag")
    assert run.exit_code == 0, run.output
    assert "Ocean_vot2018: bag_001.txt has 195 lines, 196 expected" in run.output  # drawn, and said
    assert len(list((tmp_path / "bag").glob("*.png"))) == 7
    bench = load_benchmark("vot2017")
    seq = open_dataset(bench, root=shared_data / "sequences/vot2017", sequences=["bag"], experiment="baseline")["bag"]
    dirs = find_tracker_dirs([tmp_path / "VOT2018"], "vot2017", "baseline")
    track = load_tracks(bench, "baseline", seq, dirs)[0]
    assert track.codes[0] == 1 and np.nanmean(track.overlaps) > 0.5
