"""Where units run: this process, worker processes, or a Ray cluster.

Every executor runs the same :class:`~rasbench.runner.worker.UnitRunner`; workers rebuild
it from the :class:`~rasbench.runner.units.Job` (dataset and tracker loaded once per worker) and
write their results themselves, atomically, so what reaches the results folder does not
depend on the executor, the number of workers or the order.

Faults. A worker process that stops reporting progress for ``frame_timeout`` seconds
(a hung tracker) is killed; one that dies (a crash, the kernel's out-of-memory killer)
is noticed. Either way its unit is recorded as failed with the reason and the frame it
was on, a fresh worker takes its place, and the other units go on. A results folder
that cannot be written stops the run. Workers die with the main process, however it
ends (SIGKILL included); an interrupted run (Ctrl-C, SIGTERM) ends its workers at once.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import queue
import signal
import sys
import threading
import time
import traceback
from typing import Callable

from ..config.benchmarks import load_benchmark
from ..errors import ConfigError, RasbenchError, ResultsWriteError, optional_dependency
from ..protocols.base import Outcome, Unit, UnitFailure
from ..results.store import ResultStore
from .units import Job
from .worker import UnitRunner

# A worker reports progress at most this often (seconds), so fast trackers are not slowed.
PROGRESS_INTERVAL = 0.2
# How long a worker may take to load the dataset and the tracker (models can be large).
STARTUP_TIMEOUT = 600.0

Progress = Callable[[int], None]
Finished = Callable[[Unit, Outcome], None]
Started = Callable[[Unit], None]


def _nothing(unit: Unit) -> None:
    pass


def make_executor(kind: str, *, workers: int = 1, devices: list[str] | None = None,
                  frame_timeout: float | None = None, address: str | None = None):
    if kind == "local":
        return LocalExecutor()
    if kind in ("auto", "processes"):
        return ProcessExecutor(workers, devices, frame_timeout)
    if kind == "ray":
        return RayExecutor(address, workers, frame_timeout)
    raise ConfigError(f"unknown executor {kind!r}; choose local, processes or ray")


def _failed(unit: Unit, message: str, run: int | None = None, frame: int | None = None) -> Outcome:
    return Outcome(failures=[UnitFailure(unit.sequence, run or unit.runs[0], frame, message)])


def _record_lost_unit(job: Job, unit: Unit, message: str, run: int | None = None, frame: int | None = None) -> None:
    """An error record for a unit whose worker was lost, where the worker would have put it:
    under the run it was on, with the frame it was on (None before its first frame)."""
    benchmark = load_benchmark(job.benchmark)
    store = ResultStore(job.results_root, benchmark.name, benchmark.experiment(job.experiment))
    run = run or unit.runs[0]
    store.write_error(job.tracker_name, unit.sequence, run,
                      {"sequence": unit.sequence, "run": run, "frame": frame, "error": message})


class LocalExecutor:
    """Units one after another in this process (the default)."""

    def run(self, job: Job, units: list[Unit], runner: UnitRunner | None, progress: Progress,
            finished: Finished, started: Started = _nothing) -> None:
        runner = runner or UnitRunner(job)
        for unit in units:
            reported = 0
            started(unit)

            def count(run: int, frame: int) -> None:
                nonlocal reported
                reported += 1
                progress(1)

            outcome = runner.run(unit, count)
            progress(max(0, unit.frames - reported))
            finished(unit, outcome)


# --------------------------------------------------------------------------- processes


def _die_with_parent() -> None:
    """End this process when the main process ends, however it ends.

    On Linux the kernel sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``), which
    also ends a tracker stuck in native code that holds the GIL; everywhere, a thread
    waits on the parent's sentinel (closed when it dies) and exits.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    parent = multiprocessing.parent_process()
    if parent is not None:  # also covers a parent that died before prctl above

        def watch() -> None:
            multiprocessing.connection.wait([parent.sentinel])
            os._exit(1)

        threading.Thread(target=watch, name="rasbench-parent-watch", daemon=True).start()


def _worker_main(job: Job, device: str | None, inbox, events, worker_id: int, interval: float, position) -> None:
    """A worker process: build the runner once, then run units until told to stop.

    ``position`` (shared memory) holds the (run, frame) its tracker was last handed, so
    the main process knows where a unit hung or died without a message per frame.
    """
    _die_with_parent()
    # Ctrl-C reaches the whole process group: the main process ends the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = device
    try:
        runner = UnitRunner(job)
    except Exception as exc:
        events.put(("fatal", worker_id, f"{type(exc).__name__}: {exc}"))
        return
    events.put(("ready", worker_id, None))
    for unit in iter(inbox.get, None):
        pending, last = 0, time.monotonic()

        def on_frame(run: int, frame: int) -> None:
            nonlocal pending, last
            position[0], position[1] = run, frame
            pending += 1
            now = time.monotonic()
            if now - last >= interval:
                events.put(("frames", worker_id, pending))
                pending, last = 0, now

        try:
            outcome = runner.run(unit, on_frame)
        except ResultsWriteError as exc:  # nothing this worker does can be recorded
            events.put(("unwritable", worker_id, str(exc)))
            return
        except RasbenchError as exc:  # bad data: the unit fails, the worker stays usable
            outcome = _failed(unit, str(exc))
        except Exception as exc:
            outcome = _failed(unit, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        events.put(("frames", worker_id, pending))
        events.put(("done", worker_id, outcome))


class _Worker:
    def __init__(self, context, job: Job, device: str | None, events, worker_id: int, interval: float):
        self.inbox = context.Queue()
        self.position = context.Array("q", 2, lock=False)  # (run, frame) of its unit; frame 0: none yet
        self.process = context.Process(target=_worker_main,
                                       args=(job, device, self.inbox, events, worker_id, interval, self.position),
                                       daemon=True, name=f"rasbench-worker-{worker_id}")
        self.process.start()
        self.device = device
        self.ready = False
        self.unit: Unit | None = None
        self.reported = 0
        self.since = time.monotonic()  # last sign of life

    def assign(self, unit: Unit) -> None:
        self.unit, self.reported, self.since = unit, 0, time.monotonic()
        self.position[:] = [unit.runs[0], 0]  # the worker is idle: nobody else writes it now
        self.inbox.put(unit)

    def kill(self) -> None:
        if self.process.is_alive():
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.join()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        name = signal.Signals(-code).name
        hint = " (the kernel's out-of-memory killer sends this)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{hint}"
    return f"exit status {code}"


class ProcessExecutor:
    """Units in ``workers`` processes (one per entry of ``devices`` when given)."""

    def __init__(self, workers: int = 1, devices: list[str] | None = None, frame_timeout: float | None = None):
        self.devices = list(devices) if devices else [None] * max(1, workers)
        self.frame_timeout = frame_timeout
        # Workers report at least four times per frame_timeout, so a busy worker is not taken for a hung one.
        self.interval = PROGRESS_INTERVAL if frame_timeout is None else min(PROGRESS_INTERVAL, frame_timeout / 4)

    def run(self, job: Job, units: list[Unit], runner: UnitRunner | None, progress: Progress,
            finished: Finished, started: Started = _nothing) -> None:
        context = multiprocessing.get_context("spawn")  # no fork: trackers may hold threads or CUDA
        events = context.Queue()
        todo = list(units)

        def start(worker_id: int, device: str | None) -> _Worker:
            return _Worker(context, job, device, events, worker_id, self.interval)

        workers = {i: start(i, d) for i, d in enumerate(self.devices[:len(units)])}
        next_id = len(workers)
        try:
            while todo or any(w.unit for w in workers.values()):
                for worker in workers.values():
                    if worker.ready and worker.unit is None and todo:
                        worker.assign(todo.pop(0))
                        started(worker.unit)
                try:
                    kind, wid, payload = events.get(timeout=0.2)
                except queue.Empty:
                    kind = None
                if kind is not None and wid in workers:
                    worker = workers[wid]
                    worker.since = time.monotonic()
                    if kind == "ready":
                        worker.ready = True
                    elif kind == "fatal":
                        raise ConfigError(f"a worker could not start: {payload}")
                    elif kind == "unwritable":
                        raise ResultsWriteError(payload)
                    elif kind == "frames":
                        worker.reported += payload
                        progress(payload)
                    elif kind == "done":
                        unit, worker.unit = worker.unit, None
                        progress(max(0, unit.frames - worker.reported))
                        finished(unit, payload)
                for wid, worker in list(workers.items()):
                    reason = self._lost(worker)
                    if reason is None:
                        continue
                    worker.kill()
                    if worker.unit is None:
                        raise ConfigError(f"a worker failed before it was ready: {reason}")
                    unit = worker.unit
                    run, frame = worker.position[0], worker.position[1] or None
                    where = f"sequence {unit.sequence}" + (f", frame {frame}" if frame is not None else "")
                    message = f"{where}: worker lost ({reason}); unit abandoned"
                    _record_lost_unit(job, unit, message, run, frame)
                    progress(max(0, unit.frames - worker.reported))
                    finished(unit, _failed(unit, message, run, frame))
                    del workers[wid]
                    if todo:  # a fresh worker on the same device takes its place
                        workers[next_id] = start(next_id, worker.device)
                        next_id += 1
        except BaseException:  # interrupted (Ctrl-C, SIGTERM) or failed: end the workers now
            for worker in workers.values():
                worker.kill()
            raise
        for worker in workers.values():
            if worker.process.is_alive():
                worker.inbox.put(None)
        deadline = time.monotonic() + 5
        for worker in workers.values():
            worker.process.join(max(0.0, deadline - time.monotonic()))
            worker.kill()

    def _lost(self, worker: _Worker) -> str | None:
        """Why a worker must be given up, or None while it is healthy."""
        if not worker.process.is_alive():
            return _describe_exit(worker.process.exitcode)
        quiet = time.monotonic() - worker.since
        if not worker.ready and quiet > STARTUP_TIMEOUT:
            return f"not ready after {STARTUP_TIMEOUT:.0f} s"
        if worker.unit is not None and self.frame_timeout is not None and quiet > self.frame_timeout:
            return f"no frame finished for {self.frame_timeout:g} s, the tracker hangs"
        return None


# --------------------------------------------------------------------------- Ray


def _restore_sigterm(handler) -> None:
    """Make ``handler`` (from ``signal.getsignal``) SIGTERM's again; only the main thread may."""
    if handler is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


class RayExecutor:
    """Units as tasks of Ray actors (one actor = one worker holding dataset and tracker).

    Every node must see the dataset and the results folder at the same paths (a shared
    file system). ``frame_timeout`` bounds a whole unit at ``frames x frame_timeout``.
    """

    def __init__(self, address: str | None, workers: int = 1, frame_timeout: float | None = None):
        self.address = address
        self.workers = max(1, workers)
        self.frame_timeout = frame_timeout

    def run(self, job: Job, units: list[Unit], runner: UnitRunner | None, progress: Progress,
            finished: Finished, started: Started = _nothing) -> None:
        with optional_dependency("--executor ray"):
            import ray
        started_here = not ray.is_initialized()
        if started_here:
            # ray.init sets a SIGTERM handler of its own in this process that outlives
            # ray.shutdown (processes forked later inherit it and may then not end on
            # SIGTERM); the caller's handler is put back at once.
            sigterm = signal.getsignal(signal.SIGTERM)
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
            finally:
                _restore_sigterm(sigterm)
        actor_class = ray.remote(_RayWorker)
        actors = [actor_class.remote(job) for _ in range(min(self.workers, len(units)))]
        todo = list(units)
        running: dict = {}  # object ref -> (actor, unit, started)
        try:
            while todo or running:
                for actor in actors:
                    if todo and actor not in {a for a, _, _ in running.values()}:
                        unit = todo.pop(0)
                        running[actor.run.remote(unit)] = (actor, unit, time.monotonic())
                        started(unit)
                ready, _ = ray.wait(list(running), num_returns=1, timeout=0.5)
                for ref in ready:
                    actor, unit, _ = running.pop(ref)
                    try:
                        outcome = ray.get(ref)
                    except ResultsWriteError as exc:  # Ray re-raises the task's error type; the run stops
                        raise ResultsWriteError(str(getattr(exc, "cause", exc))) from None
                    except Exception as exc:  # the actor died: replace it
                        outcome = _failed(unit, f"sequence {unit.sequence}: Ray worker lost ({exc})")
                        actors[actors.index(actor)] = actor_class.remote(job)
                    progress(unit.frames)
                    finished(unit, outcome)
                if self.frame_timeout is not None:
                    for ref, (actor, unit, started) in list(running.items()):
                        if time.monotonic() - started > STARTUP_TIMEOUT + self.frame_timeout * unit.frames:
                            ray.kill(actor)
                            running.pop(ref)
                            message = f"sequence {unit.sequence}: unit exceeded its time limit; abandoned"
                            _record_lost_unit(job, unit, message)
                            progress(unit.frames)
                            finished(unit, _failed(unit, message))
                            actors[actors.index(actor)] = actor_class.remote(job)
        finally:
            for actor in actors:
                ray.kill(actor)
            if started_here:
                ray.shutdown()
                _restore_sigterm(sigterm)


class _RayWorker:
    def __init__(self, job: Job):
        self.runner = UnitRunner(job)

    def run(self, unit: Unit) -> Outcome:
        return self.runner.run(unit)
