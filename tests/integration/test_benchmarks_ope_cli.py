"""The OTB-family benchmarks of issue 15 through the command line: `rasbench datasets` on a
broken LaSOT copy, `rasbench download` where there is no checksummed source, and
`rasbench synth --lasot` run and scored end to end."""
from __future__ import annotations

from conftest import invoke


def test_synth_writes_a_lasot_copy_that_runs_and_scores(tmp_path):
    copy = tmp_path / "copy"
    result = invoke("synth", "--lasot", copy, "--length", "20")
    assert result.exit_code == 0 and result.output.startswith("14 sequences in LaSOT's layout: ")
    definition = copy / "synth_lasot.yaml"
    run = invoke("run", definition, "--root", copy, "-t", "identity", "-s", "curtain-1", "--results", tmp_path / "r",
                 "-q")
    assert run.exit_code == 0, run.output
    report = invoke("report", definition, "--root", copy, "--results", tmp_path / "r", "-s", "curtain-1", "-f", "json")
    assert report.exit_code == 0 and '"scored_sequences": 1' in report.output
    assert invoke("synth", "--length", "40").exit_code == 2


def test_datasets_names_what_is_wrong_in_a_lasot_copy(tmp_path):
    seq = tmp_path / "LaSOT" / "airplane" / "airplane-1"
    seq.mkdir(parents=True)
    (seq / "groundtruth.txt").write_text("1,1,5,5\n" * 10)
    for flags in ("full_occlusion.txt", "out_of_view.txt"):
        (seq / flags).write_text(",".join(["0"] * 10) + "\n")
    result = invoke("datasets", "--root", tmp_path / "LaSOT")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("lasot "))
    assert "0/280" in lines[row] and "280 missing" in lines[row]
    assert "airplane-1: 10 ground-truth boxes, expected 2788" in lines[row + 1]
    assert any(line.startswith("uav123") and "cemse.kaust.edu.sa/ivul/uav123" in line for line in lines)


def test_download_says_where_to_get_benchmarks_it_cannot_download(tmp_path):
    result = invoke("download", "lasot", "--root", tmp_path)
    assert result.exit_code == 2
    assert result.output.startswith("error: lasot is not downloaded by rasbench; get the 280 test sequences from "
                                    "Hugging Face l-lt/LaSOT")
