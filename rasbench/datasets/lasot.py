"""LaSOT-layout datasets: the dataset's own folders and the LaSOT toolkit's annotation folder.

Native layout (the LaSOT download, ``<root>/<class>/<class>-<n>/``): ``img/00000001.jpg ...``,
``groundtruth.txt`` (integer ``x,y,w,h`` per line, 1-based), ``full_occlusion.txt`` and
``out_of_view.txt`` (one line of comma-separated 0/1 flags, one per frame). A frame's target
is absent where either flag is 1 (pytracking's ``target_visible`` is the negation).

Annotation folder (HengLan/LaSOT_Evaluation_Toolkit ``annos/``): ``<seq>.txt`` (or
``groundtruth/<seq>.txt``) and ``absent/<seq>.txt`` (one 0/1 per line, 1 = absent).

The absent flags decide the scores (:class:`~rasbench.config.conventions.OTBConvention`'s
``absent_frames``), so a sequence without them is reported missing, never scored as if the
target were always there.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config.benchmarks import SequenceSpec
from ..errors import DatasetError
from ..text import plural
from .otb import OTB_ORIGIN, frame_files
from .sequence import Dataset, Sequence, gather
from .textio import read_many, read_rows, read_text

FLAG_FILES = ("full_occlusion.txt", "out_of_view.txt")


def _flags(path: Path, length: int) -> np.ndarray:
    """0/1 flags of ``length`` frames, in one line or one per line, as bool."""
    values = np.array(read_text(path, "flag").replace(",", " ").split())
    ones, zeros = values == "1", values == "0"
    if len(values) != length or not (ones | zeros).all():
        bad = values[~(ones | zeros)]
        problem = f"a value {str(bad[0])!r} that is not 0 or 1" if len(bad) else plural(len(values), "flag")
        raise DatasetError(f"{problem}, expected {plural(length, 'flag')} of 0 or 1 (one per frame)", path)
    return ones


def _check_length(spec: SequenceSpec, gt: np.ndarray, source: Path) -> None:
    if spec.last is not None and len(gt) != spec.length:
        raise DatasetError(f"{spec.name}: {plural(len(gt), 'ground-truth box', 'ground-truth boxes')}, "
                           f"expected {spec.length}", source)


def _sequence(spec: SequenceSpec, gt: np.ndarray, absent: np.ndarray, frames, source: Path) -> Sequence:
    _check_length(spec, gt, source)
    return Sequence(name=spec.name, groundtruth=gt, first_frame=1, frame_paths=frames, attributes=spec.attributes,
                    origin=OTB_ORIGIN, source=source, absent=absent)


def load_native(name: str, root: Path, specs: dict[str, SequenceSpec], images: bool = True,
                strict: bool = True) -> Dataset:
    """Sequences from ``root/<class>/<seq>``; absent folders are listed in ``missing``."""
    def load_one(spec, seq_dir, gt_path):
        gt = read_rows(gt_path, 4, "ground truth")
        _check_length(spec, gt, gt_path)
        absent = np.zeros(len(gt), dtype=bool)
        for flag_file in FLAG_FILES:
            absent |= _flags(seq_dir / flag_file, len(gt))
        frames = frame_files(spec, seq_dir, 1, len(gt)) if images else None
        return _sequence(spec, gt, absent, frames, gt_path)

    sequences, missing = gather(specs, root, load_one, strict)
    return Dataset(name, sequences, f"LaSOT folders in {root}", root, missing)


def load_annotations(name: str, path: Path, specs: dict[str, SequenceSpec]) -> Dataset:
    """The LaSOT toolkit's ``annos/`` folder (ground truth and absent flags, no images)."""
    path = Path(path)
    if not path.is_dir():
        raise DatasetError("not a folder (the LaSOT toolkit's annos/ folder: <seq>.txt and absent/<seq>.txt)", path)
    boxes_dir = path / "groundtruth" if (path / "groundtruth").is_dir() else path
    if not (path / "absent").is_dir():
        raise DatasetError("no absent/ folder (LaSOT scores need the absent-target flags: absent/<seq>.txt)", path)
    sequences, missing, found = [], {}, []
    for spec in specs.values():
        gt_path, absent_path = boxes_dir / f"{spec.anno}.txt", path / "absent" / f"{spec.anno}.txt"
        if not gt_path.is_file():
            missing[spec.name] = f"no {gt_path.name} in {boxes_dir}"
        elif not absent_path.is_file():
            missing[spec.name] = f"no absent flags {absent_path}"
        else:
            found.append((spec, gt_path, absent_path))
    # 280 files of ~2,500 lines: parsed in one pass (read_many), not file by file
    boxes = read_many([gt for _, gt, _ in found], 4, "ground truth")
    for (spec, gt_path, absent_path), gt in zip(found, boxes):
        if isinstance(gt, DatasetError):
            raise gt
        sequences.append(_sequence(spec, gt, _flags(absent_path, len(gt)), None, gt_path))
    return Dataset(name, sequences, f"LaSOT toolkit annotations in {path}", None, missing)
