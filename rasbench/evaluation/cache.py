"""A persistent cache of per-run scores, so repeated reports skip parsing and scoring.

Reports re-read the same thousands of result files again and again (18 trackers x
OTB-100 is a million lines; TRE twenty times that). For every run file the cache keeps
its hit counts (success, precision, normalised precision), length and speed, keyed by

* the box file's size and modification time (nanoseconds),
* the time file's size and modification time (or its absence),
* a hash of the ground-truth rows the run is scored against,
* the convention, the experiment and the toolkit version (the scope of the entry),

so an edited, replaced or truncated file, different annotations, another convention or
a new rasbench release all lead to a fresh computation; nothing stale is served. Runs
whose files are bad are never cached. One entry (:mod:`rasbench.arraypack`: arrays, a JSON
head, a CRC) per (tracker folder, scope) under ``<cache>/scores/``; a cache that cannot be
read or written only costs speed.

Where the costly part is per frame rather than per run (VOT's rasterised overlaps, which
every analysis reads), :class:`MeasuredRunsCache` keeps the per-frame measurements of a
whole tracker folder instead, keyed by every file below the folder (relative path, size,
modification time), the ground truth and image sizes, and the convention.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._version import __version__
from ..arraypack import pack_arrays, read_arrays
from ..errors import ResultsWriteError
from ..fingerprint import text_digest
from ..paths import atomic_write_bytes, cache_dir

log = logging.getLogger("rasbench")
ENTRY_SUFFIX = ".arrays"  # rasbench.arraypack files (before 0.1.0's last change: .npz, ignored now)
FORMAT_VERSION = 3  # bump when the metric code changes what a run's counts are (2: MATLAB thresholds,
# 3: frames = the frames scored)


@dataclass
class RunScore:
    success: np.ndarray  # hit counts per success threshold
    precision: np.ndarray
    norm_precision: np.ndarray
    frames: int
    fps: float | None


class RunScoreCache:
    def __init__(self, directory: Path | None = None, enabled: bool = True):
        self.directory = Path(directory) if directory is not None else cache_dir() / "scores"
        self.enabled = enabled

    def _entry(self, folder: Path, scope: str) -> Path:
        key = f"{Path(folder).resolve()}|{scope}|{FORMAT_VERSION}|{__version__}"
        return self.directory / (text_digest(key) + ENTRY_SUFFIX)

    def load(self, folder: Path, scope: str) -> dict[str, tuple[list, RunScore]]:
        """``{relative path: (key, score)}`` stored for this folder and scope."""
        entry = self._entry(folder, scope)
        if not self.enabled or not entry.is_file():
            return {}
        try:
            keys, arrays = read_arrays(entry)
            success, precision, norm = arrays["success"], arrays["precision"], arrays["norm_precision"]
            frames, fps = arrays["frames"], arrays["fps"]
        except Exception as exc:  # corrupt or foreign file: recompute and overwrite
            log.debug("ignoring cache entry %s: %s", entry, exc)
            return {}
        return {rel: (key, RunScore(success[i], precision[i], norm[i], int(frames[i]),
                                    None if np.isnan(fps[i]) else float(fps[i])))
                for i, (rel, key) in enumerate(keys)}

    def save(self, folder: Path, scope: str, items: list[tuple[str, list, RunScore]]) -> None:
        if not self.enabled or not items:
            return
        entry = self._entry(folder, scope)
        data = pack_arrays([[rel, key] for rel, key, _ in items], {
            "success": np.stack([s.success for _, _, s in items]),
            "precision": np.stack([s.precision for _, _, s in items]),
            "norm_precision": np.stack([s.norm_precision for _, _, s in items]),
            "frames": np.array([s.frames for _, _, s in items]),
            "fps": np.array([np.nan if s.fps is None else s.fps for _, _, s in items])})
        try:
            atomic_write_bytes(entry, data, durable=False)
        except ResultsWriteError as exc:
            log.debug("cannot write cache entry %s: %s", entry, exc)


class MeasuredRunsCache:
    """A family's per-frame measurements of one tracker folder (VOT: each run's overlaps,
    special-frame codes and frame times), one entry per (folder, scope) under
    ``<cache>/measured/``, served only while ``key`` -- what the scorer says they were
    made from -- is the one stored with them."""

    def __init__(self, directory: Path | None = None, enabled: bool = True):
        self.directory = Path(directory) if directory is not None else cache_dir() / "measured"
        self.enabled = enabled

    def _entry(self, folder: Path, scope: str) -> Path:
        return self.directory / (text_digest(f"{Path(folder).resolve()}|{scope}|{__version__}") + ENTRY_SUFFIX)

    def load(self, folder: Path, scope: str, key: str) -> tuple[dict, dict[str, np.ndarray]] | None:
        """(the JSON-able facts, the arrays) saved with ``key``; None when absent or stale."""
        entry = self._entry(folder, scope)
        if not self.enabled or not entry.is_file():
            return None
        try:
            head, arrays = read_arrays(entry)
            if head.get("key") != key:
                return None
            return head["facts"], arrays
        except Exception as exc:  # corrupt or foreign file: recompute and overwrite
            log.debug("ignoring cache entry %s: %s", entry, exc)
            return None

    def save(self, folder: Path, scope: str, key: str, facts: dict, arrays: dict[str, np.ndarray]) -> None:
        if not self.enabled:
            return
        entry = self._entry(folder, scope)
        try:
            atomic_write_bytes(entry, pack_arrays({"key": key, "facts": facts}, arrays), durable=False)
        except (ResultsWriteError, ValueError) as exc:  # ValueError: arrays of a kind not stored
            log.debug("cannot write cache entry %s: %s", entry, exc)
