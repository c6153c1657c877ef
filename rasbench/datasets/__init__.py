"""Finding and opening the data of a benchmark.

Search order for a benchmark's data: ``--root DIR`` when given; otherwise every folder
in ``$RASBENCH_DATA`` (``os.pathsep``-separated) and the default data home
(``$XDG_DATA_HOME/rasbench`` or ``~/.local/share/rasbench``), each tried as the dataset
folder itself and with the benchmark's usual folder names appended (``OTB100``,
``otb2015``, ...). The synthetic benchmark is generated on first use into the cache
(``$RASBENCH_CACHE`` or ``~/.cache/rasbench``) unless ``--root`` says where.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..benchmarks import BenchmarkDef
from ..errors import DatasetError
from . import otb, vot
from .sequence import Dataset, Sequence

# Which dataset layout each protocol reads: OTB folders or VOT folders.
PROTOCOL_LAYOUT = {"ope": "otb", "tre": "otb", "sre": "otb",
                   "baseline": "vot", "realtime": "vot", "unsupervised": "vot"}

__all__ = ["Dataset", "Sequence", "open_dataset", "data_dirs", "cache_dir", "locate", "sequence_fingerprints"]


def data_dirs() -> list[Path]:
    dirs = [Path(p).expanduser() for p in os.environ.get("RASBENCH_DATA", "").split(os.pathsep) if p]
    home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    dirs.append(Path(home) / "rasbench")
    return dirs


def cache_dir() -> Path:
    explicit = os.environ.get("RASBENCH_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(home) / "rasbench"


def synth_root(benchmark: BenchmarkDef, root: Path | None = None) -> Path:
    return Path(root) if root is not None else cache_dir() / benchmark.name


def _holds_sequences(folder: Path, benchmark: BenchmarkDef) -> bool:
    return any((folder / spec.folder / spec.groundtruth).is_file() for spec in benchmark.sequences.values())


def _candidates(benchmark: BenchmarkDef, bases: list[Path]) -> list[Path]:
    out = []
    for base in bases:
        out.append(base)
        out += [base / name for name in benchmark.dataset_dirs]
    return out


@dataclass
class Location:
    """Where a benchmark's data was found and how complete it is."""

    path: Path
    kind: str  # "images", "annotations"
    found: int
    missing: dict[str, str]


def _loaders(benchmark: BenchmarkDef, layout: str):
    """(native loader, annotation loader) for the benchmark's layout."""
    if layout == "vot":
        tags = tuple(benchmark.raw.get("tags") or ())
        return (lambda name, root, specs, **kw: vot.load_native(name, root, specs, tags, **kw),
                lambda name, path, specs: vot.load_annotations(name, path, specs, tags))
    return otb.load_native, otb.load_annotations


def benchmark_layout(benchmark: BenchmarkDef, experiment: str | None = None) -> str:
    """The dataset layout a benchmark's experiment reads ("otb" or "vot")."""
    if benchmark.format in ("otb", "vot"):
        return benchmark.format
    if experiment is None:
        return "otb"
    return PROTOCOL_LAYOUT[benchmark.experiment(experiment).protocol]


def locate(benchmark: BenchmarkDef, root: Path | None = None) -> list[Location]:
    """Every place holding (part of) the benchmark, for ``rasbench datasets``."""
    if benchmark.format == "synth":
        from .synthetic import is_generated

        path = synth_root(benchmark, root)
        ok = is_generated(benchmark, path)
        return [Location(path, "generated" if ok else "not generated yet", len(benchmark.sequences) if ok else 0, {})]
    load_native, load_annotations = _loaders(benchmark, benchmark.format)
    locations = []
    bases = [Path(root)] if root is not None else data_dirs()
    for folder in _candidates(benchmark, bases):
        if folder.is_dir() and _holds_sequences(folder, benchmark):
            ds = load_native(benchmark.name, folder, benchmark.sequences, images=True, strict=False)
            locations.append(Location(folder, "images", len(ds), ds.missing))
        for name in benchmark.annotation_files:
            if (folder / name).exists():
                try:
                    ds = load_annotations(benchmark.name, folder / name, benchmark.sequences)
                    locations.append(Location(folder / name, "annotations", len(ds), ds.missing))
                except DatasetError as exc:
                    locations.append(Location(folder / name, "annotations (broken)", 0, {"error": str(exc)}))
    return locations


def open_dataset(benchmark: BenchmarkDef, *, root: Path | None = None, annotations: Path | None = None,
                 images: bool = True, sequences: list[str] | None = None, progress: bool = False,
                 experiment: str | None = None) -> Dataset:
    """Load the benchmark's sequences (all, or ``sequences``), with or without images.

    ``experiment`` picks the layout where a benchmark has two (the synthetic one holds
    OTB and VOT copies). Raises :class:`DatasetError` naming what is missing and where
    it looked.
    """
    specs = benchmark.sequences
    layout = benchmark_layout(benchmark, experiment)
    if benchmark.format == "synth" and layout == "vot":  # the VOT copy uses lower-case names
        specs = {n.lower(): replace(s, name=n.lower(), folder=s.folder.lower(), groundtruth="groundtruth.txt")
                 for n, s in specs.items()}
    if sequences:
        by_key = {n.lower(): n for n in specs}
        unknown = [s for s in sequences if s.lower() not in by_key]
        if unknown:
            raise DatasetError(f"{benchmark.name} has no sequence(s) {', '.join(unknown)}")
        specs = {by_key[s.lower()]: specs[by_key[s.lower()]] for s in sequences}
    load_native, load_annotations = _loaders(benchmark, layout)
    if benchmark.format == "synth":
        from .synthetic import ensure_generated

        folder = ensure_generated(benchmark, synth_root(benchmark, root), progress=progress)
        dataset = load_native(benchmark.name, folder / layout, specs, images=images)
    elif annotations is not None:
        if images:
            raise DatasetError("annotation-only copies cannot be used to run trackers; give --root", annotations)
        dataset = load_annotations(benchmark.name, annotations, specs)
    else:
        dataset = _open_folders(benchmark, specs, root, images, load_native, load_annotations)
    # how to open it again (worker processes, cluster nodes)
    dataset.open_args = {"root": None if root is None else str(root),
                         "annotations": None if annotations is None else str(annotations),
                         "images": images, "sequences": list(specs), "experiment": experiment}
    if dataset.missing:
        listed = "\n  ".join(f"{name}: {why}" for name, why in dataset.missing.items())
        raise DatasetError(f"{benchmark.name}: {len(dataset.missing)} of {len(specs)} sequences missing in "
                           f"{dataset.source}:\n  {listed}\n(run `rasbench datasets` to see what is found where; "
                           f"`--sequences` restricts a run to what you have)")
    return dataset


def _open_folders(benchmark: BenchmarkDef, specs, root: Path | None, images: bool, load_native,
                  load_annotations) -> Dataset:
    bases = [Path(root)] if root is not None else data_dirs()
    looked = []
    best = None
    for folder in _candidates(benchmark, bases):
        looked.append(str(folder))
        if not folder.is_dir():
            continue
        if _holds_sequences(folder, benchmark):
            dataset = load_native(benchmark.name, folder, specs, images=images)
            if not dataset.missing:
                return dataset
            best = best or dataset
        if not images:
            for name in benchmark.annotation_files:
                if (folder / name).exists():
                    dataset = load_annotations(benchmark.name, folder / name, specs)
                    if not dataset.missing:
                        return dataset
                    best = best or dataset
    if best is not None:
        return best
    hint = f"give --root DIR, set RASBENCH_DATA, or run `rasbench download {benchmark.name} --root DIR`"
    if not images:
        hint += f", or give --annotations ({' or '.join(benchmark.annotation_files)})"
    raise DatasetError(f"{benchmark.title} not found; looked in:\n  " + "\n  ".join(looked) + f"\n{hint}")


def sequence_fingerprints(dataset: Dataset) -> dict[str, str]:
    """A short hash per sequence of what a run depends on: ground truth, frame numbers,
    image files (by name and size; hashing 59k JPEGs would take minutes)."""
    out = {}
    for name, seq in dataset.items():
        h = hashlib.sha256()
        gt = seq.groundtruth
        arrays = (gt,) if isinstance(gt, np.ndarray) else (gt.kind, gt.code, gt.coords)
        for array in arrays:
            h.update(np.ascontiguousarray(array).tobytes())
        h.update(str(seq.first_frame).encode())
        for path in seq.frame_paths or ():
            h.update(path.name.encode())
            h.update(str(path.stat().st_size).encode())
        out[name] = h.hexdigest()[:16]
    return out
