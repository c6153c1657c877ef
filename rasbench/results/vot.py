"""The VOT family's results layout: the VOT toolkits', which pysot writes too.

In a tracker's experiment folder, per sequence ``<seq>/``:

* ``<seq>_<rep:03d>.txt``: one line per frame, a region (``x,y,w,h`` or a polygon) or one
  of the toolkits' codes 1 (initialisation), 2 (failure), 0 (not processed);
* ``<seq>_<rep:03d>_time.value``: seconds per frame (vot-toolkit's per-frame property
  file; an empty line or ``NaN`` where the frame was not processed);
* ``<seq>_time.txt``: the VOT MATLAB toolkit's times matrix (rows = frames, columns =
  repetitions), rewritten after each repetition.

Reading is tolerant of case (``Bag/bag_001.txt``) and of either times file, and strict
about contents: a file of another length, that does not parse, holds a code other than
0, 1 or 2, or is refused unread (not a regular file, larger than
:func:`~rasbench.datasets.textio.size_bound`) is a :class:`~rasbench.errors.DatasetError`
naming it (the caller lists it as a problem of the tracker).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..datasets.textio import RefusedFile, read_rows, read_text, size_bound
from ..errors import DatasetError
from ..geometry.regions import FAILURE, INITIALIZATION, SPECIAL, UNKNOWN, Regions, format_regions, parse_regions
from ..paths import atomic_write_text
from ..text import plural
from .layout import Layout, UnitFiles, failure_problem, remove, unit_errors

_RESULT_CODES = (float(UNKNOWN), float(INITIALIZATION), float(FAILURE))


class VOTLayout(Layout):
    family = "vot"

    def _files(self, folder: Path, sequence: str, run: int) -> UnitFiles:
        stem = f"{sequence}_{run:03d}"
        return UnitFiles(folder / sequence / f"{stem}.txt", folder / sequence / f"{stem}_time.value")

    def write_unit(self, folder: Path, sequence: str, run: int, entries: list, times) -> UnitFiles:
        """A trajectory (per frame a :class:`Regions` of one region, or a code 0/1/2) and
        its per-frame seconds (NaN where not processed); also rewrites the times matrix."""
        files = self.unit_files(folder, sequence, run)
        parts = [Regions.specials([e]) if isinstance(e, int) else e for e in entries]
        lines = format_regions(Regions.concat(parts))
        times = np.asarray(times, dtype=np.float64)
        atomic_write_text(files.times, "".join("NaN\n" if np.isnan(t) else f"{t:.8f}\n" for t in times))
        atomic_write_text(files.boxes, "".join(line + "\n" for line in lines))
        remove(files.error)
        self._write_time_matrix(files.boxes.parent, sequence, len(times))
        return files

    @staticmethod
    def _write_time_matrix(folder: Path, sequence: str, length: int) -> None:
        columns = []
        for path in sorted(folder.glob(f"{sequence}_[0-9][0-9][0-9]_time.value")):
            values = read_rows(path, 1, "time").reshape(-1)
            columns.append(values if len(values) == length else np.full(length, np.nan))
        matrix = np.column_stack(columns)
        text = "".join(",".join("NaN" if np.isnan(v) else f"{v:.8f}" for v in row) + "\n" for row in matrix)
        atomic_write_text(folder / f"{sequence}_time.txt", text)

    def scan(self, folder: Path, sequences) -> dict[str, list[Path] | str]:
        """Per sequence name, its repetitions' result files in order, or why there are none
        (no folder or files, the failure record a run left, binary vot-toolkit results)."""
        folder = Path(folder)
        errors = unit_errors(folder)
        out: dict[str, list[Path] | str] = {}
        for name in sequences:
            seq_dir = _sequence_folder(folder, name)
            files = _run_files(seq_dir, name) if seq_dir else []
            if not files and seq_dir and any(seq_dir.glob("*.bin")):
                out[name] = ("binary vot-toolkit results only; rerun the toolkit with VOT_RESULTS_BINARY=0 to get "
                             "text files")
            else:
                out[name] = files or failure_problem(errors, name + "_", "no result files")
        return out

    def run_path(self, folder: Path, sequence: str, run: int) -> Path | None:
        """The result file of repetition ``run`` (1-based, in file order) of ``sequence``; None if absent."""
        seq_dir = _sequence_folder(Path(folder), sequence)
        files = _run_files(seq_dir, sequence) if seq_dir else []
        return files[run - 1] if len(files) >= run else None


def _sequence_folder(tracker_dir: Path, name: str) -> Path | None:
    if (tracker_dir / name).is_dir():
        return tracker_dir / name
    for child in tracker_dir.iterdir() if tracker_dir.is_dir() else ():
        if child.is_dir() and child.name.lower() == name.lower():
            return child
    return None


def _run_files(folder: Path, name: str) -> list[Path]:
    return sorted(p for p in folder.glob("*_[0-9][0-9][0-9].txt") if p.stem.lower().startswith(name.lower() + "_"))


def read_trajectory(path: Path, length: int) -> Regions:
    """A result file of a ``length``-frame sequence: per line a region, or one of the
    codes the toolkits write (0 = not processed, 1 = initialisation, 2 = failure).
    Anything else on a one-value line (``5``, ``-3``, ``2.5``, ``nan``) is an error naming
    the line: vot-toolkit would truncate ``2.5`` to a failure."""
    lines = read_text(path, "result", size_bound(length)).rstrip().splitlines()
    try:
        trajectory = parse_regions(lines)
    except ValueError as exc:  # the message starts with "line N: ..."
        raise DatasetError(str(exc), path) from None
    bad = [i for i in np.flatnonzero(trajectory.kind == SPECIAL)
           if "," not in lines[i] and float(lines[i]) not in _RESULT_CODES]
    if bad:
        more = f" (and {len(bad) - 1} more line{'s' * (len(bad) > 2)})" if len(bad) > 1 else ""
        raise DatasetError(f"{lines[bad[0]].strip()!r} is not a result code (0, 1 or 2; other lines hold "
                           f"regions){more}", path, int(bad[0]) + 1)
    return trajectory


def read_run(path: Path, column: int, length: int) -> tuple[Regions, np.ndarray | None]:
    """Repetition ``column`` (0-based, in file order) of a ``length``-frame sequence: its
    trajectory and per-frame seconds (None when unknown). A file of another length is a
    :class:`DatasetError`; so is a times file refused unread."""
    trajectory = read_trajectory(path, length)
    if len(trajectory) != length:
        raise DatasetError(f"{path.name} has {plural(len(trajectory), 'line')}, the sequence {plural(length, 'frame')}")
    return trajectory, _run_times(path, column, length)


def _value_file(path: Path, length: int) -> np.ndarray:
    """A vot-toolkit per-frame property file (``<seq>_<rep>_time.value``): one value per
    line, and an *empty* line for a frame without one -- ``Trajectory.write`` writes ""
    for the frames a supervised run skips after a failure. Those read as NaN (not
    processed), as rasbench's own files write them; blank lines past ``length`` are
    trailing whitespace."""
    lines = read_text(path, "time", size_bound(length)).splitlines()
    while len(lines) > length and not lines[-1].strip():
        lines.pop()
    try:
        return np.array([float(line) if line.strip() else np.nan for line in lines], dtype=np.float64)
    except ValueError as exc:
        raise DatasetError(f"not a number ({exc})", path) from None


def _run_times(box_file: Path, column: int, length: int) -> np.ndarray | None:
    """Per-frame seconds of one run: vot-toolkit's ``.value`` file, else the run's column
    of VOT-M's ``<seq>_time.txt`` matrix; None when absent, unparsable or of another
    length. A file refused unread raises :class:`RefusedFile` (a problem of the tracker)."""
    value = box_file.with_name(box_file.stem + "_time.value")
    matrix = box_file.with_name(box_file.stem.rsplit("_", 1)[0] + "_time.txt")
    try:
        if value.exists():
            times = _value_file(value, length)
        elif matrix.exists():
            rows = read_rows(matrix, None, "time", size_bound(length))
            if rows.shape[1] <= column:
                return None
            times = rows[:, column]
        else:
            return None
    except RefusedFile:
        raise
    except DatasetError:
        return None
    if len(times) != length or not np.any(times > 0):
        return None  # VOT-M pre-fills columns of runs not made with zeros
    return times
