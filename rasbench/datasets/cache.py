"""A persistent cache of annotation-only datasets, so a report parses a pysot JSON or an
anno/ folder once, not on every run (LaSOT's 38 MB JSON: ~1 s and ~200 MB each time).

An entry holds every sequence of what ``Loader.annotations`` returned, as arrays in one
:mod:`rasbench.arraypack` file (no pickle) under ``<cache>/annotations/``, named by a key of

* the annotation path (resolved) and each file it may read, by relative path, size,
  modification time (ns) and inode: the run-score cache's key
  (:mod:`~rasbench.evaluation.cache`) plus the inode, so that a file replaced by
  another with the same size and time (``cp -p``, an unpacked archive) is noticed;
  hashing the contents instead would cost what parsing costs;
* the layout, the benchmark's name and tags and its sequence table (frame ranges,
  attributes, file names), the cache format and the toolkit version,

so an edited, replaced or added file, another definition or a new release all lead to a
fresh parse. Nothing is cached when loading fails, or when the copy has images beside
it (a pysot JSON inside the dataset folder: frame paths are not kept). A cache that
cannot be read or written only costs speed.
"""
from __future__ import annotations

import logging
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Callable

import numpy as np

from .._version import __version__
from ..arraypack import pack_arrays, read_arrays
from ..errors import ResultsWriteError
from ..fingerprint import parts_digest
from ..geometry.regions import Regions
from ..paths import atomic_write_bytes, cache_dir
from .sequence import Dataset, Sequence

log = logging.getLogger("rasbench")
FORMAT_VERSION = 2  # bump when what a loader makes of the same files changes
# The Sequence fields an entry keeps (frame_paths: none, see above); a field added to
# Sequence and not here turns the cache off rather than losing it.
KEPT = {"name", "groundtruth", "first_frame", "frame_paths", "attributes", "init_omit", "origin", "source", "tags",
        "image_size", "absent"}


def _files_key(path: Path) -> list:
    """[relative path, size, mtime ns, inode] of ``path`` (a file) or of every file below it."""
    if path.is_file():
        st = path.stat()
        return [[path.name, st.st_size, st.st_mtime_ns, st.st_ino]]
    rows = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            st = os.stat(os.path.join(root, name))
            rows.append([os.path.relpath(os.path.join(root, name), path), st.st_size, st.st_mtime_ns, st.st_ino])
    return rows


def entry_path(layout: str, benchmark, path: Path, specs: dict) -> Path:
    """The cache file of this annotation copy as it is now (see the module docstring)."""
    path = Path(path).resolve()
    key = parts_digest(FORMAT_VERSION, __version__, layout, benchmark.name, benchmark.raw.get("tags"),
                       [asdict(s) for s in specs.values()], str(path), _files_key(path))
    return cache_dir() / "annotations" / f"{key}.arrays"


def _arrays(seq: Sequence) -> dict[str, np.ndarray]:
    gt = seq.groundtruth
    out = ({"kind": gt.kind, "code": gt.code, "coords": gt.coords, "points": gt.points}
           if isinstance(gt, Regions) else {"boxes": gt})
    out.update({f"tag:{t}": v for t, v in seq.tags.items()})
    if seq.absent is not None:
        out["absent"] = seq.absent
    return out


def _save(entry: Path, dataset: Dataset) -> None:
    arrays, meta = {}, []
    for i, seq in enumerate(dataset.values()):
        names = []
        for name, array in _arrays(seq).items():
            arrays[f"{i}/{name}"] = np.asarray(array)
            names.append(name)
        meta.append({"name": seq.name, "first_frame": seq.first_frame, "attributes": list(seq.attributes),
                     "init_omit": [list(r) for r in seq.init_omit], "origin": seq.origin,
                     "source": None if seq.source is None else str(seq.source),
                     "image_size": None if seq.image_size is None else list(seq.image_size), "arrays": names})
    head = {"name": dataset.name, "source": dataset.source, "root": None if dataset.root is None else str(dataset.root),
            "missing": dataset.missing, "sequences": meta}
    atomic_write_bytes(entry, pack_arrays(head, arrays), durable=False)


def _load(entry: Path) -> Dataset:
    head, stored = read_arrays(entry)
    sequences = []
    for i, m in enumerate(head["sequences"]):
        a = {name: stored[f"{i}/{name}"] for name in m["arrays"]}
        gt = Regions(a["kind"], a["code"], a["coords"], a["points"]) if "kind" in a else a["boxes"]
        sequences.append(Sequence(
            name=m["name"], groundtruth=gt, first_frame=m["first_frame"], attributes=tuple(m["attributes"]),
            init_omit=tuple(tuple(r) for r in m["init_omit"]), origin=m["origin"],
            source=None if m["source"] is None else Path(m["source"]),
            tags={n[4:]: v for n, v in a.items() if n.startswith("tag:")},
            image_size=None if m["image_size"] is None else tuple(m["image_size"]),
            absent=a.get("absent")))
    return Dataset(head["name"], sequences, head["source"], None if head["root"] is None else Path(head["root"]),
                   head["missing"])


def cached_annotations(layout: str, benchmark, path: Path, specs: dict, load: Callable[[], Dataset]) -> Dataset:
    """``load()`` (a loader's ``annotations(benchmark, path, specs)``), or what it gave
    the last time these files were read with this definition."""
    try:
        entry = entry_path(layout, benchmark, path, specs)
    except OSError:  # a file vanished while listing: let the loader say what is wrong
        return load()
    if entry.is_file():
        try:
            return _load(entry)
        except Exception as exc:  # corrupt or foreign file: parse again and overwrite
            log.debug("ignoring annotation cache entry %s: %s", entry, exc)
    dataset = load()
    if not any(seq.has_images for seq in dataset.values()) and {f.name for f in fields(Sequence)} <= KEPT:
        try:
            _save(entry, dataset)
        except (ResultsWriteError, ValueError) as exc:  # ValueError: arrays of a kind not stored
            log.debug("cannot write annotation cache entry %s: %s", entry, exc)
    return dataset
