"""OTB-layout datasets: native folders, the OTB toolkit's anno/ folder, pysot's OTB100.json.

Native layout: ``<root>/<folder>/img/0001.jpg`` (Board: 00001.jpg; some mirrors: png)
and ``<root>/<folder>/groundtruth_rect[.N].txt``. Every quirk (frame ranges, two-target
folders, initOmit) comes from the sequence table in ``experiments/otb/sequences.yaml``.
All three sources give the same :class:`Sequence` objects; the annotation-only ones
(anno/, JSON) are enough to score results.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..config.benchmarks import SequenceSpec
from ..errors import DatasetError
from ..text import plural
from .images import numbered_images
from .sequence import Dataset, Sequence, gather
from .textio import pysot_json_style, read_many, read_pysot_json, read_rows, wrong_pysot_json

OTB_ORIGIN = 1  # OTB ground truth is in MATLAB (1-based) pixel coordinates
IMAGE_FOLDERS = ("img", "imgs", "jpg")


def _sequence(spec: SequenceSpec, gt: np.ndarray, first_frame: int, frames, source: Path) -> Sequence:
    return Sequence(
        name=spec.name,
        groundtruth=gt,
        first_frame=first_frame,
        frame_paths=frames,
        attributes=spec.attributes,
        init_omit=spec.init_omit,
        origin=OTB_ORIGIN,
        source=source,
    )


def _check_length(spec: SequenceSpec, gt: np.ndarray, path: Path, first_frame: int) -> None:
    expected = spec.last - first_frame + 1
    if len(gt) != expected:
        raise DatasetError(
            f"{spec.name}: {len(gt)} ground-truth boxes, expected {expected} "
            f"(frames {first_frame}-{spec.last})", path)


def find_image_folder(seq_dir: Path) -> Path | None:
    for name in IMAGE_FOLDERS:
        if (seq_dir / name).is_dir():
            return seq_dir / name
    return None


def frame_files(spec: SequenceSpec, seq_dir: Path, first: int, last: int) -> list[Path]:
    """Image paths for frames ``first..last``; a clear error if any is missing."""
    folder = find_image_folder(seq_dir)
    if folder is None:
        raise DatasetError(f"{spec.name}: no image folder ({'/'.join(IMAGE_FOLDERS)}) in {seq_dir}", seq_dir)
    images = numbered_images(folder)
    missing = [n for n in range(first, last + 1) if n not in images]
    if missing:
        have = f"{min(images)}-{max(images)}" if images else "none"
        shown = ", ".join(str(n) for n in missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise DatasetError(
            f"{spec.name}: {len(missing)} of frames {first}-{last} missing (frames {shown}; "
            f"images present: {have})", folder)
    return [images[n] for n in range(first, last + 1)]


def load_native(name: str, root: Path, specs: dict[str, SequenceSpec], images: bool = True,
                strict: bool = True) -> Dataset:
    """Read sequences from ``root/<folder>``; absent folders are listed in ``missing``.

    A present but broken sequence raises :class:`DatasetError`, or with ``strict=False``
    is listed in ``missing`` with the error (for ``rasbench datasets``).
    """
    def load_one(spec, seq_dir, gt_path):
        gt = read_rows(gt_path, 4, "ground truth")
        _check_length(spec, gt, gt_path, spec.first)
        frames = frame_files(spec, seq_dir, spec.first, spec.last) if images else None
        return _sequence(spec, gt, spec.first, frames, gt_path)

    sequences, missing = gather(specs, root, load_one, strict)
    return Dataset(name, sequences, f"OTB folders in {root}", root, missing)


def _name_index(names) -> dict[str, str]:
    """Stored names by :func:`normalise_name` (case-insensitive, '-', '_', '.' alike:
    jogging-1 vs Jogging.1); built once per file or folder, not per lookup (quadratic)."""
    return {normalise_name(n): n for n in names}


_NAME_SEPARATORS = str.maketrans("_. ", "---")


def normalise_name(name: str) -> str:
    """The key names are matched by: lower case, ``_``, ``.`` and spaces read as ``-``."""
    return name.strip().lower().translate(_NAME_SEPARATORS)


def load_anno_folder(name: str, anno_dir: Path, specs: dict[str, SequenceSpec]) -> Dataset:
    """The OTB toolkit's ``anno/<seq>.txt`` files (David: 471 rows starting at frame 300)."""
    anno_dir = Path(anno_dir)
    files = {p.stem: p for p in anno_dir.glob("*.txt")}
    index = _name_index(files)
    found, missing = [], {}
    for spec in specs.values():
        key = index.get(normalise_name(spec.anno)) or index.get(normalise_name(spec.name))
        if key is None:
            missing[spec.name] = f"no {spec.anno}.txt in {anno_dir}"
        else:
            found.append((spec, files[key]))
    sequences = []
    for (spec, path), gt in zip(found, read_many([path for _, path in found], 4, "ground truth")):
        if isinstance(gt, Exception):  # read in one pass, the first bad file named as before
            raise gt
        _check_length(spec, gt, path, spec.first)
        sequences.append(_sequence(spec, gt, spec.first, None, path))
    return Dataset(name, sequences, f"OTB toolkit annotations in {anno_dir}", None, missing)


def load_pysot_json(name: str, json_path: Path, specs: dict[str, SequenceSpec]) -> Dataset:
    """pysot's ``OTB100.json``; images are used when they sit beside the JSON.

    Its Tiger1 entry starts at frame 6 (349 boxes): the frame numbers come from the
    image names, so that sequence simply starts later.
    """
    json_path = Path(json_path)
    data = read_pysot_json(json_path, boxes_as_arrays=True)
    if pysot_json_style(data) != "OTB-style boxes":
        raise DatasetError(f"{json_path} holds {pysot_json_style(data)} for {plural(len(data), 'sequence')}, "
                           f"not {name}'s boxes; is it the right file?")
    root = json_path.parent
    index = _name_index(data)
    sequences, missing = [], {}
    for spec in specs.values():
        key = index.get(normalise_name(spec.name))
        if key is None:
            missing[spec.name] = f"no entry {spec.name!r} in {json_path.name}"
            continue
        entry = data[key]
        try:
            gt = np.array(entry["gt_rect"], dtype=np.float64).reshape(-1, 4)
            img_names = list(entry["img_names"])
        except (KeyError, ValueError, TypeError) as exc:
            raise DatasetError(f"entry {key!r} is malformed ({exc})", json_path) from None
        if len(img_names) != len(gt):
            raise DatasetError(f"entry {key!r} has {len(img_names)} images but {len(gt)} boxes", json_path)
        if not len(gt):
            raise DatasetError(f"entry {key!r} has no boxes", json_path)
        match = re.search(r"(\d+)\.\w+$", img_names[0])
        first = int(match.group(1)) if match else spec.first
        if not spec.first <= first <= spec.last:
            raise DatasetError(f"entry {key!r} starts at frame {first}, outside {spec.first}-{spec.last}", json_path)
        _check_length(spec, gt, json_path, first)
        has_images = (root / img_names[0]).is_file() and (root / img_names[-1]).is_file()
        frames = [root / n for n in img_names] if has_images else None
        sequences.append(_sequence(spec, gt, first, frames, json_path))
    if specs and not sequences:
        raise wrong_pysot_json(json_path, data, name)
    return Dataset(name, sequences, f"pysot JSON {json_path}", root, missing)


def load_annotations(name: str, path: Path, specs: dict[str, SequenceSpec]) -> Dataset:
    """Annotation-only copy: a pysot JSON file, an anno/ folder, or a folder holding either."""
    path = Path(path)
    if path.is_file():
        return load_pysot_json(name, path, specs)
    if not path.is_dir():
        raise DatasetError("annotation path does not exist", path)
    for candidate in sorted(path.glob("*.json")):
        return load_pysot_json(name, candidate, specs)
    if (path / "anno").is_dir():
        return load_anno_folder(name, path / "anno", specs)
    if any(path.glob("*.txt")):
        return load_anno_folder(name, path, specs)
    raise DatasetError("neither a pysot JSON file nor an OTB anno/ folder", path)
