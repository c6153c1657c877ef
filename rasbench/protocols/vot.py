"""VOT protocols: reset-based baseline, real-time and unsupervised runs.

The loops here are the protocol: which frame the tracker sees, when a failure is
declared, when it is re-initialised, and what each frame of the result holds. They
know nothing about pixels or geometry: the caller supplies

* ``initialize(row)`` - initialise the tracker on frame ``row`` (0-based) from the
  ground truth; returns (the region the tracker reports, seconds it took);
* ``update(row)`` - give the tracker frame ``row``; returns (region, seconds);
* ``failed(row, region)`` - whether ``region`` has zero (bounded) overlap with the
  ground truth of frame ``row`` (the failure test of the benchmark's convention).

A trajectory holds one entry per frame: a region, or one of the VOT toolkit's codes
``INIT`` (1, the tracker was initialised there), ``FAILURE`` (2) or ``SKIP`` (0, not
processed), exactly what the result files store.

The numbers these loops and the scoring share (skip, burn-in, EAO interval, ...) are
:class:`VOTOptions`, read from the experiment's entry in the benchmark definition.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, Callable

from ..errors import ConfigError
from ..text import plural

SKIP, INIT, FAILURE = 0, 1, 2

# The options each VOT protocol takes in a benchmark definition's experiment entry.
PROTOCOL_OPTIONS = {
    "baseline": ("repetitions", "skip_initialize", "burnin", "failure_overlap", "eao_interval"),
    "realtime": ("repetitions", "skip_initialize", "burnin", "failure_overlap", "eao_interval", "fps", "grace"),
    "unsupervised": ("repetitions", "burnin"),
}


@dataclass(frozen=True)
class VOTOptions:
    """The protocol options of one VOT experiment.

    Their one source is the experiment's entry in the benchmark definition (e.g.
    ``baseline: {skip_initialize: 5, burnin: 10, ...}`` in experiments/vot2017.yaml): the
    runner and the scoring both take them from here, so a definition that changes one
    changes the run and the scores together. An omitted key takes the value below,
    VOT2017's but for ``repetitions`` (the shipped definitions name 15 where VOT runs 15).
    """

    repetitions: int = 1            # runs per sequence (one for a deterministic tracker)
    skip_initialize: int = 5        # a failure on frame f re-initialises on frame f + skip_initialize
    burnin: int = 10                # frames from each initialisation that accuracy leaves out
    failure_overlap: float = 0.0    # a frame whose bounded overlap is at most this is a failure
    fps: float = 20.0               # realtime: the rate frames arrive at
    grace: int = 3                  # realtime: responses after a (re)initialisation that cost one interval
    eao_interval: tuple[int, int] | None = None  # EAO over sequence lengths low..high (1-based);
    # None: VOT-M's rule on the dataset's sequence lengths (metrics.vot.eao_interval)

    @classmethod
    def of(cls, experiment) -> "VOTOptions":
        """The options of a :class:`~rasbench.benchmarks.ExperimentDef` (already checked
        when its benchmark was loaded)."""
        return cls.parse(experiment.protocol, experiment.options, f"experiment {experiment.name}")

    @classmethod
    def parse(cls, protocol: str, options: dict, where: str) -> "VOTOptions":
        """Check and convert an experiment entry's options; :class:`ConfigError` naming
        ``where`` and the option for an unknown key or a value out of range."""
        allowed = PROTOCOL_OPTIONS[protocol]
        unknown = [key for key in options if key not in allowed]
        if unknown:
            raise ConfigError(f"{where}: {plural(len(unknown), f'unknown {protocol} option')} "
                              f"{', '.join(map(str, unknown))}; "
                              f"it takes {', '.join(allowed)}")
        return cls(**{key: _option(key, value, where) for key, value in options.items()})


def _option(key: str, value, where: str):
    def need(ok: bool, what: str):
        if not ok:
            raise ConfigError(f"{where}: {key} must be {what}, got {value!r}")

    whole = isinstance(value, Integral) and not isinstance(value, bool)
    if key in ("repetitions", "skip_initialize"):
        need(whole and value >= 1, "an integer >= 1")
    elif key in ("burnin", "grace"):
        need(whole and value >= 0, "an integer >= 0")
    elif key == "failure_overlap":
        need(isinstance(value, Real) and not isinstance(value, bool) and 0 <= value < 1, "a number in [0, 1)")
        return float(value)
    elif key == "fps":
        need(isinstance(value, Real) and not isinstance(value, bool) and 0 < value < math.inf, "a number > 0")
        return float(value)
    else:  # eao_interval
        need(isinstance(value, (list, tuple)) and len(value) == 2
             and all(isinstance(v, Integral) and not isinstance(v, bool) for v in value)
             and 1 <= value[0] <= value[1], "[low, high] with 1 <= low <= high (sequence lengths)")
        return (int(value[0]), int(value[1]))
    return int(value)


@dataclass
class VOTRun:
    """Per-frame result entries and per-frame tracker times (NaN where not processed)."""

    entries: list[Any]
    times: list[float]
    seen: list[int] = field(default_factory=list)  # frames the tracker was given, in order

    @property
    def failures(self) -> int:
        return sum(1 for e in self.entries if isinstance(e, int) and e == FAILURE)


def run_supervised(n_frames: int, initialize: Callable[[int], tuple], update: Callable[[int], tuple],
                   failed: Callable[[int, Any], bool], skip_initialize: int) -> VOTRun:
    """The baseline experiment (VOT-M experiment_supervised.m, VOT-Py SupervisedExperiment).

    Initialise on frame 0; on every later frame, a region with no overlap is a failure
    (code 2 there); frames f+1 .. f+skip_initialize-1 are skipped (0) and the tracker is
    re-initialised on frame f+skip_initialize (code 1; VOT: f+5). A failure within the
    last skip_initialize frames ends the run.
    """
    run = VOTRun([SKIP] * n_frames, [math.nan] * n_frames)
    row = 0
    while row < n_frames:
        _, run.times[row] = initialize(row)
        run.entries[row] = INIT
        run.seen.append(row)
        row += 1
        while row < n_frames:
            region, seconds = update(row)
            run.times[row] = seconds
            run.seen.append(row)
            if failed(row, region):
                run.entries[row] = FAILURE
                row += skip_initialize
                break
            run.entries[row] = region
            row += 1
    return run


def run_unsupervised(n_frames: int, initialize: Callable[[int], tuple], update: Callable[[int], tuple]) -> VOTRun:
    """One pass without resets: frame 0 holds the init code, the rest the regions."""
    run = VOTRun([SKIP] * n_frames, [math.nan] * n_frames)
    _, run.times[0] = initialize(0)
    run.entries[0] = INIT
    run.seen.append(0)
    for row in range(1, n_frames):
        region, seconds = update(row)
        run.entries[row], run.times[row] = region, seconds
        run.seen.append(row)
    return run


def run_realtime(n_frames: int, initialize: Callable[[int], tuple], update: Callable[[int], tuple],
                 failed: Callable[[int, Any], bool], fps: float, grace: int, skip_initialize: int) -> VOTRun:
    """The real-time experiment: VOT-M's timing model (experiment_realtime.m, type 'real',
    critical mode), which the VOT2017 stack runs with fps 20, grace 3, skip 5.

    ``initialize(row)`` returns (reported region, seconds). Frames arrive every 1/fps.
    After each (re)initialisation the clock T restarts and the first ``grace`` responses
    (the initialisation included) are charged one frame interval whatever they took,
    later ones max(interval, measured time). A response to frame ``previous`` arrives
    when frame ``current = init + round(floor(T[ms] * fps) / 1000) - 1`` (0-based) is the
    newest: frames ``previous .. current-1`` keep the last reported region (zero-order
    hold) and ``current`` gets the new one, each checked against the ground truth; the
    tracker is then given frame ``current + 1``, so the frames in between are never
    seen. A failure re-initialises on ``current + skip_initialize``. As in VOT-M, when
    both a held frame and ``current`` fail, the failure is recorded at ``current``.
    """
    run = VOTRun([SKIP] * n_frames, [math.nan] * n_frames)
    interval_ms = 1000.0 / fps
    init_row = 0
    while init_row < n_frames:
        clock_ms, grace_left, offset = 0.0, grace, init_row - 1

        def arrived(seconds: float) -> int:
            """Advance the clock by one response; the newest arrived frame (0-based)."""
            nonlocal clock_ms, grace_left
            if grace_left > 0:
                clock_ms += interval_ms
                grace_left -= 1
            else:
                clock_ms += max(interval_ms, seconds * 1000.0)
            return offset + round(math.floor(clock_ms * fps) / 1000.0)

        held, seconds = initialize(init_row)
        run.times[init_row] = seconds
        run.entries[init_row] = INIT
        run.seen.append(init_row)
        sent = arrived(seconds) + 1
        init_row = n_frames  # unless a failure asks for a re-initialisation
        while sent < n_frames:
            region, seconds = update(sent)
            run.times[sent] = seconds
            run.seen.append(sent)
            current = arrived(seconds)
            failure_at = None
            for row in range(sent, min(n_frames, current)):
                if failed(row, held):
                    failure_at = row
                    break
                run.entries[row] = held
            if current < n_frames:
                if failed(current, region):
                    failure_at = current
                else:
                    run.entries[current] = region
            if failure_at is not None:
                run.entries[failure_at] = FAILURE
                init_row = current + skip_initialize
                break
            held = region
            sent = current + 1
    return run
