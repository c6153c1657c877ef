"""Independent pieces of work shared out to forked processes: plots, and the scoring of many trackers.

Forked workers inherit everything the parent has loaded (modules, datasets, closures: nothing
is pickled on the way in); each result comes back pickled over a pipe. A worker never
decides anything: whatever it does not deliver (it raised, hung, died, or Ctrl-C) is left
out of the answer, and the caller computes it in its own process, so an error is raised
once, there, as in a serial run.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from contextlib import suppress
from typing import Any, Callable

# No piece of work rasbench forks takes this long. A forked worker can hang for ever (fork
# copies a lock another thread of the parent held at that moment), so a worker silent for
# this many seconds is killed and what it had not sent is left to the caller.
STALL_SECONDS = 60.0
# How long workers that were told to stop (or have sent everything) get to end before SIGKILL.
END_GRACE_SECONDS = 2.0


def can_fork() -> bool:
    """Whether this process can fork workers: the OS has fork, and this is no daemonic
    process (a multiprocessing.Pool worker), which may not have children."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def cpu_count() -> int:
    """The CPU cores this process may use (its affinity mask where the OS has one)."""
    with suppress(AttributeError, OSError):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _work_share(function: Callable[[int], Any], indices: list, sender) -> None:
    """A worker process: ``function(i)`` for each of ``indices``, sending (i, result) after
    each. An exception, or Ctrl-C, ends the worker quietly: the parent computes what is missing."""
    try:
        for index in indices:
            sender.send((index, function(index)))
    except (Exception, KeyboardInterrupt):
        pass
    finally:
        sender.close()


def _end(processes: list, grace: float) -> None:
    """Wait up to ``grace`` seconds in all for ``processes`` to end, then SIGKILL the rest
    (never SIGTERM: a handler the parent had, ray's say, is inherited and may not end one)."""
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(timeout=5.0)


def forked_map(function: Callable[[int], Any], count: int, workers: int,
               on_result: Callable[[int, Any], None] | None = None,
               stall_seconds: float | None = None) -> dict[int, Any]:
    """``{i: function(i)}`` for the ``i`` in ``range(count)`` that ``workers`` forked processes
    delivered (worker k computes i = k, k + workers, ...). Returns when every worker has
    finished, died or been silent for ``stall_seconds`` (default :data:`STALL_SECONDS`);
    ``on_result(i, result)`` is called here as each arrives. Results must pickle. Indices
    missing from the answer are the caller's to compute: also all of them where no worker
    could be started (no fork, a daemonic process, a process limit, no memory)."""
    from multiprocessing.connection import wait

    done: dict[int, Any] = {}
    if not can_fork():
        return done
    context = multiprocessing.get_context("fork")
    processes, receivers = [], []
    finished = interrupted = False
    try:
        for share in range(workers):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_work_share, args=(function, list(range(share, count, workers)), sender),
                                      daemon=True)
            try:
                process.start()
            except (OSError, AssertionError):  # EAGAIN / ENOMEM; a daemonic process: its share is the caller's
                receiver.close()
                continue
            finally:
                sender.close()
            processes.append(process)
            receivers.append(receiver)
        while receivers:
            ready = wait(receivers, timeout=STALL_SECONDS if stall_seconds is None else stall_seconds)
            if not ready:
                break
            for receiver in ready:
                try:
                    index, result = receiver.recv()
                except (EOFError, OSError):  # the worker finished or died
                    receivers.remove(receiver)
                    receiver.close()
                    continue
                done[index] = result
                if on_result is not None:
                    on_result(index, result)
        finished = not receivers
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C reached the workers too: each ends at once
        raise
    finally:
        if not finished and not interrupted:  # a stall or an error here: stop the workers now
            for process in processes:
                if process.exitcode is None:
                    with suppress(ProcessLookupError):
                        os.kill(process.pid, signal.SIGINT)
        _end(processes, END_GRACE_SECONDS)
        for receiver in receivers:
            receiver.close()
    return done
