"""Sequences and datasets, independent of the benchmark they come from."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from ..text import plural
from .images import read_rgb


@dataclass
class Sequence:
    """One annotated target in one video.

    ``groundtruth`` holds one row per frame in the benchmark's native coordinates: an
    (N, 4) box array for OTB, a :class:`~rasbench.geometry.regions.Regions` for VOT (rotated boxes,
    special frames). ``origin`` is the
    coordinate of the top-left pixel in that convention (1 for OTB, 0 for VOT), so a
    box is shifted by ``-origin`` before a tracker sees it (see :mod:`rasbench.tracker`).
    Row ``k`` is frame ``first_frame + k`` (absolute frame numbers, as in OTB's
    configSeqs and initOmit files). ``frame_paths`` is None for annotation-only copies.
    ``absent`` (N,) bool marks frames whose target is not visible, where the dataset
    flags them (LaSOT); None where it does not.
    """

    name: str
    groundtruth: np.ndarray
    first_frame: int = 1
    frame_paths: list[Path] | None = None
    attributes: tuple[str, ...] = ()
    init_omit: tuple[tuple[int, int], ...] = ()
    origin: int = 1
    source: Path | None = None
    tags: dict[str, np.ndarray] = field(default_factory=dict)
    image_size: tuple[int, int] | None = None  # (width, height) where known
    absent: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.groundtruth)

    @property
    def last_frame(self) -> int:
        return self.first_frame + len(self) - 1

    @property
    def has_images(self) -> bool:
        return self.frame_paths is not None

    def frame(self, index: int, as_path: bool = False):
        """RGB frame at row ``index`` (0-based within the sequence), or its file path."""
        if self.frame_paths is None:
            raise DatasetError(f"sequence {self.name} has annotations only (no images)", self.source)
        if as_path:
            return str(self.frame_paths[index])
        return read_rgb(self.frame_paths[index])

    def to_tracker(self, boxes: np.ndarray) -> np.ndarray:
        """Native boxes -> 0-based tracker coordinates."""
        out = np.array(boxes, dtype=np.float64, copy=True)
        out[..., :2] -= self.origin
        return out

    def from_tracker(self, boxes: np.ndarray) -> np.ndarray:
        """0-based tracker boxes -> native coordinates."""
        out = np.array(boxes, dtype=np.float64, copy=True)
        out[..., :2] += self.origin
        return out


class Dataset(Mapping[str, Sequence]):
    """Ordered name -> :class:`Sequence` mapping with where it came from.

    ``missing`` lists benchmark sequences the source does not provide, with the reason.
    """

    def __init__(self, name: str, sequences: list[Sequence], source: str, root: Path | None = None,
                 missing: dict[str, str] | None = None):
        self.name = name
        self.source = source
        self.root = root
        self._sequences = {s.name: s for s in sequences}
        self.missing = dict(missing or {})
        self.open_args: dict | None = None  # set by open_dataset: how to open it again elsewhere

    def __getitem__(self, name: str) -> Sequence:
        return self._sequences[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sequences)

    def __len__(self) -> int:
        return len(self._sequences)

    @property
    def has_images(self) -> bool:
        return all(s.has_images for s in self._sequences.values())

    def subset(self, names) -> Dataset:
        unknown = [n for n in names if n not in self._sequences]
        if unknown:
            raise DatasetError(f"{plural(len(unknown), 'unknown sequence')} in {self.name}: {', '.join(unknown)}; "
                               f"known: {', '.join(self._sequences)}")
        return Dataset(self.name, [self._sequences[n] for n in names], self.source, self.root)


def gather(specs, root: Path, load_one, strict: bool = True) -> tuple[list[Sequence], dict[str, str]]:
    """Load every spec's sequence from ``root/<folder>`` with ``load_one(spec, folder,
    groundtruth_path)``; absent ones go to the returned ``missing`` map. A present but
    broken sequence raises :class:`DatasetError`, or with ``strict=False`` is listed in
    ``missing`` with the error (what ``rasbench datasets`` shows)."""
    sequences, missing = [], {}
    for spec in specs.values():
        folder = Path(root) / spec.folder
        gt_path = folder / spec.groundtruth
        if not folder.is_dir():
            missing[spec.name] = f"folder {folder} not found"
            continue
        if not gt_path.is_file():
            missing[spec.name] = f"ground truth {gt_path} not found"
            continue
        try:
            sequences.append(load_one(spec, folder, gt_path))
        except DatasetError as exc:
            if strict:
                raise
            missing[spec.name] = str(exc)
    return sequences, missing
