"""Intervals and paired tests on the project's shared real data (issue 16, "must show" 2 and 3).

OTB-2015: the 18 trackers of ../shared/data/otb/results scored on OTB100.json (official
convention) by ``rasbench.evaluation.evaluate``; per-sequence success AUC (and the other
headline means) into :class:`rasbench.metrics.stats.RatioTerms`; BCa intervals, the
all-pairs Holm matrix and which orderings of the 18 are not statistically supported.

VOT2017: DaSiamRPN (third-party VOT2018 re-run, the zip) and Ocean (VOT2018 baseline) by
``rasbench.evaluation.evaluate``; Ocean's files for bag and fish1 are defective (wrong
line counts), so the pair is compared on the 58 sequences both have.

Every point estimate is checked against the report's own number before any interval is
printed. Defaults: 10,000 resamples, seed 0, 95 %, 100,000 permutations.

    python scripts/stats_shared_data.py [--shared-data DIR] [--seed N]
"""
from __future__ import annotations

import argparse
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.evaluation import evaluate
from rasbench.evaluation import evaluate as evaluate_vot
from rasbench.metrics import stats as S
from rasbench.results.discovery import find_tracker_dirs

REPO = Path(__file__).resolve().parents[1]
OTB_MEASURES = ("success_auc", "precision_20", "norm_precision_20", "success_rate_50")


def otb_terms(report, measure: str, sequences: list[str]) -> S.RatioTerms:
    """Per-sequence values of the report's trackers; a sequence whose curve is empty is out
    of that tracker's mean under OTB's rule (only decidable from the value for success
    measures: an empty success curve has AUC 0)."""
    names = list(report.trackers)
    values = np.array([[report.trackers[t].sequences[s][measure] for s in sequences] for t in names])
    if not report.convention.drop_empty_sequences:
        return S.RatioTerms.means(values)
    if measure.startswith("success"):
        auc = np.array([[report.trackers[t].sequences[s]["success_auc"] for s in sequences] for t in names])
        return S.RatioTerms.means(values, auc > 0)
    if np.any(values == 0):
        raise SystemExit(f"{measure}: a sequence scores 0; whether OTB drops it needs its whole curve")
    return S.RatioTerms.means(values)


def otb(shared: Path, seed: int) -> None:
    bench = load_benchmark("otb2015")
    dataset = open_dataset(bench, annotations=shared / "otb/annotations/OTB100.json", images=False)
    dirs = find_tracker_dirs([shared / "otb/results"], bench.name, "ope")
    report = evaluate(bench, "ope", dataset, dirs, "official")
    names = [t.name for t in report.ranked()]
    report.trackers = {n: report.trackers[n] for n in names}
    assert all(t.complete for t in report.trackers.values())
    sequences = list(dataset)
    resampling = S.Resampling(len(sequences), seed=seed)
    print(f"OTB-2015 (OTB100.json, {len(sequences)} sequences, official convention), {len(names)} trackers; "
          f"BCa {resampling.n_boot} resamples, seed {seed}, 95 %")
    results = {}
    for measure in OTB_MEASURES:
        terms = otb_terms(report, measure, sequences)
        reported = np.array([getattr(report.trackers[n].overall, measure) for n in names])
        assert np.allclose(terms.scores(), reported, rtol=0, atol=1e-12), measure
        start = time.perf_counter()
        ci = S.confidence_intervals(terms, resampling)
        comparisons = S.paired_comparisons(terms, resampling)
        results[measure] = (ci, comparisons, time.perf_counter() - start)
    ci, comparisons, seconds = results["success_auc"]
    tied = S.tied_with_best(ci.estimate, comparisons)
    print(f"\n{'tracker':18s} {'AUC':>6s}  95 % interval     {'P@20':>6s}  95 % interval     tied with best")
    p_ci = results["precision_20"][0]
    for i, name in enumerate(names):
        print(f"{name:18s} {ci.estimate[i]:.3f}  [{ci.low[i]:.3f}, {ci.high[i]:.3f}]  "
              f"{p_ci.estimate[i]:.3f}  [{p_ci.low[i]:.3f}, {p_ci.high[i]:.3f}]  {'=' if tied[i] else ''}")
    print(f"(intervals and {len(names) * (len(names) - 1) // 2} pairs with {comparisons.n_permutations} "
          f"permutations: {seconds:.2f} s)")
    print("\nHolm-adjusted paired permutation p-values, success AUC (row minus column; * p_holm < 0.05):")
    short = [n[:6] for n in names]
    print(" " * 18 + " ".join(f"{s:>6s}" for s in short))
    for i, name in enumerate(names):
        cells = []
        for j in range(len(names)):
            if i == j:
                cells.append("     -")
            else:
                p = comparisons.p_holm[i, j]
                cells.append(f"{'<.001' if p < 0.001 else f'{p:.3f}':>5s}{'*' if p < 0.05 else ' '}")
        print(f"{name:18s} " + " ".join(cells))
    unsupported = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))
                   if comparisons.p_holm[i, j] >= 0.05]
    print(f"\n{len(unsupported)} of the {len(names) * (len(names) - 1) // 2} orderings are not statistically "
          f"supported (p_holm >= 0.05); between neighbours in the ranking:")
    for i in range(len(names) - 1):
        if comparisons.p_holm[i, i + 1] >= 0.05:
            print(f"  {names[i]:18s} > {names[i + 1]:18s} delta {comparisons.delta[i, i + 1]:+.4f} "
                  f"[{comparisons.delta_low[i, i + 1]:+.4f}, {comparisons.delta_high[i, i + 1]:+.4f}]  "
                  f"p {comparisons.p[i, i + 1]:.4f} (MC se {comparisons.p_se[i, i + 1]:.4f})  "
                  f"p_holm {comparisons.p_holm[i, i + 1]:.3f}")
    print("Neighbours whose order IS supported:",
          ", ".join(f"{names[i]} > {names[i + 1]}" for i in range(len(names) - 1)
                    if comparisons.p_holm[i, i + 1] < 0.05) or "none")


def vot(shared: Path, seed: int) -> None:
    bench = load_benchmark("vot2017")
    dataset = open_dataset(bench, annotations=shared / "vot2017/annotations/VOT2018.json", images=False,
                           experiment="baseline")
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(shared / "vot2017/results/DaSiamRPN_vot2018_rerun_HonglinChu.zip") as z:
            z.extractall(tmp)
        dirs = find_tracker_dirs([shared / "vot2017/results", Path(tmp) / "VOT2018"], "vot2017", "baseline")
        dirs = {"DaSiamRPN": dirs["DaSiamRPN"], "Ocean": dirs["Ocean_vot2018"]}
        for convention in ("official", "pysot"):
            full = evaluate_vot(bench, "baseline", dataset, dirs, convention)
            common = [s for s in dataset if all(s in t.sequences for t in full.trackers.values())]
            left_out = {n: sorted(t.problems) for n, t in full.trackers.items() if t.problems}
            print(f"\nVOT2017 baseline, convention {convention}, EAO over lengths "
                  f"{full.eao_interval[0]}-{full.eao_interval[1]}")
            complete = {n: t for n, t in full.trackers.items() if t.complete}
            vot_table(complete, f"complete trackers on all {len(dataset)} sequences", seed)
            # the pair on the sequences both have, scored afresh on that subset
            pair = evaluate_vot(bench, "baseline", dataset.subset(common), dirs, convention)
            vot_table(pair.trackers, f"on the {len(common)} sequences both have (left out: {left_out})", seed)


def vot_table(trackers: dict, title: str, seed: int) -> None:
    names = list(trackers)
    n_sequences = len(trackers[names[0]].sequences)
    print(f"  {', '.join(names)} {title}:")
    resampling = S.Resampling(n_sequences, seed=seed)
    for score in ("eao", "accuracy", "robustness", "failures"):
        terms = S.RatioTerms.stack(trackers[n].sequence_terms[score] for n in names)
        reported = np.array([trackers[n].scores[score] for n in names])
        tolerance = 1e-6 if score == "eao" else 1e-12  # pysot keeps its EAO curve in float32
        assert np.allclose(terms.scores(), reported, rtol=0, atol=tolerance), (score, terms.scores(), reported)
        start = time.perf_counter()
        ci = S.confidence_intervals(terms, resampling)
        line = "; ".join(f"{n} {ci.estimate[i]:.4f} [{ci.low[i]:.4f}, {ci.high[i]:.4f}]" for i, n in enumerate(names))
        if len(names) > 1:
            c = S.paired_comparisons(terms, resampling)
            line += (f"; {names[0]} - {names[1]} {c.delta[0, 1]:+.4f} [{c.delta_low[0, 1]:+.4f}, "
                     f"{c.delta_high[0, 1]:+.4f}], p = {c.p[0, 1]:.4f} (Monte Carlo se {c.p_se[0, 1]:.4f}, "
                     f"{c.n_permutations} permutations)")
        print(f"    {score:10s} {line}  [{time.perf_counter() - start:.2f} s]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--seed", type=int, default=S.SEED)
    args = parser.parse_args()
    otb(args.shared_data, args.seed)
    vot(args.shared_data, args.seed)


if __name__ == "__main__":
    main()
