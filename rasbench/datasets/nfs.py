"""NfS (Need for Speed, 30 fps) datasets: the dataset's own folders and pytracking's ``anno/`` folder.

Native layout (got10k's ``datasets/nfs.py``): ``<root>/<seq>/30/<seq>/00001.jpg ...`` and
``<root>/<seq>/30/<seq>.txt``, an annotation in VATIC's format, whitespace separated:
``track_id xmin ymin xmax ymax frame lost occluded generated "label"``. Boxes are
``x, y, w = xmax - xmin, h = ymax - ymin`` (no +1, as got10k). The 30 fps annotation may
count the 240 fps frames: got10k keeps every 8th row when the file has about 8 times as
many rows as there are images (|rows / images - 8| < 1) and then drops a one-row excess of
either; the same rule is applied here, with the table's length standing in for the image
count of an annotation-only copy. ``lost``/``occluded`` are ignored (as got10k, pysot and
pytracking do), so every frame is scored.

pytracking's layout: ``anno/nfs_<seq>.txt`` (``x,y,w,h`` per 30 fps frame, tab separated),
read as an annotation folder (the table's ``anno`` names those files).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config.benchmarks import SequenceSpec
from ..errors import DatasetError
from .images import numbered_images
from .otb import OTB_ORIGIN, load_anno_folder
from .sequence import Dataset, Sequence
from .textio import read_text


def read_vatic(path: Path) -> np.ndarray:
    """(N, 4) ``x, y, w, h`` boxes of a VATIC annotation (columns 1..4: xmin ymin xmax ymax)."""
    rows = []
    for number, line in enumerate(read_text(path, "ground truth").splitlines(), start=1):
        values = line.split()
        if not values:
            continue
        try:
            rows.append([float(v) for v in values[1:5]])
        except ValueError:
            raise DatasetError(f"not a VATIC row (track xmin ymin xmax ymax frame ...): {line.strip()!r}",
                               path, number) from None
        if len(rows[-1]) != 4:
            raise DatasetError(f"not a VATIC row (track xmin ymin xmax ymax frame ...): {line.strip()!r}",
                               path, number)
    boxes = np.array(rows, dtype=np.float64).reshape(-1, 4)
    boxes[:, 2:] -= boxes[:, :2]
    return boxes


def at_30fps(boxes: np.ndarray, frames: int) -> np.ndarray:
    """got10k's rule: every 8th row when the rows count 240 fps frames, then a one-row excess cut."""
    if len(boxes) != frames and abs(len(boxes) / max(frames, 1) - 8) < 1:
        boxes = boxes[0::8]
    if 0 < len(boxes) - frames <= 1:
        boxes = boxes[:frames]
    return boxes


def load_native(name: str, root: Path, specs: dict[str, SequenceSpec], images: bool = True,
                strict: bool = True) -> Dataset:
    """Sequences of ``root/<seq>/30/``; absent folders in ``missing``."""
    root = Path(root)
    sequences, missing = [], {}
    for spec in specs.values():
        gt_path = root / spec.folder / spec.groundtruth  # <seq>/30/<seq>.txt
        if not gt_path.is_file():
            missing[spec.name] = f"ground truth {gt_path} not found"
            continue
        try:
            frames = None
            count = spec.length
            if images:
                have = numbered_images(gt_path.with_suffix(""))
                count = len(have)
                frames = [have[n] for n in sorted(have)][:spec.length]
            gt = at_30fps(read_vatic(gt_path), count)
            if len(gt) != spec.length or (frames is not None and len(frames) != spec.length):
                raise DatasetError(f"{spec.name}: {len(gt)} boxes at 30 fps"
                                   + (f" and {count} images" if images else "") + f", expected {spec.length}",
                                   gt_path)
        except DatasetError as exc:
            if strict:
                raise
            missing[spec.name] = str(exc)
            continue
        sequences.append(Sequence(name=spec.name, groundtruth=gt, first_frame=1, frame_paths=frames,
                                  attributes=spec.attributes, origin=OTB_ORIGIN, source=gt_path))
    return Dataset(name, sequences, f"NfS folders in {root}", root, missing)


def load_annotations(name: str, path: Path, specs: dict[str, SequenceSpec]) -> Dataset:
    """pytracking's ``anno/`` folder (``nfs_<seq>.txt``), or the folder holding it."""
    path = Path(path)
    folder = path / "anno" if (path / "anno").is_dir() else path
    if not folder.is_dir():
        raise DatasetError("not a folder (pytracking's NfS anno/ folder: nfs_<seq>.txt)", path)
    return load_anno_folder(name, folder, specs)
