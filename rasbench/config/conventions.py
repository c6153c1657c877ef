"""Named conventions: every rule on which the reference toolkits disagree, OTB's and VOT's
side by side.

Each convention has a ``run`` part, what it decides while trackers run (where a run
starts, the box a tracker is initialised with and in which coordinates, what counts as
a failure), and scoring rules (the other fields). OTB: ``official`` follows the OTB
MATLAB toolkit (Wu et al.), the default; ``got10k`` and ``pysot`` reproduce those
toolkits' numbers on the same inputs. VOT: ``official`` is the final VOT MATLAB toolkit
(toolkit-legacy, "VOT-M"), ``pysot`` is pysot-toolkit, ``vot-toolkit`` the Python VOT
toolkit 0.9 ("VOT-Py"), ``official-vot2015`` VOT-M with the legacy rasterisation of its
vot2013-2015 stacks. The README's tables "Conventions" summarise them; each field below
says where the rule comes from. :func:`convention` looks one up by family and name.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True)
class OTBRun:
    """What an OTB convention decides when trackers run."""

    # Where OPE starts: "first_tre_start" = first frame outside initOmit with valid GT
    # (Tiger1 starts at frame 6); "first_frame" = the first annotated frame.
    start: str
    # Boxes handed to trackers, and how their output is written: "zero_based" = shifted
    # to 0-based pixel coordinates (rasbench's tracker contract), the output shifted back;
    # "as_annotated" = the annotation's numbers (OTB's are 1-based) and the output written
    # unchanged (got10k 0.1.3 ExperimentOTB, pytracking); "pysot" = as pysot's
    # tools/test.py: [cx - (w-1)/2, cy - (h-1)/2, w, h] with cx = x + w/2, half a pixel
    # right of and below the annotation, the output written unchanged. The run's first
    # line is the box handed over, in the annotation's coordinates.
    boxes: str


@dataclass(frozen=True)
class OTBConvention:
    name: str
    summary: str
    run: OTBRun
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
    # Speed: "update_frames" = frames / seconds over all frames but the first, mean over
    # sequences; "got10k" = mean of 1/t over frames with t > 0 (first included), mean
    # over sequences that have times.
    speed: str
    # The 21 success thresholds 0:0.05:1 as the toolkit computes them (tested with
    # IoU > t): the last bit decides an IoU equal to a threshold, e.g. 0.65 from boxes
    # 292,120,60,102 vs 284,127,60,107.
    success_thresholds: tuple[float, ...]
    # Frames whose target is flagged absent (LaSOT: full occlusion or out of view):
    # "miss" = a failure in every curve, still in the denominator (the LaSOT toolkit's
    # calc_seq_err_robust.m deletes them, eval_tracker.m divides by all frames; pysot
    # and pytracking the same); "scored" = flags ignored, the box scored like any other
    # (got10k's ExperimentLaSOT).
    absent_frames: str = "miss"
    # Leave frames whose ground truth is NaN out of the curves and their denominators
    # (got10k's ExperimentUAV123); False: the invalid_groundtruth rule scores them.
    drop_unlabelled: bool = False


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
            summary="OTB MATLAB toolkit (and the LaSOT and UAV123 toolkits built on it): first frame := GT, "
                    "invalid GT = -1, result repair, all-zero sequences dropped, Tiger1 from frame 6, MATLAB's "
                    "0:0.05:1 thresholds, absent frames (LaSOT) misses; runs hand trackers 0-based boxes",
            run=OTBRun(start="first_tre_start", boxes="zero_based"),
            overlap="otb", invalid_groundtruth="otb", first_frame_from_groundtruth=True,
            repair_results=True, drop_empty_sequences=True,
            speed="update_frames",
            # perfPlot.m / genPerfMat.m: thresholdSetOverlap = 0:0.05:1, which differs from
            # numpy's grid in the last bit at 0.6, 0.65, 0.7, 0.85 and 0.95
            success_thresholds=tuple(matlab_colon(0.0, 0.05, 1.0).tolist())),
        OTBConvention(
            name="got10k",
            summary="got10k 0.1.3 ExperimentOTB: first frame := GT, eps-IoU clipped to [0,1], "
                    "no invalid-GT rule, no repair, Tiger1 from frame 1, absent flags ignored, NaN ground-truth "
                    "rows left out (ExperimentUAV123); runs hand trackers OTB's 1-based boxes",
            run=OTBRun(start="first_frame", boxes="as_annotated"),
            overlap="got10k", invalid_groundtruth="none", first_frame_from_groundtruth=True,
            repair_results=False, drop_empty_sequences=False,
            speed="got10k", success_thresholds=tuple(np.linspace(0, 1, 21).tolist()),
            absent_frames="scored", drop_unlabelled=True),
        OTBConvention(
            name="pysot",
            summary="pysot-toolkit OPEBenchmark: first line scored as written, invalid GT = -1 "
                    "(precision: GT centre > 0), no repair, Tiger1 from frame 6 (as its OTB100.json), absent "
                    "frames (LaSOT) misses; "
                    "runs hand trackers OTB's boxes moved by half a pixel, as pysot's test.py",
            run=OTBRun(start="first_tre_start", boxes="pysot"),
            overlap="pysot", invalid_groundtruth="pysot", first_frame_from_groundtruth=False,
            repair_results=False, drop_empty_sequences=False,
            speed="update_frames",
            # arange(0, 1.05, 0.05): the same doubles as got10k's linspace (both i * 0.05)
            success_thresholds=tuple(np.arange(0, 1.05, 0.05).tolist())),
    )
}


def otb_convention(name: str) -> OTBConvention:
    return convention("otb", name)


@dataclass(frozen=True)
class VOTRun:
    """What a VOT convention decides when trackers run."""

    # Initialisation box for rectangle-only trackers: "bounding" (min/max box) or
    # "area-preserving" (pysot / got10k).
    init_box: str
    # The failure test: the geometry.raster.overlaps rule and the raster bounds
    # (W + pad, H + pad) of the bounded overlap that must exceed the failure overlap.
    failure_overlap: str
    failure_bounds_pad: int


@dataclass(frozen=True)
class VOTConvention:
    name: str
    summary: str
    run: VOTRun
    # geometry.raster.overlaps rule (rasteriser, rectangle corners, rounding, degenerate cases).
    overlap: str
    # Raster bounds as (W + pad, H + pad) in geometry.raster.overlaps' (right, bottom) sense:
    # pad 0 = one pixel row/column beyond the image, -1 = the image itself.
    accuracy_bounds_pad: int      # AR accuracy
    eao_bounds_pad: int           # EAO overlaps
    unsupervised_bounds_pad: int  # unsupervised average overlap
    # Accuracy aggregation: "pooled" = per-frame mean over runs, then mean over all frames
    # of all sequences (VOT-M 'all' selector, pysot); "sequence" = per-run mean, mean over
    # runs, frame-weighted mean over sequences (VOT-Py).
    accuracy: str
    # Which frames accuracy ignores: "vot-matlab" = every special frame and the burn-in;
    # "vot-toolkit" = codes 0 and 2 and the burn-in (other codes score their overlap).
    accuracy_mask: str
    # Reported failure count: "pooled" = sum over sequences of the mean over runs (VOT-M
    # average_failures, pysot "Lost Number"); "weighted" = frame-weighted mean over
    # sequences of the per-sequence mean over runs (VOT-Py "Robustness").
    failures: str
    # AR-plot robustness: "rate" = exp(-S * failures / frames) (VOT-M plot_ar);
    # "weighted" = exp(-S * weighted failures / mean sequence length) (VOT-Py).
    ar_plot: str
    # EAO fragments, weights and curve indexing: "vot-matlab", "pysot", "vot-toolkit".
    eao: str
    # Unsupervised average overlap: "vot-matlab" (init frame = 0, pooled) or "vot-toolkit"
    # (10-frame burn-in, per-run means, frame-weighted).
    unsupervised: str
    # False: overlaps are not bounded by the image at all (VOT-M bounded_overlap = false).
    bounded: bool = True
    sensitivity: float = 30.0


VOT_CONVENTIONS: dict[str, VOTConvention] = {c.name: c for c in (
    VOTConvention(
        name="official",
        summary="VOT MATLAB toolkit (toolkit-legacy, final): trax region.c raster with x+w-1 "
                "rectangles, bounds (W,H) for accuracy and (W-1,H-1) for failures/EAO, pooled "
                "accuracy, failure rate, EAO per estimate_expected_overlap.m",
        run=VOTRun(init_box="bounding", failure_overlap="vot-matlab", failure_bounds_pad=-1),
        overlap="vot-matlab", accuracy_bounds_pad=0, eao_bounds_pad=-1,
        unsupervised_bounds_pad=0, accuracy="pooled", accuracy_mask="vot-matlab", failures="pooled",
        ar_plot="rate", eao="vot-matlab", unsupervised="vot-matlab"),
    VOTConvention(
        name="pysot",
        summary="pysot-toolkit: x+w rectangles, older region.c node rules, bounds (W,H) for AR and "
                "(W-1,H-1) for EAO, pooled accuracy, lost number, EAO with 0-based failure "
                "indices and one global sequence weight (no unsupervised analysis: VOT-M's rule "
                "with pysot overlaps is used)",
        run=VOTRun(init_box="area-preserving", failure_overlap="pysot", failure_bounds_pad=0),
        overlap="pysot", accuracy_bounds_pad=0, eao_bounds_pad=-1,
        unsupervised_bounds_pad=0, accuracy="pooled", accuracy_mask="vot-matlab", failures="pooled",
        ar_plot="rate", eao="pysot", unsupervised="vot-matlab"),
    VOTConvention(
        name="vot-toolkit",
        summary="vot-toolkit 0.9: np.round raster, image bounds everywhere, per-run accuracy "
                "frame-weighted over sequences, frame-weighted failures, EAO with unit weights "
                "and lengths low+1..high+1, unsupervised with 10-frame burn-in",
        run=VOTRun(init_box="bounding", failure_overlap="vot-toolkit", failure_bounds_pad=-1),
        overlap="vot-toolkit", accuracy_bounds_pad=-1, eao_bounds_pad=-1,
        unsupervised_bounds_pad=-1, accuracy="sequence", accuracy_mask="vot-toolkit",
        failures="weighted", ar_plot="weighted", eao="vot-toolkit", unsupervised="vot-toolkit"),
    VOTConvention(
        name="official-vot2015",
        summary="VOT MATLAB toolkit with its vot2013-2015 stack settings: legacy rasterization "
                "(legacy_rasterization = true) and unbounded overlaps (bounded_overlap = false, "
                "assumed to override the accuracy analysis' bounds too -- not verified); the "
                "published VOT2015 numbers came from an older toolkit and are not reproducible",
        run=VOTRun(init_box="bounding", failure_overlap="vot-matlab-legacy", failure_bounds_pad=-1),
        overlap="vot-matlab-legacy", accuracy_bounds_pad=0, eao_bounds_pad=-1,
        unsupervised_bounds_pad=0, accuracy="pooled", accuracy_mask="vot-matlab", failures="pooled",
        ar_plot="rate", eao="vot-matlab", unsupervised="vot-matlab", bounded=False),
)}


def vot_convention(name: str | VOTConvention) -> VOTConvention:
    return name if isinstance(name, VOTConvention) else convention("vot", name)


@dataclass(frozen=True)
class ReferenceConvention:
    """A family scored by one reference only (GOT-10k, TrackingNet): its rules are the
    family's scorer's, documented there; ``run.boxes``: trackers get the annotation's
    0-based boxes as they are."""

    name: str
    summary: str
    run: OTBRun = OTBRun(start="first_frame", boxes="as_annotated")


# The conventions of each family, by family name.
CONVENTIONS: dict[str, dict] = {
    "otb": OTB_CONVENTIONS, "vot": VOT_CONVENTIONS,
    "got10k": {"official": ReferenceConvention(
        "official", "got10k 0.1.3 ExperimentGOT10k: frame 1 dropped, boxes clipped to the image, cover > 0 frames, "
                    "IoUs and times pooled over frames and repetitions (AO, SR0.50, SR0.75)")},
    "trackingnet": {"official": ReferenceConvention(
        "official", "TrackingNet devkit metrics.py: boxes rounded half to even, frame 1 := GT, inclusive pixels, "
                    "21-point trapezoid areas (success, precision, normalised precision), frame-pooled coverage")},
}


def convention(family: str, name: str) -> OTBConvention | VOTConvention:
    """The convention ``name`` (any case) of ``family``; :class:`ConfigError` listing the
    family's conventions when there is none (saying so when ``name`` is another family's)."""
    key = name.lower()
    if key in CONVENTIONS[family]:
        return CONVENTIONS[family][key]
    other = next((f for f, table in CONVENTIONS.items() if f != family and key in table), None)
    problem = f"convention {name!r} is for {other.upper()} experiments" if other else f"unknown convention {name!r}"
    raise ConfigError(f"{problem}; {family.upper()} experiments take {', '.join(CONVENTIONS[family])}")
