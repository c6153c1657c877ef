"""VOT2015-2017 metrics: accuracy, robustness, EAO and unsupervised average overlap.

Like :mod:`rasbench.metrics.otb`, every function works on all runs of one tracker at
once. Runs (trajectories) are concatenated into per-frame arrays of length N:

* ``overlaps`` (N,): per-frame overlap with the ground truth (:func:`run_overlaps`);
* ``codes`` (N,): the special code written in the result file (0 = skipped/unknown,
  1 = initialisation, 2 = failure) or -1 where the frame holds a region
  (``Regions.codes()``);

and a :class:`RunLayout` says where each run starts and which sequence it belongs to.
All runs of one sequence have the sequence's length. Array indices are 0-based; where a
reference toolkit counts frames from 1 the docstrings say so.

The rules on which the reference toolkits disagree are fields of
:class:`~rasbench.config.conventions.VOTConvention`;
the protocol's numbers (burn-in, skip after a failure) are arguments, which the callers
take from the benchmark definition (:mod:`rasbench.config.families`);
``official`` is the final VOT MATLAB toolkit (toolkit-legacy, "VOT-M"), ``pysot`` is
pysot-toolkit and ``vot-toolkit`` the Python VOT toolkit 0.9 ("VOT-Py");
``official-vot2015`` is VOT-M with the legacy rasterisation of its vot2013-2015 stacks.
Each rule is documented where it is implemented.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.conventions import VOTConvention, vot_convention
from ..geometry.raster import overlaps as region_overlaps
from ..geometry.regions import FAILURE, INITIALIZATION, RECTANGLE, UNKNOWN, Regions


# ============================================================================ layout
@dataclass(frozen=True)
class RunLayout:
    """Where each run lies in the concatenated per-frame arrays.

    ``starts`` (R,): first frame of each run; ``groups`` (R,): sequence index of each run
    (non-decreasing; runs of one sequence are adjacent); ``n_frames``: N.
    """

    starts: np.ndarray
    groups: np.ndarray
    n_frames: int

    def __post_init__(self):
        starts = np.asarray(self.starts, dtype=np.int64)
        groups = np.asarray(self.groups, dtype=np.int64)
        object.__setattr__(self, "starts", starts)
        object.__setattr__(self, "groups", groups)
        if len(starts) != len(groups):
            raise ValueError("starts and groups differ in length")
        if len(starts) and (starts[0] != 0 or np.any(np.diff(starts) < 0) or starts[-1] > self.n_frames):
            raise ValueError("starts must begin at 0 and be non-decreasing")
        if np.any(np.diff(groups) < 0):
            raise ValueError("groups must be non-decreasing (runs of a sequence adjacent)")

    @staticmethod
    def from_lengths(lengths, groups=None) -> RunLayout:
        """Layout of runs with the given lengths; ``groups`` defaults to one sequence per run."""
        lengths = np.asarray(lengths, dtype=np.int64)
        groups = np.arange(len(lengths)) if groups is None else groups
        return RunLayout(np.cumsum(lengths) - lengths, groups, int(lengths.sum()))

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(np.append(self.starts, self.n_frames))

    @property
    def run_of_frame(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.starts)), self.lengths)

    @property
    def frame_in_run(self) -> np.ndarray:
        return np.arange(self.n_frames) - np.repeat(self.starts, self.lengths)

    @property
    def sequence_of_run(self) -> np.ndarray:
        """Dense sequence index (0..S-1) of every run."""
        return np.unique(self.groups, return_inverse=True)[1].reshape(-1)

    @property
    def n_sequences(self) -> int:
        return int(self.sequence_of_run.max()) + 1 if self.sequence_of_run.size else 0

    @property
    def runs_per_sequence(self) -> np.ndarray:
        return np.bincount(self.sequence_of_run, minlength=self.n_sequences)

    @property
    def sequence_lengths(self) -> np.ndarray:
        """Length of each sequence (the length of its runs; they must agree)."""
        seq = self.sequence_of_run
        lengths = self.lengths
        out = np.zeros(self.n_sequences, np.int64)
        out[seq] = lengths
        if np.any(out[seq] != lengths):
            raise ValueError("runs of one sequence differ in length")
        return out


def select_frames(keep, layout: RunLayout, *arrays):
    """Keep only the frames where ``keep`` is true, run by run (tag selection).

    Returns the new layout followed by the filtered arrays. The reference toolkits select
    tagged frames *before* applying the burn-in, so an init frame without the tag does not
    start a burn-in in that selection; use the result with the same functions as the full
    data to get that behaviour."""
    keep = np.asarray(keep, dtype=bool)
    kept_per_run = np.bincount(layout.run_of_frame[keep], minlength=len(layout.starts))
    new = RunLayout.from_lengths(kept_per_run, layout.groups)
    return (new, *[np.asarray(a)[keep] for a in arrays])


# ============================================================================ per frame
def frame_bounds(sizes, pad: int) -> np.ndarray:
    """(right, bottom) raster bounds per frame from (W, H) image sizes: (W + pad, H + pad)."""
    return np.asarray(sizes, dtype=np.float64) + pad


def _pad(c: VOTConvention, analysis: str) -> int:
    return {"accuracy": c.accuracy_bounds_pad, "eao": c.eao_bounds_pad, "failure": c.run.failure_bounds_pad,
            "unsupervised": c.unsupervised_bounds_pad}[analysis]


def run_overlaps(pred: Regions, gt: Regions, sizes, convention, analysis: str = "accuracy") -> np.ndarray:
    """Per-frame overlap of predictions with ground truth, bounded as the convention's
    ``analysis`` ("accuracy", "eao", "failure", "unsupervised") requires.

    ``sizes``: (W, H) per frame, one pair, or None for
    unbounded overlaps (VOT-M with ``bounded_overlap`` off, as its vot2015 stack sets).
    C-family rules give NaN on special frames; ``vot-toolkit`` gives its own value there
    (an empty region: 0, or 1 when the union bbox is degenerate) and its analyses mask
    those frames."""
    return analysis_overlaps(pred, gt, sizes, convention, (analysis,))[analysis]


def analysis_overlaps(pred: Regions, gt: Regions, sizes, convention,
                      analyses=("accuracy", "eao")) -> dict:
    """:func:`run_overlaps` for several analyses at once. Bounds that differ by a pixel
    (VOT-M's (W, H) for accuracy, (W-1, H-1) for EAO) only matter for frames where a region
    reaches past the smaller bound, so only those frames are rasterised again."""
    c = vot_convention(convention)
    if sizes is None or not c.bounded:
        ov = region_overlaps(pred, gt, None, c.overlap)
        return {a: ov for a in analyses}
    sizes = np.broadcast_to(np.asarray(sizes, dtype=np.float64), (len(pred), 2))
    pads = sorted({_pad(c, a) for a in analyses})
    base = region_overlaps(pred, gt, frame_bounds(sizes, pads[0]), c.overlap)
    by_pad = {pads[0]: base}
    if len(pads) > 1:
        # the largest x / y any vertex (or rectangle corner, x+w at most) reaches
        reach = np.full((len(pred), 2), -np.inf)
        for r in (pred, gt):
            xs = r.coords[:, 0::2]
            ys = r.coords[:, 1::2]
            rect = r.kind == RECTANGLE
            with np.errstate(invalid="ignore"):
                mx = np.where(rect, r.coords[:, 0] + np.maximum(r.coords[:, 2], 0), np.nanmax(
                    np.where(np.isnan(xs), -np.inf, xs), axis=1))
                my = np.where(rect, r.coords[:, 1] + np.maximum(r.coords[:, 3], 0), np.nanmax(
                    np.where(np.isnan(ys), -np.inf, ys), axis=1))
            reach = np.maximum(reach, np.stack([mx, my], axis=1))
        limit = sizes + pads[0]
        touch = np.flatnonzero(np.any(reach + 1 > limit, axis=1))  # a pixel of margin for rounding
        for pad in pads[1:]:
            ov = base.copy()
            if len(touch):
                ov[touch] = region_overlaps(pred[touch], gt[touch], frame_bounds(sizes[touch], pad), c.overlap)
            by_pad[pad] = ov
    return {a: by_pad[_pad(c, a)] for a in analyses}


def burnin_mask(codes, layout: RunLayout, burnin: int) -> np.ndarray:
    """Frames within ``burnin`` frames of an initialisation (code 1): the init frame and
    the next burnin - 1 frames, never past the end of the run (VOT-M dilation in
    estimate_accuracy.m, pysot calculate_accuracy, VOT-Py compute_accuracy)."""
    codes = np.asarray(codes)
    if burnin <= 0:
        return np.zeros(len(codes), bool)
    inits = np.flatnonzero(codes == INITIALIZATION)
    run_end = (layout.starts + layout.lengths)[layout.run_of_frame[inits]]
    delta = np.zeros(len(codes) + 1, np.int64)
    np.add.at(delta, inits, 1)
    np.add.at(delta, np.minimum(inits + burnin, run_end), -1)
    return np.cumsum(delta[:-1]) > 0


def accuracy_frames(overlaps, codes, layout: RunLayout, convention, *, burnin: int) -> np.ndarray:
    """Per-frame overlaps that count for accuracy; NaN where the convention ignores a frame
    and on the ``burnin`` frames from each initialisation.

    VOT-M / pysot: special frames are NaN already (the MEX / vot_overlap return NaN for a
    1-value region) and the burn-in frames are set to code 0 before scoring.
    VOT-Py compute_accuracy: masks codes 0 (unknown) and 2 (failure) and the burn-in after
    code 1; frames with any other special code keep their (empty-region) overlap."""
    c = vot_convention(convention)
    codes = np.asarray(codes)
    out = np.array(overlaps, dtype=np.float64, copy=True)
    masked = burnin_mask(codes, layout, burnin)
    if c.accuracy_mask == "vot-toolkit":
        masked |= (codes == UNKNOWN) | (codes == FAILURE)
    else:
        masked |= codes >= 0
    out[masked] = np.nan
    return out


def failures_per_run(codes, layout: RunLayout) -> np.ndarray:
    """Number of failure frames (code 2) in each run."""
    fail = np.asarray(codes) == FAILURE
    return np.bincount(layout.run_of_frame[fail], minlength=len(layout.starts))


# ============================================================================ A and R
@dataclass
class ARResult:
    """Accuracy and robustness of one tracker (one tag selection) under a convention.

    accuracy       the convention's accuracy A.
    failures       the convention's failure count (pooled "lost number" for VOT-M/pysot,
                   frame-weighted mean failures per sequence for VOT-Py).
    failure_rate   sum over sequences of the mean failures over runs, divided by the total
                   number of frames (VOT-M 'normalized'; pysot's mean over runs of total
                   failures / total frames when every sequence has the same run count).
    robustness     100 * failure_rate: R as the VOT2016-2018 tables and pysot print it.
    ar_robustness  the AR-plot robustness exp(-S ...) of the convention.

    ``accuracy_terms``, ``failure_terms``: per-sequence (numerator, denominator), (S,) each,
    whose sums' ratio is ``accuracy`` (pooled: overlap sum and count of the scored frames;
    VOT-Py: weighted sequence accuracy and weight) and ``failures`` (pooled: the failures
    and 1 / S, a sum; weighted: weighted failures and weight).
    """

    accuracy: float
    failures: float
    failure_rate: float
    robustness: float
    ar_robustness: float
    frames: int
    sequence_accuracy: np.ndarray
    sequence_failures: np.ndarray
    sequence_lengths: np.ndarray
    run_accuracy: np.ndarray
    run_failures: np.ndarray
    accuracy_terms: tuple
    failure_terms: tuple

    def ratio_terms(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per-sequence (numerator, denominator), (S,) each, of accuracy, failures and
        robustness: each score is sum(numerator) / sum(denominator) over the sequences
        (accuracy 0 without a scored frame), so it can be recomputed on any multiset of S
        sequences, a bootstrap resample (:mod:`rasbench.metrics.stats`). Pooled failures are
        a sum over S sequences (denominators 1 / S): score a subset of another size afresh."""
        return {"accuracy": self.accuracy_terms, "failures": self.failure_terms,
                "robustness": (100.0 * self.sequence_failures, self.sequence_lengths.astype(np.float64))}


def _pooled_frame_means(values, layout: RunLayout):
    """Per sequence frame: mean over runs of the non-NaN values (NaN if none), and the
    sequence of each pooled frame. MATLAB nanmean over the repetitions of one frame."""
    seq = layout.sequence_of_run
    seq_len = layout.sequence_lengths
    seq_off = np.cumsum(seq_len) - seq_len
    slot = seq_off[seq][layout.run_of_frame] + layout.frame_in_run
    ok = ~np.isnan(values)
    total = int(seq_len.sum())
    sums = np.bincount(slot[ok], values[ok], minlength=total)
    counts = np.bincount(slot[ok], minlength=total)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return means, np.repeat(np.arange(len(seq_len)), seq_len)


def _nanmean_groups(values, groups, n):
    ok = ~np.isnan(values)
    sums = np.bincount(groups[ok], values[ok], minlength=n)
    counts = np.bincount(groups[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan), counts


def accuracy_robustness(overlaps, codes, layout: RunLayout, convention, sequence_weights=None, *,
                        burnin: int) -> ARResult:
    """Accuracy and robustness from per-frame overlaps bounded for accuracy
    (``run_overlaps(..., analysis="accuracy")``) and the result codes; accuracy leaves
    out the ``burnin`` frames from each initialisation.

    ``sequence_weights`` (VOT-Py only): frame counts used to weight sequences; default the
    sequence lengths of ``layout`` (after a tag selection VOT-Py still weights by the full
    sequence length -- pass those to reproduce it)."""
    with np.errstate(invalid="ignore", divide="ignore"):  # a tag without frames gives NaN, quietly
        return _accuracy_robustness(overlaps, codes, layout, convention, sequence_weights, burnin)


def _accuracy_robustness(overlaps, codes, layout: RunLayout, convention, sequence_weights, burnin) -> ARResult:
    c = vot_convention(convention)
    codes = np.asarray(codes)
    vals = accuracy_frames(overlaps, codes, layout, c, burnin=burnin)
    n_seq = layout.n_sequences
    seq_of_run = layout.sequence_of_run
    seq_len = layout.sequence_lengths
    runs_per_seq = layout.runs_per_sequence
    run_acc, run_counts = _nanmean_groups(vals, layout.run_of_frame, len(layout.starts))
    run_fail = failures_per_run(codes, layout).astype(np.float64)
    # failures: mean over the available runs of each sequence (VOT-M imputes missing runs
    # with that mean, which leaves the per-sequence mean unchanged)
    seq_fail = np.bincount(seq_of_run, run_fail, minlength=n_seq) / np.maximum(runs_per_seq, 1)
    frames = int(seq_len.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        failure_rate = float(seq_fail.sum() / frames) if frames else float("nan")
    if c.accuracy == "pooled":
        # VOT-M: nanmean over repetitions per frame, then the mean of the non-NaN pooled
        # frames (0 when there is none); pysot: np.nanmean of the same vectors
        pooled, pooled_seq = _pooled_frame_means(vals, layout)
        ok = ~np.isnan(pooled)
        accuracy = float(np.mean(pooled[ok])) if ok.any() else 0.0
        seq_acc, scored = _nanmean_groups(pooled, pooled_seq, n_seq)
        accuracy_terms = (np.bincount(pooled_seq[ok], pooled[ok], minlength=n_seq), scored.astype(np.float64))
    else:
        # VOT-Py: per-run mean of the unmasked overlaps (0 when none), mean over runs,
        # frame-weighted mean over sequences
        run_acc = np.where(run_counts > 0, run_acc, 0.0)
        seq_acc = np.bincount(seq_of_run, run_acc, minlength=n_seq) / np.maximum(runs_per_seq, 1)
        weights = seq_len if sequence_weights is None else np.asarray(sequence_weights, dtype=np.float64)
        accuracy = float(np.sum(seq_acc * weights) / np.sum(weights))
        accuracy_terms = (seq_acc * weights, weights.astype(np.float64))
    if c.failures == "pooled":
        failures = float(seq_fail.sum())
        failure_terms = (seq_fail, np.full(n_seq, 1.0 / n_seq))
    else:
        weights = seq_len if sequence_weights is None else np.asarray(sequence_weights, dtype=np.float64)
        failures = float(np.sum(seq_fail * weights) / np.sum(weights))
        failure_terms = (seq_fail * weights, weights.astype(np.float64))
    if c.ar_plot == "rate":
        ar = float(np.exp(-c.sensitivity * failure_rate))
    else:
        weights = seq_len if sequence_weights is None else np.asarray(sequence_weights, dtype=np.float64)
        mean_length = np.sum(weights) / n_seq
        ar = float(np.exp(-(failures / mean_length) * c.sensitivity))
    return ARResult(accuracy=accuracy, failures=failures, failure_rate=failure_rate,
                    robustness=100.0 * failure_rate, ar_robustness=ar, frames=frames,
                    sequence_accuracy=seq_acc, sequence_failures=seq_fail, sequence_lengths=seq_len,
                    run_accuracy=run_acc, run_failures=run_fail, accuracy_terms=accuracy_terms,
                    failure_terms=failure_terms)


def tag_accuracy_robustness(overlaps, codes, layout: RunLayout, tags: dict, convention, *, burnin: int) -> dict:
    """Per-tag :class:`ARResult`: frames selected by each boolean mask of ``tags`` before
    the burn-in is applied (VOT-M tag selectors; VOT-Py filter_tag)."""
    out = {}
    for name, mask in tags.items():
        sub, ov, cd = select_frames(mask, layout, overlaps, codes)
        out[name] = accuracy_robustness(ov, cd, sub, convention, burnin=burnin)
    return out


def tag_average(results: dict, how: str = "weighted_mean") -> tuple[float, float, float]:
    """(accuracy, failures, failure rate) averaged over tag results as VOT-M report_ar does:
    ``weighted_mean`` weights each tag by its frame count (tags with frames only),
    ``mean`` is the plain mean over tags."""
    acc = np.array([r.accuracy for r in results.values()])
    fail = np.array([r.failures for r in results.values()])
    rate = np.array([r.failure_rate for r in results.values()])
    lengths = np.array([r.frames for r in results.values()], dtype=np.float64)
    if how == "weighted_mean":
        use = lengths > 0
        w = lengths[use]
        return (float(np.sum(acc[use] * w) / w.sum()), float(np.sum(fail[use] * w) / w.sum()),
                float(np.sum(rate[use] * w) / w.sum()))
    if how == "mean":
        return float(np.nanmean(acc)), float(np.nanmean(fail)), float(np.nanmean(rate))
    raise ValueError(f"unknown tag averaging {how!r}")


# ============================================================================ EAO
@dataclass
class EAOFragments:
    """Dense fragment matrix as the toolkits build it.

    values (F, L): overlaps from each fragment's first frame (its initialisation), padded
    with zeros (failed fragments) or NaN (fragments that reach the end of the sequence);
    weights (F,); success (F,): the fragment reached the end of its run (VOT-Py mask);
    lengths (F,): number of frames taken from the run; runs (F,): the run it comes from
    (non-decreasing)."""

    values: np.ndarray
    weights: np.ndarray
    success: np.ndarray
    lengths: np.ndarray
    runs: np.ndarray


def _fill(values, starts, lengths, width, pad, zero_nan, raw):
    """Rows of ``width`` taken from ``values`` at ``starts`` (``lengths`` frames each)."""
    f = len(starts)
    out = np.full((f, width), np.nan)
    out[pad] = 0.0
    take = np.minimum(lengths, width)
    row = np.repeat(np.arange(f), take)
    col = np.arange(int(take.sum())) - np.repeat(np.cumsum(take) - take, take)
    src = values[np.repeat(starts, take) + col]
    if not raw:
        src = np.where(np.isnan(src), 0.0, src)
    else:
        src = np.where(np.repeat(zero_nan, take) & np.isnan(src), 0.0, src)
    out[row, col] = src
    return out


def eao_fragments(overlaps, codes, layout: RunLayout, convention, max_length: int | None = None,
                  tag=None, *, skip_initialize: int) -> EAOFragments:
    """Fragments of every run (overlaps bounded for EAO, without burn-in); ``skip_initialize``
    (5 below, as in VOT) is the protocol's distance from a failure to the re-initialisation.

    ``vot-matlab`` (estimate_expected_overlap.m, 1-based frames): points = [1] + [f + 5 for
    each failure f with f + 5 <= N]; fragment j = o[p_j .. p_{j+1}] inclusive, NaN -> 0,
    zero padded, weight = (tag frames in the fragment) / (its length); last fragment
    o[p_last .. N], NaN -> 0, NaN padded, weight (tag frames in p_last..N) / (N - p_last + 1);
    a run without failure: o[1 .. min(N, L)] with NaN kept, NaN padded, weight = tag share of
    its first min(N, L) frames (all frames when N < L). Every weight is multiplied by the
    sequence weight 1 / (runs of that sequence). L = ``max_length`` (default: longest run).

    ``pysot`` (eao_benchmark.py): the same with 0-based failures x kept when x + 5 <= N (so a
    failure at 1-based N - 4 keeps its point at N, ending the previous fragment at the last
    frame and leaving an empty last fragment), and one sequence weight 1 / (runs of the last
    sequence) for every fragment; its middle-fragment tag share divides by p_{j+1} - p_j + 1
    even when the fragment is cut by the sequence end.

    ``vot-toolkit`` (supervised.py): fragments o[init_k : fail_k) pairing the k-th
    initialisation with the k-th failure (zero padded), plus o[init_last :] when the run
    re-initialised after its last failure, or the whole run when it never failed; weights 1;
    L = the longest fragment.
    """
    c = vot_convention(convention)
    ov = np.asarray(overlaps, dtype=np.float64)
    codes = np.asarray(codes)
    lengths = layout.lengths
    starts = layout.starts
    run_of_frame = layout.run_of_frame
    frame_in_run = layout.frame_in_run
    n_runs = len(starts)
    tag = np.ones(len(ov), bool) if tag is None else np.asarray(tag, dtype=bool)
    tag_cum = np.concatenate([[0], np.cumsum(tag)])

    def tag_count(a, b):  # tag frames in global [a, b) (clipped to the run by the caller)
        return tag_cum[b] - tag_cum[a]

    fail = np.flatnonzero(codes == FAILURE)
    fail_run = run_of_frame[fail]
    fail_local = frame_in_run[fail]
    n_fail = np.bincount(fail_run, minlength=n_runs)

    if c.eao == "vot-toolkit":
        inits = np.flatnonzero(codes == INITIALIZATION)
        init_run = run_of_frame[inits]
        n_init = np.bincount(init_run, minlength=n_runs)
        if np.any((n_fail > 0) & (n_init < n_fail)):
            raise ValueError("a run has more failures than initialisations (vot-toolkit would fail)")
        rank_f = np.arange(len(fail)) - np.repeat(np.cumsum(n_fail) - n_fail, n_fail)
        first_init = np.cumsum(n_init) - n_init
        f_start = inits[first_init[fail_run] + rank_f]
        f_len = fail - f_start
        last = (n_fail > 0) & (n_init > n_fail)
        l_start = inits[(first_init + n_init - 1)[last]]
        l_len = (starts + lengths)[last] - l_start
        whole = n_fail == 0
        frag_start = np.concatenate([f_start, l_start, starts[whole]])
        frag_len = np.concatenate([f_len, l_len, lengths[whole]]).astype(np.int64)
        success = np.concatenate([np.zeros(len(f_start), bool), np.ones(len(l_start) + whole.sum(), bool)])
        run_key = np.concatenate([fail_run, np.flatnonzero(last), np.flatnonzero(whole)])
        order = np.lexsort((frag_start, run_key))
        frag_start, frag_len, success = frag_start[order], np.maximum(frag_len[order], 0), success[order]
        width = int(frag_len.max()) if len(frag_len) else 0
        values = _fill(ov, frag_start, frag_len, width, ~success, np.zeros(len(frag_start), bool), raw=True)
        return EAOFragments(values, np.ones(len(frag_start)), success, frag_len, run_key[order])

    skip = skip_initialize
    width = int(max_length) if max_length is not None else int(lengths.max())
    if c.eao == "vot-matlab":
        keep = fail_local + skip <= lengths[fail_run] - 1     # 1-based f + 5 <= N
        seq_w = 1.0 / layout.runs_per_sequence[layout.sequence_of_run]
    elif c.eao == "pysot":
        keep = fail_local + skip <= lengths[fail_run]         # 0-based x + 5 <= N
        seq_w = np.full(n_runs, 1.0 / layout.runs_per_sequence[layout.sequence_of_run[-1]])
    else:
        raise ValueError(f"unknown EAO rule {c.eao!r}")
    # fragment start points, run by run: the run start, then each kept re-init point
    pt_run = np.concatenate([np.arange(n_runs), fail_run[keep]])
    pt_local = np.concatenate([np.zeros(n_runs, np.int64), fail_local[keep] + skip])
    order = np.lexsort((pt_local, pt_run))
    pt_run, pt_local = pt_run[order], pt_local[order]
    nxt_same = np.append(pt_run[1:] == pt_run[:-1], False)
    nxt_local = np.append(pt_local[1:], 0)
    failed_run = n_fail[pt_run] > 0
    n_run = lengths[pt_run]
    middle = nxt_same                                        # ends at the next point (inclusive)
    stop = np.where(middle, nxt_local + 1, n_run)            # exclusive local end
    take = np.minimum(stop, n_run) - pt_local                # frames available in the run
    g0 = starts[pt_run] + pt_local
    # weights: sequence weight x tag share
    tags_in = tag_count(g0, g0 + np.maximum(take, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(middle, tags_in / (nxt_local - pt_local + 1), 0.0)
        if c.eao == "vot-matlab":
            share = np.where(~middle, tags_in / (n_run - pt_local), share)
        else:
            share = np.where(~middle, tags_in / (n_run - pt_local + 1e-16), share)
    # runs without failure: the first min(N, L) frames, weight from the same frames (VOT-M
    # uses the whole sequence when N < L, which is the same set)
    clean = ~failed_run
    take = np.where(clean, np.minimum(n_run, width), take)
    share = np.where(clean, tag_count(g0, g0 + take) / np.maximum(take, 1), share)
    weights = seq_w[pt_run] * share
    # pysot: a point at N leaves an empty last fragment (never usable, weight 0): drop it
    keep_frag = take > 0
    values = _fill(ov, g0[keep_frag], take[keep_frag], width, (middle & failed_run)[keep_frag],
                   failed_run[keep_frag], raw=True)
    return EAOFragments(values, weights[keep_frag], ~(middle & failed_run)[keep_frag], take[keep_frag],
                        pt_run[keep_frag])


def _fragment_curve_terms(fragments: EAOFragments, c: VOTConvention) -> tuple[np.ndarray, np.ndarray]:
    """Each fragment's share of the expected overlap curve's numerator and denominator,
    (F, width) each: the curve at a length is the ratio of their column sums (see
    :func:`eao_curve`; float32 for VOT-Py, as it computes them)."""
    v = fragments.values
    w = fragments.weights
    f, width = v.shape
    if c.eao == "vot-toolkit":
        v32 = np.where(np.isnan(v), 0.0, v).astype(np.float32)
        mask = np.where(fragments.success[:, None], np.arange(width)[None, :] < fragments.lengths[:, None],
                        True).astype(np.float32)
        sums = np.empty_like(v32)
        sums[:, 0] = v32[:, 0]
        if width > 1:
            csum = np.cumsum(v32[:, 1:].astype(np.float64), axis=1)
            sums[:, 1:] = (csum / np.arange(1, width)[None, :]).astype(np.float32)
        w32 = w.astype(np.float32)[:, None]
        return w32 * sums * mask, mask * w32
    num = np.zeros((f, width))
    den = np.zeros((f, width))
    if width:
        num[:, 0] = den[:, 0] = w  # curve(1) = 1 wherever a fragment has weight
    if width > 1:
        usable = ~np.isnan(v[:, 1:])                      # element L present, L = 2..width
        means = np.cumsum(v[:, 1:], axis=1) / np.arange(1, width)[None, :]
        with np.errstate(invalid="ignore"):
            num[:, 1:] = np.where(usable, w[:, None] * means, 0.0)
        den[:, 1:] = np.where(usable, w[:, None], 0.0)
    return num, den


def eao_curve(fragments: EAOFragments, convention) -> np.ndarray:
    """Expected overlap curve: ``curve[L - 1]`` for sequence length L = 1..width.

    VOT-M: curve(1) = 1; for L >= 2 the fragments whose L-th element is not NaN are usable
    and curve(L) = sum(w * mean(frag[2..L])) / sum(w) over them (0 when none is usable).
    pysot: the same, stored in float32. VOT-Py (compute_eao_curve): float32 arrays; element
    1 is the weighted mean of the init-frame overlaps; a failed fragment counts for every
    length (zeros), a successful one only up to its length."""
    c = vot_convention(convention)
    num, den = _fragment_curve_terms(fragments, c)
    if c.eao == "vot-toolkit":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sum(num, axis=0) / np.sum(den, axis=0).astype(np.float64)
    width = num.shape[1]
    curve = np.zeros(width)
    if width == 0:
        return curve
    curve[0] = 1.0
    if width > 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            eo = np.sum(num[:, 1:], axis=0) / np.sum(den[:, 1:], axis=0)
        curve[1:] = np.where((~np.isnan(fragments.values[:, 1:])).any(axis=0), eo, 0.0)  # none usable: 0
    if c.eao == "pysot":
        curve = curve.astype(np.float32).astype(np.float64)
    return curve


def _eao_lengths(low: int, high: int, c: VOTConvention) -> slice:
    """The curve elements the EAO score averages: lengths low..high (VOT-M, pysot) or the
    0-based ``curve[low:high + 1]`` (VOT-Py)."""
    return slice(low, high + 1) if c.eao == "vot-toolkit" else slice(low - 1, high)


def eao_score(curve, low: int, high: int, convention) -> float:
    """EAO: mean of the curve over the interval [low, high] as each toolkit indexes it.

    VOT-M / pysot: lengths low..high (1-based, inclusive), NaN lengths skipped.
    VOT-Py: ``mean(curve[low:high + 1])`` with 0-based indices, i.e. lengths low+1..high+1,
    NaN propagating."""
    c = vot_convention(convention)
    part = np.asarray(curve, dtype=np.float64)[_eao_lengths(low, high, c)]
    if c.eao == "vot-toolkit":
        return float(np.mean(part)) if len(part) else float("nan")  # interval past the curve
    ok = ~np.isnan(part)
    return float(np.sum(part[ok]) / np.sum(ok)) if ok.any() else float("nan")


def eao_sequence_terms(fragments: EAOFragments, layout: RunLayout, convention, low: int,
                       high: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-sequence numerator and denominator of the curve elements the EAO score averages.

    Returns (num, den), (S, K) float64 each, K = the lengths of :func:`eao_score`'s interval
    present in the curve: ``curve[k] = num[:, k].sum() / den[:, k].sum()`` (0 where the
    denominator is 0, VOT-M's value for a length no fragment reaches; NaN where a sequence's
    numerator is NaN, a length VOT-M's score skips). Summing over a subset of sequences gives
    the curve of that subset, which is what a bootstrap over sequences needs. Equal to
    :func:`eao_curve` up to rounding (pysot rounds its curve, VOT-Py computes it, in float32).
    """
    c = vot_convention(convention)
    cols = _eao_lengths(low, high, c)
    num, den = (t[:, cols].astype(np.float64) for t in _fragment_curve_terms(fragments, c))
    seq = layout.sequence_of_run[fragments.runs]
    out_num = np.zeros((layout.n_sequences, num.shape[1]))
    out_den = np.zeros_like(out_num)
    np.add.at(out_num, seq, num)  # not a matrix product: a NaN must stay in its own sequence
    np.add.at(out_den, seq, den)
    return out_num, out_den


def expected_average_overlap(overlaps, codes, layout: RunLayout, convention, low: int, high: int,
                             max_length: int | None = None, tag=None, *,
                             skip_initialize: int) -> tuple[float, np.ndarray]:
    """(EAO score, curve) from overlaps bounded for EAO (``run_overlaps(..., "eao")``)."""
    frags = eao_fragments(overlaps, codes, layout, convention, max_length, tag, skip_initialize=skip_initialize)
    curve = eao_curve(frags, convention)
    return eao_score(curve, low, high, convention), curve


def eao_interval(sequence_lengths, threshold: float = 0.5) -> tuple[int, int, int]:
    """(low, high, peak) of the VOT-M EAO interval (analyze_average_expected_overlap.m):
    Gaussian KDE of the sequence lengths with Kristan's AMISE-optimal bandwidth
    (utilities/gmm_estimate.m, 1-D), tabulated at x = 1..max length and normalised; the
    interval grows from the mode one frame at a time towards the denser side (ties to the
    high side; at a border the other side grows) until it holds ``threshold`` of the mass.
    1-based lengths, as VOT-M returns them."""
    data = np.asarray(sequence_lengths, dtype=np.float64)
    n = len(data)
    mu = data.mean()
    var = np.mean(data * data) - mu * mu        # spherize(): population variance
    z = (data - mu) / np.sqrt(var)               # whitened samples, unit covariance
    g = (4.0 / (3.0 * n)) ** (2.0 / 5.0)         # pilot bandwidth G = C (4 / ((d+2) N))^(2/(d+4))
    a = 1.0 / g                                  # A = inv(S1 + S2) with S1 = G, S2 = 0
    dm = z[:, None] - z[None, :]
    m = dm * dm * a
    f_t = np.sqrt(1.0 / (2.0 * np.pi)) * np.sqrt(a) * np.exp(-0.5 * m)
    term = f_t * (2.0 * a * a * (1.0 - 2.0 * m) + (1.0 - m) ** 2 * a * a)
    rf2 = np.sum(term) / (n * n)                 # both halves of the symmetric double sum
    h_amise = (1.0 / n / (np.sqrt(4.0 * np.pi) * rf2)) ** (1.0 / 5.0)
    sigma2 = var * h_amise ** 2                  # back-transformed kernel covariance
    x = np.arange(1, int(data.max()) + 1, dtype=np.float64)
    log_const = np.log(1.0 / np.sqrt(sigma2)) - 0.5 * 1.83787706640935
    p = np.sum(np.exp(log_const - 0.5 * (x[None, :] - data[:, None]) ** 2 / sigma2), axis=0) / n
    p = p / p.sum()
    peak = int(np.argmax(p)) + 1
    low = high = peak
    length = len(p)
    for _ in range(length + 1):
        lo_tmp, hi_tmp = low - 1, high + 1
        at_lo = lo_tmp <= 0
        at_hi = hi_tmp >= length
        lo_tmp = 1 if at_lo else lo_tmp
        hi_tmp = length if at_hi else hi_tmp
        if at_lo and at_hi:
            low, high = lo_tmp, hi_tmp
            break
        if not at_lo and not at_hi:
            if p[lo_tmp - 1] > p[hi_tmp - 1]:
                low = lo_tmp
            else:
                high = hi_tmp
        elif not at_lo:
            low = lo_tmp
        else:
            high = hi_tmp
        if np.sum(p[low - 1:high]) >= threshold:
            break
    return low, high, peak


# ============================================================================ unsupervised
def unsupervised_average_overlap(overlaps, codes, layout: RunLayout, convention, gt_unknown=None, *,
                                 burnin: int) -> float:
    """Average overlap of the unsupervised (no-reset) experiment.

    VOT-M analyze_overlap.m: per-frame mean over runs (NaN ignored), NaN frames -- the
    init frame included -- count as 0 and stay in the denominator, mean over all frames of
    all sequences (``burnin`` unused). VOT-Py average_accuracy: frames with unknown ground
    truth (``gt_unknown``), code 0, code 2 and the ``burnin`` frames from code 1 (10 in
    its stacks) are dropped, per-run mean (a run without frames adds 0), mean over runs,
    frame-weighted over sequences."""
    c = vot_convention(convention)
    ov = np.asarray(overlaps, dtype=np.float64)
    codes = np.asarray(codes)
    if c.unsupervised == "vot-matlab":
        vals = np.where(codes >= 0, np.nan, ov)
        pooled, _ = _pooled_frame_means(vals, layout)
        return float(np.mean(np.where(np.isnan(pooled), 0.0, pooled)))
    masked = burnin_mask(codes, layout, burnin) | (codes == UNKNOWN) | (codes == FAILURE)
    if gt_unknown is not None:
        masked |= np.asarray(gt_unknown, dtype=bool)
    vals = np.where(masked, np.nan, ov)
    run_acc, counts = _nanmean_groups(vals, layout.run_of_frame, len(layout.starts))
    run_acc = np.where(counts > 0, run_acc, 0.0)
    seq = layout.sequence_of_run
    seq_acc = np.bincount(seq, run_acc, minlength=layout.n_sequences) / layout.runs_per_sequence
    seq_len = layout.sequence_lengths
    return float(np.sum(seq_acc * seq_len) / np.sum(seq_len))
