"""UAV123-kit datasets (UAV123, UAV20L): the dataset's own folders and its ``anno/`` folder.

Native layout (the UAV123 download; got10k's ``datasets/uav123.py`` reads the same):
``<root>/data_seq/UAV123/<folder>/000001.jpg ...`` and ``<root>/anno/<subset>/<seq>.txt``
(``x,y,w,h`` per line, 1-based; ``NaN,NaN,NaN,NaN`` where the target is absent), subset
``UAV123`` or ``UAV20L``. Sub-sequences share a video folder (``bird1_2`` = frames
775..1477 of ``bird1``; neighbours share their boundary frame); UAV20L's sequences are the
UAV123 folders at full length. The frame ranges come from the sequence table.
"""
from __future__ import annotations

from pathlib import Path

from ..config.benchmarks import SequenceSpec
from ..errors import DatasetError
from .images import numbered_images
from .otb import OTB_ORIGIN, load_anno_folder
from .sequence import Dataset, Sequence
from .textio import read_rows

IMAGES = Path("data_seq") / "UAV123"


def _anno_dir(root: Path, subset: str) -> Path:
    return Path(root) / "anno" / subset


def holds(root: Path, specs: dict[str, SequenceSpec], subset: str) -> bool:
    return any((_anno_dir(root, subset) / f"{spec.anno}.txt").is_file() for spec in specs.values())


def load_native(name: str, root: Path, specs: dict[str, SequenceSpec], subset: str, images: bool = True,
                strict: bool = True) -> Dataset:
    """Sequences of ``root`` (``anno/<subset>/`` and ``data_seq/UAV123/``); absent ones in ``missing``."""
    root = Path(root)
    sequences, missing = [], {}
    listings: dict[str, dict] = {}  # one directory listing per video folder
    for spec in specs.values():
        gt_path = _anno_dir(root, subset) / f"{spec.anno}.txt"
        if not gt_path.is_file():
            missing[spec.name] = f"ground truth {gt_path} not found"
            continue
        try:
            gt = read_rows(gt_path, 4, "ground truth")
            if len(gt) != spec.length:
                raise DatasetError(f"{spec.name}: {len(gt)} ground-truth boxes, expected {spec.length} "
                                   f"(frames {spec.first}-{spec.last})", gt_path)
            frames = None
            if images:
                folder = root / IMAGES / spec.folder
                if spec.folder not in listings:
                    listings[spec.folder] = numbered_images(folder)
                have = listings[spec.folder]
                lost = [n for n in range(spec.first, spec.last + 1) if n not in have]
                if lost:
                    raise DatasetError(f"{spec.name}: {len(lost)} of frames {spec.first}-{spec.last} missing "
                                       f"(first: {lost[0]})", folder)
                frames = [have[n] for n in range(spec.first, spec.last + 1)]
        except DatasetError as exc:
            if strict:
                raise
            missing[spec.name] = str(exc)
            continue
        sequences.append(Sequence(name=spec.name, groundtruth=gt, first_frame=spec.first, frame_paths=frames,
                                  attributes=spec.attributes, origin=OTB_ORIGIN, source=gt_path))
    return Dataset(name, sequences, f"{subset} folders in {root}", root, missing)


def load_annotations(name: str, path: Path, specs: dict[str, SequenceSpec], subset: str) -> Dataset:
    """An ``anno/`` folder of ``<seq>.txt`` files: the kit's ``anno/<subset>/``, the dataset
    root holding it, or any folder of the files themselves."""
    path = Path(path)
    for candidate in (_anno_dir(path, subset), path / subset, path / "anno", path):
        if candidate.is_dir() and any(candidate.glob("*.txt")):
            return load_anno_folder(name, candidate, specs)
    raise DatasetError(f"no {subset} annotation files (<seq>.txt) here or in anno/{subset}/", path)
