"""Speed of rasbench.metrics.stats at the sizes issue 16 sets.

* OTB-size table: 18 trackers x 100 sequences, one mean score (success AUC): 10,000
  BCa resamples (target < 2 s on 2 cores), then all 153 pairs (bootstrap of the
  differences + 100,000 permutations each).
* VOT2017 EAO: 10 trackers x 60 sequences x 257 curve lengths (the 100-356 interval):
  1,000 BCa resamples (target < 10 s), then the 45 pairs with 10,000 permutations.

The terms are random arrays of those shapes (time does not depend on the values; the
shared data has 18 OTB trackers but only 2 complete VOT2017 ones). Each timed call starts
from the terms: it draws the resamples (``Resampling``), scores them, and computes the
jackknife and the intervals. The cases run interleaved, ``--repeat`` times; the median
and the range are printed with the machine's load average and core count.

    python benchmarks/stats_speed.py [--repeat N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from rasbench.metrics import stats as S


def otb_terms(rng) -> S.RatioTerms:
    return S.RatioTerms.means(rng.beta(2, 2, (18, 100)))


def eao_terms(rng) -> S.RatioTerms:
    den = rng.uniform(0.5, 2.0, (10, 60, 257))
    return S.RatioTerms(den * rng.beta(2, 3, (10, 60, 257)), den)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    otb, eao = otb_terms(rng), eao_terms(rng)
    cases = {
        "OTB 18 x 100, 10,000 resamples: intervals": lambda seed: S.confidence_intervals(
            otb, S.Resampling(100, seed=seed)),
        "OTB 18 x 100: 153 pairs, 10,000 resamples + 100,000 permutations": lambda seed: S.paired_comparisons(
            otb, S.Resampling(100, seed=seed)),
        "EAO 10 x 60 x 257, 1,000 resamples: intervals": lambda seed: S.confidence_intervals(
            eao, S.Resampling(60, n_boot=1000, seed=seed)),
        "EAO 10 x 60 x 257: 45 pairs, 1,000 resamples + 10,000 permutations": lambda seed: S.paired_comparisons(
            eao, S.Resampling(60, n_boot=1000, n_permutations=10_000, seed=seed)),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    load_before = os.getloadavg()
    for seed in range(args.repeat):
        for name, case in cases.items():  # interleaved, so load changes hit every case alike
            start = time.perf_counter()
            case(seed)
            times[name].append(time.perf_counter() - start)
    load_after = os.getloadavg()
    print(f"{os.cpu_count()} cores; load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
          f"numpy {np.__version__}; {args.repeat} runs each")
    for name, values in times.items():
        print(f"  {name}: median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})")


if __name__ == "__main__":
    main()
