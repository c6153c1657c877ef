"""OTB datasets: the shipped table, the three sources, and clear errors for bad data."""

import numpy as np
import pytest
from conftest import deadline, moving_boxes, write_benchmark, write_otb_sequence

from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.datasets.textio import parse_rows
from rasbench.errors import ConfigError, DatasetError


def test_benchmark_sizes_match_the_papers():
    expected = {"otb2013": (51, 29491), "otb2015": (100, 59040), "tb50": (50, None)}
    for name, (count, frames) in expected.items():
        bench = load_benchmark(name)
        assert len(bench.sequences) == count
        if frames:
            assert sum(s.length for s in bench.sequences.values()) == frames
    assert set(load_benchmark("otb2013").sequences) <= set(load_benchmark("otb2015").sequences)
    assert set(load_benchmark("tb50").sequences) <= set(load_benchmark("otb2015").sequences)
    assert load_benchmark("tb100").name == "otb2015"


def test_quirks_are_table_data():
    seqs = load_benchmark("otb2015").sequences
    assert (seqs["David"].first, seqs["David"].last) == (300, 770)
    assert (seqs["BlurCar1"].first, seqs["BlurCar1"].last) == (247, 988)
    lasts = (seqs["Football1"].last, seqs["Freeman3"].last, seqs["Freeman4"].last, seqs["Diving"].last)
    assert lasts == (74, 460, 283, 215)
    assert seqs["Tiger1"].init_omit[0] == (1, 5)
    assert (seqs["Jogging-2"].folder, seqs["Jogging-2"].groundtruth) == ("Jogging", "groundtruth_rect.2.txt")
    assert seqs["Human4-2"].groundtruth == "groundtruth_rect.2.txt"
    assert sum(1 for s in seqs.values() if s.init_omit) == 27


def test_attribute_counts_match_the_published_plots():
    def counts(name):
        c = {}
        for s in load_benchmark(name).sequences.values():
            for a in s.attributes:
                c[a] = c.get(a, 0) + 1
        return c
    # OTB-2015 (TPAMI'15) and OTB-2013 (CVPR'13) attribute plot titles
    assert counts("otb2015") == dict(IV=38, OPR=63, SV=64, OCC=49, DEF=44, MB=29, FM=39, IPR=51, OV=14, BC=31, LR=9)
    assert counts("otb2013") == dict(IV=25, OPR=39, SV=28, OCC=29, DEF=19, MB=12, FM=17, IPR=31, OV=6, BC=21, LR=4)


def test_unknown_benchmark_lists_the_known_ones():
    with pytest.raises(ConfigError, match="otb2015"):
        load_benchmark("otb2099")


def test_parse_rows_accepts_mixed_delimiters_and_trailing_blank_lines():
    rows = parse_rows("1,2,3,4\n5\t6\t7\t8\n9 10 11 12\n\n\n", 4, "x")
    assert rows.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    assert parse_rows("1,2,nan,4\n", 4, "x")[0, 2] != parse_rows("1,2,nan,4\n", 4, "x")[0, 2]


@pytest.mark.parametrize("text, line, message", [
    ("1,2,3,4\n1,2,3\n", 2, "expected 4 values"),
    ("1,2,3,4\n\n1,2,3,4\n", 2, "empty line"),
    ("1,2,3,4\n1,2,x,4\n", 2, "not a number"),
    ("1,2,3,4,5\n1,2,3\n", 1, "expected 4 values"),
])
def test_parse_rows_names_the_bad_line(text, line, message):
    with pytest.raises(DatasetError, match=message) as info:
        parse_rows(text, 4, "gt.txt")
    assert info.value.line == line and f"line {line}" in str(info.value)


def test_native_layout_with_frame_ranges_and_two_targets(tmp_path):
    root = tmp_path / "data"
    write_otb_sequence(root, "Late", moving_boxes(6), first=5, delimiter="\t")  # like BlurCar3
    gt1, gt2 = moving_boxes(8), moving_boxes(8, start=(30, 30, 8, 8))
    write_otb_sequence(root, "Pair", gt1, gt_name="groundtruth_rect.1.txt")
    (root / "Pair" / "groundtruth_rect.2.txt").write_text("\n".join(",".join(map(str, r)) for r in gt2))
    write_otb_sequence(root, "Extra", moving_boxes(10), digits=5)  # like Board; only 8 annotated
    (root / "Extra" / "groundtruth_rect.txt").write_text("\n".join("1,1,5,5" for _ in range(8)) + "\n\n")
    bench = load_benchmark(str(write_benchmark(tmp_path / "b.yaml", {
        "Late": {"frames": [5, 10]},
        "Pair-1": {"folder": "Pair", "groundtruth": "groundtruth_rect.1.txt", "frames": [1, 8]},
        "Pair-2": {"folder": "Pair", "groundtruth": "groundtruth_rect.2.txt", "frames": [1, 8]},
        "Extra": {"frames": [1, 8]},
    })))
    ds = open_dataset(bench, root=root)
    assert [len(s) for s in ds.values()] == [6, 8, 8, 8]
    assert ds["Late"].frame_paths[0].name == "0005.jpg" and ds["Late"].first_frame == 5
    assert np.array_equal(ds["Pair-2"].groundtruth, gt2)
    assert ds["Extra"].frame_paths[-1].name == "00008.jpg"
    assert ds["Late"].frame(0).shape == (48, 64, 3) and ds["Late"].frame(0).dtype == np.uint8


def test_missing_frame_and_short_ground_truth_are_named(tiny_otb):
    bench, root = tiny_otb
    (root / "Alpha" / "img" / "0007.jpg").unlink()
    with pytest.raises(DatasetError, match=r"Alpha: 1 of frames 1-30 missing \(frames 7;"):
        open_dataset(bench, root=root)
    lines = (root / "Beta" / "groundtruth_rect.txt").read_text().splitlines()
    (root / "Beta" / "groundtruth_rect.txt").write_text("\n".join(lines[:-2]) + "\n")
    with pytest.raises(DatasetError, match="Beta: 22 ground-truth boxes, expected 24"):
        open_dataset(bench, root=root, images=False)


def test_malformed_ground_truth_line_is_named(tiny_otb):
    bench, root = tiny_otb
    path = root / "Alpha" / "groundtruth_rect.txt"
    lines = path.read_text().splitlines()
    lines[16] = "10,20,30"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError) as info:
        open_dataset(bench, root=root)
    assert str(path) in str(info.value) and "line 17" in str(info.value)


def test_missing_dataset_says_where_it_looked(tiny_otb, tmp_path):
    bench, _ = tiny_otb
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=f"tiny test benchmark not found in {tmp_path / 'empty'}; ") as info:
        open_dataset(bench, root=tmp_path / "empty")
    assert "rasbench download" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(DatasetError, match="nowhere: the dataset folder does not exist"):
        open_dataset(bench, root=tmp_path / "nowhere")
    (tmp_path / "file").write_text("")
    with pytest.raises(DatasetError, match="file: the dataset folder is a file"):
        open_dataset(bench, root=tmp_path / "file")


def test_missing_sequence_is_listed(tiny_otb):
    bench, root = tiny_otb
    import shutil
    shutil.rmtree(root / "Beta")
    with pytest.raises(DatasetError, match="1 of 2 sequences missing") as info:
        open_dataset(bench, root=root)
    assert "Beta" in str(info.value)
    assert list(open_dataset(bench, root=root, sequences=["Alpha"])) == ["Alpha"]


# --- the real OTB annotations (skipped without ../shared/data) -------------------------


# --- unreadable and ambiguous frames ----------------------------------------------------


def test_empty_jpeg_takes_the_cannot_be_decoded_path(tiny_otb, tmp_path):
    from conftest import invoke

    from rasbench.datasets.images import read_rgb

    bench, root = tiny_otb
    empty = root / "Alpha" / "img" / "0007.jpg"
    empty.write_bytes(b"")
    with pytest.raises(DatasetError, match="0007.jpg: image cannot be decoded"):
        read_rgb(empty)
    out = invoke("run", bench.path, "-t", "identity", "--root", root, "--results", tmp_path / "res", "-q")
    assert out.exit_code == 2 and out.output.count("\n") == 1
    assert out.output.startswith("error: ") and "0007.jpg: image cannot be decoded" in out.output


def test_a_frame_that_is_not_a_regular_file_is_refused(tiny_otb):
    import os

    from rasbench.datasets.images import read_rgb

    bench, root = tiny_otb
    frame = root / "Alpha" / "img" / "0003.jpg"
    frame.unlink()
    os.mkfifo(frame)
    with deadline(), pytest.raises(DatasetError, match="0003.jpg: image file is not a regular file"):
        read_rgb(frame)


def test_a_frame_in_two_formats_is_refused_naming_both(tiny_otb):
    import shutil

    bench, root = tiny_otb
    shutil.copy(root / "Alpha" / "img" / "0006.jpg", root / "Alpha" / "img" / "0006.png")
    with pytest.raises(DatasetError, match=r"frame 6 is both 0006.jpg and 0006.png"):
        open_dataset(bench, root=root)
    (root / "Alpha" / "img" / "0006.png").rename(root / "Alpha" / "img" / "00006.jpg")
    with pytest.raises(DatasetError, match=r"frame 6 is both 00006.jpg and 0006.jpg"):
        open_dataset(bench, root=root)


# --- partial folders, --sequences present, names ------------------------------------------


@pytest.fixture
def partial(tmp_path, monkeypatch):
    """A 12-sequence benchmark (a two-target folder among them) of which 3 are on disk:
    (benchmark, dataset root). Its definition folder is on $RASBENCH_EXPERIMENTS, so
    `rasbench datasets` lists it."""
    names = [f"Seq{k:02d}" for k in range(1, 11)]
    table = {n: {"frames": [1, 6]} for n in names}
    table.update({f"Walk-{k}": {"folder": "Walk", "groundtruth": f"groundtruth_rect.{k}.txt", "frames": [1, 6]}
                  for k in (1, 2)})
    defs = tmp_path / "defs"
    defs.mkdir()
    bench = load_benchmark(str(write_benchmark(defs / "partial.yaml", table, name="partial")))
    monkeypatch.setenv("RASBENCH_EXPERIMENTS", str(defs))
    root = tmp_path / "data"
    for name in ("Seq02", "Seq07"):
        write_otb_sequence(root, name, moving_boxes(6))
    write_otb_sequence(root, "Walk", moving_boxes(6), gt_name="groundtruth_rect.1.txt")
    return bench, root


def test_missing_sequences_error_is_short(partial):
    bench, root = partial
    with pytest.raises(DatasetError) as info:
        open_dataset(bench, root=root)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400
    assert message.startswith(f"partial: 9 of 12 sequences missing in OTB folders in {root} (Seq01, Seq03, Seq04, "
                              "Seq05, Seq06, ...)")
    assert "--sequences present" in message and f"rasbench datasets --root {root}" in message


def test_sequences_present_runs_and_scores_what_is_there(partial, tmp_path):
    from conftest import invoke

    from rasbench.datasets import PRESENT

    bench, root = partial
    dataset = open_dataset(bench, root=root, sequences=PRESENT)
    assert list(dataset) == ["Seq02", "Seq07", "Walk-1"] and len(dataset.missing) == 9
    assert dataset.open_args["sequences"] == ["Seq02", "Seq07", "Walk-1"]
    run = invoke("run", bench.path, "-t", "identity", "--root", root, "--results", tmp_path / "res", "-q",
                 "-s", "present")
    assert run.exit_code == 0, run.output
    assert "partial: 3 of 12 sequences present" in run.output
    assert sorted(p.name for p in (tmp_path / "res/partial/identity/ope").glob("*.txt")) == \
        ["Seq02.txt", "Seq07.txt", "Walk-1.txt"]
    report = invoke("report", bench.path, "--root", root, "--results", tmp_path / "res", "-s", "present")
    assert report.exit_code == 0 and "partial: 3 of 12 sequences present" in report.output
    assert "identity *" not in report.output  # complete over the sequences scored
    mixed = invoke("report", bench.path, "--root", root, "--results", tmp_path / "res", "-s", "present,Seq02")
    assert mixed.exit_code == 2 and "present" in mixed.output and "Traceback" not in mixed.output


def test_datasets_lists_what_is_present(partial):
    from conftest import invoke

    bench, root = partial
    out = invoke("datasets", "--root", root)
    assert out.exit_code == 0, out.output
    line = next(i for i, text in enumerate(out.output.splitlines()) if text.startswith("partial "))
    lines = out.output.splitlines()[line:line + 3]
    assert "3/12" in lines[0] and "9 missing" in lines[0]
    assert lines[1].split() == ["present:", "Seq02,", "Seq07,", "Walk-1"]
    assert lines[2].strip().startswith("not there: Seq01, Seq03")


@pytest.mark.parametrize("asked, message", [
    ("Jogging", "no sequence Jogging (its folder holds Jogging-1, Jogging-2: -s Jogging-1,Jogging-2)"),
    ("skating2", "no sequence skating2 (its folder holds Skating2-1, Skating2-2: -s Skating2-1,Skating2-2)"),
    ("Basketbal", "no sequence Basketbal (did you mean Basketball?)"),
    ("Nonsense42", "no sequence Nonsense42;"),
])
def test_unknown_sequence_names_get_suggestions(tmp_path, asked, message):
    bench = load_benchmark("otb2015")
    with pytest.raises(DatasetError) as info:
        open_dataset(bench, root=tmp_path, sequences=[asked])
    assert message in str(info.value) and "\n" not in str(info.value)


def test_sequence_names_match_like_result_files():
    """Case, '-'/'_'/'.' and the table's file names and aliases pick the sequence they name."""
    from rasbench.datasets import select_sequences

    specs = load_benchmark("otb2015").sequences
    assert select_sequences("otb2015", specs, ["jogging_1", "Human4", "skating2.2", "BASKETBALL", "Jogging-1"]) == \
        ["Jogging-1", "Human4-2", "Skating2-2", "Basketball"]


def test_pysot_json_boxes_become_arrays_while_decoding(tmp_path):
    """OTB-style JSON entries hold their boxes as arrays as soon as each is decoded (a LaSOT-sized
    file never holds 2.8 M Python floats); rows that numpy would not convert stay as decoded."""
    import json

    from rasbench.datasets.textio import pysot_json_style, read_pysot_json

    path = tmp_path / "x.json"
    path.write_text(json.dumps({
        "Boxes": {"gt_rect": [[1, 2, 3, 4], [5.5, 6, 7, 8]], "img_names": ["a/1.jpg", "a/2.jpg"]},
        "Polygons": {"gt_rect": [[0, 0, 1, 0, 1, 1, 0, 1]], "img_names": ["b/1.jpg"]},
        "Ragged": {"gt_rect": [[1, 2, 3, 4], [0, 0, 1, 0, 1, 1, 0, 1]], "img_names": ["c/1.jpg", "c/2.jpg"]},
        "Words": {"gt_rect": [["a", 2, 3, 4]], "img_names": ["d/1.jpg"]}}))
    data = read_pysot_json(path, boxes_as_arrays=True)
    assert data["Boxes"]["gt_rect"].dtype == np.float64
    assert data["Boxes"]["gt_rect"].tolist() == [[1, 2, 3, 4], [5.5, 6, 7, 8]]
    assert data["Polygons"]["gt_rect"].shape == (1, 8)
    assert data["Ragged"]["gt_rect"] == [[1, 2, 3, 4], [0, 0, 1, 0, 1, 1, 0, 1]]
    assert data["Words"]["gt_rect"] == [["a", 2, 3, 4]]
    assert isinstance(read_pysot_json(path)["Boxes"]["gt_rect"], list)  # the VOT loader's form
    for entries, style in (({"Boxes"}, "OTB-style boxes"), ({"Boxes", "Polygons"}, "VOT-style polygons"),
                           ({"Ragged"}, "VOT-style polygons")):
        assert pysot_json_style({k: v for k, v in data.items() if k in entries}) == style


@pytest.mark.parametrize(("entry", "says"), [
    ({"gt_rect": 5, "img_names": ["a/1.jpg"]}, "malformed"),
    ({"gt_rect": [], "img_names": []}, "no boxes"),
    ({"gt_rect": {"x": 1}, "img_names": ["a/1.jpg"]}, "malformed"),
])
def test_a_pysot_json_entry_of_the_wrong_shape_is_a_dataset_error(tmp_path, entry, says):
    import json

    from rasbench.datasets.otb import load_pysot_json

    path = tmp_path / "OTB100.json"
    path.write_text(json.dumps({"Basketball": entry}))
    specs = {"Basketball": load_benchmark("otb2015").sequences["Basketball"]}
    with pytest.raises(DatasetError, match=says):
        load_pysot_json("otb2015", path, specs)
