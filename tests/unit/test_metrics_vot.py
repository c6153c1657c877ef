"""VOT metrics: burn-in, accuracy / robustness, EAO, unsupervised AO, EAO interval.

vot-toolkit's analysis functions are driven directly on in-memory trajectories and must
agree to 1e-6 (in practice to float32 rounding of its EAO arrays). The VOT MATLAB toolkit
and pysot-toolkit are not installed, so their EAO loops are transcribed here as plain
scalar code (read from estimate_expected_overlap.m and eao_benchmark.py) and the
vectorised implementation is compared with them; hand-built cases pin the rules on which
the toolkits differ. Real data (shared/data) checks published numbers.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from vot_toolkit_reference import vot_toolkit_reference

from rasbench.geometry import Regions, parse_regions
from rasbench.metrics import stats as S
from rasbench.metrics import vot as V


# ============================================================================ helpers
def layout_of(*run_lengths_and_groups):
    lengths = [n for n, _ in run_lengths_and_groups]
    groups = [g for _, g in run_lengths_and_groups]
    return V.RunLayout.from_lengths(lengths, groups)


def simulate(seed, n_seq=6, runs=3, fail_rate=0.04):
    """Synthetic baseline results: rotated-box ground truth, rectangle predictions near it,
    failures (a prediction far away) followed by 4 skipped frames and a re-init at f + 5,
    as the VOT protocol writes them. Returns lines per run and GT lines per sequence."""
    rng = np.random.default_rng(seed)
    seqs = []
    for s in range(n_seq):
        n = int(rng.integers(40, 160))
        size = (int(rng.integers(160, 320)), int(rng.integers(120, 240)))
        c = np.array([size[0] / 2, size[1] / 2]) + np.cumsum(rng.normal(0, 2, (n, 2)), axis=0)
        wh = rng.uniform(20, 60, 2)
        ang = rng.uniform(-0.4, 0.4) + np.cumsum(rng.normal(0, 0.02, n))
        gt = []
        for t in range(n):
            rot = np.array([[np.cos(ang[t]), -np.sin(ang[t])], [np.sin(ang[t]), np.cos(ang[t])]])
            p = (np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]) * wh) @ rot.T + c[t]
            gt.append(",".join(f"{v:.2f}" for v in p.ravel()))
        tags = {"occlusion": rng.random(n) < 0.3, "camera_motion": rng.random(n) < 0.5}
        run_lines = []
        for _ in range(runs):
            lines, t = [], 0
            while t < n:
                lines.append("1")
                t += 1
                while t < n:
                    p = np.array(gt[t].split(","), float).reshape(4, 2)
                    x0, y0 = p.min(0) + rng.normal(0, 3, 2)
                    w, h = p.max(0) - p.min(0) + rng.normal(0, 3, 2)
                    if rng.random() < fail_rate:
                        lines.append("2")
                        skip = min(4, n - t - 1)
                        lines += ["0"] * skip
                        t += 1 + skip
                        break
                    lines.append(f"{x0:.3f},{y0:.3f},{w:.3f},{h:.3f}" if rng.random() > 0.1 else
                                 ",".join(f"{v:.3f}" for v in (p + rng.normal(0, 2, p.shape)).ravel()))
                    t += 1
            run_lines.append(lines[:n])
        seqs.append(dict(name=f"s{s}", gt=gt, size=size, runs=run_lines, tags=tags))
    return seqs


def concat(seqs):
    """Regions, sizes and layout of all runs (the way a loader would build them)."""
    preds, gts, sizes, lengths, groups, tags = [], [], [], [], [], {}
    for s, seq in enumerate(seqs):
        gt = parse_regions(seq["gt"])
        for lines in seq["runs"]:
            preds.append(parse_regions(lines))
            gts.append(gt)
            sizes.append(np.tile(seq["size"], (len(gt), 1)))
            lengths.append(len(gt))
            groups.append(s)
            for k, v in seq.get("tags", {}).items():
                tags.setdefault(k, []).append(v)
    return (Regions.concat(preds), Regions.concat(gts), np.concatenate(sizes),
            V.RunLayout.from_lengths(lengths, groups), {k: np.concatenate(v) for k, v in tags.items()})


# ============================================================================ basics
def test_layout_and_burnin():
    lay = layout_of((12, 0), (12, 0), (5, 1))
    assert lay.lengths.tolist() == [12, 12, 5]
    assert lay.sequence_lengths.tolist() == [12, 5] and lay.runs_per_sequence.tolist() == [2, 1]
    codes = np.full(29, -1)
    codes[[0, 12, 24]] = 1          # inits at each run start
    codes[[17, 18, 19, 20]] = [2, 0, 0, 0]
    codes[21] = 1                   # re-init 3 frames before the end of run 2
    mask = V.burnin_mask(codes, lay, 10)
    # the burn-in never crosses into the next run
    assert np.flatnonzero(mask).tolist() == list(range(0, 10)) + list(range(12, 24)) + list(range(24, 29))
    assert not V.burnin_mask(codes, lay, 0).any()
    with pytest.raises(ValueError):
        _ = V.RunLayout.from_lengths([3, 4], [0, 0]).sequence_lengths


def test_select_frames_applies_burnin_after_selection():
    lay = layout_of((15, 0))
    codes = np.full(15, -1)
    codes[0] = 1
    keep = np.ones(15, bool)
    keep[0] = False  # the init frame lacks the tag
    sub, cd, ov = V.select_frames(keep, lay, codes, np.linspace(0.1, 0.9, 15))
    assert sub.lengths.tolist() == [14]
    assert not V.burnin_mask(cd, sub, 10).any()  # no init left in the selection: no burn-in


def test_accuracy_robustness_hand_example():
    # one sequence of 14 frames, two runs; burn-in 10 leaves frames 10..13
    lay = layout_of((14, 0), (14, 0))
    codes = np.full(28, -1)
    codes[[0, 14]] = 1
    ov = np.full(28, 0.5)
    ov[[0, 14]] = np.nan
    ov[10:14] = [0.2, 0.4, np.nan, 0.8]     # run 1: frame 12 unknown overlap (NaN)
    ov[24:28] = [0.6, 0.6, 0.6, 0.6]
    codes[13] = 2                           # a failure in run 1 at frame 13
    ov[13] = np.nan
    for name in ("official", "pysot"):
        r = V.accuracy_robustness(ov, codes, lay, name, burnin=10)
        # pooled: frame means over runs (0.4, 0.5, 0.6, 0.6) -> mean 0.525
        assert r.accuracy == pytest.approx((0.4 + 0.5 + 0.6 + 0.6) / 4)
        assert r.failures == 0.5 and r.failure_rate == pytest.approx(0.5 / 14)
        assert r.robustness == pytest.approx(100 * 0.5 / 14)
        assert r.ar_robustness == pytest.approx(math.exp(-30 * 0.5 / 14))
    ov_vp = np.where(np.isnan(ov), 0.0, ov)  # vot-toolkit scores special frames as 0
    r = V.accuracy_robustness(ov_vp, codes, lay, "vot-toolkit", burnin=10)
    # per run: run 1 = mean(0.2, 0.4, 0.0) (frame 12 holds a region scoring 0), run 2 = 0.6
    assert r.accuracy == pytest.approx((0.2 + 0.4 + 0.0) / 3 / 2 + 0.3)
    assert r.failures == pytest.approx(0.5)
    assert r.ar_robustness == pytest.approx(math.exp(-30 * 0.5 / 14))


def test_tag_average():
    res = {"a": V.ARResult(0.5, 2, 0.1, 10, 0, 100, *[np.zeros(0)] * 7),
           "b": V.ARResult(0.8, 1, 0.05, 5, 0, 300, *[np.zeros(0)] * 7),
           "c": V.ARResult(0.0, 0, 0.0, 0, 0, 0, *[np.zeros(0)] * 7)}
    acc, fail, rate = V.tag_average(res)
    assert acc == pytest.approx((0.5 * 100 + 0.8 * 300) / 400) and fail == pytest.approx(1.25)
    assert V.tag_average(res, "mean")[0] == pytest.approx(1.3 / 3)


# ============================================================================ EAO references
def ref_matlab_eao(runs, seq_of_run, L, skip=5, tags=None):
    """Scalar transcription of VOT-M estimate_expected_overlap.m (1-based comments)."""
    occurrences = np.bincount(seq_of_run)
    frags, weights = [], []
    for i, (ov, codes) in enumerate(runs):
        n = len(ov)
        tag = np.ones(n, bool) if tags is None else tags[i]
        sw = 1.0 / occurrences[seq_of_run[i]]
        failures = [t + 1 for t in range(n) if codes[t] == 2]          # 1-based
        if failures:
            points = [1] + [f + skip for f in failures if f + skip <= n]
            for j in range(len(points) - 1):
                o = np.array(ov[points[j] - 1:points[j + 1]], float)
                o[np.isnan(o)] = 0
                row = np.zeros(L)
                row[:min(len(o), L)] = o[:L]
                frags.append(row)
                weights.append(sw * tag[points[j] - 1:points[j + 1]].sum() / (points[j + 1] - points[j] + 1))
            o = np.array(ov[points[-1] - 1:], float)
            o[np.isnan(o)] = 0
            row = np.full(L, np.nan)
            row[:min(len(o), L)] = o[:L]
            frags.append(row)
            weights.append(sw * tag[points[-1] - 1:].sum() / (n - points[-1] + 1))
        else:
            row = np.full(L, np.nan)
            if n >= L:
                row[:] = ov[:L]
                w = tag[:L].sum() / L
            else:
                row[:n] = ov
                w = tag.sum() / n
            frags.append(row)
            weights.append(sw * w)
    frags, weights = np.array(frags), np.array(weights)
    curve = np.zeros(L)
    for length in range(1, L + 1):
        if length == 1:
            curve[0] = 1
            continue
        usable = ~np.isnan(frags[:, length - 1])
        if not usable.any():
            continue
        curve[length - 1] = np.sum(np.mean(frags[usable, 1:length], axis=1) * weights[usable]) / weights[usable].sum()
    return curve


def ref_pysot_eao(runs, seq_of_run, L, skip=5, runs_last=None):
    """Scalar transcription of pysot-toolkit EAOBenchmark._calculate_eao (tag 'all')."""
    seq_weight = 1 / runs_last
    frags, weights = [], []
    for ov, codes in runs:
        n = len(ov)
        failures = [t for t in range(n) if codes[t] == 2]
        if failures:
            points = [0] + [x + skip for x in failures if x + skip <= n]
            for i in range(len(points)):
                if i != len(points) - 1:
                    frag = np.array(ov[points[i]:points[i + 1] + 1], float)
                    row = np.zeros(L)
                else:
                    frag = np.array(ov[points[i]:], float)
                    row = np.full(L, np.nan)
                frag[np.isnan(frag)] = 0
                row[:len(frag)] = frag
                frags.append(row)
                if i != len(points) - 1:
                    w = len(ov[points[i]:points[i + 1] + 1]) / (points[i + 1] - points[i] + 1)
                else:
                    w = len(ov[points[i]:n]) / (n - points[i] + 1e-16)
                weights.append(seq_weight * w)
        else:
            m = min(n, L)
            row = np.full(L, np.nan)
            row[:m] = ov[:m]
            frags.append(row)
            weights.append(seq_weight * 1.0)
    frags, weights = np.array(frags), np.array(weights)
    eo = np.zeros(L, np.float32)
    eo[0] = 1
    for i in range(1, L):
        mask = ~np.isnan(frags[:, i])
        if mask.any():
            f = frags[mask, 1:i + 1]
            eo[i] = np.sum(np.sum(f, 1) / f.shape[1] * weights[mask]) / np.sum(weights[mask])
    return eo.astype(np.float64)


def split_runs(ov, codes, layout):
    return [(ov[s:s + n], codes[s:s + n]) for s, n in zip(layout.starts, layout.lengths)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eao_matches_scalar_transcriptions(seed):
    seqs = simulate(seed, n_seq=5, runs=3, fail_rate=0.06)
    # make sure the VOT-M / pysot disagreement is exercised: a failure at 1-based N - 4
    lines = seqs[0]["runs"][0]
    n = len(lines)
    lines[n - 5:] = ["2", "0", "0", "0", "0"]
    seqs[1]["runs"] = seqs[1]["runs"][:2]   # sequences with different run counts
    pred, gt, sizes, lay, tags = concat(seqs)
    codes = pred.codes()
    L = int(lay.sequence_lengths.max())
    seq_of_run = lay.sequence_of_run
    for conv in ("official", "pysot"):
        ov = V.run_overlaps(pred, gt, sizes, conv, "eao")
        ours = V.eao_curve(V.eao_fragments(ov, codes, lay, conv, max_length=L, skip_initialize=5), conv)
        runs = split_runs(ov, codes, lay)
        if conv == "official":
            ref = ref_matlab_eao(runs, seq_of_run, L)
            run_tags = [tags["occlusion"][s:s + m] for s, m in zip(lay.starts, lay.lengths)]
            ours_tag = V.eao_curve(V.eao_fragments(ov, codes, lay, conv, max_length=L, tag=tags["occlusion"],
                                                    skip_initialize=5), conv)
            assert np.allclose(ours_tag, ref_matlab_eao(runs, seq_of_run, L, tags=run_tags), atol=1e-12, equal_nan=True)
        else:
            ref = ref_pysot_eao(runs, seq_of_run, L, runs_last=lay.runs_per_sequence[-1])
        assert np.allclose(ours, ref, atol=1e-12, equal_nan=True)
        score = V.eao_score(ours, 20, 60, conv)
        assert score == pytest.approx(np.nanmean(ref[19:60]), abs=1e-12)


def test_eao_rules_differ_as_documented():
    # one sequence of 30 frames, one run, failure at 1-based frame 26 = N - 4
    lay = layout_of((30, 0))
    codes = np.full(30, -1)
    codes[0] = 1
    codes[25:30] = [2, 0, 0, 0, 0]
    ov = np.full(30, 0.5)
    ov[0] = np.nan
    ov[25:] = np.nan
    m = V.eao_fragments(ov, codes, lay, "official", skip_initialize=5)
    p = V.eao_fragments(ov, codes, lay, "pysot", skip_initialize=5)
    # VOT-M drops the point 31 > N: one open fragment 1..30, zeros after the failure
    assert m.values.shape == (1, 30) and m.success.tolist() == [True]
    assert m.values[0, 25:].tolist() == [0] * 5
    # pysot keeps the 0-based point 30 = N: a failed (zero-padded) fragment to the end
    assert p.values.shape == (1, 30) and p.success.tolist() == [False]
    assert p.weights[0] == pytest.approx(30 / 31)
    cm, cp = V.eao_curve(m, "official"), V.eao_curve(p, "pysot")
    assert cm[0] == 1 and cp[0] == 1
    assert cm[29] == pytest.approx(0.5 * 24 / 29) and cp[29] == pytest.approx(np.float32(0.5 * 24 / 29))
    # VOT-Py: fragment [init, failure) padded with zeros; its curve[0] is the init overlap
    ov_vp = np.where(np.isnan(ov), 0.0, ov)
    v = V.eao_fragments(ov_vp, codes, lay, "vot-toolkit", skip_initialize=5)
    assert v.values.shape == (1, 25) and v.success.tolist() == [False]
    cv = V.eao_curve(v, "vot-toolkit")
    assert cv[0] == 0 and cv[24] == pytest.approx(0.5)
    # score indexing: VOT-M lengths low..high, VOT-Py curve[low:high+1]
    curve = np.arange(10, dtype=float)
    assert V.eao_score(curve, 2, 4, "official") == pytest.approx(2.0)
    assert V.eao_score(curve, 2, 4, "vot-toolkit") == pytest.approx(3.0)


def test_eao_no_failure_keeps_nan():
    # VOT-M: a run without failure keeps NaN overlaps (not zeroed): lengths reaching past a
    # NaN frame give a NaN curve value, which the score skips
    lay = layout_of((12, 0))
    codes = np.full(12, -1)
    codes[0] = 1
    ov = np.full(12, 0.5)
    ov[0] = np.nan
    ov[5] = np.nan
    curve = V.eao_curve(V.eao_fragments(ov, codes, lay, "official", skip_initialize=5), "official")
    assert curve[4] == 0.5 and curve[5] == 0.0 and np.isnan(curve[6:]).all()
    assert V.eao_score(curve, 2, 12, "official") == pytest.approx((0.5 * 4 + 0.0) / 5)


@pytest.mark.parametrize("convention", ["official", "pysot", "vot-toolkit"])
def test_sequence_terms_reproduce_the_scores(convention):
    """Per-sequence ratio terms (the bootstrap's input) sum to each score, and EAO terms of
    a subset of sequences give the EAO computed on that subset alone."""
    seqs = simulate(3, n_seq=6, runs=3, fail_rate=0.06)
    seqs[1]["runs"] = seqs[1]["runs"][:2]   # run counts differ between sequences
    pred, gt, sizes, lay, tags = concat(seqs)
    codes = pred.codes()
    ov = V.analysis_overlaps(pred, gt, sizes, convention, ("accuracy", "eao"))
    ar = V.accuracy_robustness(ov["accuracy"], codes, lay, convention, burnin=10)
    terms = ar.ratio_terms()
    for score in ("accuracy", "failures", "robustness"):
        num, den = terms[score]
        assert num.sum() / den.sum() == pytest.approx(getattr(ar, score), rel=1e-12), score
    low, high = 20, 60
    tolerance = 1e-12 if convention == "official" else 1e-6  # pysot, VOT-Py: float32 curves
    for tag in (None, tags["occlusion"]):
        fragments = V.eao_fragments(ov["eao"], codes, lay, convention, tag=tag, skip_initialize=5)
        curve = V.eao_curve(fragments, convention)
        num, den = V.eao_sequence_terms(fragments, lay, convention, low, high)
        assert num.shape == (6, high - low + 1)
        assert S.RatioTerms(num[None], den[None]).scores()[0] == pytest.approx(
            V.eao_score(curve, low, high, convention), abs=tolerance)
    if convention == "pysot":
        return  # pysot weights every fragment by the run count of the last sequence
    keep = [0, 2, 5]
    sub_pred, sub_gt, sub_sizes, sub_lay, _ = concat([seqs[i] for i in keep])
    sub_ov = V.run_overlaps(sub_pred, sub_gt, sub_sizes, convention, "eao")
    sub_eao, _ = V.expected_average_overlap(sub_ov, sub_pred.codes(), sub_lay, convention, 5, 30,
                                          skip_initialize=5)
    num, den = V.eao_sequence_terms(V.eao_fragments(ov["eao"], codes, lay, convention, skip_initialize=5), lay,
                                  convention, 5, 30)
    assert S.RatioTerms(num[None, keep], den[None, keep]).scores()[0] == pytest.approx(sub_eao, abs=tolerance)


@pytest.mark.parametrize("seed", [3, 4])
def test_matches_vot_toolkit_analysis(seed):
    pytest.importorskip("vot.analysis.supervised")
    seqs = simulate(seed, n_seq=6, runs=3)
    for (s, r), code in (((2, 1), "0"), ((3, 0), "3")):
        # a stray unknown frame / an unusual special code in place of a tracked frame
        lines = seqs[s]["runs"][r]
        lines[next(i for i in range(12, len(lines)) if "," in lines[i])] = code
    pred, gt, sizes, lay, _ = concat(seqs)
    codes = pred.codes()
    ov = V.run_overlaps(pred, gt, sizes, "vot-toolkit", "accuracy")
    ar = V.accuracy_robustness(ov, codes, lay, "vot-toolkit", burnin=10)
    eao, curve = V.expected_average_overlap(ov, codes, lay, "vot-toolkit", 20, 60, skip_initialize=5)
    ao = V.unsupervised_average_overlap(ov, codes, lay, "vot-toolkit", burnin=10)
    acc_ref, fail_ref, ar_ref, curve_ref, ao_ref = vot_toolkit_reference(seqs)
    assert abs(ar.accuracy - acc_ref) <= 1e-12
    assert abs(ar.failures - fail_ref) <= 1e-12
    assert abs(ar.ar_robustness - ar_ref) <= 1e-12
    assert len(curve) == len(curve_ref)
    assert np.nanmax(np.abs(curve - curve_ref)) <= 1e-6
    assert abs(eao - float(np.mean(curve_ref[20:61]))) <= 1e-6
    assert abs(ao - ao_ref) <= 1e-12


def test_unsupervised_vot_matlab():
    lay = layout_of((5, 0), (3, 1))
    codes = np.array([1, -1, -1, -1, -1, 1, -1, -1])
    ov = np.array([np.nan, 0.5, 0.7, np.nan, 0.9, np.nan, 0.4, 0.4])
    # NaN (init frame, unknown overlap) count as 0 and stay in the denominator
    assert V.unsupervised_average_overlap(ov, codes, lay, "official", burnin=10) == \
        pytest.approx((0.5 + 0.7 + 0.9 + 0.8) / 8)


# ============================================================================ EAO interval
def test_eao_interval_runs_and_is_central():
    lengths = np.random.default_rng(0).integers(50, 600, 40)
    low, high, peak = V.eao_interval(lengths)
    assert 1 <= low <= peak <= high <= lengths.max()


def test_analysis_overlaps_reuse_and_conventions():
    """Overlaps for several analyses computed at once equal separate computations (the
    second bound is only re-rasterised where a region reaches the image border)."""
    rng = np.random.default_rng(9)
    n = 3000
    xy = rng.uniform(-10, 130, (n, 2))
    wh = rng.uniform(1, 40, (n, 2))
    pred = Regions.rectangles(np.concatenate([xy, wh], axis=1))
    ang = rng.uniform(0, np.pi, n)
    corners = np.stack([np.cos(ang), np.sin(ang)], 1)[:, None, :] * rng.uniform(5, 25, (n, 1, 1)) * \
        np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]])[None] + (xy + wh / 2)[:, None, :]
    gt = Regions.polygons(corners.reshape(n, 8))
    sizes = np.tile([120, 90], (n, 1))
    for conv in ("official", "pysot", "vot-toolkit", "official-vot2015"):
        c = V.vot_convention(conv)
        both = V.analysis_overlaps(pred, gt, sizes, conv, ("accuracy", "eao"))
        for analysis, pad in (("accuracy", c.accuracy_bounds_pad), ("eao", c.eao_bounds_pad)):
            direct = V.region_overlaps(pred, gt, None if not c.bounded else sizes + pad, c.overlap)
            assert np.array_equal(np.nan_to_num(both[analysis], nan=-1), np.nan_to_num(direct, nan=-1))
    assert not np.array_equal(np.nan_to_num(V.run_overlaps(pred, gt, sizes, "official", "accuracy"), nan=-1),
                              np.nan_to_num(V.run_overlaps(pred, gt, sizes, "official", "eao"), nan=-1))
