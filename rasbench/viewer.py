"""The viewer (``rasbench show``): one sequence with the ground truth and each tracker's
boxes drawn, for looking at failures. Runs are read, and their per-frame overlaps and
events computed, by the experiment family's scorer (``view_run``); nothing here knows a
family.

Every frame gets a side panel (so nothing covers the target) listing the ground truth
and each tracker with its overlap on that frame, or, for VOT results, the run's events
(initialisation, failure, frames skipped until the reset), and per tracker a strip of
the overlap over the whole sequence with the current frame marked. Regions are drawn
exactly as stored: OTB boxes (1-based) are shifted to pixels, VOT rectangles and rotated
polygons are drawn as polygons; the ground truth is drawn last, dashed, so it stays
visible where a tracker's box lies on it.

Output: a video browsers play -- H.264 (``avc1``) in ``.mp4`` where the installed
OpenCV can encode it, else WebM (VP8, then VP9) beside it as ``.webm`` (the result names
the codec) --, a GIF (Pillow; one adaptive palette for all frames; at most
:data:`GIF_MAX_FRAMES` frames of images at most :data:`GIF_MAX_WIDTH` wide unless a step
or scale is given), or a folder of PNG frames.
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .datasets.images import read_bgr
from .errors import ConfigError, DatasetError
from .evaluation import SCORERS
from .geometry.regions import FAILURE, INITIALIZATION, POLYGON, RECTANGLE, SPECIAL, Regions
from .text import plural

GT_COLOR = (60, 220, 60)  # BGR
FAILURE_COLOR = (40, 40, 255)
# BGR, distinguishable from the ground-truth green, from each other and from the red
# kept for failures
TRACKER_COLORS = ((255, 140, 30), (20, 220, 250), (220, 70, 220), (240, 240, 80), (30, 150, 255), (255, 255, 255),
                  (170, 90, 60), (200, 160, 255), (40, 100, 150), (0, 0, 0))
PANEL_WIDTH = 230
FONT_SCALE = 0.42
LINE = 17  # panel line height in pixels
MAX_SCALE = 8.0  # a 640x480 sequence at 8x is already a 5120x3840 video
# A GIF stores every pixel of every frame (no motion compensation): unless --step and
# --scale say otherwise it takes every n-th frame to stay within GIF_MAX_FRAMES and
# shrinks the image to GIF_MAX_WIDTH (VOT2017 bag, 196 frames of 480x360: 98 frames at 320x240,
# 4.9 MB; every frame at full size with a palette per frame was 24.5 MB).
GIF_MAX_FRAMES = 150
GIF_MAX_WIDTH = 320  # pixels of the sequence image; the side panel is added to it
GIF_COLORS = 255  # one palette index stays free: Pillow marks unchanged pixels transparent with it
GIF_PALETTE_SAMPLES = 8  # frames the GIF's one palette is made from
# (fourcc, file suffix, name) tried in order for a video: what browsers play first. VP8
# before VP9: OpenCV's libvpx VP9 encodes ~5x slower, with no speed setting exposed.
VIDEO_CODECS = {".mp4": (("avc1", ".mp4", "H.264"), ("VP80", ".webm", "VP8"), ("VP90", ".webm", "VP9")),
                ".webm": (("VP80", ".webm", "VP8"), ("VP90", ".webm", "VP9")),
                ".avi": (("MJPG", ".avi", "Motion JPEG"),)}


@dataclass
class Track:
    """One tracker's regions on every frame of the sequence (0-based pixel
    coordinates; special frames where it has none) and, for VOT runs, the codes."""

    name: str
    regions: Regions
    overlaps: np.ndarray  # per frame, NaN where undefined
    codes: np.ndarray  # per frame: -1 region, 0 skipped / no box, 1 initialisation, 2 failure
    problem: str | None = None
    color: tuple = (0, 0, 255)
    events: bool = False  # special frames are protocol events (VOT resets), not missing boxes


@dataclass
class ShowResult:
    path: Path  # as written: a .webm beside an asked-for .mp4 where H.264 is not available
    frames: int
    tracks: list = field(default_factory=list)
    codec: str | None = None  # of a video: "H.264", "VP8", "VP9", "Motion JPEG"
    step: int = 1  # every step-th frame was drawn
    scale: float = 1.0  # of the sequence's images


def check_options(run: int = 1, step: int | None = None, scale: float | None = None,
                  fps: float | None = None) -> None:
    """ConfigError naming the option unless run >= 1, step >= 1, 0 < scale <= MAX_SCALE
    and 0 < fps <= 1000 (None: the default)."""
    if run < 1:
        raise ConfigError(f"--run must be 1 or more (runs are 1-based), got {run}")
    if step is not None and step < 1:
        raise ConfigError(f"--step must be 1 or more, got {step}")
    if scale is not None and not (math.isfinite(scale) and 0 < scale <= MAX_SCALE):
        raise ConfigError(f"--scale must be more than 0 and at most {MAX_SCALE:g}, got {scale:g}")
    if fps is not None and not (math.isfinite(fps) and 0 < fps <= 1000):
        raise ConfigError(f"--fps must be more than 0 and at most 1000, got {fps:g}")


def parse_frames(text: str) -> tuple[int, int]:
    """``"A-B"`` or ``"A"`` (1-based positions, A <= B) as (A, B); ConfigError otherwise."""
    first, sep, last = text.strip().partition("-")
    try:
        span = (int(first), int(last) if sep else int(first))
    except ValueError:
        span = None
    if span is None or not 1 <= span[0] <= span[1]:
        raise ConfigError(f"--frames expects A-B with 1 <= A <= B (1-based frame positions), got {text!r}")
    return span


def load_tracks(benchmark, experiment: str, sequence, tracker_dirs: dict, run: int = 1) -> list[Track]:
    """Each tracker's run ``run`` on ``sequence``, read through the experiment family's
    results layout, with its per-frame overlaps and events (see
    :class:`~rasbench.evaluation.view.TrackView`)."""
    scorer = SCORERS[benchmark.experiment(experiment).family]
    tracks = []
    for index, (name, folder) in enumerate(tracker_dirs.items()):
        view = scorer.view_run(benchmark, experiment, sequence, Path(folder), run)
        tracks.append(Track(name, view.regions, view.overlaps, view.codes, view.problem,
                            TRACKER_COLORS[index % len(TRACKER_COLORS)], view.events))
    return tracks


def _polygon(regions: Regions, i: int) -> np.ndarray | None:
    """The corners of frame ``i``'s region, (K, 2) float, or None."""
    kind = regions.kind[i]
    c = regions.coords[i]
    if kind == RECTANGLE:
        x, y, w, h = c[:4]
        return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
    if kind == POLYGON:
        k = int(regions.points[i])
        return c[:2 * k].reshape(k, 2)
    return None


def _draw_region(image, corners: np.ndarray, scale: float, color, thickness: int) -> None:
    import cv2

    pts = np.round(corners * scale * 16).astype(np.int32).reshape(-1, 1, 2)  # 4 fractional bits
    cv2.polylines(image, [pts], True, color, thickness, cv2.LINE_AA, shift=4)


def _text(image, text: str, org, color=(235, 235, 235), scale: float = FONT_SCALE, bold: bool = False) -> None:
    import cv2

    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 2 if bold else 1, cv2.LINE_AA)


def _overlap_strip(track: Track, width: int, height: int = 8) -> np.ndarray:
    """Overlap over the whole sequence as a colour strip: red (0) to green (1), dark grey
    where undefined, white ticks at failures."""
    n = len(track.overlaps)
    columns = np.minimum((np.arange(width) * n) // max(width, 1), n - 1)
    ov = track.overlaps[columns]
    strip = np.full((height, width, 3), 70, np.uint8)
    ok = np.isfinite(ov)
    value = np.clip(ov[ok], 0, 1)
    strip[:, ok, 2] = (255 * (1 - value)).astype(np.uint8)  # BGR: red channel
    strip[:, ok, 1] = (200 * value).astype(np.uint8)
    strip[:, ok, 0] = 30
    failures = np.flatnonzero(track.codes == FAILURE) if track.events else []
    for f in failures:
        strip[:, min(int(f * width / n), width - 1)] = 255
    return strip


def _event(track: Track, i: int) -> tuple[str, tuple]:
    code = track.codes[i]
    if track.events and code == FAILURE:
        return "FAILURE", FAILURE_COLOR
    if track.events and code == INITIALIZATION:
        return "(re)initialised", (255, 200, 90)
    if track.regions.kind[i] == SPECIAL:
        return ("skipped" if track.events else "no box"), (160, 160, 160)
    ov = track.overlaps[i]
    if not np.isfinite(ov):
        return "IoU -", (200, 200, 200)
    return f"IoU {ov:.2f}", (80, 80, 255) if ov <= 0 else (235, 235, 235)


def _draw_dashed(image, corners: np.ndarray, scale: float, color, thickness: int, dash: float = 5.0,
                 gap: float = 5.0) -> None:
    """A closed polygon as dashes (pixels of the output image), the gaps showing what
    lies under it."""
    import cv2

    points = corners * scale
    for start, end in zip(points, np.roll(points, -1, axis=0)):
        length = float(np.hypot(*(end - start)))
        for offset in np.arange(0.0, length, dash + gap):
            a = start + (end - start) * (offset / length)
            b = start + (end - start) * (min(offset + dash, length) / length)
            cv2.line(image, tuple(np.round(a * 16).astype(int)), tuple(np.round(b * 16).astype(int)), color,
                     thickness, cv2.LINE_AA, shift=4)


def compose_frame(image_bgr: np.ndarray, sequence, truth: Regions, tracks: list[Track], i: int, scale: float,
                  strips: list, title: str) -> np.ndarray:
    """One output frame: the image with every region drawn (the ground truth ``truth``,
    0-based, last and dashed), and the side panel."""
    import cv2

    if scale != 1.0:
        image_bgr = cv2.resize(image_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = image_bgr.shape[:2]
    panel_h = max(h, LINE * (3 + 2 * len(tracks)) + 40)
    canvas = np.zeros((panel_h, w + PANEL_WIDTH, 3), np.uint8)
    canvas[:h, :w] = image_bgr
    for track in tracks:
        corners = _polygon(track.regions, i)
        if corners is not None:
            _draw_region(canvas, corners, scale, track.color, 2)
        elif track.events and track.codes[i] == FAILURE:  # mark the failure on the image too
            cv2.rectangle(canvas, (1, 1), (w - 2, h - 2), FAILURE_COLOR, 2)
    corners = _polygon(truth, i)
    if corners is not None:
        _draw_dashed(canvas, corners, scale, GT_COLOR, 2)
    x0 = w + 8
    y = LINE
    _text(canvas, title[:30], (x0, y), (255, 255, 255))
    y += LINE
    _text(canvas, f"frame {sequence.first_frame + i} ({i + 1}/{len(sequence)})", (x0, y), (200, 200, 200))
    y += LINE + 4
    for dx in (0, 9):  # a dashed swatch, as drawn
        cv2.rectangle(canvas, (x0 + dx, y - 9), (x0 + dx + 5, y + 1), GT_COLOR, -1)
    _text(canvas, "ground truth", (x0 + 20, y))
    strip_w = PANEL_WIDTH - 16
    for track, strip in zip(tracks, strips):
        y += LINE + 2
        cv2.rectangle(canvas, (x0, y - 9), (x0 + 14, y + 1), track.color, -1)
        event, color = _event(track, i)
        label = track.name[:16]
        _text(canvas, label, (x0 + 20, y))
        label_w = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, FONT_SCALE, 1)[0][0]
        _text(canvas, event, (x0 + 28 + label_w, y), color, bold=event == "FAILURE")
        y += 5
        canvas[y:y + strip.shape[0], x0:x0 + strip_w] = strip
        marker = x0 + min(int(i * strip_w / len(sequence)), strip_w - 1)
        canvas[y - 2:y + strip.shape[0] + 2, marker] = (255, 255, 255)
        y += strip.shape[0] + 4
    return canvas


@contextmanager
def _native_stderr_silenced():
    """FFmpeg and OpenCV print every encoder they fail to open straight to file
    descriptor 2; the result line says which codec was used instead."""
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _Video:
    """Frames (BGR) -> a video file; the codec is chosen when the first frame gives the
    size: the first of ``VIDEO_CODECS[suffix]`` the installed OpenCV can open."""

    def __init__(self, path: Path, fps: float):
        self.asked, self.fps = path, fps
        self.path, self.codec, self.writer = path, None, None

    def write(self, frame: np.ndarray) -> None:
        if self.writer is None:
            self._open(frame.shape[1], frame.shape[0])
        self.writer.write(frame)

    def _open(self, width: int, height: int) -> None:
        import cv2

        for fourcc, suffix, name in VIDEO_CODECS[self.asked.suffix.lower()]:
            path = self.asked.with_suffix(suffix)
            with _native_stderr_silenced():
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), self.fps, (width, height))
            if writer.isOpened():
                self.path, self.codec, self.writer = path, name, writer
                return
        names = ", ".join(name for _, _, name in VIDEO_CODECS[self.asked.suffix.lower()])
        raise ConfigError(f"this OpenCV cannot write {self.asked.suffix} video ({names}); use --out x.gif or a "
                          "folder for PNG frames")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()


class _Gif:
    """Frames (BGR) -> an animated GIF with one global adaptive palette (made from
    sample frames given up front) and no dithering, so a frame differs from the one
    before only where the picture does: Pillow then stores just the changed rectangle,
    unchanged pixels in it as transparent (the palette leaves one index free for that)."""

    def __init__(self, path: Path, fps: float, samples: list[np.ndarray]):
        from PIL import Image

        self.path, self.codec, self.fps = path, None, fps
        montage = np.concatenate([f[:, :, ::-1] for f in samples], axis=0)  # BGR -> RGB, stacked
        self.palette = Image.fromarray(montage).quantize(GIF_COLORS, method=Image.Quantize.MEDIANCUT,
                                                         dither=Image.Dither.NONE)
        self.frames = []

    def write(self, frame: np.ndarray) -> None:
        from PIL import Image

        rgb = Image.fromarray(np.ascontiguousarray(frame[:, :, ::-1]))
        self.frames.append(rgb.quantize(palette=self.palette, dither=Image.Dither.NONE))

    def close(self) -> None:
        if self.frames:
            self.frames[0].save(self.path, save_all=True, append_images=self.frames[1:], loop=0, optimize=True,
                                duration=int(round(1000 / self.fps)), palette=self.palette.getpalette())


class _Frames:
    """Frames (BGR) -> numbered PNG files in a folder."""

    def __init__(self, path: Path):
        path.mkdir(parents=True, exist_ok=True)
        self.path, self.codec, self.count = path, None, 0

    def write(self, frame: np.ndarray) -> None:
        import cv2

        self.count += 1
        cv2.imwrite(str(self.path / f"{self.count:05d}.png"), frame)

    def close(self) -> None:
        pass


def show_sequence(benchmark, experiment: str, sequence, tracker_dirs: dict, out: Path, run: int = 1,
                  frames: tuple[int, int] | None = None, step: int | None = None, scale: float | None = None,
                  fps: float | None = None) -> ShowResult:
    """Render ``sequence`` (with images) and the trackers' regions to ``out``.

    ``frames``: (first, last) 1-based positions within the sequence, inclusive; ``step``:
    every step-th frame; ``scale``: of the images. None: 1, or for a GIF the least step
    that keeps it within :data:`GIF_MAX_FRAMES` and the scale that fits the images in
    :data:`GIF_MAX_WIDTH`."""
    check_options(run, step, scale, fps)
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix and suffix not in VIDEO_CODECS and suffix != ".gif":
        raise ConfigError(f"unknown output type {out.suffix!r}: use .mp4, .webm, .avi, .gif or a folder for PNG "
                          "frames")
    if not sequence.has_images:
        raise DatasetError(f"{sequence.name}: `show` needs the images; give --root with the dataset",
                           sequence.source)
    scorer = SCORERS[benchmark.experiment(experiment).family]
    runs = scorer.run_count(benchmark, experiment, sequence)
    if run > runs:
        raise ConfigError(f"--run {run}: {experiment} makes {plural(runs, 'run')} of {sequence.name}")
    tracks = load_tracks(benchmark, experiment, sequence, tracker_dirs, run)
    truth = scorer.groundtruth_regions(sequence)
    n = len(sequence)
    first, last = frames or (1, n)
    if not (1 <= first <= last <= n):
        raise ConfigError(f"frames {first}-{last} are outside 1-{n} for {sequence.name}")
    if step is None:
        step = math.ceil((last - first + 1) / GIF_MAX_FRAMES) if suffix == ".gif" else 1
    if scale is None:
        width = sequence.image_size[0] if sequence.image_size else read_bgr(sequence.frame_paths[0]).shape[1]
        scale = min(1.0, GIF_MAX_WIDTH / width) if suffix == ".gif" else 1.0
    positions = range(first - 1, last, step)
    strips = [_overlap_strip(t, PANEL_WIDTH - 16) for t in tracks]
    title = f"{benchmark.name} {sequence.name} {experiment}" + (f" run {run}" if run != 1 else "")

    def frame(i: int) -> np.ndarray:
        return compose_frame(read_bgr(sequence.frame_paths[i]), sequence, truth, tracks, i, scale, strips, title)

    if suffix == ".gif":
        sample = positions[::max(1, math.ceil(len(positions) / GIF_PALETTE_SAMPLES))]
        writer = _Gif(out, fps or 10.0, [frame(i) for i in sample])
    elif suffix:
        writer = _Video(out, fps or 25.0)
    else:
        writer = _Frames(out)
    count = 0
    try:
        for i in positions:
            writer.write(frame(i))
            count += 1
    finally:
        writer.close()
    return ShowResult(writer.path, count, tracks, writer.codec, step, scale)
