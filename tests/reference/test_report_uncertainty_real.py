"""Issue 16 on the shared real data, through `rasbench report --format json` (must-show 2
and 3): the numbers of scripts/stats_shared_data.py and docs/statistics.md."""
import json

import pytest
from click.testing import CliRunner

from rasbench.cli import main


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])

@pytest.mark.slow
def test_otb2015_table_and_all_pairs_through_the_cli(shared_data):
    """Issue 16 must-show 2 with `rasbench report --format json`: the numbers of
    scripts/stats_shared_data.py (100,000 permutations as there)."""
    result = invoke("report", "otb2015", "--results", shared_data / "otb/results", "--annotations",
                    shared_data / "otb/annotations/OTB100.json", "-f", "json", "--n-permutations", 100_000)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    atom = data["trackers"]["ATOM"]["intervals"]["success_auc"]
    assert (atom["ci_low"], atom["ci_high"]) == pytest.approx((0.6317101340686855, 0.6953016095883714), abs=1e-9)
    table = data["comparisons"]["success_auc"]
    names = table["trackers"]
    assert names == list(data["trackers"]) and table["tied_with_best"] == ["ATOM", "DaSiamRPN", "SiamRPN"]
    pairs = {(p["a"], p["b"]): p for p in table["pairs"]}
    assert pairs["ATOM", "DaSiamRPN"]["p"] == pytest.approx(0.5215547844521555, abs=1e-12)
    assert sum(p["p_holm"] >= 0.05 for p in pairs.values()) == 48
    supported = [a for a, b in zip(names, names[1:]) if pairs[a, b]["p_holm"] < 0.05]
    assert supported == ["SAMF"] and names[names.index("SAMF") + 1] == "KCF"


@pytest.mark.slow
def test_vot2017_pair_through_the_cli(shared_data, tmp_path):
    """Issue 16 must-show 3: DaSiamRPN vs Ocean on the 58 sequences both have."""
    import zipfile

    with zipfile.ZipFile(shared_data / "vot2017/results/DaSiamRPN_vot2018_rerun_HonglinChu.zip") as z:
        z.extractall(tmp_path)
    names = (shared_data / "vot2017/annotations/list.txt").read_text().split()
    both = ",".join(n for n in names if n not in ("bag", "fish1"))  # Ocean's files of these are defective
    result = invoke("report", "vot2017", "--annotations", shared_data / "vot2017/annotations/VOT2018.json",
                    "--results", shared_data / "vot2017/results", "--results", tmp_path / "VOT2018", "-s", both,
                    "-f", "json", "--n-permutations", 100_000)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    bounds = [data["trackers"][n]["intervals"]["eao"][k] for n in ("DaSiamRPN", "Ocean_vot2018")
              for k in ("ci_low", "ci_high")]
    assert bounds == pytest.approx([0.3077035924718508, 0.4484737378506436, 0.294076554175893, 0.46787150638227704],
                                   abs=1e-9)
    (pair,) = data["comparisons"]["eao"]["pairs"]
    assert (pair["a"], pair["b"]) == ("Ocean_vot2018", "DaSiamRPN") and pair["p"] == pytest.approx(0.7217927820721792)
    assert pair["delta_ci"][0] < 0 < pair["delta_ci"][1]
    for score in ("accuracy", "robustness", "failures"):
        assert set(data["trackers"]["DaSiamRPN"]["intervals"]) >= {score}
