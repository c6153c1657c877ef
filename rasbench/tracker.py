"""The tracker contract.

A tracker is any object with ``init(image, box)`` and ``update(image)``:

* ``image`` is an RGB ``uint8`` array of shape (H, W, 3), C-contiguous.
* ``box`` is ``[x, y, w, h]`` (floats) in **0-based pixel coordinates**: the image's
  top-left pixel covers the unit square [0, 1) x [0, 1), so a box with x = 0, w = W
  spans the whole width. The runner converts the native convention at the boundary
  (OTB ground truth is 1-based and is shifted by -1 before a tracker sees it; results
  are shifted back before they are written, so result files stay in the benchmark's
  own coordinates and load beside everybody else's). The run conventions ``got10k``
  and ``pysot`` hand boxes as those toolkits do instead (see
  :attr:`rasbench.config.conventions.OTBConvention.tracker_boxes`).
* ``update`` returns the box for the new frame: any 4-sequence, a :class:`Prediction`
  (box plus optional polygon and confidence) or a dict with the same keys.

``name`` names the results folder, ``deterministic`` says whether repeating a run can
give a different trajectory (VOT repeats stochastic trackers). A tracker that reads
images itself (an external process, say) sets ``input = "path"`` and receives the
frame's file path (a ``str``) instead of the array. A tracker with ``takes_polygon = True``
is given, when a VOT run starts it on a polygon, that polygon ``[x1, y1, ..., xn, yn]``
instead of the box the convention derives, and chooses its own box (rectangle regions
still arrive as ``[x, y, w, h]``). Subclassing :class:`Tracker` is optional; duck-typed
objects work the same.

Protocol logic (where a run starts, resets, perturbed starts, timing) belongs to the
runner, never to the tracker.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


class Tracker:
    """Optional base class documenting the contract."""

    name: str = "tracker"
    deterministic: bool = False
    input: str = "array"  # or "path": receive the frame's file path instead of its pixels
    takes_polygon: bool = False  # VOT: init with the ground-truth polygon instead of a box

    def init(self, image: np.ndarray, box: np.ndarray) -> None:
        raise NotImplementedError

    def update(self, image: np.ndarray):
        raise NotImplementedError


@dataclass(frozen=True)
class Prediction:
    """What a tracker reports for one frame.

    ``box`` is required; ``polygon`` (x1, y1, ..., xn, yn in the same coordinates) and
    ``confidence`` are optional extras for benchmarks and reports that use them.
    """

    box: np.ndarray
    polygon: np.ndarray | None = None
    confidence: float | None = None


def as_prediction(output: Any) -> Prediction:
    """Normalise whatever ``update`` returned into a :class:`Prediction`.

    Raises ``TypeError``/``ValueError`` with a description of the bad value; the runner
    turns that into an error naming the sequence and frame.
    """
    if isinstance(output, Prediction):
        return Prediction(_as_box(output.box), _as_polygon(output.polygon), _as_confidence(output.confidence))
    if isinstance(output, Mapping):
        if "box" not in output:
            raise ValueError(f"tracker output dict has no 'box' key (keys: {sorted(output)})")
        return Prediction(
            _as_box(output["box"]),
            _as_polygon(output.get("polygon")),
            _as_confidence(output.get("confidence")),
        )
    return Prediction(_as_box(output))


def _as_box(value: Any) -> np.ndarray:
    if value is None:
        raise ValueError("tracker returned None instead of a box")
    try:
        box = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"tracker returned {value!r}, which is not a box [x, y, w, h]") from exc
    if box.shape != (4,):
        raise ValueError(f"tracker returned {box.size} numbers, expected a box [x, y, w, h]")
    return box


def _as_polygon(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    poly = np.asarray(value, dtype=np.float64).reshape(-1)
    if poly.size < 6 or poly.size % 2:
        raise ValueError(f"polygon needs an even number (>= 6) of coordinates, got {poly.size}")
    return poly


def _as_confidence(value: Any) -> float | None:
    return None if value is None else float(value)


def box_problem(box: Sequence[float]) -> str | None:
    """Describe why a returned box cannot be a real region (None when it can).

    NaN/inf values and non-positive sizes are *stored as returned*; the benchmark's own
    rule deals with them (OTB's result repair, a VOT failure). The runner only warns.
    """
    if not all(math.isfinite(v) for v in box):
        return "non-finite value"
    if box[2] <= 0 or box[3] <= 0:
        return "non-positive size"
    return None


def wants_paths(tracker: Any) -> bool:
    return getattr(tracker, "input", "array") == "path"


def takes_polygon(tracker: Any) -> bool:
    return getattr(tracker, "takes_polygon", False) is True


def tracker_name(tracker: Any, default: str = "tracker") -> str:
    return str(getattr(tracker, "name", None) or default)


def is_deterministic(tracker: Any) -> bool:
    """``deterministic`` or got10k's ``is_deterministic`` attribute; False when absent."""
    for attr in ("deterministic", "is_deterministic"):
        value = getattr(tracker, attr, None)
        if value is not None:
            return bool(value)
    return False
