"""What the runner hands between processes and adds up: jobs and run summaries
(the unit types themselves belong to the family interface, :mod:`rasbench.protocols.base`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..protocols.base import Outcome, UnitFailure


@dataclass(frozen=True)
class Job:
    """Everything needed to rebuild a run's context in another process or on another host."""

    benchmark: str  # path of the benchmark definition
    experiment: str
    dataset_args: dict
    tracker: str
    params: dict
    results_root: str
    tracker_name: str
    convention: str


@dataclass
class RunSummary:
    """What running one experiment did, over all its units."""

    tracker: str
    folder: Path
    completed: int = 0
    skipped: int = 0
    failures: list[UnitFailure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    frames: int = 0
    tracker_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def add(self, outcome: Outcome) -> None:
        self.completed += outcome.completed
        self.frames += outcome.frames
        self.tracker_seconds += outcome.tracker_seconds
        self.warnings += outcome.warnings
        self.failures += outcome.failures
