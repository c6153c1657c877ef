"""The experiment runner: turns (tracker, benchmark, experiment) into result files.

Work is split into units, one per (sequence, run); a unit whose box file exists is
skipped, so an interrupted run resumes where it stopped (``force`` reruns). The
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
from .datasets import Dataset, sequence_fingerprints
from .datasets.sequence import Sequence
from .errors import ResultsError, TrackerError
from .protocols.otb import Run, plan_runs
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
    from tqdm import tqdm

    exp = benchmark.experiment(experiment)
    conv = otb_convention(convention)
    store = ResultStore(results_root, benchmark.name, exp.name, multi_run=exp.protocol != "ope")
    tracker_name = name or spec.default_name
    summary = RunSummary(tracker_name, store.tracker_dir(tracker_name))

    plans: list[tuple[Sequence, Run]] = []
    for seq in dataset.values():
        image_size = None
        if exp.protocol == "sre":
            first = seq.frame(0)
            image_size = (first.shape[1], first.shape[0])
        for run in plan_runs(seq, exp.protocol, exp.options, conv.ope_start, image_size):
            if not force and store.is_done(tracker_name, seq.name, run.number):
                summary.skipped += 1
            else:
                plans.append((seq, run))
    if not plans:
        return summary

    tracker = spec.create()
    manifest = build_manifest(spec, tracker, benchmark, exp.name, conv.name, sequence_fingerprints(dataset))
    existing = store.read_manifest(tracker_name)
    if not force:
        _check_manifest(existing, manifest, summary.folder)
        manifest["sequences"] = {**(existing or {}).get("sequences", {}), **manifest["sequences"]}
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    manifest["created"] = (existing or {}).get("created", now) if not force else now
    manifest["updated"] = now
    manifest["tracker"] = tracker_name
    store.write_manifest(tracker_name, manifest)

    total_frames = sum(len(seq) - run.start for seq, run in plans)
    bar = tqdm(total=total_frames, unit="frame", disable=not progress, dynamic_ncols=True,
               desc=f"{tracker_name} {benchmark.name}/{exp.name}")
    try:
        for index, (seq, run) in enumerate(plans, start=1):
            bar.set_postfix_str(f"{seq.name} run {run.number} ({index}/{len(plans)})", refresh=False)
            try:
                boxes, times, warnings = track_run(tracker, seq, run)
            except TrackerError as exc:
                failure = UnitFailure(seq.name, run.number, exc.frame, str(exc))
                summary.failures.append(failure)
                store.write_error(tracker_name, seq.name, run.number, {
                    "sequence": seq.name, "run": run.number, "frame": exc.frame, "error": str(exc),
                    "traceback": "".join(traceback.format_exception(exc.__cause__ or exc)),
                })
                bar.write(f"error: {exc} (recorded; continuing)")
                tracker = spec.create()  # a tracker that raised may be in any state
                bar.update(len(seq) - run.start)
                continue
            store.write_unit(tracker_name, seq.name, run.number, boxes, times)
            summary.completed += 1
            summary.frames += len(times)
            summary.tracker_seconds += float(np.sum(times))
            for warning in warnings:
                summary.warnings.append(warning)
                bar.write(f"warning: {warning}")
            bar.update(len(seq) - run.start)
    finally:
        bar.close()
    return summary
