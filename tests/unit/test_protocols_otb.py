"""OTB OPE/TRE/SRE run plans against hand-computed cases (protocols.md §1.3)."""
import numpy as np
import pytest

from rasbench.config.families import OPEOptions, SREOptions, TREOptions
from rasbench.datasets.sequence import Sequence
from rasbench.errors import DatasetError
from rasbench.protocols.otb import ope_start, perturb_box, plan_runs, tre_starts


def sequence(n, init_omit=(), invalid_rows=(), first=1):
    gt = np.tile([10.0, 20, 30, 40], (n, 1))
    for row in invalid_rows:
        gt[row] = 0
    return Sequence("S", gt, first_frame=first, init_omit=tuple(init_omit))


def test_tre_starts_documented_example():
    starts = tre_starts(sequence(100))
    assert [s + 1 for s in starts] == [1, 5, 9, 13, 18, 22, 26, 30, 35, 39, 43, 47, 52, 56, 60, 64, 69, 73, 77, 81]


def test_tre_starts_skip_init_omit_and_invalid_ground_truth():
    seq = sequence(30, init_omit=[(1, 3)], invalid_rows=[5])
    frames = [s + 1 for s in tre_starts(seq)]
    # usable frames 4, 5, 7, 8, ...; E = position of frame 11 (the last one leaving 20
    # frames) = 7; positions floor(1 + 7k/19) for k = 0..16, then 7.
    assert frames == [4, 4, 4, 5, 5, 5, 7, 7, 7, 8, 8, 9, 9, 9, 10, 10, 10, 11]


def test_tre_init_omit_is_in_absolute_frame_numbers():
    seq = sequence(40, init_omit=[(300, 305)], first=300)  # like David (frames 300-770)
    assert tre_starts(seq)[0] == 6


def test_tre_starts_match_matlab_floating_colon():
    # Independent check of the integer arithmetic against MATLAB's 1:E/19:E for many E.
    for n in range(20, 400, 7):
        seq = sequence(n)
        e = n - 20 + 1
        matlab = [int(np.floor(v)) for v in np.arange(0, 19) * (e / 19) + 1 if v <= e] + [e]
        assert [s + 1 for s in tre_starts(seq)] == matlab, n


def test_tre_needs_a_long_enough_sequence():
    with pytest.raises(DatasetError, match="no TRE start"):
        tre_starts(sequence(19))


def test_ope_start_rules():
    seq = sequence(50, init_omit=[(1, 5), (9, 15)])  # Tiger1's first ranges
    assert ope_start(seq, "first_tre_start") == 5  # frame 6
    assert ope_start(seq, "first_frame") == 0


@pytest.mark.parametrize("kind, expected", [
    ("left", (6, 20, 33, 47)), ("right", (14, 20, 33, 47)),
    ("up", (10, 15, 33, 47)), ("down", (10, 25, 33, 47)),
    ("top_left", (7, 15, 36, 52)), ("top_right", (10, 15, 36, 52)),
    ("bottom_left", (7, 20, 36, 52)), ("bottom_right", (10, 20, 36, 52)),
    ("scale_0.8", (13, 25, 26, 38)), ("scale_1.2", (7, 15, 40, 56)),
])
def test_sre_perturbations(kind, expected):
    # box (10, 20, 33, 47): 10 % is 3.3 x 4.7; corners move, the opposite corner stays.
    assert perturb_box((10, 20, 33, 47), kind, 320, 240) == expected


def test_sre_rounds_half_away_from_zero():
    # scale 0.9 of (10, 20, 35, 45): h' = 40.5 -> 41 (Python's round would give 40)
    assert perturb_box((10, 20, 35, 45), "scale_0.9", 320, 240) == (12, 22, 32, 41)


def test_sre_clamps_to_the_image():
    assert perturb_box((2, 3, 20, 20), "left", 30, 30) == (1, 3, 20, 20)
    assert perturb_box((20, 20, 10, 10), "scale_1.2", 25, 25) == (19, 19, 7, 7)


def test_plan_runs():
    seq = sequence(60, init_omit=[(1, 2)])
    assert [r.start for r in plan_runs(seq, OPEOptions(), "first_tre_start")] == [2]
    assert len(plan_runs(seq, TREOptions(segments=20, min_segment_length=20), "first_tre_start")) == 20
    sre = plan_runs(seq, SREOptions(perturbations=("left", "scale_1.1")), "first_tre_start", (320, 240))
    assert [r.number for r in sre] == [1, 2] and all(r.start == 2 for r in sre)
    assert sre[0].init_box == (7, 20, 30, 40)  # ceil(0.1 * 30) = 3: 0.1 * 30 is exactly 3.0 in IEEE doubles


@pytest.mark.parametrize("entry, message", [
    ({"protocol": "tre", "segmentz": 3}, "experiment tre: 1 unknown tre option segmentz; it takes segments, "
                                         "min_segment_length"),
    ({"protocol": "tre", "segments": 1}, "experiment tre: segments must be an integer >= 2, got 1"),
    ({"protocol": "sre", "perturbations": ["left", "sideways"]}, "experiment tre: perturbations must be a list of"),
    ({"protocol": "ope", "segments": 20}, "1 unknown ope option segments; it takes no options"),
    ({"protocol": "opee"}, "experiment tre: unknown protocol 'opee'; choose from ope, tre, sre, baseline"),
])
def test_otb_protocol_options_are_checked_when_the_definition_loads(tmp_path, entry, message):
    import yaml

    from rasbench.config.benchmarks import load_benchmark
    from rasbench.errors import ConfigError

    definition = tmp_path / "bad.yaml"
    definition.write_text(yaml.safe_dump({"name": "bad", "format": "vot", "sequences": ["a"],
                                          "experiments": {"tre": entry}}))
    with pytest.raises(ConfigError) as info:
        load_benchmark(str(definition))
    assert str(definition) in str(info.value) and message in str(info.value)
