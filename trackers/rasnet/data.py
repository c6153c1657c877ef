"""RASNet training data: video readers, pair sampling, SiamFC crops, labels (spec section 4).

Videos and tracks
-----------------
Every source becomes a list of :class:`Video`, each holding one or more :class:`Track`
(one target). A track keeps only its usable frames: their original frame numbers
(increasing), boxes ``[x, y, w, h]`` in rasbench's 0-based continuous pixel coordinates
(pixel (col k, row l) covers [k, k+1) x [l, l+1)), and each frame's image, either a file
path or encoded JPEG bytes (the in-memory synthetic source).

Sources, named by ``KIND:PATH`` strings (:func:`open_source`):

* ``got10k:ROOT``: GOT-10k train layout, ``ROOT[/train]/<video>/00000001.jpg``,
  ``groundtruth.txt`` (x,y,w,h per frame), and where present ``absence.label`` (1 =
  absent), ``cover.label`` (visible fraction in eighths) and ``meta_info.ini``
  (``resolution``). ``list.txt`` fixes the video list when present.
* ``vid:ROOT``: ILSVRC2015-VID, ``ROOT/Data/VID/{train,val}/<snippet>/<frame>.JPEG`` with
  ``ROOT/Annotations/VID/{train,val}/<snippet>/<frame>.xml`` (snippets may sit one folder
  deeper, as in the real train split). Each ``trackid`` of a snippet is a target; the
  inclusive pixel box [xmin, xmax] becomes x = xmin, w = xmax - xmin + 1. The parsed
  index is cached under rasbench's cache folder, per snippet, keyed by its file count and
  folder time stamp, since parsing a million XML files takes minutes.
* ``synth:`` | ``synth:SEEDS``: the synthetic benchmark's sequences (experiments/synth.yaml)
  rendered in memory with training seeds (``synth:`` = seeds 1-4; ``synth:7``,
  ``synth:1-8``, ``synth:1,5,9``), held JPEG-encoded (quality 90: a quarter of the memory
  of the lossless PNG files the benchmark itself stores). The benchmark's own seed (the
  evaluation data) is refused.
* ``synth:DIR``: a folder written by ``rasbench synth --out DIR --seed N`` (its ``otb/``
  layout; 1-based OTB boxes shifted to 0-based). The evaluation seed is refused here too.

Curation: GOT-10k and VID frames pass SiamFC's filter (siamfc-pytorch's GOT-10k rules:
area >= 20 px, sides in [20, 500] px and within 1-50 % of the image side, aspect in
[1/4, 4], visibility > max(1, 0.3 * best) where known). Synthetic boxes are exact and
pass unfiltered. Problems, never fatal, are reported as :class:`DataWarning` naming
the video or file: an empty video (no images or no boxes), an unreadable annotation file,
boxes that are degenerate (non-finite, w or h <= 0) or lie entirely outside the image
(those frames are dropped), and at training time unreadable images (the pair is
redrawn; the training loop counts them per epoch).

Pairs
-----
:class:`PairDataset` maps a key ``(epoch, index)`` to one pair, drawing everything from
``numpy.random.default_rng([seed, stream, epoch, index, attempt])``: a video uniformly,
one of its targets uniformly, an exemplar frame uniformly among those with a partner,
then the search frame uniformly among the same target's frames ``0 < |i - j| <= max_gap``
frame numbers away (both directions, as SiamFC's MATLAB ``choose_pos_pair``). A pair
therefore depends on nothing but its key, whichever worker makes it and whether the run
was resumed. ``attempt`` > 0 redraws a pair whose image could not be read.

Crops (the tracker's geometry, spec 3.1 and 4.3): context p = 0.5 (w + h),
s_z = sqrt((w + p)(h + p)), one crop pixel = s_z / 127 frame pixels. Both images are cut
from their own box's "255 context crop" (side s_x = 255 s_z / 127), stretched by
1 + U(-0.05, 0.05) (independently for z and x), centre-cropped to 247 and randomly
cropped to 239 (+-4 px, integer), after which z is centre-cropped to 127. This chain is
applied as one bilinear affine warp per image from the frame, with the frame's mean
colour outside it: output pixel i (0-based) samples the frame at
``centre + (s_z / 127) / stretch * (i + 0.5 - n / 2 + shift)``, which is exactly the
tracker's crop (pixel centres at ``cx - s/2 + (i + 0.5) s/n``) when stretch = 1 and
shift = 0. Validation pairs use those centred, unstretched crops. Colour jitter (on by
default) adds a per-image RGB offset along the ImageNet PCA axes (AlexNet's
"lighting"); SiamFC's MATLAB code used its own dataset's RGB statistics, which are not
available here. Crops travel as RGB uint8 CHW; the network gets them as raw 0-255 floats.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import warnings
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from hashlib import sha1
from multiprocessing import get_context
from pathlib import Path

import cv2
import numpy as np
import torch

from rasbench.datasets.images import numbered_images
from rasbench.errors import ConfigError, DatasetError
from rasbench.paths import atomic_write_bytes, cache_dir

from .model import EXEMPLAR_SIZE, INSTANCE_SIZE, TOTAL_STRIDE

log = logging.getLogger("rasbench.train")

#: Training search crop: 255 - 2 * stride, so the response is 15x15 instead of 17x17.
SEARCH_SIZE = INSTANCE_SIZE - 2 * TOTAL_STRIDE
RESPONSE_SIZE = (SEARCH_SIZE - EXEMPLAR_SIZE) // TOTAL_STRIDE + 1
CONTEXT = 0.5
POSITIVE_RADIUS = 16.0  # px in the search crop (SiamFC's rPos)
STRETCH_MARGIN = 8  # centre-crop 247 of the stretched 255 crop: +-4 px of translation room

DEFAULT_SYNTH_SEEDS = (1, 2, 3, 4)
SYNTH_JPEG_QUALITY = 90  # in-memory synthetic training frames
SOURCE_KINDS = ("got10k", "vid", "synth")
MAX_ATTEMPTS = 50  # redraws of a pair whose images cannot be read, before giving up

# AlexNet's ImageNet RGB PCA (eigenvalues as std of 0-1 intensities, eigenvectors as columns).
_PCA_EIGVAL = np.array([0.2175, 0.0188, 0.0045])
_PCA_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009],
                        [-0.5808, -0.0045, -0.8140],
                        [-0.5836, -0.6948, 0.4203]])
_GREY = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # RGB luma weights


class DataWarning(UserWarning):
    """A piece of training data was skipped (the message names it)."""


def _warn(message: str) -> None:
    warnings.warn(message, DataWarning, stacklevel=3)


def fork_safe_opencv() -> None:
    """Make OpenCV single-threaded, as it must be before this process forks workers.

    OpenCV's pthreads pool does not survive fork(): a child that touches it (even to call
    ``cv2.setNumThreads``) waits forever for the parent's pool threads. Shrinking the
    pool in the parent joins those threads first. Loader processes and the network use
    the cores anyway.
    """
    cv2.setNumThreads(1)


# ----------------------------------------------------------------------------- videos

@dataclass
class Track:
    """One target's usable frames.

    ``frames`` (n,) int64 original frame numbers, increasing; ``boxes`` (n, 4) float64
    ``[x, y, w, h]`` 0-based; ``images`` n file paths (str) or encoded images (bytes).
    """

    name: str
    frames: np.ndarray
    boxes: np.ndarray
    images: list

    def image_bgr(self, position: int) -> np.ndarray | None:
        """Decoded BGR uint8 image of frame ``position`` (an index into ``frames``); None if unreadable."""
        item = self.images[position]
        if isinstance(item, bytes):
            data = np.frombuffer(item, np.uint8)
        else:
            try:
                data = np.fromfile(item, np.uint8)
            except OSError:
                return None
        return cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None

    def describe(self, position: int) -> str:
        item = self.images[position]
        return item if isinstance(item, str) else f"{self.name} frame {int(self.frames[position])}"


@dataclass
class Video:
    """A sequence and its targets (GOT-10k and the synthetic sets: one; VID: one per trackid)."""

    name: str
    tracks: list[Track] = field(default_factory=list)


@dataclass(frozen=True)
class Curation:
    """SiamFC's frame filter (siamfc-pytorch, GOT-10k): keep reasonably sized, visible targets."""

    min_area: float = 20.0
    min_side: float = 20.0
    max_side: float = 500.0
    min_relative: float = 0.01  # side / image side
    max_relative: float = 0.5
    max_aspect: float = 4.0
    min_cover: float = 0.3  # visibility > max(1, min_cover * the video's best)

    def keep(self, boxes: np.ndarray, image_size, cover: np.ndarray | None) -> np.ndarray:
        w, h = boxes[:, 2], boxes[:, 3]
        relative = boxes[:, 2:] / np.asarray(image_size, dtype=np.float64)
        aspect = w / np.maximum(h, 1.0)
        mask = ((w * h >= self.min_area) & (np.minimum(w, h) >= self.min_side) & (np.maximum(w, h) <= self.max_side)
                & np.all(relative >= self.min_relative, axis=1) & np.all(relative <= self.max_relative, axis=1)
                & (aspect >= 1.0 / self.max_aspect) & (aspect <= self.max_aspect))
        if cover is not None and len(cover):
            mask &= cover > max(1.0, self.min_cover * float(cover.max()))
        return mask


def _frame_list(numbers: Iterable[int], limit: int = 5) -> str:
    numbers = [int(n) for n in numbers]
    shown = ", ".join(map(str, numbers[:limit]))
    return shown + (f", ... ({len(numbers)} in all)" if len(numbers) > limit else "")


def make_track(name: str, frames, boxes, images: list, image_size, *, curation: Curation | None = None,
               cover: np.ndarray | None = None) -> Track | None:
    """A track of the frames worth sampling, or None when none is left.

    Frames whose box is degenerate (non-finite, w or h <= 0) or does not overlap the
    ``image_size`` (w, h) image are dropped with a warning; ``curation`` then drops
    frames silently (normal data curation, not a fault).
    """
    frames = np.asarray(frames, dtype=np.int64)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(frames) == 0:
        _warn(f"skipping {name}: empty (no frames with both an image and a box)")
        return None
    width, height = image_size
    finite = np.all(np.isfinite(boxes), axis=1)
    safe = np.where(finite[:, None], boxes, 0.0)
    degenerate = ~finite | (safe[:, 2] <= 0) | (safe[:, 3] <= 0)
    outside = ~degenerate & ((safe[:, 0] >= width) | (safe[:, 1] >= height)
                             | (safe[:, 0] + safe[:, 2] <= 0) | (safe[:, 1] + safe[:, 3] <= 0))
    for mask, what in ((degenerate, "degenerate boxes"), (outside, f"boxes outside the {width}x{height} image")):
        if mask.any():
            _warn(f"{name}: skipping frame(s) {_frame_list(frames[mask])} with {what}")
    keep = ~(degenerate | outside)
    if curation is not None:
        keep &= curation.keep(safe, image_size, None if cover is None else np.asarray(cover, np.float64))
    if not keep.any():
        if (degenerate | outside).all():
            _warn(f"skipping {name}: no frame has a usable box")
        return None
    kept = np.flatnonzero(keep)
    return Track(name, frames[kept], boxes[kept], [images[k] for k in kept])


def _header_size(path) -> tuple[int, int] | None:
    """(width, height) from an image's header only (Pillow reads no pixels), or None."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size
    except Exception:  # any unreadable or non-image file
        return None


def _first_size(paths: Iterable) -> tuple[int, int] | None:
    for path in paths:
        size = _header_size(path)
        if size is not None:
            return size
    return None


def _read_labels(path: Path, count: int, name: str) -> np.ndarray | None:
    """One number per line (GOT-10k absence/cover labels); None when absent or malformed."""
    if not path.is_file():
        return None
    try:
        values = np.array([float(v) for v in path.read_text().split()])
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        _warn(f"{name}: ignoring unreadable {path.name} ({exc})")
        return None
    if len(values) != count:
        _warn(f"{name}: ignoring {path.name}: {len(values)} values for {count} boxes")
        return None
    return values


# ----------------------------------------------------------------------------- GOT-10k

_RESOLUTION = re.compile(r"^\s*resolution\s*:\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)", re.MULTILINE)


def _got10k_folder(root: Path) -> Path:
    for candidate in (root, root / "train"):
        if candidate.is_dir() and ((candidate / "list.txt").is_file()
                                   or any((d / "groundtruth.txt").is_file() for d in candidate.iterdir())):
            return candidate
    raise DatasetError("no GOT-10k videos here (folders holding groundtruth.txt, or list.txt)", root)


def got10k_videos(root) -> list[Video]:
    """Every GOT-10k video under ``root`` (the train folder or its parent), one target each."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DatasetError("GOT-10k folder does not exist", root)
    folder = _got10k_folder(root)
    listing = folder / "list.txt"
    names = (listing.read_text().split() if listing.is_file()
             else sorted(d.name for d in folder.iterdir() if d.is_dir()))
    curation = Curation()
    videos = []
    for name in names:
        track = _got10k_track(folder / name, f"got10k:{name}", curation)
        if track is not None:
            videos.append(Video(track.name, [track]))
    log.info("got10k:%s: %d of %d videos usable", root, len(videos), len(names))
    return videos


def _got10k_track(folder: Path, name: str, curation: Curation) -> Track | None:
    from rasbench.datasets.textio import read_rows

    images = numbered_images(folder)
    gt_path = folder / "groundtruth.txt"
    if not images or not gt_path.is_file():
        _warn(f"skipping {name}: empty ({'no images' if not images else 'no groundtruth.txt'} in {folder})")
        return None
    try:
        boxes = read_rows(gt_path, 4)
    except DatasetError as exc:
        _warn(f"skipping {name}: {exc}")
        return None
    frames = np.arange(1, len(boxes) + 1)  # line k is image k (1-based file names)
    have = np.array([f in images for f in frames], dtype=bool)
    if len(boxes) and not have.all():
        _warn(f"{name}: frame(s) {_frame_list(frames[~have])} have a box but no image; skipped")
    absence = _read_labels(folder / "absence.label", len(boxes), name)
    cover = _read_labels(folder / "cover.label", len(boxes), name)
    present = have if absence is None else have & (absence == 0)
    meta = folder / "meta_info.ini"
    match = _RESOLUTION.search(meta.read_text(errors="replace")) if meta.is_file() else None
    size = (int(match[1]), int(match[2])) if match else _first_size(images[f] for f in frames[present])
    if size is None:
        _warn(f"skipping {name}: none of its images can be read")
        return None
    keep = np.flatnonzero(present)
    return make_track(name, frames[keep], boxes[keep], [str(images[f]) for f in frames[keep]], size,
                      curation=curation, cover=None if cover is None else cover[keep])


# ----------------------------------------------------------------------------- ILSVRC2015-VID

def _vid_root(root: Path) -> Path:
    for candidate in (root, root / "ILSVRC2015", root / "ILSVRC"):
        if (candidate / "Annotations" / "VID").is_dir():
            return candidate
    raise DatasetError("no ILSVRC2015-VID layout here (Annotations/VID/ and Data/VID/)", root)


def _vid_snippets(annotations: Path) -> list[Path]:
    """Folders holding .xml files, at any depth (train nests snippets one level deeper)."""
    found = []
    for directory, _, files in os.walk(annotations):
        if any(f.endswith(".xml") for f in files):
            found.append(Path(directory))
    return sorted(found)


def _parse_vid_snippet(folder: str) -> dict:
    """{"size": [w, h] | None, "tracks": {trackid: [[frame, x, y, w, h], ...]}, "bad": [file, ...]}."""
    size, tracks, bad = None, {}, []
    for file in sorted(f for f in os.listdir(folder) if f.endswith(".xml")):
        try:
            root = ET.parse(os.path.join(folder, file)).getroot()
            frame = int(Path(file).stem)
            size_node = root.find("size")
            if size_node is not None and size is None:
                size = [int(size_node.findtext("width")), int(size_node.findtext("height"))]
            for obj in root.iter("object"):
                box = obj.find("bndbox")
                x0, y0, x1, y1 = (float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
                tracks.setdefault(obj.findtext("trackid").strip(), []).append(
                    [frame, x0, y0, x1 - x0 + 1.0, y1 - y0 + 1.0])  # inclusive pixel indices
        except (ET.ParseError, AttributeError, TypeError, ValueError, OSError):
            bad.append(file)
    return {"size": size, "tracks": tracks, "bad": bad}


def _snippet_stamp(folder: Path) -> list[int]:
    return [sum(1 for f in os.listdir(folder) if f.endswith(".xml")), folder.stat().st_mtime_ns]


def _vid_index(annotations: Path, processes: int) -> dict[str, dict]:
    """Parsed snippets by relative path, reusing the cache for snippets whose stamp is unchanged."""
    cache = cache_dir() / "train-index" / f"vid-{sha1(str(annotations.resolve()).encode()).hexdigest()[:16]}.json"
    try:
        cached = json.loads(cache.read_text())
    except (OSError, ValueError):
        cached = {}
    index, todo = {}, []
    for folder in _vid_snippets(annotations):
        key = folder.relative_to(annotations).as_posix()
        stamp = _snippet_stamp(folder)
        entry = cached.get(key)
        if isinstance(entry, dict) and entry.get("stamp") == stamp:
            index[key] = entry
        else:
            todo.append((key, folder, stamp))
    if todo:
        log.info("parsing %d VID annotation folders (cached for next time in %s)", len(todo), cache)
        folders = [str(folder) for _, folder, _ in todo]
        if processes > 1:
            with ProcessPoolExecutor(processes, mp_context=get_context("fork")) as pool:
                parsed = list(pool.map(_parse_vid_snippet, folders, chunksize=8))
        else:
            parsed = [_parse_vid_snippet(folder) for folder in folders]
        for (key, _, stamp), entry in zip(todo, parsed):
            index[key] = {**entry, "stamp": stamp}
        atomic_write_bytes(cache, json.dumps(index).encode("utf-8"), durable=False)  # a cache: torn is a miss
    return index


def vid_videos(root, processes: int = 1) -> list[Video]:
    """Every snippet of ILSVRC2015-VID train and val (when present); each trackid is a target."""
    root = _vid_root(Path(root).expanduser())
    curation = Curation()
    videos = []
    for subset in ("train", "val"):
        annotations = root / "Annotations" / "VID" / subset
        if not annotations.is_dir():
            continue
        for key, entry in sorted(_vid_index(annotations, processes).items()):
            name = f"vid:{subset}/{key}"
            for file in entry["bad"]:
                _warn(f"{name}: skipping unreadable annotation {annotations / key / file}")
            if not entry["tracks"] or entry["size"] is None:
                _warn(f"skipping {name}: empty (no annotated object)")
                continue
            data = root / "Data" / "VID" / subset / key
            tracks = []
            for trackid, rows in sorted(entry["tracks"].items()):
                rows = np.array(sorted(rows), dtype=np.float64)
                frames = rows[:, 0].astype(np.int64)
                images = [str(data / f"{frame:06d}.JPEG") for frame in frames]
                track = make_track(f"{name}#{trackid}", frames, rows[:, 1:], images, entry["size"],
                                   curation=curation)
                if track is not None:
                    tracks.append(track)
            if tracks:
                videos.append(Video(name, tracks))
    if not videos:
        raise DatasetError("no usable VID snippets (Annotations/VID/train or val with .xml files)", root)
    log.info("vid:%s: %d usable snippets", root, len(videos))
    return videos


# ----------------------------------------------------------------------------- synthetic

def _synth_benchmark():
    from rasbench.config.benchmarks import load_benchmark

    return load_benchmark("synth")


def _check_training_seed(seed: int, where: str) -> None:
    evaluation = _synth_benchmark().generator.get("seed")
    if seed == evaluation:
        raise ConfigError(f"{where}: seed {seed} is the synthetic benchmark's evaluation seed; "
                          f"train on other seeds (for example synth:1-4)")


def _render_video(job: tuple[dict, tuple[int, int], int]) -> tuple[np.ndarray, list[bytes]]:
    """(boxes (n, 4), JPEG bytes per frame) of one synthetic sequence."""
    from rasbench.datasets.synthetic import render_sequence

    entry, image_size, seed = job
    boxes, images = [], []
    for frame in render_sequence(entry, image_size, seed):
        ok, data = cv2.imencode(".jpg", cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR),
                                [cv2.IMWRITE_JPEG_QUALITY, SYNTH_JPEG_QUALITY])
        if not ok:
            raise DatasetError(f"JPEG encoding failed for synthetic sequence {entry['name']}")
        boxes.append(frame.box)
        images.append(data.tobytes())
    return np.array(boxes), images


@dataclass(frozen=True)
class SynthSource:
    """Synthetic sequences rendered in memory with training ``seeds``.

    ``entries``: sequence definitions in experiments/synth.yaml's format (default: that
    benchmark's sequences); ``image_size`` (w, h) defaults to the benchmark's.
    """

    seeds: tuple[int, ...] = DEFAULT_SYNTH_SEEDS
    entries: tuple[dict, ...] | None = None
    image_size: tuple[int, int] | None = None

    def describe(self) -> str:
        text = "synth:" + ",".join(map(str, self.seeds))
        if self.entries is not None or self.image_size is not None:
            custom = json.dumps([self.entries, self.image_size], sort_keys=True, default=str)
            text += f"?custom={sha1(custom.encode()).hexdigest()[:12]}"
        return text

    def videos(self, processes: int = 1) -> list[Video]:
        bench = _synth_benchmark()
        for seed in self.seeds:
            _check_training_seed(seed, self.describe())
        entries = list(self.entries if self.entries is not None else bench.raw["sequences"])
        size = tuple(self.image_size or bench.generator.get("image_size", (320, 240)))
        jobs = [(entry, size, seed) for seed in self.seeds for entry in entries]
        log.info("rendering %d synthetic sequences in memory", len(jobs))
        if processes > 1 and len(jobs) > 1:
            fork_safe_opencv()
            with ProcessPoolExecutor(min(processes, len(jobs)), mp_context=get_context("fork")) as pool:
                rendered = list(pool.map(_render_video, jobs))
        else:
            rendered = [_render_video(job) for job in jobs]
        videos = []
        for (entry, _, seed), (boxes, images) in zip(jobs, rendered):
            name = f"synth-{seed}/{entry['name']}"
            track = make_track(name, np.arange(len(images)), boxes, images, size)
            if track is not None:
                videos.append(Video(name, [track]))
        return videos


def otb_folder_videos(root) -> list[Video]:
    """Sequences of a ``rasbench synth --out DIR --seed N`` folder (its otb/ layout)."""
    root = Path(root).expanduser()
    folder = root / "otb" if (root / "otb").is_dir() else root
    manifest = root / "synth.json"
    if manifest.is_file():
        try:
            seed = json.loads(manifest.read_text()).get("seed")
        except (OSError, ValueError, AttributeError):
            seed = None
        if seed is not None:
            _check_training_seed(seed, str(root))
    if not folder.is_dir():
        raise DatasetError("synthetic training folder does not exist", root)
    from rasbench.datasets.textio import read_rows

    videos = []
    for sequence in sorted(d for d in folder.iterdir() if d.is_dir()):
        name = f"synth:{sequence.name}"
        images = numbered_images(sequence / "img")
        gt_path = sequence / "groundtruth_rect.txt"
        if not images or not gt_path.is_file():
            _warn(f"skipping {name}: empty ({'no images' if not images else 'no groundtruth_rect.txt'} "
                  f"in {sequence})")
            continue
        try:
            boxes = read_rows(gt_path, 4)
        except DatasetError as exc:
            _warn(f"skipping {name}: {exc}")
            continue
        boxes[:, :2] -= 1.0  # OTB boxes are 1-based
        numbers = sorted(images)[:len(boxes)]
        if len(numbers) < len(boxes):
            _warn(f"{name}: {len(boxes)} boxes but {len(numbers)} images; the extra boxes are ignored")
            boxes = boxes[:len(numbers)]
        size = _first_size(images[n] for n in numbers)
        if size is None:
            _warn(f"skipping {name}: none of its images can be read")
            continue
        track = make_track(name, numbers, boxes, [str(images[n]) for n in numbers], size)
        if track is not None:
            videos.append(Video(name, [track]))
    if not videos:
        raise DatasetError("no usable sequences (folders with img/ and groundtruth_rect.txt)", folder)
    return videos


# ----------------------------------------------------------------------------- data specs

_SEEDS = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"3"``, ``"1-4"``, ``"1,5,9-11"`` -> the seeds in order, without repeats."""
    if not _SEEDS.match(text):
        raise ConfigError(f"bad seed list {text!r}; use N, A-B or a comma-separated mix")
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        for seed in range(int(low), int(high or low) + 1):
            if seed not in seeds:
                seeds.append(seed)
    if not seeds:
        raise ConfigError(f"seed range {text!r} is empty")
    return tuple(seeds)


def describe_source(source) -> str:
    return source if isinstance(source, str) else source.describe()


def open_source(source, processes: int = 1) -> list[Video]:
    """The videos of one ``KIND:PATH`` string (see the module docstring) or source object."""
    if not isinstance(source, str):
        return source.videos(processes)
    kind, _, rest = source.partition(":")
    kind = kind.strip().lower()
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"unknown training data kind in {source!r}; use got10k:PATH, vid:PATH, synth:, "
                          f"synth:SEEDS or synth:PATH")
    rest = rest.strip()
    if kind == "synth":
        if not rest:
            return SynthSource().videos(processes)
        if _SEEDS.match(rest):
            return SynthSource(parse_seeds(rest)).videos(processes)
        return otb_folder_videos(rest)
    if not rest:
        raise ConfigError(f"{source!r} needs a folder: {kind}:PATH")
    return got10k_videos(rest) if kind == "got10k" else vid_videos(rest, processes)


def split_videos(videos: Sequence[Video], fraction: float) -> tuple[list[Video], list[Video]]:
    """(training, validation) videos: the ``round(fraction * n)`` videos (at least one, and
    never all of them) with the smallest CRC-32 of their names.

    The choice depends only on the names, so it is the same on every run and resume. A
    single video cannot be split: it is returned for training, with no validation video.
    """
    if fraction <= 0 or len(videos) < 2:
        return list(videos), []
    count = min(max(1, round(fraction * len(videos))), len(videos) - 1)
    order = sorted(range(len(videos)), key=lambda k: (zlib.crc32(videos[k].name.encode()), k))
    held = set(order[:count])
    return ([v for k, v in enumerate(videos) if k not in held], [v for k, v in enumerate(videos) if k in held])


# ----------------------------------------------------------------------------- labels and weights

def make_labels(size: int = RESPONSE_SIZE, radius: float = POSITIVE_RADIUS,
                stride: int = TOTAL_STRIDE) -> tuple[np.ndarray, np.ndarray]:
    """SiamFC's balanced logistic labels on a ``size`` x ``size`` response (float32 each).

    ``labels``: 1 where the Euclidean distance to the centre cell, in search-crop pixels
    (cells x ``stride``), is <= ``radius``, else 0. ``weights``: 0.5 / #positives on the
    positives and 0.5 / #negatives on the negatives, so each class sums to 0.5. For the
    training default (15, 16 px, 8) that is 13 positives (weight 1/26) and 212 negatives
    (weight 1/424).
    """
    centre = (size - 1) / 2.0
    rows, cols = np.mgrid[0:size, 0:size]
    distance = np.hypot(rows - centre, cols - centre) * stride
    labels = (distance <= radius).astype(np.float32)
    positives = labels.sum()
    weights = np.where(labels > 0, 0.5 / positives, 0.5 / (labels.size - positives)).astype(np.float32)
    return labels, weights


def temporal_weight(gap, sigma: float = 100.0):
    """Omega(i, j) = exp(-|i - j| / sigma) (Eq. 13); ``sigma = inf`` gives 1 (no weighting)."""
    return np.exp(-np.abs(np.asarray(gap, dtype=np.float64)) / sigma)


# ----------------------------------------------------------------------------- crops

@dataclass(frozen=True)
class Augment:
    """Training augmentation (spec 4.3); ``PairDataset(augment=None)`` gives validation crops."""

    stretch: float = 0.05  # each image scaled by 1 + U(-stretch, stretch)
    translate: int = 4  # integer shift in [-translate, translate] output px per axis
    color: float = 0.1  # std of the PCA colour-jitter coefficients; 0 turns it off
    gray: float = 0.0  # probability of a grey pair (SiamFC's "gray025" model used 0.25)

    def __post_init__(self) -> None:
        if not (0 <= self.stretch < 1 and 0 <= self.translate <= STRETCH_MARGIN // 2 and self.color >= 0
                and 0 <= self.gray <= 1):
            raise ConfigError(f"bad augmentation {self}: need 0 <= stretch < 1, 0 <= translate <= "
                              f"{STRETCH_MARGIN // 2}, color >= 0, 0 <= gray <= 1")


def exemplar_side(box) -> float:
    """s_z = sqrt((w + p)(h + p)), p = 0.5 (w + h): the exemplar crop's side in frame pixels."""
    w, h = float(box[2]), float(box[3])
    context = CONTEXT * (w + h)
    return math.sqrt((w + context) * (h + context))


def siamfc_crop(image: np.ndarray, box, out_size: int, stretch: float = 1.0, shift=(0.0, 0.0),
                border=None) -> np.ndarray:
    """Square crop around ``box`` at the exemplar scale (s_z / 127 frame px per output px).

    ``image`` (H, W, C) uint8; returns (out_size, out_size, C) uint8. Output pixel i samples
    the frame at ``centre + s_z / 127 / stretch * (i + 0.5 - out_size / 2 + shift)``
    (bilinear), and ``border`` (default: the image's mean colour) outside the frame.
    """
    x, y, w, h = (float(v) for v in box)
    step = exemplar_side(box) / EXEMPLAR_SIZE / stretch
    offset = 0.5 - out_size / 2.0
    # OpenCV puts pixel centres on integers, rasbench at +0.5: hence the final -0.5.
    matrix = np.array([[step, 0.0, x + w / 2.0 + step * (offset + shift[0]) - 0.5],
                       [0.0, step, y + h / 2.0 + step * (offset + shift[1]) - 0.5]])
    if border is None:
        border = cv2.mean(image)[:3]
    return cv2.warpAffine(image, matrix, (out_size, out_size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=tuple(float(c) for c in border))


# ----------------------------------------------------------------------------- pairs

class PairDataset(torch.utils.data.Dataset):
    """Pairs keyed by ``(epoch, index)``; see the module docstring for the sampling.

    An item is a dict: ``exemplar`` (3, 127, 127) and ``search`` (3, 239, 239) RGB crops
    (uint8 NumPy arrays), ``gap`` (int, |i - j| in frame numbers), ``omega`` (float, Eq. 13) and
    ``failures`` (descriptions of images that could not be read while drawing it).
    ``stream`` separates independent pair streams under one seed (training 0, validation 1).
    """

    def __init__(self, videos: Sequence[Video], *, seed: int = 0, stream: int = 0, max_gap: int = 100,
                 sigma: float = 100.0, augment: Augment | None = Augment()) -> None:
        if max_gap < 1:
            raise ConfigError(f"max_gap must be >= 1 frame, got {max_gap}")
        self.seed, self.stream, self.sigma, self.augment = int(seed), int(stream), float(sigma), augment
        self.tracks: list[list[tuple[Track, np.ndarray, np.ndarray, np.ndarray]]] = []
        lonely = 0
        for video in videos:
            usable = []
            for track in video.tracks:
                low = np.searchsorted(track.frames, track.frames - max_gap, side="left")
                high = np.searchsorted(track.frames, track.frames + max_gap, side="right")
                eligible = np.flatnonzero(high - low > 1)  # frames with a partner other than themselves
                if len(eligible):
                    usable.append((track, low, high, eligible))
                else:
                    lonely += 1
            if usable:
                self.tracks.append(usable)
        if lonely:
            log.info("%d target(s) have no two frames within %d frames of each other; not sampled", lonely, max_gap)
        if not self.tracks:
            raise ConfigError(f"no video has two usable frames within {max_gap} frames of each other")

    @property
    def video_count(self) -> int:
        return len(self.tracks)

    def draw(self, rng: np.random.Generator) -> tuple[Track, int, int]:
        """(track, exemplar position, search position): video, target, frame i, then frame j."""
        video = self.tracks[rng.integers(len(self.tracks))]
        track, low, high, eligible = video[rng.integers(len(video))]
        i = int(eligible[rng.integers(len(eligible))])
        j = int(low[i] + rng.integers(high[i] - low[i] - 1))
        return track, i, j + (j >= i)  # skip the exemplar frame itself

    def __getitem__(self, key: tuple[int, int]) -> dict:
        epoch, index = (int(k) for k in key)
        failures = []
        for attempt in range(MAX_ATTEMPTS):
            rng = np.random.default_rng([self.seed, self.stream, epoch, index, attempt])
            track, i, j = self.draw(rng)
            images = [track.image_bgr(i), track.image_bgr(j)]
            bad = [track.describe(p) for p, im in zip((i, j), images) if im is None]
            if bad:
                failures += bad
                continue
            exemplar, search = self._crops(rng, images, track.boxes[i], track.boxes[j])
            gap = abs(int(track.frames[j]) - int(track.frames[i]))
            return {"exemplar": exemplar, "search": search, "gap": gap,
                    "omega": float(temporal_weight(gap, self.sigma)), "failures": failures}
        raise DatasetError(f"no readable pair in {MAX_ATTEMPTS} draws for key {key}; unreadable: "
                           f"{', '.join(sorted(set(failures))[:5])}")

    def _crops(self, rng: np.random.Generator, images, exemplar_box, search_box) -> tuple[np.ndarray, np.ndarray]:
        augment = self.augment
        crops = []
        for image, box, size in zip(images, (exemplar_box, search_box), (EXEMPLAR_SIZE, SEARCH_SIZE)):
            if augment is None:
                crops.append(siamfc_crop(image, box, size)[..., ::-1])
                continue
            stretch = 1.0 + rng.uniform(-augment.stretch, augment.stretch)
            shift = rng.integers(-augment.translate, augment.translate + 1, size=2)
            crop = siamfc_crop(image, box, size, stretch, shift)[..., ::-1].astype(np.float32)
            if augment.color > 0:
                offset = _PCA_EIGVEC @ (rng.normal(0.0, augment.color, 3) * _PCA_EIGVAL) * 255.0
                crop += offset.astype(np.float32)
            crops.append(crop)
        if augment is not None:
            if augment.gray > 0 and rng.random() < augment.gray:
                crops = [np.repeat(crop @ _GREY, 3).reshape(crop.shape) for crop in crops]
            crops = [np.clip(np.rint(crop), 0, 255).astype(np.uint8) for crop in crops]
        exemplar, search = (np.ascontiguousarray(c.transpose(2, 0, 1)) for c in crops)
        return exemplar, search


def collate_pairs(items: list[dict]) -> dict:
    """Batch of :meth:`PairDataset.__getitem__` items: crops stacked into uint8 tensors
    (N, 3, 127, 127) and (N, 3, 239, 239), ``omega`` (N,) float32, ``gap`` (N,) int64,
    ``failures`` one flat list.

    Stacking happens in NumPy, single-threaded: torch.stack would start an OpenMP region,
    which on a busy 2-core machine can wait hundreds of ms for a descheduled thread.
    """
    return {
        "exemplar": torch.from_numpy(np.stack([item["exemplar"] for item in items])),
        "search": torch.from_numpy(np.stack([item["search"] for item in items])),
        "omega": torch.tensor([item["omega"] for item in items], dtype=torch.float32),
        "gap": torch.tensor([item["gap"] for item in items], dtype=torch.int64),
        "failures": [failure for item in items for failure in item["failures"]],
    }


class EpochBatches(torch.utils.data.Sampler):
    """Batches of ``(epoch, index)`` keys covering ``pairs`` indices of :attr:`epoch`.

    The DataLoader iterates this sampler in the main process, so setting ``epoch``
    between epochs also works with persistent workers.
    """

    def __init__(self, pairs: int, batch_size: int, epoch: int = 0) -> None:
        super().__init__()
        self.pairs, self.batch_size, self.epoch = int(pairs), int(batch_size), int(epoch)

    def __len__(self) -> int:
        return -(-self.pairs // self.batch_size)

    def __iter__(self):
        for start in range(0, self.pairs, self.batch_size):
            yield [(self.epoch, index) for index in range(start, min(start + self.batch_size, self.pairs))]
