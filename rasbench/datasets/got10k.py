"""GOT-10k and TrackingNet layouts (got10k toolkit ``datasets/got10k.py``, TrackingNet devkit).

GOT-10k, ``<root>`` = a split folder (``GOT-10k/val``, ``GOT-10k/test``), per sequence
``<root>/<seq>/``: ``00000001.jpg ...``, ``groundtruth.txt`` (``x,y,w,h`` per frame;
test: the first frame only), ``meta_info.ini`` (a header line, then ``key: value``;
``resolution: (W, H)`` bounds the scoring) and on train/val ``cover.label``,
``absence.label``, ``cut_by_image.label`` (one number per frame; cover 0 = the target
is not visible). TrackingNet, ``<root>`` = a chunk folder (``TEST``, ``TRAIN_3``):
``anno/<seq>.txt`` (test: the first frame only) and ``frames/<seq>/0.jpg ...``.

Both are 0-based pixel coordinates, handed to trackers as they are. Where only the first
box is known (the test splits) the sequence's length is its number of images and the
other ground-truth rows are NaN; such a sequence can be run, not scored.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config.benchmarks import SequenceSpec
from ..errors import DatasetError
from ..text import plural
from .images import image_size, numbered_images
from .sequence import Dataset, Sequence, gather
from .textio import read_rows, read_text

ORIGIN = 0
VISIBLE = "visible"  # the tag scoring keeps: GOT-10k cover.label > 0


def read_meta(path: Path) -> dict[str, str]:
    """``meta_info.ini`` as got10k reads it: the first line skipped, then ``key: value`` lines."""
    meta = {}
    for number, line in enumerate(read_text(path, "meta_info").strip().splitlines()[1:], 2):
        key, sep, value = line.partition(": ")
        if not sep:
            raise DatasetError(f"expected 'key: value', got {line!r}", path, number)
        meta[key.strip()] = value.strip()
    return meta


def parse_resolution(text: str, path: Path) -> tuple[int, int]:
    """``(W, H)`` from a meta_info ``resolution`` value."""
    parts = text.strip().strip("()").split(",")
    try:
        width, height = (int(p) for p in parts)
    except ValueError:
        raise DatasetError(f"resolution {text!r} is not '(width, height)'", path) from None
    if width <= 0 or height <= 0:
        raise DatasetError(f"resolution {text!r} is not positive", path)
    return width, height


def _with_length(name: str, gt: np.ndarray, frames: list[Path] | None, gt_path: Path) -> np.ndarray:
    """The ground truth over the sequence's frames: all rows, or (test splits) the first
    row and NaN for the rest; a count that fits neither names both."""
    if frames is None or len(frames) == len(gt):
        return gt
    if len(gt) == 1:
        return np.r_[gt, np.full((len(frames) - 1, 4), np.nan)]
    raise DatasetError(f"{name}: {plural(len(gt), 'ground-truth box', 'ground-truth boxes')} for "
                       f"{plural(len(frames), 'image')}; one per image, or the first only", gt_path)


def _images(name: str, folder: Path, first: int) -> list[Path] | None:
    """Frames numbered ``first, first + 1, ...`` in ``folder``; None when it has none."""
    images = numbered_images(folder)
    if not images:
        return None
    expected = range(first, max(images) + 1)
    gaps = [n for n in expected if n not in images]
    if gaps:
        raise DatasetError(f"{name}: {len(gaps)} of frames {first}-{expected[-1]} missing (first: {gaps[0]})", folder)
    return [images[n] for n in expected]


def load_got10k(name: str, root: Path, specs: dict[str, SequenceSpec], images: bool = True,
                strict: bool = True) -> Dataset:
    """Sequences from a GOT-10k split folder; absent ones are listed in ``missing``."""
    def load_one(spec, seq_dir, gt_path):
        gt = read_rows(gt_path, 4, "ground truth")
        frames = _images(spec.name, seq_dir, 1)
        if frames is None and images:
            raise DatasetError(f"{spec.name}: no images in {seq_dir}", seq_dir)
        gt = _with_length(spec.name, gt, frames, gt_path)
        size = None
        if (seq_dir / "meta_info.ini").is_file():
            meta = read_meta(seq_dir / "meta_info.ini")
            if "resolution" in meta:
                size = parse_resolution(meta["resolution"], seq_dir / "meta_info.ini")
        if size is None and frames:
            size = image_size(frames[0])
        tags = {}
        if (seq_dir / "cover.label").is_file():
            cover = read_rows(seq_dir / "cover.label", 1, "label").reshape(-1)
            if len(cover) != len(gt):
                raise DatasetError(f"{plural(len(cover), 'label')} for {plural(len(gt), 'frame')}",
                                   seq_dir / "cover.label")
            tags[VISIBLE] = cover > 0
        return Sequence(name=spec.name, groundtruth=gt, frame_paths=frames if images else None, origin=ORIGIN,
                        source=gt_path, tags=tags, image_size=size)

    sequences, missing = gather(specs, root, load_one, strict)
    return Dataset(name, sequences, f"GOT-10k folders in {root}", root, missing)


def load_trackingnet(name: str, root: Path, specs: dict[str, SequenceSpec], images: bool = True,
                     strict: bool = True) -> Dataset:
    """Sequences from a TrackingNet chunk folder (``anno/``, ``frames/``)."""
    def load_one(spec, anno_dir, gt_path):
        gt = read_rows(gt_path, 4, "ground truth")
        frames = _images(spec.name, Path(root) / "frames" / spec.name, 0)
        if frames is None and images:
            raise DatasetError(f"{spec.name}: no images in {Path(root) / 'frames' / spec.name}", gt_path)
        gt = _with_length(spec.name, gt, frames, gt_path)
        size = image_size(frames[0]) if frames and images else None
        return Sequence(name=spec.name, groundtruth=gt, frame_paths=frames if images else None, origin=ORIGIN,
                        source=gt_path, image_size=size)

    sequences, missing = gather(specs, root, load_one, strict)
    return Dataset(name, sequences, f"TrackingNet folders in {root}", root, missing)
