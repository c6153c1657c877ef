"""``manifest.json``: what made a folder's results, and the guard that keeps runs apart.

A run records in its tracker's experiment folder the tracker spec, its parameters and
code, the run convention, a fingerprint per sequence of the data it ran on, and the
versions around it. A later run into the same folder is refused when any of the first
five differ (whether or not work remains), or the digest of the tracker's weights
(``describe()["weights_sha256"]``) differs from the one recorded, so results made differently are never mixed
or credited to another run; the check and the write are one step under the folder's
lock. Reports read manifests to say how results were made and to warn when they are
scored under another convention than they were run with.
"""
from __future__ import annotations

import datetime
import json
import logging
import platform
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import ResultsError
from ..fingerprint import parts_digest
from ..paths import atomic_write_json, file_lock
from ..registry import TrackerSpec
from ..tracker import is_deterministic

log = logging.getLogger("rasbench")
MANIFEST = "manifest.json"
LOCK = ".manifest.lock"
# Manifest fields that must agree before a folder's results are credited to a run
# (besides the data fingerprints of the sequences both cover).
IDENTITY_FIELDS = ("tracker_spec", "parameters", "tracker_code", "convention")


def read_manifest(folder: Path) -> dict | None:
    """The manifest of an experiment folder, None when it has none; a malformed one is a
    :class:`ResultsError` saying how to get past it."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path} cannot be read ({exc}); delete it or rerun with --force") from None
    problem = None
    if not isinstance(manifest, dict):
        problem = f"it holds a JSON {type(manifest).__name__}, not an object"
    elif not isinstance(manifest.get("sequences", {}), dict):
        problem = "its 'sequences' is not an object of data fingerprints"
    elif not isinstance(manifest.get("parameters", {}), dict):
        problem = "its 'parameters' is not an object"
    if problem:
        raise ResultsError(f"{path} is not a rasbench manifest: {problem}; delete it or rerun with --force")
    return manifest


def write_manifest(folder: Path, manifest: dict) -> None:
    atomic_write_json(Path(folder) / MANIFEST, manifest)


def manifest_lock(folder: Path):
    """Hold an experiment folder exclusively (its ``.manifest.lock``), so that a manifest
    check and its write are one step that concurrent runs take in turn."""
    return file_lock(Path(folder) / LOCK)


def identity(spec: TrackerSpec, convention: str, fingerprints: dict[str, str]) -> dict:
    """The manifest fields that a folder's results must agree with to be credited to a run."""
    return {"tracker_spec": spec.spec, "parameters": spec.params, "tracker_code": spec.code,
            "convention": convention, "sequences": fingerprints}


def tracker_info(tracker) -> dict:
    """What the tracker says of itself (its ``describe()``), {} when it says nothing."""
    describe = getattr(tracker, "describe", None)
    return (describe() or {}) if callable(describe) else {}


def build_manifest(spec: TrackerSpec, tracker, benchmark: str, experiment: str, convention: str,
                   fingerprints: dict[str, str], tracker_boxes: str) -> dict:
    """A whole manifest: :func:`identity` and what else describes the run (the tracker's
    own ``describe()``, how boxes were handed to it, versions, host)."""
    import cv2

    info = tracker_info(tracker)
    return {
        **identity(spec, convention, fingerprints),  # sequences: per-sequence data fingerprint
        "tracker": spec.default_name,
        "deterministic": is_deterministic(tracker),
        "tracker_info": info,
        "weights_sha256": info.get("weights_sha256"),
        "benchmark": benchmark,
        "experiment": experiment,
        "tracker_boxes": tracker_boxes,
        "rasbench_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "host": platform.node(),
    }


def check_manifest(existing: dict | None, current: dict, folder: Path) -> None:
    """Refuse a folder whose results were made by another tracker, code, parameters,
    convention or data. A manifest written before tracker code was recorded is accepted
    with a warning (the run then records it)."""
    if not existing:
        return
    fields = [f for f in IDENTITY_FIELDS if f in existing or f != "tracker_code"]
    if "tracker_code" not in existing:
        log.warning("%s was made before rasbench recorded tracker code; assuming the tracker's code is "
                    "unchanged (use --force to redo the results)", Path(folder) / MANIFEST)
    changed = [f for f in fields if existing.get(f) != current.get(f)]
    # the same weights file name may hold other weights: their digest (from describe()) decides,
    # where both manifests have one (a run with nothing left to do builds its tracker to learn it
    # only when the folder's manifest recorded weights)
    if "weights_sha256" in existing and "weights_sha256" in current and \
            existing["weights_sha256"] != current["weights_sha256"]:
        changed.append("weights_sha256")
    old_data = existing.get("sequences") or {}
    changed += [f"data of {name}" for name, fp in current["sequences"].items() if old_data.get(name, fp) != fp]
    if changed:
        details = "; ".join(f"{f}: {existing.get(f)!r} -> {current.get(f)!r}" if f in existing else
                            f"{f} changed" for f in changed)
        raise ResultsError(f"{folder} holds results made differently ({details}). Use --force to redo them "
                           f"all, or --name to keep both")


def settle_manifest(store, tracker: str, current: dict, force: bool, write: bool) -> None:
    """Check the manifest of ``tracker``'s folder in ``store`` (a
    :class:`~rasbench.results.store.ResultStore`) against ``current`` and, with ``write``,
    record ``current`` (a full manifest) in it. Both happen under the folder's lock, so of
    two runs started together with different settings the second sees the first's
    manifest and is refused."""
    with store.manifest_lock(tracker):
        existing = None if force else store.read_manifest(tracker)
        check_manifest(existing, current, store.tracker_dir(tracker))
        if not write:
            return
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        manifest = {**current, "tracker": tracker, "created": (existing or {}).get("created", now),
                    "updated": now, "sequences": {**(existing or {}).get("sequences", {}), **current["sequences"]}}
        store.write_manifest(tracker, manifest)


def _readable(folder: Path) -> dict | None:
    """The manifest of a folder being reported on, None when absent, irregular, over 1 MiB
    or unreadable (a report never fails over it)."""
    path = Path(folder) / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > 1 << 20:
            return None
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def run_convention_notes(tracker: str, folder: Path, convention: str) -> list[str]:
    """A note (also logged as a warning) for a report scored under ``convention`` when the
    results in ``folder`` were run under another one, as their manifest says: the
    conventions run trackers differently (where OPE starts, the boxes handed over), not
    only score them differently. Empty when they agree or nothing says."""
    ran = (_readable(folder) or {}).get("convention")
    if not isinstance(ran, str) or ran.lower() == convention.lower():
        return []
    note = (f"run with convention {ran}, scored with {convention}: the toolkits run trackers differently; "
            f"rerun with --convention {convention} to compare like with like")
    log.warning("%s: %s", tracker, note)
    return [note]


def describe_origin(folder: Path) -> dict:
    """What is known about how a result folder was made, for reports: rasbench's manifest
    (tracker spec, parameters, weights hash, data fingerprint, versions), else that it
    was imported."""
    if not (Path(folder) / MANIFEST).is_file():
        return {"origin": "imported raw results (no rasbench manifest)"}
    manifest = _readable(folder)
    if manifest is None:
        return {"origin": "rasbench run (manifest.json unreadable)"}
    fingerprints = manifest.get("sequences") or {}
    return {"origin": "rasbench run", "tracker_spec": manifest.get("tracker_spec"),
            "parameters": manifest.get("parameters"), "weights_sha256": manifest.get("weights_sha256"),
            "rasbench_version": manifest.get("rasbench_version"), "convention": manifest.get("convention"),
            "data_fingerprint": parts_digest(sorted(fingerprints.items())) if fingerprints else None,
            "sequences_recorded": len(fingerprints), "updated": manifest.get("updated"),
            "host": manifest.get("host")}
