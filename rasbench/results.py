"""The results store: text files compatible with the OTB / got10k / pysot / VOT layouts.

Layout under a results root: ``<benchmark>/<tracker>/<experiment>/``, the VOT toolkits'
``<tracker>/baseline/<seq>/...`` shape for every benchmark.

* one-run OTB experiments (OPE): ``<Seq>.txt`` and ``times/<Seq>_time.txt``, exactly
  what got10k and pysot write into their tracker folders;
* multi-run OTB experiments (TRE, SRE): ``<Seq>/<Seq>_<run:03d>.txt`` and ``..._time.txt``;
* ``manifest.json``: what produced the folder; ``<result>.error.json``: a failed unit.

Boxes are ``x,y,w,h`` per line (``%.3f``, comma separated) in the benchmark's native
coordinates. Every write is atomic (temporary file + ``os.replace``), and the box file
is written last, so a box file's presence means its unit finished.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .benchmarks import SequenceSpec
from .datasets.otb import normalise_name
from .datasets.textio import format_rows, read_rows, read_text
from .errors import DatasetError, ResultsError, ResultsWriteError
from .paths import path_component

log = logging.getLogger("rasbench")
MANIFEST = "manifest.json"
ERROR_RECORD_BYTES = 1 << 20  # a failure record: a message and a traceback


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _json_text(data) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class UnitFiles:
    boxes: Path
    times: Path

    @property
    def error(self) -> Path:
        return self.boxes.with_name(self.boxes.stem + ".error.json")


class ResultStore:
    """Read/write access to the ``<root>/<benchmark>/<tracker>/<experiment>`` folders.

    Every name that becomes a path component is checked here once more (the last line of
    defence behind the checks where names enter), and every failed write (disk full, a
    read-only folder, ``root`` a file) is a :class:`ResultsWriteError` naming the path.
    """

    def __init__(self, root: Path, benchmark: str, experiment: str, multi_run: bool):
        self.folder = Path(root) / path_component(benchmark, "benchmark name", ResultsError)
        self.experiment = path_component(experiment, "experiment name", ResultsError)
        self.multi_run = multi_run

    def tracker_dir(self, tracker: str) -> Path:
        """The experiment folder of ``tracker`` (manifest, results, error records)."""
        return self.folder / path_component(tracker, "tracker name", ResultsError) / self.experiment

    def unit_files(self, tracker: str, sequence: str, run: int = 1, vot: bool = False) -> UnitFiles:
        base = self.tracker_dir(tracker)
        path_component(sequence, "sequence name", ResultsError)
        if vot:  # VOT toolkit layout; per-repetition times as vot-toolkit's .value files
            stem = f"{sequence}_{run:03d}"
            return UnitFiles(base / sequence / f"{stem}.txt", base / sequence / f"{stem}_time.value")
        if self.multi_run:
            stem = f"{sequence}_{run:03d}"
            return UnitFiles(base / sequence / f"{stem}.txt", base / sequence / f"{stem}_time.txt")
        return UnitFiles(base / f"{sequence}.txt", base / "times" / f"{sequence}_time.txt")

    def is_done(self, tracker: str, sequence: str, run: int = 1, vot: bool = False) -> bool:
        return self.unit_files(tracker, sequence, run, vot).boxes.is_file()

    def write_unit(self, tracker: str, sequence: str, run: int, boxes: np.ndarray, times: np.ndarray) -> UnitFiles:
        files = self.unit_files(tracker, sequence, run)
        _write(files.times, format_rows(np.asarray(times)[:, None], fmt="%.8f"))
        _write(files.boxes, format_rows(boxes))
        _remove(files.error)
        return files

    def write_vot_unit(self, tracker: str, sequence: str, run: int, entries: list, times) -> UnitFiles:
        """A VOT trajectory (codes 1/2/0 and regions) and its times.

        Also rewrites ``<seq>_time.txt``, the VOT MATLAB toolkit's times matrix (rows =
        frames, columns = repetitions, NaN where a frame was not processed).
        """
        from .region import Regions, format_regions

        files = self.unit_files(tracker, sequence, run, vot=True)
        parts = [Regions.specials([e]) if isinstance(e, int) else e for e in entries]
        lines = format_regions(Regions.concat(parts))
        times = np.asarray(times, dtype=np.float64)
        _write(files.times, "".join("NaN\n" if np.isnan(t) else f"{t:.8f}\n" for t in times))
        _write(files.boxes, "".join(line + "\n" for line in lines))
        _remove(files.error)
        self._write_time_matrix(files.boxes.parent, sequence, len(times))
        return files

    def _write_time_matrix(self, folder: Path, sequence: str, length: int) -> None:
        columns = []
        for path in sorted(folder.glob(f"{sequence}_[0-9][0-9][0-9]_time.value")):
            values = read_rows(path, 1, "time").reshape(-1)
            columns.append(values if len(values) == length else np.full(length, np.nan))
        matrix = np.column_stack(columns)
        text = "".join(",".join("NaN" if np.isnan(v) else f"{v:.8f}" for v in row) + "\n" for row in matrix)
        _write(folder / f"{sequence}_time.txt", text)

    def write_error(self, tracker: str, sequence: str, run: int, record: dict) -> None:
        _write(self.unit_files(tracker, sequence, run).error, _json_text(record))

    def read_manifest(self, tracker: str) -> dict | None:
        """The folder's manifest, None when it has none; a malformed one is an error."""
        path = self.tracker_dir(tracker) / MANIFEST
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

    def write_manifest(self, tracker: str, manifest: dict) -> None:
        _write(self.tracker_dir(tracker) / MANIFEST, _json_text(manifest))

    @contextmanager
    def manifest_lock(self, tracker: str):
        """Hold the tracker's experiment folder exclusively (``flock`` of its ``.manifest.lock``,
        which also works on NFS), so that a manifest check and its write are one step that
        concurrent runs take in turn. A file system without locks only costs that guard."""
        import fcntl

        path = self.tracker_dir(tracker) / ".manifest.lock"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ResultsWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                log.warning("cannot lock %s (%s): concurrent runs into this folder are not detected",
                            path, exc.strerror or exc)
            yield
        finally:
            os.close(fd)  # releases the lock


def run_convention_notes(tracker: str, folder: Path, convention: str) -> list[str]:
    """A note (also logged as a warning) for a report scored under ``convention`` when the
    results in ``folder`` were run under another one, as their ``manifest.json`` says: the
    conventions run trackers differently (where OPE starts, the boxes handed over), not
    only score them differently. Empty when they agree or nothing says (no manifest, not a
    regular file, unreadable)."""
    path = Path(folder) / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > 1 << 20:
            return []
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    ran = manifest.get("convention") if isinstance(manifest, dict) else None
    if not isinstance(ran, str) or ran.lower() == convention.lower():
        return []
    note = (f"run with convention {ran}, scored with {convention}: the toolkits run trackers differently; "
            f"rerun with --convention {convention} to compare like with like")
    log.warning("%s: %s", tracker, note)
    return [note]


def _write(path: Path, text: str) -> None:
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise ResultsWriteError(f"cannot write {path}: {exc.strerror or exc}") from None


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ResultsWriteError(f"cannot remove {path}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------------------------------
# Loading results for scoring, ours or anybody's.


def find_tracker_dirs(results: list[Path], benchmark: str, experiment: str, wanted: list[str] | None = None) -> dict[str, Path]:
    """Experiment folders of the trackers under each ``--results`` path.

    A path may be a results root (``<path>/<benchmark>/<tracker>/<experiment>``) or
    directly a folder of tracker folders (other people's raw results), each holding
    experiment folders (VOT toolkit: ``<tracker>/baseline``) or, for one-run OTB
    experiments, the result files themselves (got10k, pysot: ``<tracker>/<Seq>.txt``).
    ``wanted`` selects and orders trackers; a name may also be a path to such a folder.
    """
    found: dict[str, Path] = {}
    for root in results:
        root = Path(root)
        if not root.is_dir():
            raise ResultsError(f"results folder {root} " + ("is a file" if root.exists() else "does not exist"))
        folder = root / benchmark if (root / benchmark).is_dir() else root
        for child in sorted(folder.iterdir()):
            if not child.is_dir() or child.name.startswith("."):
                continue
            exp_dir = _experiment_dir(child, experiment)
            if exp_dir is None:
                continue
            if child.name in found and found[child.name] != exp_dir:
                raise ResultsError(f"tracker {child.name!r} is in both {found[child.name]} and {exp_dir}; "
                                   f"pass one --results or rename a folder")
            found[child.name] = exp_dir
    if wanted is None:
        return found
    selected = {}
    for name in wanted:
        if name in found:
            selected[name] = found[name]
        elif Path(name).is_dir() and _experiment_dir(Path(name), experiment):
            selected[Path(name).name] = _experiment_dir(Path(name), experiment)
        else:
            raise ResultsError(f"no {experiment} results for tracker {name!r}; found: {', '.join(found) or 'none'} "
                               f"(in {', '.join(str(r) for r in results)})")
    return selected


def _experiment_dir(tracker_folder: Path, experiment: str) -> Path | None:
    if (tracker_folder / experiment).is_dir():
        return tracker_folder / experiment
    if experiment == "ope" and any(tracker_folder.glob("*.txt")):
        return tracker_folder  # got10k / pysot: the tracker folder holds the OPE files
    return None


def _name_keys(spec: SequenceSpec) -> set[str]:
    return {normalise_name(n) for n in (spec.name, spec.anno, *spec.aliases)}


@dataclass
class TrackerFiles:
    """Result files of one tracker matched to benchmark sequences."""

    name: str
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)  # sequence -> box file (one-run) or folder
    notes: list[str] = field(default_factory=list)  # e.g. duplicate files, which one was used


def match_one_run_files(name: str, folder: Path, specs: dict[str, SequenceSpec]) -> TrackerFiles:
    """Match ``<Seq>.txt`` files, accepting the usual variants (``jogging_1.txt``,
    ``Jogging.1.txt``, lower case, got10k's ``Human4.txt``)."""
    key_to_seq = {}
    for spec in specs.values():
        for key in _name_keys(spec):
            key_to_seq.setdefault(key, spec.name)
    result = TrackerFiles(name, folder)
    for path in sorted(folder.glob("*.txt")):
        if path.stem.endswith("_time"):
            continue
        seq = key_to_seq.get(normalise_name(path.stem))
        if seq is None:
            continue
        previous = result.files.get(seq)
        if previous is not None:
            keep = path if path.stem == seq else previous
            result.notes.append(f"{seq}: both {previous.name} and {path.name}; using {keep.name}")
            result.files[seq] = keep
        else:
            result.files[seq] = path
    return result


def match_multi_run_folders(name: str, folder: Path, specs: dict[str, SequenceSpec]) -> TrackerFiles:
    result = TrackerFiles(name, folder)
    for spec in specs.values():
        if (folder / spec.name).is_dir():
            result.files[spec.name] = folder / spec.name
    return result


def time_file_for(box_file: Path, present: set[Path] | None = None) -> Path | None:
    """Per-frame times of a one-run result: got10k's ``times/<Seq>_time.txt`` or a
    ``<Seq>_time.txt`` beside the boxes (pytracking). ``present``: known existing files."""
    for candidate in (box_file.parent / "times" / f"{box_file.stem}_time.txt",
                      box_file.with_name(f"{box_file.stem}_time.txt")):
        if candidate in present if present is not None else candidate.is_file():
            return candidate
    return None


def read_boxes(path: Path) -> np.ndarray:
    return read_rows(path, 4, "box")


def read_times(path: Path) -> np.ndarray:
    return read_rows(path, 1, "time").reshape(-1)


def unit_errors(folder: Path) -> dict[str, dict]:
    """Failure records (``*.error.json``) left by runs in a tracker folder; a record that
    cannot be read (not a regular file, over 1 MiB, not a JSON object) says so."""
    records = {}
    for path in folder.rglob("*.error.json"):
        key = str(path.relative_to(folder))
        try:
            record = json.loads(read_text(path, "error record", max_bytes=ERROR_RECORD_BYTES))
        except DatasetError as exc:
            record = {"error": f"unreadable error record ({exc})"}
        except ValueError:
            record = None
        records[key] = record if isinstance(record, dict) else {"error": "unreadable error record"}
    return records
