"""What every family's results layout shares: the files of one unit, failure records, removal.

A layout is bound to one experiment and addresses files inside a tracker's experiment
folder (``<root>/<benchmark>/<tracker>/<experiment>``, see :mod:`~rasbench.results.store`).
Each family's layout (:mod:`~rasbench.results.otb`, :mod:`~rasbench.results.vot`) says
where a unit's boxes and times go, writes them, and finds and reads anybody's results
with the naming variants other toolkits use.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..config.benchmarks import ExperimentDef
from ..datasets.textio import read_text
from ..errors import ConfigError, DatasetError, ResultsError, ResultsWriteError
from ..paths import atomic_write_json, path_component
from ..text import plural

ERROR_RECORD_BYTES = 1 << 20  # a failure record: a message and a traceback


@dataclass(frozen=True)
class UnitFiles:
    """The files of one run: its boxes (written last: its presence means the run finished),
    its per-frame times, and the record left when it failed."""

    boxes: Path
    times: Path

    @property
    def error(self) -> Path:
        return self.boxes.with_name(self.boxes.stem + ".error.json")


class Layout:
    """The results files of one experiment of a family (subclasses: one per family)."""

    family: ClassVar[str]

    def __init__(self, experiment: ExperimentDef):
        self.experiment = experiment

    def unit_files(self, folder: Path, sequence: str, run: int) -> UnitFiles:
        """The files of run ``run`` (1-based) of ``sequence`` in the experiment folder
        ``folder``; the sequence name is checked once more as a path component."""
        return self._files(Path(folder), path_component(sequence, "sequence name", ResultsError), run)

    def _files(self, folder: Path, sequence: str, run: int) -> UnitFiles:
        raise NotImplementedError

    @staticmethod
    def holds_results(tracker_folder: Path, experiment: str) -> bool:
        """Whether ``tracker_folder`` itself holds ``experiment``'s result files (other
        toolkits' flat folders) rather than an ``experiment`` folder."""
        return False

    @staticmethod
    def run_group(tracker_folder: Path) -> tuple[str, list[Path]] | None:
        """Where another toolkit stores each run of a tracker in a folder of its own: the
        tracker's name and its run folders when ``tracker_folder`` is the first of them."""
        return None

    @staticmethod
    def tracker_name(folder_name: str) -> str:
        """The tracker a folder of other toolkits' results belongs to (its name, unless the
        layout's naming says otherwise)."""
        return folder_name

    def is_done(self, folder: Path, sequence: str, run: int) -> bool:
        return self.unit_files(folder, sequence, run).boxes.is_file()

    def write_error(self, folder: Path, sequence: str, run: int, record: dict) -> None:
        atomic_write_json(self.unit_files(folder, sequence, run).error, record)

    def submission_members(self, folder: Path, sequences: dict[str, int | None]) -> list[tuple[str, Path]]:
        """The (archive name, file) pairs of a test-server archive of the results in
        ``folder`` for ``sequences`` ({name: frames or None}), checked; families whose
        servers take archives implement it (see :mod:`~rasbench.results.submission`)."""
        raise ConfigError(f"{self.family.upper()} results are not packed for an evaluation server; "
                          "`rasbench report` scores them")

    @staticmethod
    def check_archive(archive, sequences) -> None:
        """Check a test-server archive (a ``zipfile.ZipFile``) holds exactly the results of ``sequences``."""
        raise NotImplementedError


def remove(path: Path) -> None:
    """Delete ``path`` if it is there; ResultsWriteError when it cannot be."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ResultsWriteError(f"cannot remove {path}: {exc.strerror or exc}") from None


def unit_errors(folder: Path) -> dict[str, dict]:
    """Failure records (``*.error.json``) left by runs in a tracker folder, by relative path;
    a record that cannot be read (not a regular file, over 1 MiB, not a JSON object) says so."""
    records = {}
    for path in Path(folder).rglob("*.error.json"):
        key = str(path.relative_to(folder))
        try:
            record = json.loads(read_text(path, "error record", max_bytes=ERROR_RECORD_BYTES))
        except DatasetError as exc:
            record = {"error": f"unreadable error record ({exc})"}
        except ValueError:
            record = None
        records[key] = record if isinstance(record, dict) else {"error": "unreadable error record"}
    return records


def failure_problem(errors: dict[str, dict], prefix: str, absent: str) -> str:
    """The problem of a sequence without results: the first failure record whose file
    name starts with ``prefix``, else ``absent``."""
    failed = [r.get("error") for k, r in errors.items() if Path(k).name.startswith(prefix)]
    return f"failed: {failed[0]}" if failed else absent


def problem_line(problems: list[str], total: int) -> str:
    """Problems with ``total`` sequences' results as one line: the first three, then a count."""
    shown = "; ".join(problems[:3]) + (f"; ... ({len(problems) - 3} more)" if len(problems) > 3 else "")
    return f"{plural(len(problems), 'problem')} for {plural(total, 'sequence')}: {shown}"
