"""Every hash rasbench keeps, in one place: what a cache key, a result manifest or a report
fingerprint is made of.

Cheap where it has to be: folders and image files are identified by name, size and
modification time (hashing a million boxes or 59k JPEGs would take seconds to minutes);
ground truth, which decides every score, is hashed by value.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:
    import importlib.metadata


def parts_digest(*parts) -> str:
    """24 hex digits of sha256 over ``parts`` (bytes as they are, anything else as sorted JSON)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else json.dumps(part, sort_keys=True, default=str).encode())
    return h.hexdigest()[:24]


def text_digest(text: str, digits: int = 20) -> str:
    """The first ``digits`` hex digits of sha1 of ``text`` (names of cache entries)."""
    return hashlib.sha1(text.encode()).hexdigest()[:digits]


def rows_digest(rows: np.ndarray) -> str:
    """16 hex digits of sha1 of a float64 array's bytes (ground-truth rows a run is scored on)."""
    return hashlib.sha1(np.ascontiguousarray(rows, dtype=np.float64).tobytes()).hexdigest()[:16]


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's bytes; None when it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def file_key(path: Path | None) -> list | None:
    """[size, modification time in ns] of a file; None when it is absent or ``path`` is None."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def folder_digest(folder: Path) -> str:
    """Every file below ``folder`` by relative path, size and modification time."""
    rows = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            rows.append((os.path.relpath(path, folder), st.st_size, st.st_mtime_ns))
    return parts_digest(rows)


def _groundtruth_bytes(groundtruth) -> list[bytes]:
    """An (N, 4) box array or a Regions' arrays, as bytes."""
    if isinstance(groundtruth, np.ndarray):
        arrays = (groundtruth,)
    else:
        arrays = (groundtruth.kind, groundtruth.code, groundtruth.coords)
    return [np.ascontiguousarray(a).tobytes() for a in arrays]


def sequence_fingerprints(dataset) -> dict[str, str]:
    """16 hex digits per sequence of what a run depends on: ground truth, frame numbers,
    image files (by name and size)."""
    out = {}
    for name, seq in dataset.items():
        h = hashlib.sha256()
        for chunk in _groundtruth_bytes(seq.groundtruth):
            h.update(chunk)
        h.update(str(seq.first_frame).encode())
        for path in seq.frame_paths or ():
            h.update(path.name.encode())
            h.update(str(path.stat().st_size).encode())
        out[name] = h.hexdigest()[:16]
    return out


def dataset_digest(dataset) -> str:
    """24 hex digits over what scoring reads of every sequence: ground truth, frame
    numbers, attributes, tags and image sizes."""
    h = hashlib.sha256()
    for name, seq in dataset.items():
        h.update(name.encode())
        for chunk in _groundtruth_bytes(seq.groundtruth):
            h.update(chunk)
        for tag in sorted(seq.tags):
            h.update(tag.encode() + np.packbits(np.asarray(seq.tags[tag], bool)).tobytes())
        h.update(json.dumps([seq.first_frame, list(seq.attributes), seq.image_size]).encode())
    return h.hexdigest()[:24]


def code_fingerprint(factory: Callable[..., Any]) -> str:
    """What identifies the code behind a tracker class or factory, for result manifests.

    * a module of a regularly installed distribution: ``"<distribution> <version>"``;
    * anything else (a ``file.py:Class`` file, a module on ``sys.path``, an editable
      install, rasbench's own trackers, whose version does not change while their code
      does): ``"sha256:<16 hex digits>"`` of the source, the module's file, or every
      ``.py`` file of its folder when the module is part of a package (a tracker's model
      and helpers usually live beside it).
    """
    import inspect  # run time only: a report never needs it

    target = inspect.unwrap(getattr(factory, "func", factory))  # functools.partial -> its function
    module = inspect.getmodule(target)
    source = getattr(module, "__file__", None)
    if source is None:  # defined interactively or in a built-in module: nothing to hash
        return "unknown"
    dist = _regular_distribution(module.__name__.partition(".")[0])
    if dist is not None:
        return f"{dist.metadata['Name']} {dist.version}"
    source = Path(source)
    files = sorted(source.parent.glob("*.py")) if module.__spec__ and module.__spec__.parent else [source]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"sha256:{digest.hexdigest()[:16]}"


def _regular_distribution(top_module: str) -> importlib.metadata.Distribution | None:
    """The installed distribution providing ``top_module``, unless it is rasbench itself or
    an editable install (Python 3.9 cannot tell: None, so the source is hashed)."""
    import importlib.metadata  # ~35 ms of imports (email, zipfile, csv) a report does not need

    mapping = getattr(importlib.metadata, "packages_distributions", dict)()
    for name in mapping.get(top_module, []):
        dist = importlib.metadata.distribution(name)
        direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
        if dist.metadata["Name"].lower() != "rasbench" and not direct_url.get("dir_info", {}).get("editable"):
            return dist
    return None
