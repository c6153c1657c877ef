"""What each benchmark family declares as data: its protocols, their typed options, and
the dataset layout it reads.

A benchmark definition's experiment names a protocol (``ope``, ``baseline``, ...); the
protocol chooses the family once, when the definition loads, and its options (the other
keys of the experiment entry) are checked against the protocol's dataclass below: an
unknown key, a wrong type or a value out of range is a :class:`ConfigError` naming the
file, the experiment and the key. The run and the scoring both read these objects, so
a definition that changes one number changes the run and the scores together.

The run-time behaviour of a family is :mod:`rasbench.protocols`, its results layout
:mod:`rasbench.results`, its scoring :mod:`rasbench.evaluation`; each registry there is
keyed by the family names declared here.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from numbers import Integral, Real
from typing import Any, Callable, ClassVar

from ..errors import ConfigError
from ..text import plural


def _check(test: Callable[[Any], bool], need: str, convert: Callable[[Any], Any] = lambda v: v) -> dict:
    """Field metadata: a value passes ``test`` (else "must be ``need``") and is stored as ``convert(value)``."""
    return {"test": test, "need": need, "convert": convert}


def _whole(minimum: int) -> dict:
    return _check(lambda v: isinstance(v, Integral) and not isinstance(v, bool) and v >= minimum,
                  f"an integer >= {minimum}", int)


def _number(test: Callable[[float], bool], need: str) -> dict:
    return _check(lambda v: isinstance(v, Real) and not isinstance(v, bool) and test(float(v)), need, float)


@dataclass(frozen=True)
class ProtocolOptions:
    """Options of one protocol; subclasses declare ``protocol`` and ``family`` and their fields."""

    protocol: ClassVar[str]
    family: ClassVar[str]

    @classmethod
    def parse(cls, options: dict, where: str) -> ProtocolOptions:
        """Check and convert an experiment entry's options (omitted keys take the defaults);
        :class:`ConfigError` naming ``where`` and the key for an unknown key or a bad value."""
        known = {f.name: f for f in fields(cls)}
        unknown = [str(key) for key in options if key not in known]
        if unknown:
            takes = ", ".join(known) or "no options"
            raise ConfigError(f"{where}: {plural(len(unknown), f'unknown {cls.protocol} option')} "
                              f"{', '.join(unknown)}; it takes {takes}")
        values = {}
        for key, value in options.items():
            rule = known[key].metadata
            if not rule["test"](value):
                raise ConfigError(f"{where}: {key} must be {rule['need']}, got {value!r}")
            values[key] = rule["convert"](value)
        return cls(**values)


# ----------------------------------------------------------------------------- OTB family
SRE_SHIFTS = ("left", "right", "up", "down")
SRE_CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
_SCALE = re.compile(r"scale_(\d+(\.\d*)?|\.\d+)")


def is_perturbation(kind) -> bool:
    """An SRE perturbation: a shift, a moved corner, or ``scale_S`` (S > 0)."""
    if not isinstance(kind, str):
        return False
    return kind in SRE_SHIFTS or kind in SRE_CORNERS or bool(_SCALE.fullmatch(kind) and float(kind[6:]) > 0)


@dataclass(frozen=True)
class OPEOptions(ProtocolOptions):
    """One pass from the first usable frame."""

    protocol: ClassVar[str] = "ope"
    family: ClassVar[str] = "otb"


@dataclass(frozen=True)
class TREOptions(ProtocolOptions):
    """Runs from ``segments`` starts to the sequence end, the last keeping ``min_segment_length`` frames."""

    protocol: ClassVar[str] = "tre"
    family: ClassVar[str] = "otb"
    segments: int = field(default=20, metadata=_whole(2))
    min_segment_length: int = field(default=20, metadata=_whole(1))


@dataclass(frozen=True)
class SREOptions(ProtocolOptions):
    """One run from the OPE start per perturbation of the initial box, in this order."""

    protocol: ClassVar[str] = "sre"
    family: ClassVar[str] = "otb"
    perturbations: tuple[str, ...] = field(default=(), metadata=_check(
        lambda v: isinstance(v, (list, tuple)) and all(is_perturbation(k) for k in v),
        f"a list of {', '.join(SRE_SHIFTS + SRE_CORNERS)} or scale_S (S > 0)", tuple))


# ----------------------------------------------------------------------------- VOT family
def _interval(value) -> bool:
    return (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, Integral) and not isinstance(v, bool) for v in value) and 1 <= value[0] <= value[1])


@dataclass(frozen=True)
class UnsupervisedOptions(ProtocolOptions):
    """One pass without resets, scored by average overlap."""

    protocol: ClassVar[str] = "unsupervised"
    family: ClassVar[str] = "vot"
    repetitions: int = field(default=1, metadata=_whole(1))  # runs per sequence (one for a deterministic tracker)
    burnin: int = field(default=10, metadata=_whole(0))  # frames after the initialisation vot-toolkit leaves out


@dataclass(frozen=True)
class BaselineOptions(ProtocolOptions):
    """Reset-based runs (VOT2013-2017 baseline). The defaults are VOT2017's but for
    ``repetitions`` (the shipped definitions name 15 where VOT runs 15)."""

    protocol: ClassVar[str] = "baseline"
    family: ClassVar[str] = "vot"
    repetitions: int = field(default=1, metadata=_whole(1))  # runs per sequence (one for a deterministic tracker)
    skip_initialize: int = field(default=5, metadata=_whole(1))  # a failure on frame f re-initialises on f + this
    burnin: int = field(default=10, metadata=_whole(0))  # frames from each initialisation accuracy leaves out
    failure_overlap: float = field(default=0.0, metadata=_number(lambda v: 0 <= v < 1, "a number in [0, 1)"))
    # EAO over sequence lengths low..high (1-based); None: VOT-M's rule on the dataset's
    # sequence lengths (metrics.vot.eao_interval)
    eao_interval: tuple[int, int] | None = field(default=None, metadata=_check(
        _interval, "[low, high] with 1 <= low <= high (sequence lengths)", lambda v: (int(v[0]), int(v[1]))))


@dataclass(frozen=True)
class RealtimeOptions(BaselineOptions):
    """The baseline on VOT-M's real-time clock: frames arrive at ``fps``; the first
    ``grace`` responses after each (re)initialisation cost one frame interval."""

    protocol: ClassVar[str] = "realtime"
    fps: float = field(default=20.0, metadata=_number(lambda v: 0 < v < math.inf, "a number > 0"))
    grace: int = field(default=3, metadata=_whole(0))


# --------------------------------------------------------------- GOT-10k and TrackingNet
@dataclass(frozen=True)
class GOT10kOptions(ProtocolOptions):
    """One pass from frame 1 with the ground-truth box, repeated: got10k's
    ExperimentGOT10k runs 3 repetitions, 1 for a tracker that declares itself deterministic."""

    protocol: ClassVar[str] = "got10k"
    family: ClassVar[str] = "got10k"
    repetitions: int = field(default=3, metadata=_whole(1))


@dataclass(frozen=True)
class TrackingNetOptions(ProtocolOptions):
    """One pass from frame 1 with the ground-truth box (the test server scores one run)."""

    protocol: ClassVar[str] = "trackingnet"
    family: ClassVar[str] = "trackingnet"


# ----------------------------------------------------------------------------- families
@dataclass(frozen=True)
class FamilyDecl:
    """A family as data: its name, the dataset layout its experiments read, its protocols."""

    name: str
    dataset_layout: str
    protocols: dict[str, type[ProtocolOptions]]


FAMILY_DECLS: dict[str, FamilyDecl] = {decl.name: decl for decl in (
    FamilyDecl("otb", "otb", {c.protocol: c for c in (OPEOptions, TREOptions, SREOptions)}),
    FamilyDecl("vot", "vot", {c.protocol: c for c in (BaselineOptions, RealtimeOptions, UnsupervisedOptions)}),
    FamilyDecl("got10k", "got10k", {GOT10kOptions.protocol: GOT10kOptions}),
    FamilyDecl("trackingnet", "trackingnet", {TrackingNetOptions.protocol: TrackingNetOptions}),
)}


def protocol_options(protocol: str, where: str = "") -> type[ProtocolOptions]:
    """The options dataclass of ``protocol``; :class:`ConfigError` naming the known ones."""
    for decl in FAMILY_DECLS.values():
        if protocol in decl.protocols:
            return decl.protocols[protocol]
    known = ", ".join(p for decl in FAMILY_DECLS.values() for p in decl.protocols)
    raise ConfigError(f"{where + ': ' if where else ''}unknown protocol {protocol!r}; choose from {known}")
