"""Test-server archives (``rasbench pack``): a tracker's results as the server takes them.

Family-blind: the experiment's results layout (:data:`~rasbench.results.LAYOUTS`) names
the archive's members and checks them (``submission_members``: every sequence of the
benchmark present, complete and parseable; ``check_archive``: the written archive holds
exactly the expected members). Here the archive is written (to a temporary file, renamed
into place) and read back through that check, so an archive that exists is one the
server's format accepts. GOT-10k: the sequence folders at the root (what got10k's
``ExperimentGOT10k.report`` zips); TrackingNet: one ``<seq>.txt`` per sequence at the root.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

from ..config.benchmarks import BenchmarkDef
from ..errors import ResultsError, ResultsWriteError
from . import LAYOUTS


def pack(benchmark: BenchmarkDef, experiment: str, folder: Path, out: Path,
         frames: dict[str, int] | None = None) -> int:
    """Write the test-server archive of the results in ``folder`` (a tracker's experiment
    folder) to ``out``; returns the number of files packed. ``frames`` ({sequence: number
    of frames}, from the dataset where it is at hand) makes the lengths checked against
    the frames, not only against each other. Raises :class:`ResultsError` naming what is
    missing or wrong (nothing is written then)."""
    exp = benchmark.experiment(experiment)
    layout = LAYOUTS[exp.family](exp)
    out = Path(out)
    if out.is_dir():
        raise ResultsError(f"{out} is a folder; give the archive's file name")
    if not out.parent.is_dir():
        raise ResultsError(f"cannot write {out}: the folder {out.parent} does not exist")
    sequences = {name: (frames or {}).get(name) for name in benchmark.sequences}
    members = layout.submission_members(Path(folder), sequences)
    temporary = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, path in members:
                archive.write(path, name)
        with zipfile.ZipFile(temporary) as archive:
            layout.check_archive(archive, sequences)
        os.replace(temporary, out)
    except OSError as exc:
        raise ResultsWriteError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return len(members)


def check_archive(benchmark: BenchmarkDef, experiment: str, path: Path) -> None:
    """Check an existing archive against the server's format and the benchmark's sequences;
    :class:`ResultsError` naming what is wrong."""
    exp = benchmark.experiment(experiment)
    try:
        with zipfile.ZipFile(path) as archive:
            LAYOUTS[exp.family](exp).check_archive(archive, list(benchmark.sequences))
    except (OSError, zipfile.BadZipFile) as exc:
        raise ResultsError(f"cannot read the archive {path}: {exc}") from None
