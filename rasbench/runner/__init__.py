"""The experiment runner: turns (tracker, benchmark, experiment) into result files.

The experiment's family (:mod:`rasbench.protocols`) splits the work into units (an OTB
run, the pending repetitions of a VOT sequence) and runs each; a unit whose result files
exist is skipped, so an interrupted run resumes where it stopped (``force`` reruns).
Units execute in this process, in worker processes (``workers``, one per GPU with
``devices``) or on a Ray cluster (:mod:`~rasbench.runner.executors`); each writes its
own files atomically, so the output is the same whatever executes it, in whatever order.

The tracker only ever sees ``init`` and ``update``; where runs start, with which box,
and the clock belong to the family. Per-frame times are ``time.perf_counter`` spans
around the tracker call (image decoding, done ahead in a background thread, excluded);
the first entry is the initialisation.
"""
from __future__ import annotations

import math
from pathlib import Path

from ..config.benchmarks import BenchmarkDef
from ..datasets import Dataset
from ..errors import ConfigError, ResultsWriteError
from ..fingerprint import sequence_fingerprints
from ..paths import path_component
from ..protocols import family_for
from ..protocols.base import Outcome, RunContext, Unit
from ..registry import TrackerSpec
from ..results.manifest import build_manifest, identity, settle_manifest, tracker_info
from ..results.store import ResultStore
from ..tracker import is_deterministic
from .executors import make_executor
from .units import Job, RunSummary
from .worker import UnitRunner

__all__ = ["RunSummary", "check_frame_timeout", "run_experiment"]


def check_frame_timeout(value, what: str = "frame_timeout") -> None:
    """``value`` must be None or a positive, finite number of seconds."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{what} must be a positive number of seconds, got {value!r}")


def _deterministic(spec: TrackerSpec) -> bool:
    """Whether the tracker declares itself deterministic (VOT then runs one repetition).

    Read from the class when it says, so that checking does not load a model."""
    for attr in ("deterministic", "is_deterministic"):
        value = getattr(spec.factory, attr, None)
        if isinstance(value, bool):
            return value
    return is_deterministic(spec.create())


def run_experiment(benchmark: BenchmarkDef, experiment: str, dataset: Dataset, spec: TrackerSpec,
                   results_root: Path, *, name: str | None = None, force: bool = False,
                   convention: str = "official", progress: bool = True, workers: int = 1,
                   devices: list[str] | None = None, frame_timeout: float | None = None,
                   executor: str = "auto", address: str | None = None, runs: int | None = None) -> RunSummary:
    """Run every unfinished unit of one experiment.

    ``workers`` > 1, ``devices`` (one worker per GPU, set through CUDA_VISIBLE_DEVICES) or
    ``frame_timeout`` (seconds a frame may take before its unit is abandoned) run units in
    worker processes; ``executor="ray"`` on a Ray cluster at ``address``. A folder whose
    results were made differently (see :mod:`rasbench.results.manifest`) is refused,
    whether or not work remains; a results folder that cannot be written stops the run
    (:class:`~rasbench.errors.ResultsWriteError`). ``runs``: run a one-run experiment
    (OPE) this many times (stochastic trackers); runs already there are kept.
    """
    check_frame_timeout(frame_timeout)
    exp = benchmark.experiment(experiment)
    if name is not None:
        tracker_name = path_component(name, "results folder name (--name)")
    else:
        tracker_name = path_component(spec.default_name, f"tracker {spec.spec!r}: its name")
    family = family_for(exp)
    conv = family.convention(convention)
    if Path(results_root).exists() and not Path(results_root).is_dir():
        raise ResultsWriteError(f"results folder {results_root} is a file")
    store = ResultStore(results_root, benchmark.name, exp)
    repetitions = family.repetitions(exp.settings, lambda: _deterministic(spec), runs)
    units, skipped = family.plan(RunContext(exp, dataset, store, tracker_name, conv, spec), repetitions, force)
    summary = RunSummary(tracker_name, store.tracker_dir(tracker_name), skipped=skipped)
    fingerprints = sequence_fingerprints(dataset)
    if not units:  # nothing to run, but the results stand for this run only if they were made the same way
        current = identity(spec, convention, fingerprints)
        existing = None if force else store.read_manifest(tracker_name)
        if existing and existing.get("weights_sha256"):  # which weights: the tracker says, once built
            current["weights_sha256"] = tracker_info(spec.create()).get("weights_sha256")
        settle_manifest(store, tracker_name, current, force, write=False)
        return summary
    job = Job(str(benchmark.path), exp.name, dict(dataset.open_args or {}), spec.spec, dict(spec.params),
              str(results_root), tracker_name, convention)
    runner = None
    run_here = executor in ("auto", "local") and workers <= 1 and not devices and frame_timeout is None
    if run_here:
        runner = UnitRunner(job, dataset, spec)
        tracker = runner.tracker
    else:
        if dataset.open_args is None:
            raise ConfigError("parallel runs need a dataset opened with open_dataset (workers reopen it)")
        tracker = spec.create()
    manifest = build_manifest(spec, tracker, benchmark.name, exp.name, convention, fingerprints,
                              family.tracker_boxes(conv))
    settle_manifest(store, tracker_name, manifest, force, write=True)
    pool = make_executor(executor if not run_here else "local", workers=workers, devices=devices,
                         frame_timeout=frame_timeout, address=address)
    from tqdm import tqdm

    bar = tqdm(total=sum(u.frames for u in units), unit="frame", disable=not progress, dynamic_ncols=True,
               desc=f"{tracker_name} {benchmark.name}/{exp.name}")
    done_units = 0
    running: list[str] = []  # sequences being run now, oldest first

    def show_running() -> None:
        names = ", ".join(running) or "-"
        bar.set_postfix_str(f"running {names} ({done_units}/{len(units)} units done)", refresh=True)

    def started(unit: Unit) -> None:
        running.append(unit.sequence)
        show_running()

    def finished(unit: Unit, outcome: Outcome) -> None:
        nonlocal done_units
        done_units += 1
        if unit.sequence in running:
            running.remove(unit.sequence)
        summary.add(outcome)
        for warning in outcome.warnings:
            bar.write(f"warning: {warning}")
        for failure in outcome.failures:
            bar.write(f"error: {failure.message} (recorded; continuing)")
        show_running()

    try:
        pool.run(job, units, runner, bar.update, finished, started)
    finally:
        bar.close()
    return summary
