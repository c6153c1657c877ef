"""rasbench.metrics.stats against independent code (scipy.stats) and known truth.

* every resampled score equals the score recomputed from the explicitly resampled
  sequences; the jackknife equals leaving each sequence out;
* permutation p-values equal ``scipy.stats.permutation_test`` (paired,
  ``permutation_type='samples'``) exactly when enumerated -- for means and for ratio and
  curve scores -- and within Monte Carlo error otherwise;
* BCa intervals agree with ``scipy.stats.bootstrap`` within Monte Carlo error;
* 95 % intervals cover the true score 93-97 % of the time over 1,000 simulated
  heterogeneous benchmarks (means, ratios with unequal sequence lengths, several runs).
"""
from statistics import NormalDist

import numpy as np
import pytest
from scipy import stats as sps

from rasbench.metrics import stats as S


def explicit_score(num, den, rows):
    """One tracker's score on the sequences ``rows`` (repeats allowed), the plain way."""
    n, d = num[rows].sum(axis=0), den[rows].sum(axis=0)
    ratio = np.array([nk if np.isnan(nk) else 0.0 if dk == 0 else nk / dk
                      for nk, dk in zip(np.atleast_1d(n), np.atleast_1d(d))])
    return np.nan if np.isnan(ratio).all() else float(np.nanmean(ratio))


def curve_terms(rng, trackers=3, sequences=9, columns=4):
    num = rng.random((trackers, sequences, columns))
    den = rng.integers(0, 3, (trackers, sequences, columns)).astype(float)
    num[den == 0] = 0.0
    den[:, :, 3] = 0.0    # a column no sequence reaches: scores 0
    num[:, :, 3] = 0.0
    num[0, 2, 1] = np.nan  # a sequence that makes column 1 undefined for tracker 0
    return num, den


def test_resampled_scores_are_the_scores_of_the_drawn_sequences():
    rng = np.random.default_rng(0)
    num, den = curve_terms(rng)
    terms = S.RatioTerms(num, den)
    resampling = S.Resampling(9, n_boot=50, seed=4)
    counts = resampling.counts
    assert counts.shape == (50, 9) and np.all(counts.sum(axis=1) == 9)
    boot = terms.resampled(counts)
    for b in range(50):
        rows = np.repeat(np.arange(9), counts[b].astype(int))
        for t in range(3):
            assert boot[b, t] == pytest.approx(explicit_score(num[t], den[t], rows), abs=1e-12, nan_ok=True)
    assert not np.isnan(boot).any()  # an undefined column is left out, not the whole score
    jack = terms.jackknife()
    for t in range(3):
        for s in range(9):
            assert jack[t, s] == pytest.approx(explicit_score(num[t], den[t], np.delete(np.arange(9), s)), abs=1e-12)
    assert terms.scores() == pytest.approx([explicit_score(num[t], den[t], np.arange(9)) for t in range(3)])


def test_means_and_seeded_draws():
    values = np.array([[0.5, 0.0, 0.7, 0.2], [0.1, 0.2, 0.3, 0.4]])
    assert S.RatioTerms.means(values).scores() == pytest.approx([0.35, 0.25])
    # OTB leaves empty sequences out of a tracker's mean
    assert S.RatioTerms.means(values, values > 0).scores() == pytest.approx([1.4 / 3, 0.25])
    a, b = S.Resampling(30, n_boot=200, seed=7), S.Resampling(30, n_boot=200, seed=7)
    assert np.array_equal(a.counts, b.counts) and not np.array_equal(a.counts, S.Resampling(30, 200, seed=8).counts)
    assert S.Resampling(16).exact and not S.Resampling(17).exact  # 2^16 <= 100,000 < 2^17
    assert S.Resampling(4).swaps.shape == (16, 4) and len({tuple(r) for r in S.Resampling(4).swaps}) == 16


def _bound_error(boot, alpha):
    """Monte Carlo standard error of the alpha-quantile of B resamples (normal shape)."""
    z = NormalDist().inv_cdf(alpha)
    return np.std(boot) * np.sqrt(alpha * (1 - alpha) / len(boot)) / NormalDist().pdf(z)


@pytest.mark.parametrize("kind", ["mean", "ratio"])
def test_bca_agrees_with_scipy_bootstrap(kind):
    rng = np.random.default_rng(3)
    n = 25  # few, skewed values: BCa and percentile intervals differ clearly
    if kind == "mean":
        values = rng.exponential(1.0, n) ** 2
        terms = S.RatioTerms.means(values[None])
        data, statistic = (values,), lambda x, axis: np.mean(x, axis=axis)
    else:
        den = rng.integers(50, 1500, n).astype(float)
        num = den * rng.beta(0.6, 0.9, n)
        terms = S.RatioTerms(num[None], den[None])
        data = (num, den)

        def statistic(x, y, axis):
            return np.sum(x, axis=axis) / np.sum(y, axis=axis)
    ours = S.confidence_intervals(terms, S.Resampling(n, n_boot=20_000, seed=1))
    kwargs = dict(n_resamples=20_000, random_state=np.random.default_rng(2), paired=kind == "ratio")
    bca = sps.bootstrap(data, statistic, method="BCa", **kwargs).confidence_interval
    percentile = sps.bootstrap(data, statistic, method="percentile", **kwargs).confidence_interval
    boot = terms.resampled(S.Resampling(n, n_boot=20_000, seed=1).counts)[:, 0]
    tolerance = 4 * np.sqrt(2) * _bound_error(boot, 0.025)  # two independent Monte Carlo estimates
    assert abs(ours.low[0] - bca.low) < tolerance and abs(ours.high[0] - bca.high) < tolerance
    # the check can tell the methods apart: the percentile interval is off by more
    assert max(abs(ours.low[0] - percentile.low), abs(ours.high[0] - percentile.high)) > tolerance
    assert ours.level == 0.95 and ours.n_boot == 20_000 and ours.seed == 1


def test_difference_interval_agrees_with_scipy_paired_bootstrap():
    rng = np.random.default_rng(5)
    a = rng.beta(2, 2, 40)
    b = np.clip(a - 0.05 + rng.exponential(0.05, 40) - 0.04, 0, 1)
    comparisons = S.paired_comparisons(S.RatioTerms.means(np.stack([a, b])),
                                       S.Resampling(40, n_boot=20_000, n_permutations=20_000, seed=3))
    ref = sps.bootstrap((a, b), lambda x, y, axis: np.mean(x - y, axis=axis), paired=True, method="BCa",
                        n_resamples=20_000, random_state=np.random.default_rng(4)).confidence_interval
    tolerance = 4 * np.sqrt(2) * np.std(a - b) / np.sqrt(40) * np.sqrt(0.025 * 0.975 / 20_000) / 0.0584
    assert comparisons.delta[0, 1] == pytest.approx(np.mean(a - b))
    assert abs(comparisons.delta_low[0, 1] - ref.low) < tolerance
    assert abs(comparisons.delta_high[0, 1] - ref.high) < tolerance
    assert comparisons.delta_low[1, 0] == -comparisons.delta_high[0, 1]


def test_pair_intervals_are_computed_in_blocks_equal_to_all_at_once(monkeypatch):
    """Many trackers: the pairs' bootstrap differences a block at a time (memory bounded),
    each pair's interval exactly what one pass over all pairs gives."""
    rng = np.random.default_rng(8)
    terms = S.RatioTerms.means(rng.beta(2, 2, (9, 30)))  # 36 pairs
    resampling = S.Resampling(30, n_boot=1_000, n_permutations=500, seed=2)
    monkeypatch.setattr(S, "_BLOCK", 5_000)  # 5 pairs per block
    blocked = S.paired_comparisons(terms, resampling)
    first, second = np.triu_indices(9, 1)
    boot, jack = terms.resampled(resampling.counts), terms.jackknife().T
    scores = terms.scores()
    low, high = S.bca_interval(scores[first] - scores[second], boot[:, first] - boot[:, second],
                               jack[:, first] - jack[:, second])
    assert np.array_equal(blocked.delta_low[first, second], low)
    assert np.array_equal(blocked.delta_high[first, second], high)


def _scipy_paired_p(statistic, n, **kwargs):
    """scipy's paired permutation test of a statistic of sequence indices: tracker A's
    sequences are 0..n-1, B's n..2n-1; a permutation swaps A's and B's sequence i."""
    return sps.permutation_test((np.arange(n), np.arange(n) + n), statistic, permutation_type="samples",
                                vectorized=False, alternative="two-sided", **kwargs).pvalue


@pytest.mark.parametrize("data", ["continuous", "ties"])
def test_exact_p_equals_scipy_for_means(data):
    rng = np.random.default_rng(11)
    n = 12
    values = rng.beta(2, 3, (3, n)) if data == "continuous" else rng.integers(0, 5, (3, n)) / 4
    comparisons = S.paired_comparisons(S.RatioTerms.means(values), S.Resampling(n))
    assert comparisons.exact and comparisons.n_permutations == 2 ** n
    for i, j in ((0, 1), (0, 2), (1, 2)):
        ref = sps.permutation_test((values[i], values[j]), lambda x, y, axis: np.mean(x - y, axis=axis),
                                   permutation_type="samples", n_resamples=np.inf).pvalue
        assert comparisons.p[i, j] == comparisons.p[j, i] == pytest.approx(ref, abs=1e-15)
        assert comparisons.p_se[i, j] == 0


def test_exact_p_equals_scipy_for_ratios_and_curves():
    rng = np.random.default_rng(12)
    n = 10
    num, den = curve_terms(rng, trackers=2, sequences=n)
    for terms in (S.RatioTerms(num[:, :, 0], den[:, :, 0] + 1), S.RatioTerms(num, den)):
        both_num = np.concatenate(terms.num)  # (2n, K): A's sequences, then B's
        both_den = np.concatenate(terms.den)

        def statistic(x, y, num=both_num, den=both_den):
            return explicit_score(num, den, x) - explicit_score(num, den, y)

        p = S.paired_comparisons(terms, S.Resampling(n)).p[0, 1]
        assert 0.05 < p < 1 and p == pytest.approx(_scipy_paired_p(statistic, n, n_resamples=np.inf), abs=1e-15)


def test_monte_carlo_p_within_its_error():
    rng = np.random.default_rng(13)
    n = 30
    a = rng.beta(2, 3, n)
    values = np.stack([a, a + 0.03 + 0.08 * rng.standard_normal(n)])
    comparisons = S.paired_comparisons(S.RatioTerms.means(values), S.Resampling(n, n_permutations=50_000, seed=2))
    assert not comparisons.exact and comparisons.n_permutations == 50_000
    p, se = comparisons.p[0, 1], comparisons.p_se[0, 1]
    ref = sps.permutation_test((values[0], values[1]), lambda x, y, axis: np.mean(x - y, axis=axis),
                               permutation_type="samples", n_resamples=50_000, random_state=3).pvalue
    assert 0.01 < p < 0.5 and se == pytest.approx(np.sqrt(p * (1 - p) / 50_000))
    assert abs(p - ref) < 4 * np.sqrt(2) * se


def test_holm():
    assert S.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert S.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_comparison_table_and_tied_with_best():
    rng = np.random.default_rng(21)
    base = rng.beta(3, 2, 60)
    values = np.stack([base + 0.1 * rng.standard_normal(60),         # indistinguishable from the best
                       base + 0.01,                                   # the best
                       base - 0.2 + 0.01 * rng.standard_normal(60)])  # clearly worse
    comparisons = S.paired_comparisons(S.RatioTerms.means(values), S.Resampling(60, n_boot=2000, seed=1))
    assert np.allclose(comparisons.delta, -comparisons.delta.T) and np.all(np.diag(comparisons.p) == 1)
    assert comparisons.p_holm[1, 2] < 0.001 and comparisons.p_holm[0, 1] > 0.05
    assert np.all(comparisons.p_holm >= comparisons.p)
    assert S.tied_with_best(values.mean(axis=1), comparisons).tolist() == [True, True, False]
    # lower is better (robustness): the worst tracker above is then the best alone
    assert S.tied_with_best(values.mean(axis=1), comparisons, higher_is_better=False).tolist() == [False, False, True]


def test_several_runs():
    values = np.array([[[0.2, 0.4], [0.6, 0.8], [0.1, 0.1]]])  # 1 tracker, 3 sequences, 2 runs
    terms, spread = S.several_runs(values)
    assert terms.scores() == pytest.approx([(0.3 + 0.7 + 0.1) / 3])
    assert spread.per_run[0] == pytest.approx([0.3, 1.3 / 3]) and spread.mean[0] == pytest.approx(terms.scores()[0])
    assert spread.std[0] == pytest.approx(np.std([0.3, 1.3 / 3], ddof=1))
    # a ratio: runs pooled (frames summed), each run scored alone
    num, den = np.array([[[1.0, 3.0], [2.0, 2.0]]]), np.array([[[10.0, 10.0], [5.0, 5.0]]])
    terms, spread = S.several_runs(num, den)
    assert terms.scores() == pytest.approx([8 / 30]) and spread.per_run[0] == pytest.approx([3 / 15, 5 / 15])


# ============================================================================ coverage
def _coverage(terms: S.RatioTerms, truth: float) -> float:
    """Share of the simulated benchmarks (the 'trackers' of ``terms``) whose interval covers
    the truth."""
    ci = S.confidence_intervals(terms, S.Resampling(terms.n_sequences, seed=99))
    return float(np.mean((ci.low <= truth) & (truth <= ci.high)))


def test_intervals_have_nominal_coverage():
    """1,000 benchmarks per case, each drawn from a population with a known score."""
    rng = np.random.default_rng(2024)
    sims = 1000
    # 1. OTB-like: 100 sequences, per-sequence AUCs from a mix of hard sequences (mean
    #    0.05) and easy ones (Beta(4, 2), mean 2/3)
    hard = rng.random((sims, 100)) < 0.15
    auc = np.where(hard, rng.beta(0.5, 9.5, (sims, 100)), rng.beta(4, 2, (sims, 100)))
    truth = 0.15 * 0.05 + 0.85 * 4 / 6
    mean_coverage = _coverage(S.RatioTerms.means(auc), truth)
    # 2. VOT-like ratio: 60 sequences of 50..1500 frames, per-frame accuracy falling with
    #    the length; score = overlaps pooled over frames; truth = E[L p(L)] / E[L]
    lengths = np.arange(50, 1501)
    p_of = 0.75 - 0.3 * (lengths - 50) / 1450
    frames = rng.integers(50, 1501, (sims, 60))
    num = frames * rng.beta(20 * (0.75 - 0.3 * (frames - 50) / 1450), 20 * (0.25 + 0.3 * (frames - 50) / 1450))
    ratio_coverage = _coverage(S.RatioTerms(num, frames), float(np.mean(lengths * p_of) / np.mean(lengths)))
    # 3. several runs: 100 sequences x 5 runs of a stochastic tracker, run-to-run noise as
    #    large as the spread between sequences; the truth is the mean over both
    seq_mean = np.where(rng.random((sims, 100)) < 0.15, 0.05, rng.beta(4, 2, (sims, 100)))
    runs = rng.beta(3 * seq_mean[..., None] + 1e-9, 3 * (1 - seq_mean[..., None]) + 1e-9, (sims, 100, 5))
    terms, _ = S.several_runs(runs)
    runs_coverage = _coverage(terms, 0.15 * 0.05 + 0.85 * 4 / 6)
    assert 0.93 <= mean_coverage <= 0.97, mean_coverage
    assert 0.93 <= ratio_coverage <= 0.97, ratio_coverage
    assert 0.93 <= runs_coverage <= 0.97, runs_coverage
