"""The experiment runner: turns (tracker, benchmark, experiment) into result files.

Work is split into units, one per (sequence, run): an OTB run (OPE, a TRE segment, an
SRE perturbation) or a VOT repetition. A unit whose result file exists is skipped, so
an interrupted run resumes where it stopped (``force`` reruns). The
tracker only ever sees ``init`` and ``update``; where runs start, with which box, and
the clock belong here. Per-frame times are ``time.perf_counter`` spans around the
tracker call (image decoding excluded); the first entry is the initialisation.
"""
from __future__ import annotations

import datetime
import logging
import platform
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .benchmarks import BenchmarkDef
from .conventions import otb_convention
from .datasets import PROTOCOL_LAYOUT, Dataset, sequence_fingerprints
from .datasets.sequence import Sequence
from .datasets.textio import read_text
from .errors import ResultsError, TrackerError
from .protocols.otb import Run, plan_runs
from .metrics.vot import vot_convention
from .protocols.vot import VOTRun, run_realtime, run_supervised, run_unsupervised
from .region import RECTANGLE, SPECIAL, Regions, area_preserving_boxes, bounding_boxes, overlaps, parse_regions
from .registry import TrackerSpec
from .results import ResultStore
from .tracker import as_prediction, box_problem, is_deterministic, wants_paths

log = logging.getLogger("rasbench")

# Manifest fields that must agree before new units are added to an existing folder.
_IDENTITY_FIELDS = ("tracker_spec", "parameters", "convention")


@dataclass
class UnitFailure:
    sequence: str
    run: int
    frame: int | None
    message: str


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


def _frame_label(seq: Sequence, row: int) -> int:
    return seq.first_frame + row


def track_run(tracker, seq: Sequence, run: Run):
    """Run ``tracker`` over ``seq`` from ``run.start``; returns (boxes, times, warnings).

    Boxes come back in the sequence's native coordinates; the first row is the box the
    tracker was initialised with. Tracker exceptions propagate as :class:`TrackerError`
    naming the frame.
    """
    n = len(seq) - run.start
    boxes = np.empty((n, 4), dtype=np.float64)
    times = np.empty(n, dtype=np.float64)
    init_box = np.asarray(run.init_box, dtype=np.float64)
    bad_frames: list[int] = []
    as_path = wants_paths(tracker)
    for k in range(n):
        row = run.start + k
        image = seq.frame(row, as_path)
        try:
            if k == 0:
                t0 = time.perf_counter()
                tracker.init(image, seq.to_tracker(init_box))
                times[0] = time.perf_counter() - t0
                boxes[0] = init_box
                continue
            t0 = time.perf_counter()
            output = tracker.update(image)
            times[k] = time.perf_counter() - t0
            prediction = as_prediction(output)
        except Exception as exc:
            raise TrackerError(f"{type(exc).__name__}: {exc}", seq.name, _frame_label(seq, row)) from exc
        boxes[k] = seq.from_tracker(prediction.box)
        if box_problem(prediction.box):
            bad_frames.append(_frame_label(seq, row))
    warnings = []
    if bad_frames:
        shown = ", ".join(map(str, bad_frames[:10])) + (" ..." if len(bad_frames) > 10 else "")
        warnings.append(f"{seq.name} run {run.number}: NaN/inf or non-positive size at {len(bad_frames)} "
                        f"frame(s) ({shown}); stored as returned, the benchmark's rule applies")
    return boxes, times, warnings


def build_manifest(spec: TrackerSpec, tracker, benchmark: BenchmarkDef, experiment: str,
                   convention: str, fingerprints: dict[str, str]) -> dict:
    import cv2

    info = {}
    describe = getattr(tracker, "describe", None)
    if callable(describe):
        info = describe() or {}
    return {
        "tracker": spec.default_name,
        "tracker_spec": spec.spec,
        "parameters": spec.params,
        "deterministic": is_deterministic(tracker),
        "tracker_info": info,
        "weights_sha256": info.get("weights_sha256"),
        "benchmark": benchmark.name,
        "experiment": experiment,
        "convention": convention,
        "sequences": fingerprints,  # per-sequence data fingerprint
        "rasbench_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "host": platform.node(),
    }


def _check_manifest(existing: dict | None, current: dict, folder: Path) -> None:
    if not existing:
        return
    changed = [f for f in _IDENTITY_FIELDS if existing.get(f) != current.get(f)]
    old_data = existing.get("sequences") or {}
    changed += [f"data of {name}" for name, fp in current["sequences"].items() if old_data.get(name, fp) != fp]
    if changed:
        details = "; ".join(f"{f}: {existing.get(f)!r} -> {current.get(f)!r}" if f in _IDENTITY_FIELDS else
                            f"{f} changed" for f in changed)
        raise ResultsError(f"{folder} holds results made differently ({details}). Use --force to redo them "
                           f"all, or --name to keep both")


def run_experiment(benchmark: BenchmarkDef, experiment: str, dataset: Dataset, spec: TrackerSpec,
                   results_root: Path, *, name: str | None = None, force: bool = False,
                   convention: str = "official", progress: bool = True) -> RunSummary:
    """Run every unfinished unit of one experiment; see the module docstring."""
    exp = benchmark.experiment(experiment)
    tracker_name = name or spec.default_name
    if PROTOCOL_LAYOUT[exp.protocol] == "vot":
        return _run_vot(benchmark, exp, dataset, spec, results_root, tracker_name, force, convention, progress)
    return _run_otb(benchmark, exp, dataset, spec, results_root, tracker_name, force, convention, progress)


class _Session:
    """What every unit of a run shares: store, tracker, manifest, progress bar, summary."""

    def __init__(self, benchmark, exp, dataset, spec, store, tracker_name, force, convention, total_frames,
                 progress):
        from tqdm import tqdm

        self.spec, self.store, self.name = spec, store, tracker_name
        self.summary = RunSummary(tracker_name, store.tracker_dir(tracker_name))
        self.tracker = spec.create()
        manifest = build_manifest(spec, self.tracker, benchmark, exp.name, convention, sequence_fingerprints(dataset))
        existing = store.read_manifest(tracker_name)
        if not force:
            _check_manifest(existing, manifest, self.summary.folder)
            manifest["sequences"] = {**(existing or {}).get("sequences", {}), **manifest["sequences"]}
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        manifest["created"] = (existing or {}).get("created", now) if not force else now
        manifest["updated"] = now
        manifest["tracker"] = tracker_name
        store.write_manifest(tracker_name, manifest)
        self.bar = tqdm(total=total_frames, unit="frame", disable=not progress, dynamic_ncols=True,
                        desc=f"{tracker_name} {benchmark.name}/{exp.name}")

    def failed(self, seq: Sequence, run: int, exc: TrackerError, frames_left: int) -> None:
        self.summary.failures.append(UnitFailure(seq.name, run, exc.frame, str(exc)))
        self.store.write_error(self.name, seq.name, run, {
            "sequence": seq.name, "run": run, "frame": exc.frame, "error": str(exc),
            "traceback": "".join(traceback.format_exception(exc.__cause__ or exc)),
        })
        self.bar.write(f"error: {exc} (recorded; continuing)")
        self.tracker = self.spec.create()  # a tracker that raised may be in any state
        self.bar.update(frames_left)

    def done(self, frames: int, times, warnings=()) -> None:
        self.summary.completed += 1
        self.summary.frames += frames
        self.summary.tracker_seconds += float(np.nansum(times))
        for warning in warnings:
            self.summary.warnings.append(warning)
            self.bar.write(f"warning: {warning}")
        self.bar.update(frames)


def _run_otb(benchmark, exp, dataset, spec, results_root, tracker_name, force, convention, progress) -> RunSummary:
    conv = otb_convention(convention)
    store = ResultStore(results_root, benchmark.name, exp.name, multi_run=exp.protocol != "ope")
    plans: list[tuple[Sequence, Run]] = []
    skipped = 0
    for seq in dataset.values():
        image_size = None
        if exp.protocol == "sre":
            first = seq.frame(0)
            image_size = (first.shape[1], first.shape[0])
        for run in plan_runs(seq, exp.protocol, exp.options, conv.ope_start, image_size):
            if not force and store.is_done(tracker_name, seq.name, run.number):
                skipped += 1
            else:
                plans.append((seq, run))
    if not plans:
        return RunSummary(tracker_name, store.tracker_dir(tracker_name), skipped=skipped)
    session = _Session(benchmark, exp, dataset, spec, store, tracker_name, force, conv.name,
                       sum(len(seq) - run.start for seq, run in plans), progress)
    session.summary.skipped = skipped
    try:
        for index, (seq, run) in enumerate(plans, start=1):
            session.bar.set_postfix_str(f"{seq.name} run {run.number} ({index}/{len(plans)})", refresh=False)
            try:
                boxes, times, warnings = track_run(session.tracker, seq, run)
            except TrackerError as exc:
                session.failed(seq, run.number, exc, len(seq) - run.start)
                continue
            store.write_unit(tracker_name, seq.name, run.number, boxes, times)
            session.done(len(times), times, warnings)
    finally:
        session.bar.close()
    return session.summary


def track_vot_run(tracker, seq: Sequence, protocol: str, options: dict, convention: str) -> VOTRun:
    """One VOT run (baseline, realtime or unsupervised) of ``tracker`` on ``seq``.

    Failures are zero bounded overlap with the ground truth, computed with the
    convention's rule; a box that is NaN/inf or has a non-positive size counts as a
    failure too (it cannot overlap anything). Tracker exceptions become
    :class:`TrackerError` naming the frame.
    """
    conv = vot_convention(convention)
    gt = seq.groundtruth
    if seq.image_size is None:
        raise ResultsError(f"{seq.name}: image size unknown, cannot bound overlaps")
    bounds = (seq.image_size[0] + conv.failure_bounds_pad, seq.image_size[1] + conv.failure_bounds_pad)
    init_boxes = bounding_boxes(gt) if conv.init_box == "bounding" else area_preserving_boxes(gt, "pysot")
    threshold = float(options.get("failure_overlap", 0))
    as_path = wants_paths(tracker)

    def initialize(row):
        image = seq.frame(row, as_path)
        try:
            t0 = time.perf_counter()
            tracker.init(image, init_boxes[row].copy())
            seconds = time.perf_counter() - t0
        except Exception as exc:
            raise TrackerError(f"{type(exc).__name__}: {exc}", seq.name, row + 1) from exc
        return Regions.rectangles(init_boxes[row]), seconds

    def update(row):
        image = seq.frame(row, as_path)
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

    if protocol == "baseline":
        return run_supervised(len(seq), initialize, update, failed, int(options.get("skip_initialize", 5)))
    if protocol == "realtime":
        return run_realtime(len(seq), initialize, update, failed, float(options.get("fps", 20)),
                            int(options.get("grace", 3)), int(options.get("skip_initialize", 5)))
    return run_unsupervised(len(seq), initialize, update)


def _deterministic(spec: TrackerSpec) -> bool:
    """Whether the tracker declares itself deterministic (VOT then runs one repetition).

    Read from the class when it says, so that checking does not load a model."""
    for attr in ("deterministic", "is_deterministic"):
        value = getattr(spec.factory, attr, None)
        if isinstance(value, bool):
            return value
    return is_deterministic(spec.create())


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


def _run_vot(benchmark, exp, dataset, spec, results_root, tracker_name, force, convention, progress) -> RunSummary:
    try:
        vot_convention(convention)
    except ValueError as exc:
        raise ResultsError(str(exc)) from None
    store = ResultStore(results_root, benchmark.name, exp.name, multi_run=True)
    repetitions = int(exp.options.get("repetitions", 1))
    if _deterministic(spec):
        repetitions = 1
    pending = {seq.name: [r for r in range(1, repetitions + 1)
                          if force or not store.is_done(tracker_name, seq.name, r, vot=True)]
               for seq in dataset.values()}
    skipped = sum(repetitions - len(reps) for reps in pending.values())
    if not any(pending.values()):
        return RunSummary(tracker_name, store.tracker_dir(tracker_name), skipped=skipped)
    session = _Session(benchmark, exp, dataset, spec, store, tracker_name, force, convention,
                       sum(len(dataset[s]) * len(r) for s, r in pending.items()), progress)
    session.summary.skipped = skipped
    try:
        for seq in dataset.values():
            for rep in pending[seq.name]:
                if rep == 4 and _same_trajectories([store.unit_files(tracker_name, seq.name, r, vot=True).boxes
                                                   for r in (1, 2, 3)]):
                    session.bar.update(len(seq) * len([r for r in pending[seq.name] if r >= 4]))
                    break  # three identical runs: the tracker is deterministic here
                session.bar.set_postfix_str(f"{seq.name} repetition {rep}", refresh=False)
                try:
                    run = track_vot_run(session.tracker, seq, exp.protocol, exp.options, convention)
                except TrackerError as exc:
                    session.failed(seq, rep, exc, len(seq))
                    break  # later repetitions would only repeat the failure
                store.write_vot_unit(tracker_name, seq.name, rep, run.entries, run.times)
                session.done(len(seq), run.times)
    finally:
        session.bar.close()
    return session.summary
