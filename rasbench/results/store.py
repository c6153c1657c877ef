"""The results store: a run's folders, written through the experiment's family layout.

Layout under a results root: ``<benchmark>/<tracker>/<experiment>/`` (the VOT toolkits'
``<tracker>/baseline/<seq>/...`` shape for every benchmark), each holding the family's
result files (:mod:`~rasbench.results.otb`, :mod:`~rasbench.results.vot`), a manifest
(:mod:`~rasbench.results.manifest`) and a failure record where a unit failed. Every write
is atomic (temporary file + rename) and a run's box file is written last, so its presence
means the run finished.
"""
from __future__ import annotations

from pathlib import Path

from ..config.benchmarks import ExperimentDef
from ..errors import ResultsError
from ..paths import path_component
from . import LAYOUTS
from .layout import UnitFiles
from .manifest import manifest_lock, read_manifest, write_manifest


class ResultStore:
    """Read/write access to the ``<root>/<benchmark>/<tracker>/<experiment>`` folders of
    one experiment, in its family's layout (``self.layout``).

    Every name that becomes a path component is checked here once more (the last line of
    defence behind the checks where names enter), and every failed write (disk full, a
    read-only folder, ``root`` a file) is a :class:`~rasbench.errors.ResultsWriteError`
    naming the path.
    """

    def __init__(self, root: Path, benchmark: str, experiment: ExperimentDef):
        self.folder = Path(root) / path_component(benchmark, "benchmark name", ResultsError)
        self.experiment = path_component(experiment.name, "experiment name", ResultsError)
        self.layout = LAYOUTS[experiment.family](experiment)

    def tracker_dir(self, tracker: str) -> Path:
        """The experiment folder of ``tracker`` (manifest, results, error records)."""
        return self.folder / path_component(tracker, "tracker name", ResultsError) / self.experiment

    def unit_files(self, tracker: str, sequence: str, run: int = 1) -> UnitFiles:
        return self.layout.unit_files(self.tracker_dir(tracker), sequence, run)

    def is_done(self, tracker: str, sequence: str, run: int = 1) -> bool:
        return self.layout.is_done(self.tracker_dir(tracker), sequence, run)

    def write_unit(self, tracker: str, sequence: str, run: int, trajectory, times) -> UnitFiles:
        """One run's trajectory (as the family's layout takes it) and per-frame seconds."""
        return self.layout.write_unit(self.tracker_dir(tracker), sequence, run, trajectory, times)

    def write_error(self, tracker: str, sequence: str, run: int, record: dict) -> None:
        self.layout.write_error(self.tracker_dir(tracker), sequence, run, record)

    def read_manifest(self, tracker: str) -> dict | None:
        return read_manifest(self.tracker_dir(tracker))

    def write_manifest(self, tracker: str, manifest: dict) -> None:
        write_manifest(self.tracker_dir(tracker), manifest)

    def manifest_lock(self, tracker: str):
        return manifest_lock(self.tracker_dir(tracker))
