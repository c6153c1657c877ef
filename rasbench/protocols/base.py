"""The run-time half of the family seam: what the runner asks of a benchmark family.

The runner never decides anything OTB- or VOT-specific: it asks the experiment's family
(chosen once, from its protocol, :data:`rasbench.protocols.FAMILIES`) to check the
convention, say how many repetitions a tracker needs, plan the units still to do, and
run each unit. A unit is a piece of work that writes its own files (an OTB run, the
pending VOT repetitions of a sequence), so units can run in any process, in any order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..config.benchmarks import ExperimentDef
from ..config.conventions import convention
from ..config.families import FAMILY_DECLS, ProtocolOptions
from ..datasets import Dataset
from ..errors import ConfigError, TrackerError
from ..registry import TrackerSpec
from ..results.store import ResultStore

# Called with (run number, frame number) just before the tracker is handed each frame.
OnFrame = Callable[[int, int], None]


@dataclass(frozen=True)
class Unit:
    """A piece of work: run numbers (OTB runs, or pending VOT repetitions) of one sequence."""

    sequence: str
    runs: tuple[int, ...]
    frames: int  # frames it processes at most (progress bars, time limits)


@dataclass
class UnitFailure:
    sequence: str
    run: int
    frame: int | None
    message: str


@dataclass
class Outcome:
    """What executing one unit did."""

    completed: int = 0
    frames: int = 0
    tracker_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    failures: list[UnitFailure] = field(default_factory=list)


@dataclass
class RunContext:
    """One experiment being run by one tracker: what a family's planning and per-unit loop
    use. ``tracker`` is the live tracker (made once per process); after a failure the
    family calls :meth:`record_failure`, which records it and makes a fresh one."""

    experiment: ExperimentDef
    dataset: Dataset
    store: ResultStore
    tracker_name: str
    convention: object  # the family's convention (config.conventions)
    spec: TrackerSpec
    tracker: object = None

    @property
    def settings(self) -> ProtocolOptions:
        return self.experiment.settings

    def record_failure(self, outcome: Outcome, sequence: str, run: int, exc: TrackerError) -> None:
        """Record ``exc`` (raised in run ``run`` of ``sequence``) in ``outcome`` and beside the
        results, then replace the tracker: one that raised may be in any state."""
        import traceback

        outcome.failures.append(UnitFailure(sequence, run, exc.frame, str(exc)))
        self.store.write_error(self.tracker_name, sequence, run, {
            "sequence": sequence, "run": run, "frame": exc.frame, "error": str(exc),
            "traceback": "".join(traceback.format_exception(exc.__cause__ or exc)),
        })
        self.tracker = self.spec.create()


def plan_repetitions(ctx: RunContext, repetitions: int, force: bool) -> tuple[list[Unit], int]:
    """One unit per sequence holding its repetitions 1..``repetitions`` not yet done (all with
    ``force``): (units, repetitions skipped)."""
    units, skipped = [], 0
    for seq in ctx.dataset.values():
        pending = tuple(r for r in range(1, repetitions + 1)
                        if force or not ctx.store.is_done(ctx.tracker_name, seq.name, r))
        skipped += repetitions - len(pending)
        if pending:
            units.append(Unit(seq.name, pending, len(seq) * len(pending)))
    return units, skipped


def defined_repetitions(label: str, settings: ProtocolOptions, deterministic: Callable[[], bool],
                        requested: int | None) -> int:
    """Repetitions fixed by the benchmark (VOT, GOT-10k): ``settings.repetitions``, one for a
    deterministic tracker; a ``--runs`` request is refused."""
    if requested is not None:
        raise ConfigError(f"--runs: {label} experiments repeat as the benchmark defines ({settings.repetitions} "
                          f"repetitions, one for a deterministic tracker)")
    return 1 if deterministic() else settings.repetitions


class Family:
    """A benchmark family at run time. Subclasses set ``name`` (a key of
    :data:`~rasbench.config.families.FAMILY_DECLS`, which declares its protocols and the
    dataset layout it reads) and implement the methods below."""

    name: str

    @property
    def protocols(self) -> dict[str, type[ProtocolOptions]]:
        return FAMILY_DECLS[self.name].protocols

    @property
    def dataset_layout(self) -> str:
        return FAMILY_DECLS[self.name].dataset_layout

    def convention(self, name: str):
        """The family's convention ``name`` (:class:`~rasbench.errors.ConfigError` if none)."""
        return convention(self.name, name)

    def repetitions(self, settings: ProtocolOptions, deterministic: Callable[[], bool],
                    requested: int | None = None) -> int:
        """How many times each planned run is repeated for a tracker (``deterministic()``
        says whether the tracker declares itself deterministic; it may build one);
        ``requested``: the user's ``--runs``, where the family allows it (else ConfigError)."""
        if requested not in (None, 1):
            raise ConfigError(f"--runs: {self.name} experiments are not repeated on request")
        return 1

    def tracker_boxes(self, conv) -> str:
        """How boxes are handed to trackers under ``conv`` (recorded in the manifest)."""
        raise NotImplementedError

    def plan(self, ctx: RunContext, repetitions: int, force: bool) -> tuple[list[Unit], int]:
        """The units still to do (all with ``force``) and the number of runs already done;
        by default :func:`plan_repetitions` (a unit per sequence)."""
        return plan_repetitions(ctx, repetitions, force)

    def run_unit(self, ctx: RunContext, unit: Unit, on_frame: OnFrame | None = None) -> Outcome:
        """Track ``unit``, write its results through ``ctx.store``; a tracker failure is
        recorded (:meth:`RunContext.record_failure`), not raised."""
        raise NotImplementedError
