"""The OTB family's results layout: what got10k and pysot write, and the naming others use.

In a tracker's experiment folder:

* one-run experiments (OPE): ``<Seq>.txt`` and ``times/<Seq>_time.txt``, exactly what
  got10k and pysot write into their tracker folders (which therefore load as OPE results
  of their own: the tracker folder holds the files);
* multi-run experiments (TRE, SRE): ``<Seq>/<Seq>_<run:03d>.txt`` and ``..._time.txt``.

Other toolkits' OPE folders load as they are: got10k's and pysot's ``<tracker>/<Seq>.txt``,
the LaSOT toolkit's ``tracking_results/<Tracker>_tracking_result/<Seq>.txt`` (the tracker
is ``<Tracker>``).

A one-run experiment repeated (``rasbench run --runs N``, stochastic trackers) keeps run 1
exactly as above and puts run k >= 2 in ``runs/<k:03d>/`` beside it, in the same layout
(``runs/002/<Seq>.txt``, ``runs/002/times/<Seq>_time.txt``): a single-run folder is run 1
of a repeated one, every other toolkit still reads run 1, one manifest covers all runs,
and each run folder has the shape of one of pytracking's run folders. pytracking's own
repeated runs, sibling folders ``<param>_000``, ``<param>_001``, ..., load as the runs of
one tracker ``<param>`` (:meth:`OTBLayout.run_group`).

Boxes are ``x,y,w,h`` per line (``%.3f``, comma separated) in the benchmark's native
coordinates; times are seconds per frame (``%.8f``). Reading accepts the usual variants
of sequence file names (``jogging_1.txt``, ``Jogging.1.txt``, lower case, got10k's
``Human4.txt``, pytracking's ``nfs_``/``uav_``/``tpl_`` prefixes through the sequence
table's aliases), gzip-compressed files (``<Seq>.txt.gz``) and times beside the boxes
(pytracking).
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config.benchmarks import ExperimentDef, SequenceSpec
from ..datasets.otb import normalise_name
from ..datasets.textio import format_rows, read_many, read_rows
from ..paths import atomic_write_text
from .layout import Layout, UnitFiles, failure_problem, remove, unit_errors


@dataclass(frozen=True)
class RunFiles:
    """The files one run is scored from: ``length`` boxes, times where known; ``repeat``:
    which repetition of a repeated one-run experiment (1 otherwise)."""

    sequence: str
    boxes: Path
    times: Path | None
    length: int
    repeat: int = 1


@dataclass
class Scan:
    """What a tracker folder holds for a set of sequences: the runs to score, the
    sequences that cannot be scored (and why), notes on ambiguous names."""

    runs: list[RunFiles] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


RUNS_FOLDER = "runs"  # run k >= 2 of a repeated one-run experiment: runs/<k:03d>/
_NUMBERED = re.compile(r"(.+)_(\d{3})")  # pytracking's run folders: <param>_<run:03d>


class OTBLayout(Layout):
    family = "otb"

    def __init__(self, experiment: ExperimentDef):
        super().__init__(experiment)
        self.one_run = experiment.protocol == "ope"

    def _files(self, folder: Path, sequence: str, run: int) -> UnitFiles:
        if self.one_run:
            base = folder if run == 1 else folder / RUNS_FOLDER / f"{run:03d}"
            return UnitFiles(base / f"{sequence}.txt", base / "times" / f"{sequence}_time.txt")
        stem = f"{sequence}_{run:03d}"
        return UnitFiles(folder / sequence / f"{stem}.txt", folder / sequence / f"{stem}_time.txt")

    @staticmethod
    def holds_results(tracker_folder: Path, experiment: str) -> bool:
        return experiment == "ope" and any(_result_files(tracker_folder))  # got10k / pysot / LaSOT toolkit folders

    @staticmethod
    def tracker_name(folder_name: str) -> str:
        """The LaSOT toolkit's ``<Tracker>_tracking_result`` folders are the tracker's."""
        return folder_name.removesuffix(LASOT_TOOLKIT_SUFFIX) or folder_name

    @staticmethod
    def run_group(tracker_folder: Path) -> tuple[str, list[Path]] | None:
        """pytracking's repeated runs: (``<param>``, its run folders in order) when
        ``tracker_folder`` is the first of at least two sibling folders ``<param>_<run:03d>``
        (numbered from 000 or 001); None otherwise."""
        match = _NUMBERED.fullmatch(tracker_folder.name)
        if match is None or int(match.group(2)) > 1 or not tracker_folder.is_dir():
            return None
        stem = match.group(1)
        siblings = sorted(p for p in tracker_folder.parent.iterdir()
                          if p.is_dir() and (m := _NUMBERED.fullmatch(p.name)) and m.group(1) == stem)
        return (stem, siblings) if len(siblings) > 1 and siblings[0] == tracker_folder else None

    def run_folders(self, folder: Path) -> list[Path]:
        """The folders of each run of a one-run experiment, run 1 first: ``folder`` and
        ours in ``runs/``, or pytracking's sibling run folders (:meth:`run_group`)."""
        group = self.run_group(folder)
        if group is not None:
            return group[1]
        repeats = folder / RUNS_FOLDER
        numbered = sorted(p for p in repeats.iterdir() if p.is_dir() and p.name.isdigit()) if repeats.is_dir() else []
        return [folder, *numbered]

    def write_unit(self, folder: Path, sequence: str, run: int, boxes: np.ndarray, times: np.ndarray) -> UnitFiles:
        """A run's (N, 4) boxes (native coordinates) and (N,) seconds; the boxes last."""
        files = self.unit_files(folder, sequence, run)
        atomic_write_text(files.times, format_rows(np.asarray(times)[:, None], fmt="%.8f"))
        atomic_write_text(files.boxes, format_rows(boxes))
        remove(files.error)
        return files

    def scan(self, folder: Path, specs: dict[str, SequenceSpec], lengths: dict[str, list[int]]) -> Scan:
        """The runs of each sequence in ``specs`` whose expected lengths are ``lengths``
        (one per run); a sequence without all its files is a problem, with the failure
        record a run left where there is one."""
        folder = Path(folder)
        if self.one_run:
            return self._scan_repeats(folder, specs, lengths)
        matched, notes = self._match(folder, specs)
        scan = Scan(notes=notes)
        errors = unit_errors(folder)
        # one walk instead of a stat per file
        present = {p for p in folder.rglob("*.txt*") if p.name.endswith(RESULT_SUFFIXES)}
        for name in specs:
            location = matched.get(name)
            if location is None:
                scan.problems[name] = failure_problem(errors, name, "no result file")
                continue
            runs = []
            for number, length in enumerate(lengths[name], start=1):
                boxes = location / f"{name}_{number:03d}.txt"
                if boxes not in present:
                    scan.problems[name] = f"missing {boxes.name}"
                    break
                times = boxes.with_name(f"{boxes.stem}_time.txt")
                runs.append(RunFiles(name, boxes, times if times in present else None, length))
            else:
                scan.runs += runs
        return scan

    def _scan_repeats(self, folder: Path, specs: dict[str, SequenceSpec], lengths: dict[str, list[int]]) -> Scan:
        """A one-run experiment, run once or repeated: every run folder must hold every
        sequence (else the sequence is a problem, never scored from fewer runs)."""
        scan = Scan()
        folders = self.run_folders(folder)
        found = []
        for run_folder in folders:
            matched, notes = self._match(run_folder, specs)
            scan.notes += notes if len(folders) == 1 else [f"{run_folder.name}: {note}" for note in notes]
            found.append((matched, unit_errors(run_folder), _times_present(run_folder)))
        for name in specs:
            runs = []
            for repeat, (matched, errors, present) in enumerate(found, start=1):
                boxes = matched.get(name)
                if boxes is None:
                    where = "" if len(found) == 1 else f" in run {repeat} ({folders[repeat - 1].name})"
                    scan.problems[name] = failure_problem(errors, name, f"no result file{where}")
                    break
                runs.append(RunFiles(name, boxes, time_file(boxes, present), lengths[name][0], repeat))
            else:
                scan.runs += runs
        return scan

    def run_path(self, folder: Path, spec: SequenceSpec, run: int) -> Path | None:
        """The box file of run ``run`` of ``spec``'s sequence, any naming variant; None if absent."""
        if self.one_run:  # run k of a repeated one
            folders = self.run_folders(Path(folder))
            if run > len(folders):
                return None
            folder, run = folders[run - 1], 1
        matched, _ = self._match(Path(folder), {spec.name: spec})
        location = matched.get(spec.name)
        if location is None:
            return None
        path = location if self.one_run else location / f"{spec.name}_{run:03d}.txt"
        return path if path.is_file() else None

    def _match(self, folder: Path, specs: dict[str, SequenceSpec]) -> tuple[dict[str, Path], list[str]]:
        """{sequence: box file (one run) or sequence folder} and notes on duplicates."""
        if not self.one_run:
            return {s.name: folder / s.name for s in specs.values() if (folder / s.name).is_dir()}, []
        key_to_seq = _keys_of(specs)
        files: dict[str, Path] = {}
        notes = []
        for path in _result_files(folder):
            stem = result_stem(path)
            if stem.endswith("_time"):
                continue
            seq = key_to_seq.get(normalise_name(stem))
            if seq is None:
                continue
            previous = files.get(seq)
            if previous is not None:
                keep = path if stem == seq else previous
                notes.append(f"{seq}: both {previous.name} and {path.name}; using {keep.name}")
                files[seq] = keep
            else:
                files[seq] = path
        return files, notes


RESULT_SUFFIXES = (".txt", ".txt.gz")
LASOT_TOOLKIT_SUFFIX = "_tracking_result"  # tracking_results/<Tracker>_tracking_result/<seq>.txt


def _keys_of(specs: dict[str, SequenceSpec]) -> dict[str, str]:
    """{normalised name, annotation name or alias: sequence} (the first sequence claiming a
    key keeps it); every tracker folder of a report is matched against the same names."""
    return _keys_for(tuple((s.name, s.anno, tuple(s.aliases)) for s in specs.values()))


@functools.lru_cache(maxsize=8)
def _keys_for(names: tuple) -> dict[str, str]:
    keys: dict[str, str] = {}
    for name, anno, aliases in names:
        for key in {normalise_name(n) for n in (name, anno, *aliases)}:
            keys.setdefault(key, name)
    return keys


def _result_files(folder: Path) -> list[Path]:
    """The result files directly in ``folder`` (plain or gzip-compressed), sorted by name;
    none where ``folder`` is missing, not a folder or cannot be listed."""
    names = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError, PermissionError), os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if e.name.endswith(RESULT_SUFFIXES))
    return [folder / name for name in names]


def result_stem(path: Path) -> str:
    """A result file's name without ``.txt`` or ``.txt.gz``."""
    name = path.name
    return name[:-len(".gz")][:-len(".txt")] if name.endswith(".gz") else name[:-len(".txt")]


TIME_SUFFIXES = tuple(f"_time{suffix}" for suffix in RESULT_SUFFIXES)


def _times_present(folder: Path) -> set[str]:
    """The time files of a one-run folder, as names relative to it: ``<Seq>_time.txt`` and
    ``times/<Seq>_time.txt``, plain or gzip-compressed (two directory listings, no Path per file).
    A ``times`` folder that is missing, not a folder, unreadable or a symlink loop holds none (times
    are optional)."""
    present = set()
    for sub, prefix in ((folder, ""), (folder / "times", "times/")):
        with contextlib.suppress(OSError), os.scandir(sub) as entries:  # a symlink loop too
            present.update(prefix + e.name for e in entries if e.name.endswith(TIME_SUFFIXES))
    return present


def time_file(box_file: Path, present: set[str]) -> Path | None:
    """Per-frame times of a one-run result among the ``present`` names (relative to the box
    file's folder, see :func:`_times_present`): got10k's ``times/<Seq>_time.txt`` or a
    ``<Seq>_time.txt`` beside the boxes (pytracking), either possibly gzip-compressed."""
    stem = result_stem(box_file)
    for prefix in ("times/", ""):
        for suffix in RESULT_SUFFIXES:
            if f"{prefix}{stem}_time{suffix}" in present:
                return box_file.parent / f"{prefix}{stem}_time{suffix}"
    return None


def read_boxes(path: Path) -> np.ndarray:
    """An (N, 4) box file (``x,y,w,h`` per line; commas, tabs or spaces)."""
    return read_rows(path, 4, "box")


def read_runs(runs: list[RunFiles]) -> tuple[list, dict]:
    """The boxes of each run (an (N, 4) array, or the exception that refused it) and the
    times by file (a (N, 1) array or an exception), parsed in one pass each."""
    boxes = read_many([r.boxes for r in runs], 4, "box", lines=[r.length for r in runs])
    timed = [r for r in runs if r.times is not None]
    times = dict(zip((r.times for r in timed), read_many([r.times for r in timed], 1, "time",
                                                         lines=[r.length for r in timed])))
    return boxes, times
