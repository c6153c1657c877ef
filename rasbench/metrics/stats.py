"""Uncertainty of benchmark scores: bootstrap intervals over sequences, paired permutation
tests between trackers, Holm's correction, several runs. Pure numpy.

Every headline score of the OTB and VOT families is a ratio of sums over sequences. For
tracker t, sequence s and column k there is a numerator ``num[t, s, k]`` and a denominator
``den[t, s, k]`` (:class:`RatioTerms`) and the score is

    score[t] = mean over k of  sum_s num[t, s, k] / sum_s den[t, s, k]

* a mean over sequences (OTB success AUC, precision, SR@0.5): num = the sequence's value,
  den = 1 (0 for a sequence the convention leaves out of the mean), K = 1;
* VOT accuracy (frames pooled), failures, robustness (failures / frames):
  :meth:`rasbench.metrics.vot.ARResult.ratio_terms`, K = 1;
* EAO: column k is one length of the EAO interval, the curve's numerator and denominator
  per sequence (:func:`rasbench.metrics.vot.eao_sequence_terms`).

A bootstrap resample draws S sequences with replacement; it is a row of multinomial counts
``c[s]`` (how often sequence s was drawn), and its score is the same formula with
``sum_s c[s] * num[t, s, k]``: for all resamples, trackers and columns at once, two matrix
products and a division. The EAO curve is thus rebuilt from the drawn sequences on every
resample. The counts come once from a seed (:class:`Resampling`) and are shared by every
tracker and score of a report, so differences between trackers are paired.

Method, defaults and references: docs/statistics.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist

import numpy as np

N_BOOT = 10_000
N_PERMUTATIONS = 100_000
LEVEL = 0.95
SEED = 0
ALPHA = 0.05
# Permutation statistics closer to the observed one than this, relative to the two scores,
# count as ties: far above the rounding of the sums, far below any real difference.
_TIE = 1e-9
_BLOCK = 1 << 20  # elements per temporary array (8 MiB of float64)

_NORMAL = NormalDist()
_norm_cdf = np.vectorize(_NORMAL.cdf, otypes=[float])
_norm_ppf = np.vectorize(_NORMAL.inv_cdf, otypes=[float])


# ============================================================================ terms
@dataclass(frozen=True)
class RatioTerms:
    """Per-sequence terms of one score for T trackers over the same S sequences.

    ``num``, ``den``: (T, S, K) float64 (a (T, S) input is K = 1). ``score[t]`` is the mean
    over k of ``sum_s num[t, s, k] / sum_s den[t, s, k]``; a column whose denominator sums
    to 0 scores 0 (VOT-M's EAO curve at a length no fragment reaches); a NaN numerator makes
    its column undefined wherever that sequence is drawn, and undefined columns are left out
    of the mean (VOT-M's EAO score skips NaN lengths).
    """

    num: np.ndarray
    den: np.ndarray

    def __post_init__(self):
        num = np.asarray(self.num, dtype=np.float64)
        num = num[:, :, None] if num.ndim == 2 else num
        if num.ndim != 3:
            raise ValueError(f"terms must be (trackers, sequences[, columns]), got shape {num.shape}")
        den = np.asarray(self.den, dtype=np.float64)
        den = den[:, :, None] if den.ndim == 2 else den
        object.__setattr__(self, "num", num)
        object.__setattr__(self, "den", np.ascontiguousarray(np.broadcast_to(den, num.shape)))

    @classmethod
    def means(cls, values, included=None) -> RatioTerms:
        """Scores that are means of per-sequence values: ``values`` (T, S); ``included``
        (T, S) bool, the sequences each tracker's mean counts (OTB leaves empty curves out),
        default all."""
        values = np.asarray(values, dtype=np.float64)
        den = np.ones_like(values) if included is None else np.asarray(included, dtype=np.float64)
        return cls(np.where(den > 0, values, 0.0), den)

    @classmethod
    def stack(cls, per_tracker) -> RatioTerms:
        """From one (num, den) pair per tracker, each (S,) or (S, K)."""
        pairs = list(per_tracker)
        return cls(np.stack([np.asarray(n, dtype=np.float64).reshape(len(n), -1) for n, _ in pairs]),
                   np.stack([np.asarray(d, dtype=np.float64).reshape(len(d), -1) for _, d in pairs]))

    @property
    def n_trackers(self) -> int:
        return self.num.shape[0]

    @property
    def n_sequences(self) -> int:
        return self.num.shape[1]

    def scores(self) -> np.ndarray:
        """(T,) scores on all sequences."""
        return self.resampled(np.ones((1, self.n_sequences)))[0]

    def resampled(self, counts: np.ndarray) -> np.ndarray:
        """(B, T) scores on the resamples given by ``counts`` (B, S): how often each
        sequence is drawn."""
        counts = np.asarray(counts, dtype=np.float64)
        t, s, k = self.num.shape
        num, den, undefined = self._flat()
        out = np.empty((len(counts), t))
        step = max(1, _BLOCK // (t * k))
        for b in range(0, len(counts), step):
            c = counts[b:b + step]
            bad = None if undefined is None else (c @ undefined > 0).reshape(-1, t, k)
            out[b:b + step] = _ratio_scores((c @ num).reshape(-1, t, k), (c @ den).reshape(-1, t, k), bad)
        return out

    def jackknife(self) -> np.ndarray:
        """(T, S) scores with one sequence left out."""
        num = np.nan_to_num(self.num, nan=0.0)
        nans = np.isnan(self.num)
        n_left = num.sum(axis=1, keepdims=True) - num
        d_left = self.den.sum(axis=1, keepdims=True) - self.den
        bad = (nans.sum(axis=1, keepdims=True) - nans) > 0 if nans.any() else None
        return _ratio_scores(n_left, d_left, bad)

    def _flat(self):
        """num, den (and the NaN indicator, or None) as (S, T * K) matrices for products."""
        t, s, k = self.num.shape
        nans = np.isnan(self.num)

        def flat(a):
            return np.ascontiguousarray(a.transpose(1, 0, 2).reshape(s, t * k), dtype=np.float64)
        return flat(np.where(nans, 0.0, self.num)), flat(self.den), flat(nans) if nans.any() else None


def _ratio_scores(num_sums: np.ndarray, den_sums: np.ndarray, undefined=None, axis: int = -1) -> np.ndarray:
    """Mean over the columns ``axis`` of num_sums / den_sums (0 where the denominator is 0,
    columns marked ``undefined`` left out)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(den_sums != 0, num_sums / den_sums, 0.0)
    if undefined is None:
        return ratio.mean(axis=axis)
    ratio[np.broadcast_to(undefined, ratio.shape)] = np.nan
    defined = (~np.broadcast_to(undefined, ratio.shape)).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(defined > 0, np.nansum(ratio, axis=axis) / defined, np.nan)


# ============================================================================ resampling
class Resampling:
    """The random draws a report shares, from one seed: bootstrap counts over S sequences
    (n_boot x S multinomial counts) and the swap patterns of the paired permutation test.

    Permutations are exact (all 2^S patterns) when 2^S <= ``n_permutations``, i.e. up to 16
    sequences with the default 100,000; otherwise ``n_permutations`` random patterns.
    """

    def __init__(self, n_sequences: int, n_boot: int = N_BOOT, n_permutations: int = N_PERMUTATIONS,
                 seed: int = SEED):
        if n_sequences < 2:
            raise ValueError("resampling needs at least 2 sequences")
        if n_boot < 1 or n_permutations < 1:
            raise ValueError("n_boot and n_permutations must be positive")
        self.n_sequences = int(n_sequences)
        self.n_boot = int(n_boot)
        self.n_permutations = int(n_permutations)
        self.seed = int(seed)
        self.exact = 2 ** self.n_sequences <= self.n_permutations

    @cached_property
    def counts(self) -> np.ndarray:
        """(n_boot, S) float64: how often each sequence is drawn in each resample."""
        rng = np.random.default_rng(self.seed)
        s = self.n_sequences
        return rng.multinomial(s, np.full(s, 1.0 / s), size=self.n_boot).astype(np.float64)

    @cached_property
    def swaps(self) -> np.ndarray:
        """(M, S) uint8: 1 where a permutation swaps the two trackers' terms of a sequence;
        all M = 2^S patterns when exact."""
        s = self.n_sequences
        if self.exact:
            return ((np.arange(2 ** s)[:, None] >> np.arange(s)[None, :]) & 1).astype(np.uint8)
        rng = np.random.default_rng([self.seed, 1])  # a stream apart from the bootstrap's
        return rng.integers(0, 2, size=(self.n_permutations, s), dtype=np.uint8)


# ============================================================================ intervals
@dataclass(frozen=True)
class Intervals:
    """Scores and their BCa bootstrap intervals over sequences, (T,) each."""

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    level: float
    n_boot: int
    seed: int


def confidence_intervals(terms: RatioTerms, resampling: Resampling, level: float = LEVEL) -> Intervals:
    """BCa intervals of every tracker's score, sequences resampled."""
    _check(terms, resampling, level)
    estimate = terms.scores()
    low, high = bca_interval(estimate, terms.resampled(resampling.counts), terms.jackknife().T, level)
    return Intervals(estimate, low, high, level, resampling.n_boot, resampling.seed)


def bca_interval(estimate, boot, jack, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected and accelerated bootstrap interval (Efron 1987), per column.

    ``estimate`` (P,): the statistic on the data; ``boot`` (B, P): on the resamples;
    ``jack`` (S, P): with each sequence left out. z0 is the normal quantile of the share of
    resamples below the estimate (ties counted half); the acceleration is
    sum(d^3) / (6 sum(d^2)^1.5) with d = mean(jack) - jack (0 when all jackknife values are
    equal); resamples within 1e-9 (relative) of the estimate count as ties. A share of 0 or
    1 is clipped to 1/(2B) from the end. Returns (low, high), NaN
    for a column with an undefined resample."""
    estimate = np.asarray(estimate, dtype=np.float64)
    boot = np.asarray(boot, dtype=np.float64)
    jack = np.asarray(jack, dtype=np.float64)
    b = boot.shape[0]
    # resamples equal to the estimate up to rounding are ties: a discrete bootstrap distribution
    # (few sequences) must not shift with the order of a sum (which trackers share the products)
    tie = _TIE * np.abs(estimate)
    share = ((boot < estimate - tie).sum(axis=0) + (boot <= estimate + tie).sum(axis=0)) / (2.0 * b)
    z0 = _norm_ppf(np.clip(share, 0.5 / b, 1 - 0.5 / b))
    d = jack.mean(axis=0) - jack
    ss = (d * d).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        accel = np.where(ss > 0, (d ** 3).sum(axis=0) / (6.0 * ss ** 1.5), 0.0)
    z = _norm_ppf(np.array([(1 - level) / 2, (1 + level) / 2]))[:, None] + z0[None, :]
    alpha = _norm_cdf(z0[None, :] + z / (1 - accel[None, :] * z))
    # linear interpolation between order statistics (numpy's default quantile)
    ordered = np.sort(boot, axis=0)
    position = alpha * (b - 1)
    below = np.clip(np.floor(position).astype(np.int64), 0, b - 1)
    above = np.minimum(below + 1, b - 1)
    lo, hi = np.take_along_axis(ordered, below, 0), np.take_along_axis(ordered, above, 0)
    bounds = lo + (hi - lo) * (position - below)
    bounds[:, np.isnan(boot).any(axis=0) | np.isnan(estimate)] = np.nan
    return bounds[0], bounds[1]


# ============================================================================ comparisons
@dataclass(frozen=True)
class PairedComparisons:
    """Every pair of trackers; entry [i, j] compares tracker i with tracker j.

    delta: score[i] - score[j]; delta_low, delta_high: its BCa interval (same resamples for
    both trackers); p: two-sided paired permutation p-value, p_se its Monte Carlo standard
    error (0 when exact); p_holm: Holm-adjusted over the T(T-1)/2 pairs. Diagonal: delta 0,
    p 1. ``n_permutations``: patterns used (2^S when ``exact``).
    """

    delta: np.ndarray
    delta_low: np.ndarray
    delta_high: np.ndarray
    p: np.ndarray
    p_se: np.ndarray
    p_holm: np.ndarray
    exact: bool
    n_permutations: int
    level: float
    n_boot: int
    seed: int


def paired_comparisons(terms: RatioTerms, resampling: Resampling, level: float = LEVEL) -> PairedComparisons:
    """Bootstrap intervals of the differences and permutation p-values for all pairs.

    The permutation test swaps the two trackers' terms (num and den together) in a random
    subset of sequences and recomputes the difference of their scores; under the null
    hypothesis that, in every sequence, the two trackers' results are exchangeable, each of
    the 2^S swap patterns is equally likely, so the test is exact for any score (ratios and
    EAO included). For a mean over sequences swapping a sequence flips the sign of its
    difference: the paired sign-flip test of the mean difference. Two-sided: the share of
    patterns with |statistic| >= |observed| (the swap distribution is symmetric); Monte
    Carlo p-values count the observed pattern, (1 + hits) / (1 + M).
    """
    _check(terms, resampling, level)
    t = terms.n_trackers
    first, second = np.triu_indices(t, 1)
    scores = terms.scores()
    boot = terms.resampled(resampling.counts)
    jack = terms.jackknife().T
    delta = scores[first] - scores[second]
    # the (B, pairs) differences a block of pairs at a time: 200 trackers have 19,900 pairs,
    # 1.6 GB of differences at once; each column's interval depends on that column only
    low, high = np.empty(len(first)), np.empty(len(first))
    step = max(1, _BLOCK // len(boot))
    for a in range(0, len(first), step):
        i, j, block = first[a:a + step], second[a:a + step], slice(a, a + step)
        low[block], high[block] = bca_interval(delta[block], boot[:, i] - boot[:, j], jack[:, i] - jack[:, j], level)
    p, se = _swap_test(terms, resampling, first, second, delta, scores)
    p_holm = holm(p)

    def matrix(upper, lower, diagonal):
        out = np.full((t, t), float(diagonal))
        out[first, second] = upper
        out[second, first] = lower
        return out
    return PairedComparisons(
        delta=matrix(delta, -delta, 0.0), delta_low=matrix(low, -high, 0.0), delta_high=matrix(high, -low, 0.0),
        p=matrix(p, p, 1.0), p_se=matrix(se, se, 0.0), p_holm=matrix(p_holm, p_holm, 1.0),
        exact=resampling.exact, n_permutations=len(resampling.swaps), level=level,
        n_boot=resampling.n_boot, seed=resampling.seed)


def _swap_test(terms: RatioTerms, resampling: Resampling, first, second, observed, scores):
    """Two-sided p-values (and Monte Carlo standard errors) of the pairs (first, second)."""
    t, s, k = terms.num.shape
    num, den, undefined = terms._flat()
    # every tracker with the same denominators (a mean; frames): a swap moves numerators only
    same_den = undefined is None and bool(np.all(den.reshape(s, t, k) == den.reshape(s, t, k)[:, :1]))
    total_den = den.sum(axis=0).reshape(t, k, 1)
    threshold = (np.abs(observed) - _TIE * (np.abs(scores[first]) + np.abs(scores[second])))[:, None]
    hits = np.zeros(len(first), np.int64)
    swaps = resampling.swaps
    if same_den:
        # the statistic is then linear in the pattern: swapping sequence s moves the difference
        # by 2 (num_j - num_i)[s] / den_total, averaged over the columns (0 where den_total is 0)
        with np.errstate(divide="ignore"):
            weight = np.where(total_den[first, :, 0] != 0, 1.0 / (k * total_den[first, :, 0]), 0.0)  # (P, K)
        per_sequence = num.reshape(s, t, k)
        slope = 2.0 * np.einsum("spk,pk->ps", per_sequence[:, second] - per_sequence[:, first], weight)
    step = max(1, _BLOCK // (len(first) if same_den else t * k))  # rows per temporary array
    for m in range(0, len(swaps), step):
        moved = swaps[m:m + step].T.astype(np.float64)  # (S, m): 1 = the pair's terms swapped

        def sums(matrix, pattern):
            """(T, K, m): each tracker's sums over the sequences a pattern selects."""
            return (matrix.T @ pattern).reshape(t, k, -1)
        if same_den:
            stat = observed[:, None] + slope @ moved
        else:
            # kept + moved sums, not totals minus the moved: a denominator of zero stays exactly
            # zero; pair by pair on views, as gathering (pairs, K, m) copies costs more
            kept = 1.0 - moved
            parts = [(sums(a, kept), sums(a, moved)) for a in (num, den)]
            if undefined is not None:
                parts.append((sums(undefined, kept), sums(undefined, moved)))
            stat = np.empty((len(first), moved.shape[1]))
            for pair, (i, j) in enumerate(zip(first, second)):
                (num_i, num_j), (den_i, den_j) = [(keep[i] + move[j], keep[j] + move[i]) for keep, move in parts[:2]]
                bad_i = bad_j = None
                if undefined is not None:
                    keep, move = parts[2]
                    bad_i, bad_j = keep[i] + move[j] > 0, keep[j] + move[i] > 0
                stat[pair] = _ratio_scores(num_i, den_i, bad_i, axis=0) - _ratio_scores(num_j, den_j, bad_j, axis=0)
        hits += (np.abs(stat) >= threshold).sum(axis=1)
    n = len(swaps)
    if resampling.exact:
        return hits / n, np.zeros(len(first))
    p = (hits + 1.0) / (n + 1.0)
    return p, np.sqrt(p * (1 - p) / n)


def holm(p) -> np.ndarray:
    """Holm's step-down adjusted p-values of one family of tests (Holm 1979):
    the i-th smallest becomes max over j <= i of min(1, (m - j + 1) p_(j))."""
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    return adjusted


def tied_with_best(scores, comparisons: PairedComparisons, alpha: float = ALPHA,
                   higher_is_better: bool = True) -> np.ndarray:
    """(T,) bool: the best tracker, and every tracker whose difference from it is not
    significant at ``alpha`` after Holm's correction over all pairs."""
    scores = np.asarray(scores, dtype=np.float64)
    best = int(np.nanargmax(scores) if higher_is_better else np.nanargmin(scores))
    tied = comparisons.p_holm[best] >= alpha
    tied[best] = True
    return tied


# ============================================================================ several runs
@dataclass(frozen=True)
class RunSpread:
    """Each run's score and the spread between runs, per tracker: ``per_run`` (T, R),
    ``mean`` (T,), ``std`` (T,) the sample standard deviation over runs (NaN for one run)."""

    per_run: np.ndarray
    mean: np.ndarray
    std: np.ndarray


def several_runs(num, den=None) -> tuple[RatioTerms, RunSpread]:
    """Terms and run spread of trackers run R times on every sequence.

    ``num``, ``den``: (T, S, R) or (T, S, R, K); ``den`` None for a mean over sequences
    (den 1). The terms are the per-sequence means over runs, so the score is that of all runs
    pooled -- for a mean over sequences, the mean over runs of the run scores. Resampling
    sequences with their run means accounts for both sources of variation: the spread of the
    run means over sequences holds the between-sequence and the between-run variance (see
    docs/statistics.md); resampling runs again within sequences would count the latter twice.
    """
    num = np.asarray(num, dtype=np.float64)
    num = num[..., None] if num.ndim == 3 else num
    den = np.ones(1) if den is None else np.asarray(den, dtype=np.float64)
    den = np.broadcast_to(den[..., None] if den.ndim == 3 else den, num.shape)
    if num.ndim != 4:
        raise ValueError(f"runs must be (trackers, sequences, runs[, columns]), got shape {num.shape}")
    t, s, r, k = num.shape
    pooled = RatioTerms(num.mean(axis=2), den.mean(axis=2))
    per_run = RatioTerms(num.transpose(0, 2, 1, 3).reshape(t * r, s, k),
                         den.transpose(0, 2, 1, 3).reshape(t * r, s, k)).scores().reshape(t, r)
    std = per_run.std(axis=1, ddof=1) if r > 1 else np.full(t, np.nan)
    return pooled, RunSpread(per_run, per_run.mean(axis=1), std)


def _check(terms: RatioTerms, resampling: Resampling, level: float) -> None:
    if terms.n_sequences != resampling.n_sequences:
        raise ValueError(f"terms over {terms.n_sequences} sequences, resampling over {resampling.n_sequences}")
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be in (0, 1), got {level}")
