"""The GOT-10k family's results layout: got10k's ``ExperimentGOT10k`` (what its test server takes).

In a tracker's experiment folder, per sequence ``<seq>/``: ``<seq>_<rep:03d>.txt`` (one
``x,y,w,h`` line per frame, frame 1 included, ``%.3f`` comma separated) for each
repetition, and ``<seq>_time.txt`` (seconds per frame, one column per repetition,
``%.8f``). got10k's own result folders (``<results>/GOT-10k/<tracker>/<seq>/...``) load
as they are. The test-server archive holds exactly these files, the 180 sequence folders
at its root (got10k zips the tracker folder's contents).
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np

from ..datasets.textio import parse_rows, read_rows
from ..errors import DatasetError, ResultsError
from ..paths import atomic_write_text
from ..text import plural
from .layout import Layout, UnitFiles, failure_problem, problem_line, remove, unit_errors

_RUN_FILE = re.compile(r"_(\d{3})\.txt$")


class GOT10kLayout(Layout):
    family = "got10k"

    def _files(self, folder: Path, sequence: str, run: int) -> UnitFiles:
        return UnitFiles(folder / sequence / f"{sequence}_{run:03d}.txt", folder / sequence / f"{sequence}_time.txt")

    @staticmethod
    def holds_results(tracker_folder: Path, experiment: str) -> bool:
        return experiment == "ope" and any(Path(tracker_folder).glob("*/*_[0-9][0-9][0-9].txt"))

    def write_unit(self, folder: Path, sequence: str, run: int, boxes: np.ndarray, times: np.ndarray) -> UnitFiles:
        """One repetition's (N, 4) boxes and (N,) seconds: the times become column ``run``
        of the sequence's times file (NaN in columns of repetitions not run yet); the boxes last."""
        files = self.unit_files(folder, sequence, run)
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        matrix = np.full((len(times), run), np.nan)
        if files.times.is_file():
            try:
                old = read_rows(files.times, None, "time")
            except DatasetError:
                old = np.empty((0, 0))
            if len(old) == len(times):
                matrix = np.full((len(times), max(run, old.shape[1])), np.nan)
                matrix[:, :old.shape[1]] = old
        matrix[:, run - 1] = times
        atomic_write_text(files.times, "".join(",".join(f"{v:.8f}" for v in row) + "\n" for row in matrix))
        atomic_write_text(files.boxes, "".join(",".join(f"{v:.3f}" for v in row) + "\n" for row in boxes))
        remove(files.error)
        return files

    def scan(self, folder: Path, sequences) -> dict[str, tuple[list[Path], Path | None] | str]:
        """Per sequence, (its repetitions' box files in order, its times file or None), or why
        there are none (no folder or files, the failure record a run left)."""
        folder = Path(folder)
        errors = unit_errors(folder)
        out: dict = {}
        for name in sequences:
            runs = sorted(p for p in (folder / name).glob(f"{name}_[0-9][0-9][0-9].txt"))
            times = folder / name / f"{name}_time.txt"
            out[name] = (runs, times if times.is_file() else None) if runs else \
                failure_problem(errors, name + "_", "no result files")
        return out

    def submission_members(self, folder: Path, sequences: dict[str, int | None]) -> list[tuple[str, Path]]:
        """The (archive name, file) pairs of the test-server archive, after checking every
        sequence of ``sequences`` ({name: frames, None where unknown}) has its repetitions
        001.. in order, each with one 4-value line per frame, and a times file of as many
        lines; :class:`ResultsError` naming what is missing or wrong."""
        members, problems = [], []
        for name, found in self.scan(folder, sequences).items():
            if isinstance(found, str):
                problems.append(f"{name}: {found}")
                continue
            runs, times = found
            try:
                _check_runs(name, runs, times, sequences[name])
            except DatasetError as exc:
                problems.append(f"{name}: {exc}")
                continue
            members += [(f"{name}/{p.name}", p) for p in runs] + [(f"{name}/{times.name}", times)]
        if problems:
            raise ResultsError(problem_line(problems, len(sequences)))
        return members

    @staticmethod
    def check_archive(archive: zipfile.ZipFile, sequences) -> None:
        """A test-server archive as GOT-10k's takes it: exactly the sequences' folders at its
        root, each with ``<seq>_001.txt`` (and further repetitions in order) of 4-value
        lines and ``<seq>_time.txt`` of as many lines; :class:`ResultsError` otherwise."""
        expected = set(sequences)
        found: dict[str, dict[str, bytes]] = {}
        problems = []
        for info in archive.infolist():
            if info.is_dir():
                continue
            folder, _, file = info.filename.partition("/")
            if folder not in expected or "/" in file or not file.startswith(folder + "_"):
                problems.append(f"unexpected member {info.filename}")
                continue
            found.setdefault(folder, {})[file] = archive.read(info)
        missing = sorted(expected - set(found))
        if missing:
            problems.append(f"{plural(len(missing), 'sequence')} missing ({', '.join(missing[:5])}"
                            f"{', ...' if len(missing) > 5 else ''})")
        for name, files in sorted(found.items()):
            runs = sorted(f for f in files if _RUN_FILE.search(f))
            wanted = [f"{name}_{k:03d}.txt" for k in range(1, len(runs) + 1)]
            if not runs or runs != wanted or set(files) - set(runs) != {f"{name}_time.txt"}:
                problems.append(f"{name}: holds {', '.join(sorted(files))}; expected {name}_001.txt (then _002 "
                                f"...) and {name}_time.txt")
                continue
            try:
                lengths = {len(parse_rows(files[f].decode("utf-8"), 4, f"{name}/{f}")) for f in runs}
                lengths.add(len(parse_rows(files[f"{name}_time.txt"].decode("utf-8"), None, name, "time")))
            except (DatasetError, UnicodeDecodeError) as exc:
                problems.append(f"{name}: {exc}")
                continue
            if len(lengths) != 1:
                problems.append(f"{name}: files of different lengths ({', '.join(map(str, sorted(lengths)))} lines)")
        if problems:
            raise ResultsError(problem_line(problems, len(expected)))


def _check_runs(name: str, runs: list[Path], times: Path | None, frames: int | None) -> None:
    numbers = [int(_RUN_FILE.search(p.name).group(1)) for p in runs]
    if numbers != list(range(1, len(runs) + 1)):
        raise DatasetError(f"repetitions {', '.join(f'{n:03d}' for n in numbers)}; expected 001 onwards without gaps")
    if times is None:
        raise DatasetError(f"no {name}_time.txt")
    lengths = {p.name: len(read_rows(p, 4, "box")) for p in runs}
    lengths[times.name] = len(read_rows(times, None, "time"))
    expected = frames if frames is not None else lengths[runs[0].name]
    wrong = [f"{file} has {plural(n, 'line')}" for file, n in lengths.items() if n != expected]
    if wrong:
        raise DatasetError(f"{'; '.join(wrong)}, {plural(expected, 'frame')} expected")
