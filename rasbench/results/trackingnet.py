"""The TrackingNet family's results layout: the OTB one-pass layout, and the server's archive.

In a tracker's experiment folder: ``<seq>.txt`` (one ``x,y,w,h`` line per frame, frame 1
included) and ``times/<seq>_time.txt``, as for OTB's OPE (:mod:`~rasbench.results.otb`,
whose readers it shares); pytracking's and pysot's TrackingNet folders load as they are.
The test-server archive (TrackingNet devkit, eval.ai) holds one ``<seq>.txt`` per test
sequence at its root. The devkit's ``metrics.py`` reads archives its own way
(:func:`read_archive`): that is how the dummy case and any server-style archive are scored.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..config.benchmarks import ExperimentDef, SequenceSpec
from ..datasets.textio import parse_rows, read_rows
from ..errors import DatasetError, ResultsError
from ..text import plural
from .layout import Layout, problem_line
from .otb import OTBLayout


class TrackingNetLayout(OTBLayout):
    family = "trackingnet"

    def __init__(self, experiment: ExperimentDef):
        Layout.__init__(self, experiment)
        self.one_run = True

    def submission_members(self, folder: Path, sequences: dict[str, int | None]) -> list[tuple[str, Path]]:
        """The (archive name, file) pairs of the test-server archive, after checking every
        sequence of ``sequences`` ({name: frames, None where unknown}) has its box file of
        4-value lines, one per frame; :class:`ResultsError` naming what is missing or wrong."""
        specs = {n: SequenceSpec(name=n, folder=n, groundtruth="", first=1, last=None, anno=n) for n in sequences}
        matched, _ = self._match(Path(folder), specs)
        members, problems = [], []
        for name, frames in sequences.items():
            path = matched.get(name)
            if path is None:
                problems.append(f"{name}: no result file")
                continue
            try:
                rows = len(read_rows(path, 4, "box"))
            except DatasetError as exc:
                problems.append(f"{name}: {exc}")
                continue
            if frames is not None and rows != frames:
                problems.append(f"{name}: {path.name} has {plural(rows, 'line')}, {plural(frames, 'frame')} expected")
                continue
            members.append((f"{name}.txt", path))
        if problems:
            raise ResultsError(problem_line(problems, len(sequences)))
        return members

    @staticmethod
    def check_archive(archive: zipfile.ZipFile, sequences) -> None:
        """A test-server archive: exactly one ``<seq>.txt`` per sequence at its root, each of
        4-value lines; :class:`ResultsError` naming what is missing or wrong."""
        expected = {f"{n}.txt" for n in sequences}
        problems = []
        names = [i.filename for i in archive.infolist() if not i.is_dir()]
        problems += [f"unexpected member {n}" for n in names if n not in expected]
        missing = sorted(expected - set(names))
        if missing:
            problems.append(f"{plural(len(missing), 'sequence')} missing ({', '.join(missing[:5])}"
                            f"{', ...' if len(missing) > 5 else ''})")
        for name in sorted(expected & set(names)):
            try:
                if not len(parse_rows(archive.read(name).decode("utf-8"), 4, name)):
                    problems.append(f"{name} is empty")
            except (DatasetError, UnicodeDecodeError) as exc:
                problems.append(str(exc))
        if problems:
            raise ResultsError(problem_line(problems, len(expected)))


def read_archive(path: Path, names: list[str]) -> dict[str, np.ndarray | None]:
    """Per sequence name, the (N, 4) boxes a TrackingNet archive holds for it as the devkit's
    ``metrics.py`` finds them: the one member (``__MACOSX`` left out) whose path contains
    ``<name>.txt``; None where none or several do (the devkit then scores zero boxes).
    The devkit reads rows with pandas (comma separated, no header)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if n.endswith(".txt") and "__MACOSX" not in n]
            out = {}
            for name in names:
                matches = [m for m in members if f"{name}.txt" in m]
                out[name] = parse_rows(archive.read(matches[0]).decode("utf-8"), 4, f"{path}:{matches[0]}") \
                    if len(matches) == 1 else None
            return out
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise ResultsError(f"cannot read the archive {path}: {exc}") from None


def archive_sequences(path: Path) -> list[str]:
    """The sequence names of a ground-truth archive as the devkit lists them: every ``.txt``
    member outside ``__MACOSX``, by base name."""
    try:
        with zipfile.ZipFile(path) as archive:
            return [Path(n).stem for n in archive.namelist() if n.endswith(".txt") and "__MACOSX" not in n]
    except (OSError, zipfile.BadZipFile) as exc:
        raise ResultsError(f"cannot read the archive {path}: {exc}") from None
