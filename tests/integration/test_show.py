"""`rasbench show`: frames with the ground truth and trackers' regions drawn, as MP4,
GIF or PNG frames; OTB and VOT results, VOT events (initialisation, failure)."""

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import REPO, invoke
from PIL import Image
from report_fixtures import run_vot_trackers, tiny_vot

from rasbench.cli import main
from rasbench.datasets import open_dataset
from rasbench.results.discovery import find_tracker_dirs
from rasbench.viewer import FAILURE_COLOR, GT_COLOR, TRACKER_COLORS, load_tracks, show_sequence


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
    video = cv2.VideoCapture(str(mp4.path))  # alpha.mp4, or alpha.webm where OpenCV has no H.264
    decoded = 0
    while video.read()[0]:
        decoded += 1
    assert mp4.frames == 10 and decoded == 10
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

    lengths = expected_lengths(seq, bench.experiment("tre").settings, "first_tre_start")
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


def _one_line_error(result, phrase):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], result.output


def test_bad_option_values_are_one_clear_error(otb, tmp_path):
    bench, root, folder = otb
    base = ["show", str(bench.path), "Beta", "--root", str(root), "--results", str(folder.parent), "-o",
            str(tmp_path / "x.gif")]
    for option, value in (("--scale", "0"), ("--scale", "-1"), ("--scale", "nan"), ("--scale", "inf"),
                          ("--scale", "1000"), ("--step", "0"), ("--step", "-2"), ("--fps", "0"), ("--fps", "-5"),
                          ("--fps", "nan"), ("--frames", "0-5"), ("--frames", "5-3"), ("--frames", "a-b"),
                          ("--frames", "-3"), ("--run", "0")):
        _one_line_error(CliRunner().invoke(main, base + [option, value]), option)
    assert not (tmp_path / "x.gif").exists()


def test_videos_play_in_browsers_and_say_their_codec(otb, tmp_path):
    bench, root, folder = otb
    seq = open_dataset(bench, root=root, sequences=["Alpha"])["Alpha"]
    dirs = find_tracker_dirs([folder], "tiny", "ope", ["brightbox", "identity"])
    result = show_sequence(bench, "ope", seq, dirs, tmp_path / "alpha.mp4")
    assert result.codec in ("H.264", "VP9", "VP8")
    assert result.path.suffix == (".mp4" if result.codec == "H.264" else ".webm") and result.path.is_file()
    video = cv2.VideoCapture(str(result.path))
    fourcc = int(video.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode("ascii", "replace").lower()
    frames = 0
    while video.read()[0]:
        frames += 1
    video.release()
    assert frames == 30 and fourcc in ("avc1", "h264", "vp90", "vp80", "vp09", "vp08"), fourcc
    run = invoke("show", bench.path, "Alpha", "--root", root, "--results", folder.parent, "-o", tmp_path / "a.mp4")
    assert run.exit_code == 0 and f"({result.codec}" in run.output, run.output


def test_gif_has_one_palette_and_a_sane_size(otb, tmp_path, monkeypatch):
    bench, root, folder = otb
    seq = open_dataset(bench, root=root, sequences=["Alpha"])["Alpha"]
    dirs = find_tracker_dirs([folder], "tiny", "ope", ["brightbox", "identity"])
    result = show_sequence(bench, "ope", seq, dirs, tmp_path / "alpha.gif")
    size = (tmp_path / "alpha.gif").stat().st_size
    from PIL import GifImagePlugin

    monkeypatch.setattr(GifImagePlugin, "LOADING_STRATEGY",  # a frame is "P" unless its palette differs
                        GifImagePlugin.LoadingStrategy.RGB_AFTER_DIFFERENT_PALETTE_ONLY)
    with Image.open(tmp_path / "alpha.gif") as image:
        width, height = image.size
        palettes = set()
        for k in range(image.n_frames):
            image.seek(k)
            palettes.add(bytes(image.getpalette() or b""))
    assert result.frames == 30 and len(palettes) == 1
    assert size < 0.08 * width * height * result.frames, size  # < 0.08 bytes a pixel


def test_long_or_large_gifs_take_every_nth_frame_and_shrink(otb, tmp_path, monkeypatch):
    from rasbench import viewer as show

    bench, root, folder = otb
    monkeypatch.setattr(show, "GIF_MAX_FRAMES", 10)
    monkeypatch.setattr(show, "GIF_MAX_WIDTH", 32)
    seq = open_dataset(bench, root=root, sequences=["Alpha"])["Alpha"]
    dirs = find_tracker_dirs([folder], "tiny", "ope", ["identity"])
    result = show_sequence(bench, "ope", seq, dirs, tmp_path / "alpha.gif")
    assert (result.frames, result.step, result.scale) == (10, 3, 0.5)  # 30 frames, every 3rd; 64 px wide, halved
    with Image.open(tmp_path / "alpha.gif") as image:
        assert image.width == 32 + show.PANEL_WIDTH
    asked = show_sequence(bench, "ope", seq, dirs, tmp_path / "b.gif", step=2, scale=1.0)
    assert (asked.frames, asked.scale) == (15, 1.0)  # as asked
    video = show_sequence(bench, "ope", seq, dirs, tmp_path / "frames")
    assert (video.frames, video.step, video.scale) == (30, 1, 1.0)  # only GIFs are thinned


def test_ground_truth_stays_visible_under_a_tracker_box(otb, tmp_path):
    bench, root, folder = otb
    seq = open_dataset(bench, root=root, sequences=["Alpha"])["Alpha"]
    dirs = find_tracker_dirs([folder], "tiny", "ope", ["identity"])  # frame 1: exactly the ground truth
    show_sequence(bench, "ope", seq, dirs, tmp_path / "frames", frames=(1, 1))
    image = cv2.imread(str(tmp_path / "frames" / "00001.png"))[:48, :64].astype(int)
    x, y, w, h = 9, 7, 16, 12  # the 0-based ground truth of frame 1
    ring = np.zeros(image.shape[:2], bool)
    ring[y - 1:y + h + 2, x - 1:x + w + 2] = True
    ring[y + 2:y + h - 2, x + 2:x + w - 2] = False

    def share(color):
        return np.mean(np.all(np.abs(image[ring] - color) < 40, axis=1))

    assert share(GT_COLOR) > 0.2 and share(TRACKER_COLORS[0]) > 0.1


def test_pillow_is_a_declared_dependency():
    import configparser
    import re

    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    assert re.search(r"^\s*pillow\b", config["options"]["install_requires"], re.M | re.I)


def test_an_unreadable_frame_is_one_clear_error(otb, tmp_path):
    import shutil

    from rasbench.errors import DatasetError

    bench, root, folder = otb
    copy = tmp_path / "root"
    shutil.copytree(root, copy)
    seq = open_dataset(bench, root=copy, sequences=["Alpha"])["Alpha"]
    seq.frame_paths[4].write_bytes(b"")  # a 0-byte JPEG: OpenCV raises instead of returning None
    dirs = find_tracker_dirs([folder], "tiny", "ope", ["identity"])
    with pytest.raises(DatasetError, match="cannot be decoded") as error:
        show_sequence(bench, "ope", seq, dirs, tmp_path / "frames", frames=(1, 10))
    assert seq.frame_paths[4].name in str(error.value)
