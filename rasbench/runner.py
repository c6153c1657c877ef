"""The experiment runner: turns (tracker, benchmark, experiment) into result files.

Work is split into units: one OTB run (OPE, a TRE segment, an SRE perturbation), or the
repetitions of one VOT sequence (run in order, because the third decides whether a
fourth is needed). A unit whose result files exist is skipped, so an interrupted run
resumes where it stopped (``force`` reruns). Units execute in this process, in worker
processes (``workers``, one per GPU with ``devices``) or on a Ray cluster (see
:mod:`rasbench.executors`); each writes its own files atomically, so the output is the
same whatever executes it, in whatever order.

The tracker only ever sees ``init`` and ``update``; where runs start, with which box,
and the clock belong here. Per-frame times are ``time.perf_counter`` spans around the
tracker call (image decoding, done ahead in a background thread, excluded); the first
entry is the initialisation.
"""
from __future__ import annotations

import datetime
import logging
import math
import platform
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import __version__
from .benchmarks import BenchmarkDef, load_benchmark
from .conventions import OTBConvention, check_convention, otb_convention
from .datasets import PROTOCOL_LAYOUT, Dataset, open_dataset, sequence_fingerprints
from .datasets.sequence import Sequence
from .datasets.textio import read_text
from .errors import ConfigError, ResultsError, ResultsWriteError, TrackerError
from .metrics.vot import vot_convention
from .paths import path_component
from .protocols.otb import Run, plan_runs
from .protocols.vot import VOTOptions, VOTRun, run_realtime, run_supervised, run_unsupervised
from .region import RECTANGLE, SPECIAL, Regions, area_preserving_boxes, bounding_boxes, overlaps, parse_regions
from .registry import TrackerSpec, resolve
from .results import MANIFEST, ResultStore
from .text import plural
from .tracker import as_prediction, box_problem, is_deterministic, wants_paths

log = logging.getLogger("rasbench")

# Manifest fields that must agree before a folder's results are credited to a run
# (besides the data fingerprints of the sequences both cover).
_IDENTITY_FIELDS = ("tracker_spec", "parameters", "tracker_code", "convention")

# Called with (run number, frame number) just before the tracker is handed each frame.
OnFrame = Callable[[int, int], None]


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
class RunSummary:
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


@dataclass(frozen=True)
class Unit:
    """A piece of work: OTB run numbers, or the pending VOT repetitions, of a sequence."""

    sequence: str
    runs: tuple[int, ...]
    frames: int  # frames it processes at most (progress bars, time limits)


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
    repetitions: int = 1


# --------------------------------------------------------------------------- frames


_DECODERS = None  # one pool of decoding threads per process, created on first use


def _decoders():
    global _DECODERS
    if _DECODERS is None:
        from concurrent.futures import ThreadPoolExecutor

        _DECODERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rasbench-decode")
    return _DECODERS


class FrameReader:
    """Decodes the next frames ahead of the tracker on background threads.

    A fast tracker should not wait for JPEG decoding (OpenCV releases the GIL while
    decoding, so two decoding threads overlap with each other and with the tracker).
    Reads are usually sequential; a jump (a VOT re-initialisation, a real-time skip)
    drops the read-ahead and starts again from the requested frame.
    """

    def __init__(self, seq: Sequence, as_path: bool, ahead: int = 6):
        self.seq, self.as_path, self.ahead = seq, as_path, ahead
        self._pending: dict[int, object] = {}  # row -> future

    def __call__(self, row: int):
        if self.as_path:
            return self.seq.frame(row, as_path=True)
        if row not in self._pending:
            self.close()
        pool = _decoders()
        for ahead in range(row, min(row + self.ahead, len(self.seq))):
            if ahead not in self._pending:
                self._pending[ahead] = pool.submit(self.seq.frame, ahead)
        return self._pending.pop(row).result()

    def close(self) -> None:
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()


# --------------------------------------------------------------------------- one run


def _frame_label(seq: Sequence, row: int) -> int:
    return seq.first_frame + row


def _handed_box(seq: Sequence, box: np.ndarray, conv: OTBConvention) -> np.ndarray:
    """The initial box as the convention hands it to trackers (see ``tracker_boxes``)."""
    if conv.tracker_boxes == "zero_based":
        return seq.to_tracker(box)
    handed = np.array(box, dtype=np.float64, copy=True)
    if conv.tracker_boxes == "pysot":  # get_axis_aligned_bbox's centre, then cx - (w - 1) / 2
        handed[:2] = handed[:2] + handed[2:] / 2 - (handed[2:] - 1) / 2
    return handed


def _native_box(seq: Sequence, box: np.ndarray, conv: OTBConvention) -> np.ndarray:
    """A box from the tracker in the annotation's coordinates, as the convention writes it."""
    return seq.from_tracker(box) if conv.tracker_boxes == "zero_based" else np.array(box, dtype=np.float64)


def track_run(tracker, seq: Sequence, run: Run, conv: OTBConvention,
              on_frame: Callable[[int], None] | None = None):
    """Run ``tracker`` over ``seq`` from ``run.start``; returns (boxes, times, warnings).

    Boxes are handed over and come back as ``conv.tracker_boxes`` says, and are returned
    in the sequence's native coordinates; the first row is the box handed to the
    tracker. ``on_frame(frame)`` is called with each frame's number before the tracker
    sees it. Tracker exceptions propagate as :class:`TrackerError` naming the frame.
    """
    n = len(seq) - run.start
    boxes = np.empty((n, 4), dtype=np.float64)
    times = np.empty(n, dtype=np.float64)
    init_box = np.asarray(run.init_box, dtype=np.float64)
    bad_frames: list[int] = []
    read = FrameReader(seq, wants_paths(tracker))
    try:
        for k in range(n):
            row = run.start + k
            image = read(row)
            if on_frame:
                on_frame(_frame_label(seq, row))
            try:
                if k == 0:
                    handed = _handed_box(seq, init_box, conv)
                    t0 = time.perf_counter()
                    tracker.init(image, handed.copy())
                    times[0] = time.perf_counter() - t0
                    # the handed box in native coordinates (init_box exactly, when shifted)
                    boxes[0] = init_box if conv.tracker_boxes == "zero_based" else handed
                else:
                    t0 = time.perf_counter()
                    output = tracker.update(image)
                    times[k] = time.perf_counter() - t0
                    prediction = as_prediction(output)
                    boxes[k] = _native_box(seq, prediction.box, conv)
                    if box_problem(prediction.box):
                        bad_frames.append(_frame_label(seq, row))
            except Exception as exc:
                raise TrackerError(f"{type(exc).__name__}: {exc}", seq.name, _frame_label(seq, row)) from exc
    finally:
        read.close()
    warnings = []
    if bad_frames:
        shown = ", ".join(map(str, bad_frames[:10])) + (" ..." if len(bad_frames) > 10 else "")
        warnings.append(f"{seq.name} run {run.number}: NaN/inf or non-positive size at "
                        f"{plural(len(bad_frames), 'frame')} ({shown}); stored as returned, the benchmark's rule "
                        f"applies")
    return boxes, times, warnings


def track_vot_run(tracker, seq: Sequence, protocol: str, options: dict, convention: str,
                  on_frame: Callable[[int], None] | None = None) -> VOTRun:
    """One VOT run (baseline, realtime or unsupervised) of ``tracker`` on ``seq``.

    Failures are zero bounded overlap with the ground truth, computed with the
    convention's rule; a box that is NaN/inf or has a non-positive size counts as a
    failure too (it cannot overlap anything). ``on_frame(frame)`` is called with each
    frame's number (1-based) before the tracker sees it. Tracker exceptions become
    :class:`TrackerError` naming the frame.
    """
    conv = vot_convention(convention)
    opts = VOTOptions.parse(protocol, options, f"{protocol} options")
    gt = seq.groundtruth
    if seq.image_size is None:
        raise ResultsError(f"{seq.name}: image size unknown, cannot bound overlaps")
    bounds = (seq.image_size[0] + conv.failure_bounds_pad, seq.image_size[1] + conv.failure_bounds_pad)
    init_boxes = bounding_boxes(gt) if conv.init_box == "bounding" else area_preserving_boxes(gt, "pysot")
    threshold = opts.failure_overlap
    read = FrameReader(seq, wants_paths(tracker))

    def initialize(row):
        image = read(row)
        if on_frame:
            on_frame(row + 1)
        try:
            t0 = time.perf_counter()
            tracker.init(image, init_boxes[row].copy())
            seconds = time.perf_counter() - t0
        except Exception as exc:
            raise TrackerError(f"{type(exc).__name__}: {exc}", seq.name, row + 1) from exc
        return Regions.rectangles(init_boxes[row]), seconds

    def update(row):
        image = read(row)
        if on_frame:
            on_frame(row + 1)
        try:
            t0 = time.perf_counter()
            output = tracker.update(image)
            seconds = time.perf_counter() - t0
            prediction = as_prediction(output)
        except Exception as exc:
            raise TrackerError(f"{type(exc).__name__}: {exc}", seq.name, row + 1) from exc
        if prediction.polygon is not None:
            return Regions.polygons(prediction.polygon[None]), seconds
        return Regions.rectangles(prediction.box), seconds

    def failed(row, region):
        if region.kind[0] == RECTANGLE and box_problem(region.coords[0, :4]):
            return True
        return not overlaps(region, gt[row], bounds, conv.overlap)[0] > threshold

    try:
        if protocol == "baseline":
            return run_supervised(len(seq), initialize, update, failed, opts.skip_initialize)
        if protocol == "realtime":
            return run_realtime(len(seq), initialize, update, failed, opts.fps, opts.grace, opts.skip_initialize)
        return run_unsupervised(len(seq), initialize, update)
    finally:
        read.close()


def _same_trajectories(paths: list[Path]) -> bool:
    """VOT-M's is_deterministic: the same special codes everywhere and overlap > 0.999
    between run 1 and each other run on every frame holding a region."""
    runs = [parse_regions(read_text(p, "result").rstrip().splitlines()) for p in paths]
    first = runs[0]
    for other in runs[1:]:
        if len(other) != len(first) or not np.array_equal(first.codes(), other.codes()):
            return False
        regions = first.kind != SPECIAL
        if regions.any():
            o = overlaps(first[np.flatnonzero(regions)], other[np.flatnonzero(regions)], None, "vot-matlab")
            if not (o > 0.999).all():
                return False
    return True


# --------------------------------------------------------------------------- units


class UnitRunner:
    """Executes the units of one job: the dataset and the tracker are loaded once.

    In a worker process it is built from the :class:`Job` alone; in-process the caller
    hands over the dataset it already opened.
    """

    def __init__(self, job: Job, dataset: Dataset | None = None, spec: TrackerSpec | None = None):
        self.job = job
        self.benchmark = load_benchmark(job.benchmark)
        self.experiment = self.benchmark.experiment(job.experiment)
        if dataset is None:
            args = dict(job.dataset_args)
            root = args.pop("root")
            annotations = args.pop("annotations")
            dataset = open_dataset(self.benchmark, root=None if root is None else Path(root),
                                   annotations=None if annotations is None else Path(annotations), **args)
        self.dataset = dataset
        self.vot = PROTOCOL_LAYOUT[self.experiment.protocol] == "vot"
        self.store = ResultStore(job.results_root, self.benchmark.name, self.experiment.name,
                                 multi_run=self.vot or self.experiment.protocol != "ope")
        self.spec = spec or resolve(job.tracker, job.params)
        self.tracker = self.spec.create()

    def _record(self, outcome: Outcome, seq: Sequence, run: int, exc: TrackerError) -> None:
        outcome.failures.append(UnitFailure(seq.name, run, exc.frame, str(exc)))
        self.store.write_error(self.job.tracker_name, seq.name, run, {
            "sequence": seq.name, "run": run, "frame": exc.frame, "error": str(exc),
            "traceback": "".join(traceback.format_exception(exc.__cause__ or exc)),
        })
        self.tracker = self.spec.create()  # a tracker that raised may be in any state

    def run(self, unit: Unit, on_frame: OnFrame | None = None) -> Outcome:
        """Execute ``unit``; ``on_frame(run, frame)`` before the tracker sees each frame."""
        seq = self.dataset[unit.sequence]

        def frames_of(run: int):
            return None if on_frame is None else lambda frame: on_frame(run, frame)

        outcome = Outcome()
        name = self.job.tracker_name
        if self.vot:
            for rep in unit.runs:
                if rep == 4 and _same_trajectories([self.store.unit_files(name, seq.name, r, vot=True).boxes
                                                   for r in (1, 2, 3)]):
                    break  # three identical runs: the tracker is deterministic here
                try:
                    result = track_vot_run(self.tracker, seq, self.experiment.protocol, self.experiment.options,
                                           self.job.convention, frames_of(rep))
                except TrackerError as exc:
                    self._record(outcome, seq, rep, exc)
                    break  # later repetitions would only repeat the failure
                self.store.write_vot_unit(name, seq.name, rep, result.entries, result.times)
                outcome.completed += 1
                outcome.frames += len(result.seen)
                outcome.tracker_seconds += float(np.nansum(result.times))
            return outcome
        conv = otb_convention(self.job.convention)
        image_size = _image_size(seq) if self.experiment.protocol == "sre" else None
        runs = {r.number: r for r in plan_runs(seq, self.experiment.protocol, self.experiment.options,
                                               conv.ope_start, image_size)}
        for number in unit.runs:
            run = runs[number]
            try:
                boxes, times, warnings = track_run(self.tracker, seq, run, conv, frames_of(number))
            except TrackerError as exc:
                self._record(outcome, seq, number, exc)
                continue
            self.store.write_unit(name, seq.name, number, boxes, times)
            outcome.completed += 1
            outcome.frames += len(times)
            outcome.tracker_seconds += float(np.sum(times))
            outcome.warnings += warnings
        return outcome


def _image_size(seq: Sequence) -> tuple[int, int]:
    if seq.image_size is None:
        first = seq.frame(0)
        seq.image_size = (first.shape[1], first.shape[0])
    return seq.image_size


def plan_units(benchmark: BenchmarkDef, experiment: str, dataset: Dataset, store: ResultStore, tracker_name: str,
               convention: str, repetitions: int, force: bool) -> tuple[list[Unit], int]:
    """Units still to do and the number of runs already done."""
    exp = benchmark.experiment(experiment)
    units, skipped = [], 0
    for seq in dataset.values():
        if PROTOCOL_LAYOUT[exp.protocol] == "vot":
            pending = tuple(r for r in range(1, repetitions + 1)
                            if force or not store.is_done(tracker_name, seq.name, r, vot=True))
            skipped += repetitions - len(pending)
            if pending:
                units.append(Unit(seq.name, pending, len(seq) * len(pending)))
            continue
        image_size = _image_size(seq) if exp.protocol == "sre" else None
        for run in plan_runs(seq, exp.protocol, exp.options, otb_convention(convention).ope_start, image_size):
            if not force and store.is_done(tracker_name, seq.name, run.number):
                skipped += 1
            else:
                units.append(Unit(seq.name, (run.number,), len(seq) - run.start))
    return units, skipped


# --------------------------------------------------------------------------- manifest


def manifest_identity(spec: TrackerSpec, convention: str, fingerprints: dict[str, str]) -> dict:
    """The manifest fields that a folder's results must agree with to be credited to a run."""
    return {"tracker_spec": spec.spec, "parameters": spec.params, "tracker_code": spec.code,
            "convention": convention, "sequences": fingerprints}


def build_manifest(spec: TrackerSpec, tracker, benchmark: BenchmarkDef, experiment: str,
                   convention: str, fingerprints: dict[str, str]) -> dict:
    import cv2

    info = {}
    describe = getattr(tracker, "describe", None)
    if callable(describe):
        info = describe() or {}
    vot = PROTOCOL_LAYOUT[benchmark.experiment(experiment).protocol] == "vot"
    return {
        **manifest_identity(spec, convention, fingerprints),  # sequences: per-sequence data fingerprint
        "tracker": spec.default_name,
        "deterministic": is_deterministic(tracker),
        "tracker_info": info,
        "weights_sha256": info.get("weights_sha256"),
        "benchmark": benchmark.name,
        "experiment": experiment,
        # VOT regions are handed over as annotated (0-based already)
        "tracker_boxes": "as_annotated" if vot else otb_convention(convention).tracker_boxes,
        "rasbench_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "host": platform.node(),
    }


def _check_manifest(existing: dict | None, current: dict, folder: Path) -> None:
    """Refuse a folder whose results were made by another tracker, code, parameters,
    convention or data. A manifest written before tracker code was recorded is accepted
    with a warning (the run then records it)."""
    if not existing:
        return
    fields = [f for f in _IDENTITY_FIELDS if f in existing or f != "tracker_code"]
    if "tracker_code" not in existing:
        log.warning("%s was made before rasbench recorded tracker code; assuming the tracker's code is "
                    "unchanged (use --force to redo the results)", folder / MANIFEST)
    changed = [f for f in fields if existing.get(f) != current.get(f)]
    old_data = existing.get("sequences") or {}
    changed += [f"data of {name}" for name, fp in current["sequences"].items() if old_data.get(name, fp) != fp]
    if changed:
        details = "; ".join(f"{f}: {existing.get(f)!r} -> {current.get(f)!r}" if f in _IDENTITY_FIELDS else
                            f"{f} changed" for f in changed)
        raise ResultsError(f"{folder} holds results made differently ({details}). Use --force to redo them "
                           f"all, or --name to keep both")


def _settle_manifest(store: ResultStore, tracker_name: str, current: dict, force: bool, write: bool) -> None:
    """Check the folder's manifest against ``current`` and, with ``write``, record
    ``current`` (a full manifest) in it. Both happen under the folder's lock, so of two
    runs started together with different settings the second sees the first's manifest
    and is refused."""
    with store.manifest_lock(tracker_name):
        existing = None if force else store.read_manifest(tracker_name)
        _check_manifest(existing, current, store.tracker_dir(tracker_name))
        if not write:
            return
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        manifest = {**current, "tracker": tracker_name, "created": (existing or {}).get("created", now),
                    "updated": now, "sequences": {**(existing or {}).get("sequences", {}), **current["sequences"]}}
        store.write_manifest(tracker_name, manifest)


def _deterministic(spec: TrackerSpec) -> bool:
    """Whether the tracker declares itself deterministic (VOT then runs one repetition).

    Read from the class when it says, so that checking does not load a model."""
    for attr in ("deterministic", "is_deterministic"):
        value = getattr(spec.factory, attr, None)
        if isinstance(value, bool):
            return value
    return is_deterministic(spec.create())


# --------------------------------------------------------------------------- entry point


def check_frame_timeout(value, what: str = "frame_timeout") -> None:
    """``value`` must be None or a positive, finite number of seconds."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{what} must be a positive number of seconds, got {value!r}")


def run_experiment(benchmark: BenchmarkDef, experiment: str, dataset: Dataset, spec: TrackerSpec,
                   results_root: Path, *, name: str | None = None, force: bool = False,
                   convention: str = "official", progress: bool = True, workers: int = 1,
                   devices: list[str] | None = None, frame_timeout: float | None = None,
                   executor: str = "auto", address: str | None = None) -> RunSummary:
    """Run every unfinished unit of one experiment.

    ``workers`` > 1, ``devices`` (one worker per GPU, set through CUDA_VISIBLE_DEVICES) or
    ``frame_timeout`` (seconds a frame may take before its unit is abandoned) run units in
    worker processes; ``executor="ray"`` on a Ray cluster at ``address``. A folder whose
    results were made differently (see :func:`manifest_identity`) is refused, whether or
    not work remains; a results folder that cannot be written stops the run
    (:class:`~rasbench.errors.ResultsWriteError`).
    """
    from .executors import make_executor

    check_frame_timeout(frame_timeout)
    exp = benchmark.experiment(experiment)
    if name is not None:
        tracker_name = path_component(name, "results folder name (--name)")
    else:
        tracker_name = path_component(spec.default_name, f"tracker {spec.spec!r}: its name")
    vot = PROTOCOL_LAYOUT[exp.protocol] == "vot"
    convention = check_convention(convention, PROTOCOL_LAYOUT[exp.protocol])
    if Path(results_root).exists() and not Path(results_root).is_dir():
        raise ResultsWriteError(f"results folder {results_root} is a file")
    repetitions = VOTOptions.of(exp).repetitions if vot and not _deterministic(spec) else 1
    store = ResultStore(results_root, benchmark.name, exp.name, multi_run=vot or exp.protocol != "ope")
    units, skipped = plan_units(benchmark, exp.name, dataset, store, tracker_name, convention, repetitions, force)
    summary = RunSummary(tracker_name, store.tracker_dir(tracker_name), skipped=skipped)
    fingerprints = sequence_fingerprints(dataset)
    if not units:  # nothing to run, but the results stand for this run only if they were made the same way
        _settle_manifest(store, tracker_name, manifest_identity(spec, convention, fingerprints), force, write=False)
        return summary
    job = Job(str(benchmark.path), exp.name, dict(dataset.open_args or {}), spec.spec, dict(spec.params),
              str(results_root), tracker_name, convention, repetitions)
    runner = None
    run_here = executor in ("auto", "local") and workers <= 1 and not devices and frame_timeout is None
    if run_here:
        runner = UnitRunner(job, dataset, spec)
        tracker = runner.tracker
    else:
        if dataset.open_args is None:
            raise ConfigError("parallel runs need a dataset opened with open_dataset (workers reopen it)")
        tracker = spec.create()
    manifest = build_manifest(spec, tracker, benchmark, exp.name, convention, fingerprints)
    _settle_manifest(store, tracker_name, manifest, force, write=True)
    pool = make_executor(executor if not run_here else "local", workers=workers, devices=devices,
                         frame_timeout=frame_timeout, address=address)
    from tqdm import tqdm

    bar = tqdm(total=sum(u.frames for u in units), unit="frame", disable=not progress, dynamic_ncols=True,
               desc=f"{tracker_name} {benchmark.name}/{exp.name}")
    done_units = 0

    def finished(unit: Unit, outcome: Outcome) -> None:
        nonlocal done_units
        done_units += 1
        summary.add(outcome)
        for warning in outcome.warnings:
            bar.write(f"warning: {warning}")
        for failure in outcome.failures:
            bar.write(f"error: {failure.message} (recorded; continuing)")
        bar.set_postfix_str(f"{unit.sequence} ({done_units}/{len(units)} units)", refresh=False)

    try:
        pool.run(job, units, runner, bar.update, finished)
    finally:
        bar.close()
    return summary
