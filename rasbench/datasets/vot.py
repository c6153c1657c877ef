"""VOT-layout datasets (VOT2013-2017 style short-term benchmarks) and pysot's VOT JSON.

Native layout: ``<root>/list.txt`` and per sequence ``<root>/<seq>/groundtruth.txt``
(one region per line: 4 values = rectangle, 8 = rotated box, 1 = special, NaN =
unknown), per-frame tag files ``<tag>.tag`` or ``<tag>.label`` (one 0/1 per line; a
shorter file is zero-padded, a missing one means never set) and the images either in
the sequence folder itself (VOT2013-2016 bundles) or in ``color/`` (VOT2017+,
``sequence`` metadata file). Coordinates are 0-based: a tracker sees them unchanged.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..config.benchmarks import SequenceSpec
from ..errors import DatasetError
from ..geometry.regions import Regions, parse_regions, regions_from_values
from ..text import plural
from .images import image_size, numbered_images
from .sequence import Dataset, Sequence, gather
from .textio import read_pysot_json, read_text, wrong_pysot_json

log = logging.getLogger(__name__)

VOT_ORIGIN = 0
IMAGE_FOLDERS = ("color", ".")


def _read_groundtruth(path: Path) -> Regions:
    text = read_text(path, "ground truth").rstrip()
    try:
        return parse_regions(text.splitlines())
    except ValueError as exc:  # the message starts with "line N: ..."
        raise DatasetError(str(exc), path) from None


def _read_tags(seq_dir: Path, names, length: int) -> dict[str, np.ndarray]:
    tags = {}
    for name in names:
        for suffix in (".tag", ".label"):
            path = seq_dir / f"{name}{suffix}"
            if path.is_file():
                values = []
                for number, line in enumerate(read_text(path, "tag").split(), 1):
                    if line not in ("0", "1"):
                        raise DatasetError(f"tag values are 0 or 1, got {line!r}", path, number)
                    values.append(line == "1")
                if len(values) > length:
                    raise DatasetError(f"{plural(len(values), 'tag line')} for {plural(length, 'frame')}", path)
                tags[name] = np.r_[np.array(values, bool), np.zeros(length - len(values), bool)]
                break
        else:
            tags[name] = np.zeros(length, bool)
    return tags


def _frames(name: str, seq_dir: Path, gt_path: Path, length: int) -> list[Path] | None:
    """Image paths of frames 1..``length``, or None when the sequence has no images.

    Images and ground-truth lines must match one to one. VOT-M (sequence_create.m)
    silently scores the shorter of the two; vot-toolkit refuses a length mismatch, and
    so does rasbench, naming groundtruth.txt and both counts."""
    for folder in IMAGE_FOLDERS:
        images = numbered_images(seq_dir / folder)
        if not images:
            continue
        missing = [n for n in range(1, length + 1) if n not in images]
        if missing and len(missing) < length and max(images) >= length:
            shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
            raise DatasetError(f"{name}: {len(missing)} of frames 1-{length} missing (frames {shown})",
                               seq_dir / folder)
        if missing or len(images) != length:
            first, last = images[min(images)].name, images[max(images)].name
            raise DatasetError(f"{length} line{'s' * (length != 1)} for {len(images)} images ({first}-{last}) in "
                               f"{seq_dir / folder}; one line per image", gt_path)
        return [images[n] for n in range(1, length + 1)]
    return None


def _sequence(name, gt, frames, size, tags, source) -> Sequence:
    return Sequence(name=name, groundtruth=gt, first_frame=1, frame_paths=frames, origin=VOT_ORIGIN,
                    source=source, tags=tags, image_size=size)


def load_native(name: str, root: Path, specs: dict[str, SequenceSpec], tag_names=(), images: bool = True,
                strict: bool = True) -> Dataset:
    """Sequences from ``root/<seq>/``; absent ones are listed in ``missing``.

    Without images (``images=False``) the image size comes from the first frame's header
    when the images are there, else it stays unknown (bounded overlaps then need it
    from elsewhere, e.g. the pysot JSON).
    """
    def load_one(spec, seq_dir, gt_path):
        gt = _read_groundtruth(gt_path)
        frames = _frames(spec.name, seq_dir, gt_path, len(gt))  # before the tags: they are checked against it
        if frames is None and images:
            raise DatasetError(f"{spec.name}: no images in {seq_dir} or {seq_dir / 'color'}", seq_dir)
        tags = _read_tags(seq_dir, tag_names, len(gt))
        size = image_size(frames[0]) if frames else None
        return _sequence(spec.name, gt, frames if images else None, size, tags, gt_path)

    sequences, missing = gather(specs, root, load_one, strict)
    return Dataset(name, sequences, f"VOT folders in {root}", root, missing)


def load_pysot_json(name: str, json_path: Path, specs: dict[str, SequenceSpec], tag_names=()) -> Dataset:
    """pysot's ``VOT2018.json`` (and its VOT2016/2019 siblings): regions, tags, image sizes.

    An entry without ``width``/``height`` (VOT2019.json) takes the size of its first image
    when the images are beside the JSON, else leaves it unknown (bounded overlaps then ask
    for it). A tag list shorter than the sequence is padded with 0, with a warning."""
    json_path = Path(json_path)
    data = read_pysot_json(json_path)
    root = json_path.parent
    sequences, missing = [], {}
    short: dict[str, list[str]] = {}  # "graduate (768 of 844)": its tags with fewer values than frames
    for spec in specs.values():
        entry = data.get(spec.name)
        if entry is None:
            missing[spec.name] = f"no entry {spec.name!r} in {json_path.name}"
            continue
        try:
            gt = regions_from_values(entry["gt_rect"])
            img_names = list(entry["img_names"])
            size = (int(entry["width"]), int(entry["height"])) if "width" in entry or "height" in entry else None
        except (KeyError, ValueError, TypeError) as exc:
            raise DatasetError(f"entry {spec.name!r} is malformed ({exc})", json_path) from None
        if len(img_names) != len(gt):
            raise DatasetError(f"entry {spec.name!r} has {len(img_names)} images but {len(gt)} regions", json_path)
        if not len(gt):
            raise DatasetError(f"entry {spec.name!r} has no regions", json_path)
        tags = {}
        for tag in tag_names:
            values = np.asarray(entry.get(tag) or [], dtype=bool)
            if len(values) > len(gt):
                raise DatasetError(f"entry {spec.name!r}: tag {tag} has {len(values)} values for {len(gt)} "
                                   f"frames", json_path)
            if 0 < len(values) < len(gt):  # VOT2019.json: graduate, gymnastics1, hand
                short.setdefault(f"{spec.name} ({len(values)} of {len(gt)})", []).append(tag)
            tags[tag] = np.r_[values, np.zeros(len(gt) - len(values), bool)]
        has_images = (root / img_names[0]).is_file() and (root / img_names[-1]).is_file()
        frames = [root / n for n in img_names] if has_images else None
        if size is None and frames:  # pysot's VOT2019.json has no sizes; pysot reads the first image
            size = image_size(frames[0])
        sequences.append(_sequence(spec.name, gt, frames, size, tags, json_path))
    if specs and not sequences:
        raise wrong_pysot_json(json_path, data, name)
    if short:
        log.warning("%s: tag lists shorter than the sequence, read as not set past their end (as VOT pads a short "
                    ".tag file): %s", json_path.name, "; ".join(f"{k}: {', '.join(v)}" for k, v in short.items()))
    return Dataset(name, sequences, f"pysot JSON {json_path}", root, missing)


def load_annotations(name: str, path: Path, specs: dict[str, SequenceSpec], tag_names=()) -> Dataset:
    """Annotation-only copy: a pysot JSON file, or a folder holding one, or VOT folders."""
    path = Path(path)
    if path.is_file():
        return load_pysot_json(name, path, specs, tag_names)
    if not path.is_dir():
        raise DatasetError("annotation path does not exist", path)
    for candidate in sorted(path.glob("*.json")):
        return load_pysot_json(name, candidate, specs, tag_names)
    for candidate in (path, path / "sequences"):
        if any((candidate / s.folder / s.groundtruth).is_file() for s in specs.values()):
            return load_native(name, candidate, specs, tag_names, images=False)
    raise DatasetError("neither a pysot JSON file nor VOT sequence folders", path)
