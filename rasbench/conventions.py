"""Named scoring conventions: every rule on which the reference toolkits disagree.

``official`` follows the OTB MATLAB toolkit (Wu et al.), the default. ``got10k`` and
``pysot`` reproduce those toolkits' numbers on the same inputs. The README's table
"Conventions" summarises them; each field below says where the rule comes from.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError


@dataclass(frozen=True)
class OTBConvention:
    name: str
    summary: str
    # IoU arithmetic: "otb" = MATLAB calcRectInt (NaN-ignoring min/max, no eps, no
    # clipping), "got10k" = union + float eps then clip to [0, 1], "pysot" = clip only.
    overlap: str
    # Frames whose ground truth cannot be a box: "otb" = any value <= 0 or NaN scores
    # -1 (a failure in the success curve, a success in both precision curves);
    # "pysot" = the same for success, but precision frames are valid when the GT centre
    # is > 0; "none" = score them like any other frame.
    invalid_groundtruth: str
    # Replace each run's first prediction by the ground truth before scoring.
    first_frame_from_groundtruth: bool
    # OTB result repair: from the 2nd frame on, an all-NaN box or one with w <= 0 or
    # h <= 0 takes the previous (already repaired) prediction.
    repair_results: bool
    # Drop a sequence from a tracker's mean when its whole curve is zero (OTB's
    # plotDrawSave keeps rows with sum > eps).
    drop_empty_sequences: bool
    # Where OPE starts: "first_tre_start" = first frame outside initOmit with valid GT
    # (Tiger1 starts at frame 6); "first_frame" = the first annotated frame.
    ope_start: str
    # Speed: "update_frames" = frames / seconds over all frames but the first, mean over
    # sequences; "got10k" = mean of 1/t over frames with t > 0 (first included), mean
    # over sequences that have times.
    speed: str
    # Boxes handed to trackers when running, and how their output is written:
    # "zero_based" = shifted to 0-based pixel coordinates (rasbench's tracker contract),
    # the output shifted back; "as_annotated" = the annotation's numbers (OTB's are 1-based)
    # and the output written unchanged (got10k 0.1.3 ExperimentOTB, pytracking); "pysot" =
    # as pysot's tools/test.py: [cx - (w-1)/2, cy - (h-1)/2, w, h] with cx = x + w/2, half a
    # pixel right of and below the annotation, the output written unchanged. The run's
    # first line is the box handed over, in the annotation's coordinates.
    tracker_boxes: str
    # The 21 success thresholds 0:0.05:1 as the toolkit computes them (tested with
    # IoU > t): the last bit decides an IoU equal to a threshold, e.g. 0.65 from boxes
    # 292,120,60,102 vs 284,127,60,107.
    success_thresholds: tuple[float, ...]


def matlab_colon(start: float, step: float, stop: float) -> np.ndarray:
    """MATLAB's ``start:step:stop`` (step > 0) bit for bit.

    MathWorks Technical Solution 1-4FLI96 ("How does the COLON operator work?") documents
    the rule: the first half of the elements is ``start + k*step``, the second half
    ``stop - k*step`` counted from the end, so the vector is symmetric about its midpoint;
    an even count of steps puts ``(start + stop) / 2`` in the middle. The number of steps
    is the rounded quotient when ``stop`` lies on the grid (to 2 eps), else its floor
    (then the last element is ``start + n*step``).
    """
    if not step > 0:
        raise ValueError(f"matlab_colon needs a positive step, got {step!r}")
    quotient = (stop - start) / step
    steps = round(quotient)
    if abs(steps * step - (stop - start)) > 2 * np.finfo(float).eps * max(abs(start), abs(stop)):
        steps = math.floor(quotient)
        stop = start + steps * step
    if steps < 0:
        return np.empty(0)
    k = np.arange(steps + 1, dtype=np.float64)
    values = np.where(2 * k < steps, start + k * step, stop - (steps - k) * step)
    if steps % 2 == 0:
        values[steps // 2] = (start + stop) / 2
    return values


PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64)  # pixels; score at index 20
NORM_PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64) / 100  # score at index 20 (0.20)

OTB_CONVENTIONS: dict[str, OTBConvention] = {
    c.name: c
    for c in (
        OTBConvention(
            name="official",
            summary="OTB MATLAB toolkit: first frame := GT, invalid GT = -1, result repair, "
                    "all-zero sequences dropped, Tiger1 from frame 6, MATLAB's 0:0.05:1 thresholds; runs hand "
                    "trackers 0-based boxes",
            overlap="otb", invalid_groundtruth="otb", first_frame_from_groundtruth=True,
            repair_results=True, drop_empty_sequences=True, ope_start="first_tre_start",
            speed="update_frames", tracker_boxes="zero_based",
            # perfPlot.m / genPerfMat.m: thresholdSetOverlap = 0:0.05:1, which differs from
            # numpy's grid in the last bit at 0.6, 0.65, 0.7, 0.85 and 0.95
            success_thresholds=tuple(matlab_colon(0.0, 0.05, 1.0).tolist()),
        ),
        OTBConvention(
            name="got10k",
            summary="got10k 0.1.3 ExperimentOTB: first frame := GT, eps-IoU clipped to [0,1], "
                    "no invalid-GT rule, no repair, Tiger1 from frame 1; runs hand trackers OTB's 1-based boxes",
            overlap="got10k", invalid_groundtruth="none", first_frame_from_groundtruth=True,
            repair_results=False, drop_empty_sequences=False, ope_start="first_frame",
            speed="got10k", tracker_boxes="as_annotated", success_thresholds=tuple(np.linspace(0, 1, 21).tolist()),
        ),
        OTBConvention(
            name="pysot",
            summary="pysot-toolkit OPEBenchmark: first line scored as written, invalid GT = -1 "
                    "(precision: GT centre > 0), no repair, Tiger1 from frame 6 (as its OTB100.json); "
                    "runs hand trackers OTB's boxes moved by half a pixel, as pysot's test.py",
            overlap="pysot", invalid_groundtruth="pysot", first_frame_from_groundtruth=False,
            repair_results=False, drop_empty_sequences=False, ope_start="first_tre_start",
            speed="update_frames", tracker_boxes="pysot",
            # arange(0, 1.05, 0.05): the same doubles as got10k's linspace (both i * 0.05)
            success_thresholds=tuple(np.arange(0, 1.05, 0.05).tolist()),
        ),
    )
}


def otb_convention(name: str) -> OTBConvention:
    return OTB_CONVENTIONS[check_convention(name, "otb")]


def check_convention(name: str, layout: str) -> str:
    """``name`` lower-cased if it is a convention of the ``layout``'s family (``"otb"``:
    :data:`OTB_CONVENTIONS`, ``"vot"``: ``metrics.vot.VOT_CONVENTIONS``); else a
    :class:`ConfigError` listing that family's conventions."""
    from .metrics.vot import VOT_CONVENTIONS

    tables = {"otb": OTB_CONVENTIONS, "vot": VOT_CONVENTIONS}
    key = name.lower()
    if key in tables[layout]:
        return key
    other = "vot" if layout == "otb" else "otb"
    problem = (f"convention {name!r} is for {other.upper()} experiments" if key in tables[other]
               else f"unknown convention {name!r}")
    raise ConfigError(f"{problem}; {layout.upper()} experiments take {', '.join(tables[layout])}")
