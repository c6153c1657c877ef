"""OTB metric functions against hand-computed values and the toolkits' documented rules."""
import math

import numpy as np
import pytest

from rasbench.config.conventions import matlab_colon, otb_convention
from rasbench.metrics import otb as M


def test_iou_reference_value_same_in_all_rules():
    # protocols.md §1.1: (1,1,100,100) vs (50,50,100,100) -> 0.1494913... in every toolkit
    a = np.array([[1, 1, 100, 100.0]])
    b = np.array([[50, 50, 100, 100.0]])
    inter = 51 * 51
    exact = inter / (2 * 100 * 100 - inter)
    for rule in ("otb", "got10k", "pysot"):
        assert M.overlap(a, b, rule)[0] == pytest.approx(exact, abs=1e-15)
    assert exact == pytest.approx(0.1494913, abs=1e-7)


def test_iou_rules_differ_only_where_documented():
    a = np.array([[0, 0, 0, 0.0], [np.nan, 1, 5, 5]])
    b = np.array([[0, 0, 0, 0.0], [1, 1, 5, 5]])
    otb = M.overlap(a, b, "otb")
    g10 = M.overlap(a, b, "got10k")
    assert math.isnan(otb[0]) and g10[0] == 0.0  # 0/0: OTB keeps NaN, got10k's eps gives 0
    # MATLAB min/max ignore NaN: a NaN x makes the intersection use the other box's extent.
    assert otb[1] == pytest.approx(1.0)
    assert math.isnan(g10[1]) and math.isnan(M.overlap(a, b, "pysot")[1])


def test_auc_of_a_perfect_tracker_is_20_over_21():
    gt = np.tile([5.0, 5, 20, 20], (50, 1))
    conv = otb_convention("official")
    m = M.frame_measures(gt, gt, np.array([0]), conv)
    counts = M.run_curve_counts(m, conv)
    curves = M.sequence_curves(counts, m.lengths, np.array([0]))
    assert M.auc(curves.success[0]) == pytest.approx(20 / 21, abs=1e-15)
    assert curves.precision[0][0] == 1.0  # centre error 0 <= 0


def test_auc_equals_per_frame_ceil_rule():
    # Each frame with IoU u in (0, 1] contributes ceil(20u)/21 to the AUC.
    rng = np.random.default_rng(0)
    iou = rng.uniform(0.001, 0.999, 1000)
    curve = (iou[:, None] > np.linspace(0, 1, 21)[None]).mean(axis=0)
    assert M.auc(curve) == pytest.approx(np.mean(np.ceil(20 * iou)) / 21, abs=1e-12)


def test_success_is_strict_and_precision_inclusive():
    values = np.array([0.5, 20.0])
    starts = np.array([0])
    assert M.run_counts(values[:1], np.array([0.5]), starts, above=True)[0, 0] == 0
    assert M.run_counts(values[1:], np.array([20.0]), starts, above=False)[0, 0] == 1


def test_invalid_ground_truth_fails_success_but_passes_precision():
    gt = np.array([[5, 5, 10, 10.0], [0, 5, 10, 10], [5, 5, 0, 0], [5, 5, 10, 10]])
    pred = np.array([[5, 5, 10, 10.0], [90, 90, 10, 10], [90, 90, 10, 10], [90, 90, 10, 10]])
    conv = otb_convention("official")
    m = M.frame_measures(pred, gt, np.array([0]), conv)
    assert list(m.overlap[1:3]) == [-1, -1] and list(m.centre_error[1:3]) == [-1, -1]
    counts = M.run_curve_counts(m, conv)
    # frame 1 (first frame := GT) and the two invalid frames are precision hits at every threshold
    assert counts[1][0].tolist() == [3] * 51
    assert counts[0][0, 0] == 1  # only the first frame has IoU > 0
    g10 = M.frame_measures(pred, gt, np.array([0]), otb_convention("got10k"))
    assert g10.overlap[1] == 0 and g10.centre_error[1] > 0  # got10k scores them like any frame


def test_repair_uses_previous_repaired_box_before_first_frame_replacement():
    gt = np.tile([10.0, 10, 10, 10], (5, 1))
    pred = np.array([
        [50, 50, 10, 10.0],  # tracker's own first box (SiamRPN-style junk)
        [np.nan] * 4,  # all NaN -> previous *tracker* box, not the GT
        [12, 12, 0, 10],  # w <= 0 -> repaired again
        [np.nan, 10, 10, 10],  # partly NaN: MATLAB's if(all(...)) leaves it
        [11, 11, 10, 10],
    ])
    repaired = M.repair_results(pred, gt, np.array([0]))
    assert repaired[1].tolist() == [50, 50, 10, 10]
    assert repaired[2].tolist() == [50, 50, 10, 10]
    assert np.isnan(repaired[3, 0])
    m = M.frame_measures(pred, gt, np.array([0]), otb_convention("official"))
    assert m.overlap[0] == 1.0 and m.overlap[1] == 0.0


def test_repair_does_not_cross_runs():
    gt = np.tile([10.0, 10, 10, 10], (4, 1))
    pred = np.array([[10, 10, 10, 10.0], [np.nan] * 4, [20, 20, 10, 10], [np.nan] * 4])
    repaired = M.repair_results(pred, gt, np.array([0, 2]))
    assert repaired[1].tolist() == [10, 10, 10, 10]
    assert repaired[3].tolist() == [20, 20, 10, 10]


def test_drop_empty_sequences_only_under_official():
    curves = np.array([[0.0] * 21, [1.0] * 20 + [0.0]])
    assert M.mean_curve(curves, drop_empty=True)[0] == 1.0
    assert M.mean_curve(curves, drop_empty=False)[0] == 0.5


def test_pooling_runs_is_frame_weighted_within_a_sequence():
    counts = (np.array([[10], [0], [6]]),) * 3
    curves = M.sequence_curves(counts, np.array([10, 30, 6]), np.array([0, 0, 1]))
    assert curves.success[:, 0].tolist() == [10 / 40, 1.0]


def test_speed_rules():
    times = np.array([0.5, 0.1, 0.1, 0.2])
    assert M.sequence_fps(times, "update_frames") == pytest.approx(3 / 0.4)
    assert M.sequence_fps(times, "got10k") == pytest.approx(np.mean(1 / times))
    assert M.sequence_fps(np.array([0.5]), "update_frames") is None
    assert M.mean_fps([10.0, None, 20.0], "update_frames") == 15.0


# MATLAB's 0:0.05:1 (the OTB toolkit's thresholdSetOverlap) bit for bit
MATLAB_0_005_1 = [
    "0x0.0p+0", "0x1.999999999999ap-5", "0x1.999999999999ap-4", "0x1.3333333333334p-3",
    "0x1.999999999999ap-3", "0x1.0000000000000p-2", "0x1.3333333333334p-2", "0x1.6666666666667p-2",
    "0x1.999999999999ap-2", "0x1.ccccccccccccdp-2", "0x1.0000000000000p-1", "0x1.199999999999ap-1",
    "0x1.3333333333333p-1", "0x1.4ccccccccccccp-1", "0x1.6666666666666p-1", "0x1.8000000000000p-1",
    "0x1.999999999999ap-1", "0x1.b333333333333p-1", "0x1.ccccccccccccdp-1", "0x1.e666666666666p-1",
    "0x1.0000000000000p+0",
]


def test_official_success_thresholds_are_matlabs_colon_bit_for_bit():
    official = otb_convention("official").success_thresholds
    assert [float.hex(t) for t in official] == MATLAB_0_005_1
    assert [float.hex(t) for t in matlab_colon(0.0, 0.05, 1.0)] == MATLAB_0_005_1
    numpy_grid = np.linspace(0, 1, 21)
    assert np.flatnonzero(np.array(official) != numpy_grid).tolist() == [12, 13, 14, 17, 19]  # 0.6 .. 0.95
    assert official[6] == numpy_grid[6] == 0.30000000000000004  # 0.3 is the same in both


def test_matlab_colon_reproduces_documented_matlab_output():
    # MATLAB Answers "How does the COLON operator work?" (2012): in MATLAB,
    # (0:0.1:0.3) - (0:0.1:0.4)(1:end-1) is [0 0 -2.7756e-17 -5.5511e-17].
    difference = matlab_colon(0.0, 0.1, 0.3) - matlab_colon(0.0, 0.1, 0.4)[:-1]
    assert difference.tolist() == [0.0, 0.0, -2.0 ** -55, -2.0 ** -54]
    # MathWorks 1-4FLI96: -1:0.01:1 is 201 numbers centred symmetrically about zero.
    values = matlab_colon(-1.0, 0.01, 1.0)
    assert len(values) == 201 and np.array_equal(values, -values[::-1]) and values[100] == 0.0
    # a stop off the grid is not reached: 7:0.3:8 is 7, 7.3, 7.6, 7.9
    assert np.allclose(matlab_colon(7.0, 0.3, 8.0), [7.0, 7.3, 7.6, 7.9], rtol=0, atol=1e-12)
    assert len(matlab_colon(1.0, 0.5, 0.0)) == 0


def test_an_iou_of_exactly_065_passes_065_only_under_official():
    # Struck on Lemming, frame 410: IoU exactly 0.65 (4940 / 7600 pixels).
    pred, gt = np.array([[292, 120, 60, 102.0]]), np.array([[284, 127, 60, 107.0]])
    assert M.overlap(pred, gt, "otb")[0] == 0.65
    passed = {}
    for name in ("official", "got10k", "pysot"):
        conv = otb_convention(name)
        measures = M.FrameMeasures(M.overlap(pred, gt, conv.overlap), np.zeros(1), np.zeros(1), np.array([0]))
        passed[name] = int(M.run_curve_counts(measures, conv)[0][0, 13])
    assert passed == {"official": 1, "got10k": 0, "pysot": 0}


def test_numpy_thresholds_are_the_same_in_got10k_and_pysot():
    # pysot's arange(0, 1.05, 0.05) and got10k's linspace(0, 1, 21) give identical doubles
    # (both compute i * 0.05); only MATLAB's colon differs in the last bit.
    assert otb_convention("got10k").success_thresholds == otb_convention("pysot").success_thresholds
    assert np.array_equal(otb_convention("got10k").success_thresholds, np.linspace(0, 1, 21))


def test_histogram_counts_equal_direct_comparisons():
    rng = np.random.default_rng(0)
    for trial in range(60):
        n = int(rng.integers(1, 300))
        kind = trial % 3
        matlab = matlab_colon(0.0, 0.05, 1.0)
        exact_hits = np.r_[np.linspace(0, 1, 21), matlab]  # both grids' values
        values = (rng.uniform(-1.5, 1.5, n) if kind == 0 else rng.integers(-2, 60, n).astype(float)
                  if kind == 1 else exact_hits[rng.integers(0, 42, n)])
        values[rng.random(n) < 0.1] = np.nan
        starts = np.unique(np.r_[0, rng.integers(0, n, 4)])
        for thresholds, above in ((np.linspace(0, 1, 21), True), (matlab, True), (np.arange(0, 51.0), False)):
            with np.errstate(invalid="ignore"):
                hits = values[:, None] > thresholds if above else values[:, None] <= thresholds
            direct = np.add.reduceat(hits, starts, axis=0, dtype=np.int64)
            assert np.array_equal(M.run_counts(values, thresholds, starts, above), direct)


def test_count_below_is_searchsorted_on_every_grid_and_at_every_edge():
    """The grid search must give searchsorted's count for every double, also within one
    ulp of a threshold (where the grid position is off by one) and at the extremes."""
    from rasbench.config.conventions import NORM_PRECISION_THRESHOLDS, PRECISION_THRESHOLDS

    rng = np.random.default_rng(17)
    grids = [np.linspace(0, 1, 21), matlab_colon(0.0, 0.05, 1.0), np.arange(0, 1.05, 0.05), PRECISION_THRESHOLDS,
             NORM_PRECISION_THRESHOLDS, np.linspace(-3, 7, 11), np.array([0.2, 0.9, 0.95]), np.array([0.5]),
             np.linspace(0, 1, 21) + np.r_[0, 1e-3, np.zeros(19)],  # these two: not even, searchsorted
             np.array([0, 1e-320, 2e-320])]  # an even grid whose 1 / step overflows: searchsorted
    for thresholds in grids:
        edges = np.r_[thresholds, np.nextafter(thresholds, np.inf), np.nextafter(thresholds, -np.inf)]
        values = np.r_[edges, rng.uniform(thresholds[0] - 2, thresholds[-1] + 2, 20000), -0.0, 0.0, np.nan, np.inf,
                       -np.inf, 1e308, -1e308, 5e-324, -5e-324]
        want = np.searchsorted(thresholds, values, side="left")
        assert np.array_equal(M.count_below(thresholds, values), want)


def test_column_helpers_equal_row_reductions():
    rows = np.array([[1, 2, 3, 4], [0, 1, 1, 1], [1, np.nan, 1, 1], [np.inf, 1, 1, 1], [-np.inf, np.inf, 1, 1],
                     [1, 1, 1, -0.0], [np.nan] * 4, [5e-324, 1, 1, 1]], dtype=float)
    for layout in (rows, np.asfortranarray(rows)):
        with np.errstate(invalid="ignore"):
            assert np.array_equal(M.all_positive(layout), (rows > 0).all(axis=1))
        assert np.array_equal(M.any_nan(layout), np.isnan(rows).any(axis=1))
        assert np.array_equal(M.all_nan(layout), np.isnan(rows).all(axis=1))
