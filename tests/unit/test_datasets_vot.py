"""VOT datasets: native folders (legacy and color/ layouts), tags, pysot JSON, errors."""
import json
import shutil

import cv2
import numpy as np
import pytest
from conftest import deadline

from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.datasets.vot import load_annotations, load_native
from rasbench.errors import DatasetError
from rasbench.geometry import POLYGON, RECTANGLE

TAGS = ("occlusion", "camera_motion")


def write_vot_sequence(root, name, n=6, legacy=False, size=(40, 30)):
    seq = root / name
    images = seq if legacy else seq / "color"
    images.mkdir(parents=True, exist_ok=True)
    for k in range(1, n + 1):
        cv2.imwrite(str(images / f"{k:08d}.jpg"), np.full((size[1], size[0], 3), 90, np.uint8))
    lines = ["1,2,10,2,10,8,1,8"] * (n - 1) + ["3,4,5,6"]
    (seq / "groundtruth.txt").write_text("\n".join(lines) + "\n")
    (seq / "occlusion.tag").write_text("0\n1\n1\n")  # shorter than the sequence: zero-padded


def specs(names):
    from rasbench.config.benchmarks import SequenceSpec

    return {n: SequenceSpec(n, n, "groundtruth.txt", 1, None, n) for n in names}


def test_native_layouts_tags_and_sizes(tmp_path):
    write_vot_sequence(tmp_path, "newstyle")
    write_vot_sequence(tmp_path, "oldstyle", legacy=True)
    ds = load_native("t", tmp_path, specs(["newstyle", "oldstyle"]), TAGS)
    seq = ds["newstyle"]
    assert len(seq) == 6 and seq.image_size == (40, 30) and seq.origin == 0
    assert seq.groundtruth.kind[0] == POLYGON and seq.groundtruth.kind[-1] == RECTANGLE
    assert seq.tags["occlusion"].tolist() == [False, True, True, False, False, False]
    assert not seq.tags["camera_motion"].any()  # no tag file: never set
    assert ds["oldstyle"].frame_paths[0].parent.name == "oldstyle"
    assert ds["newstyle"].frame(0).shape == (30, 40, 3)


def test_missing_frame_and_bad_lines_are_named(tmp_path):
    write_vot_sequence(tmp_path, "s")
    (tmp_path / "s" / "color" / "00000004.jpg").unlink()
    with pytest.raises(DatasetError, match=r"s: 1 of frames 1-6 missing \(frames 4\)"):
        load_native("t", tmp_path, specs(["s"]), TAGS)
    shutil.rmtree(tmp_path / "s" / "color")  # annotations only from here on
    (tmp_path / "s" / "groundtruth.txt").write_text("1,2,3,4\n1,2,3\n")
    with pytest.raises(DatasetError, match="line 2"):
        load_native("t", tmp_path, specs(["s"]), TAGS, images=False)
    (tmp_path / "s" / "groundtruth.txt").write_text("1,2,3,4\n")
    (tmp_path / "s" / "occlusion.tag").write_text("0\n2\n")
    with pytest.raises(DatasetError, match="occlusion.tag, line 2"):
        load_native("t", tmp_path, specs(["s"]), TAGS, images=False)


def test_pysot_json(tmp_path):
    entry = {"video_dir": "a", "img_names": ["a/color/00000001.jpg", "a/color/00000002.jpg"],
             "gt_rect": [[1, 2, 10, 2, 10, 8, 1, 8], [3, 4, 5, 6]], "init_rect": [1, 2, 3, 4],
             "occlusion": [0, 1], "camera_motion": [], "width": 640, "height": 480}
    (tmp_path / "VOT.json").write_text(json.dumps({"a": entry}))
    seq = load_annotations("t", tmp_path / "VOT.json", specs(["a"]), TAGS)["a"]
    assert seq.image_size == (640, 480) and seq.frame_paths is None
    assert seq.tags["occlusion"].tolist() == [False, True] and not seq.tags["camera_motion"].any()


def test_ground_truth_shorter_or_longer_than_the_images_names_both_counts(tmp_path):
    write_vot_sequence(tmp_path, "s", n=9)
    gt = tmp_path / "s" / "groundtruth.txt"
    lines = gt.read_text().splitlines()
    gt.write_text("\n".join(lines[:7]) + "\n")  # 7 lines for 9 images, tag file of 3 lines
    message = r"groundtruth.txt: 7 lines for 9 images \(00000001.jpg-00000009.jpg\) in .*color"
    with pytest.raises(DatasetError, match=message):
        load_native("t", tmp_path, specs(["s"]), TAGS)
    (tmp_path / "s" / "camera_motion.tag").write_text("0\n" * 9)  # a tag file as long as the images
    with pytest.raises(DatasetError, match=message):
        load_native("t", tmp_path, specs(["s"]), TAGS)
    with pytest.raises(DatasetError, match=message):  # scoring needs the right length too
        load_native("t", tmp_path, specs(["s"]), TAGS, images=False)
    gt.write_text("\n".join(lines + ["3,4,5,6"]) + "\n")
    with pytest.raises(DatasetError, match=r"groundtruth.txt: 10 lines for 9 images"):
        load_native("t", tmp_path, specs(["s"]), TAGS)


def test_a_frame_in_two_formats_is_refused(tmp_path):
    write_vot_sequence(tmp_path, "s")
    color = tmp_path / "s" / "color"
    (color / "00000002.png").write_bytes((color / "00000002.jpg").read_bytes())
    with pytest.raises(DatasetError, match="frame 2 is both 00000002.jpg and 00000002.png"):
        load_native("t", tmp_path, specs(["s"]), TAGS)


def test_image_size_reader_refuses_empty_and_special_files(tmp_path):
    import os

    from rasbench.datasets.images import image_size

    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(DatasetError, match="empty.jpg: cannot read image header"):
        image_size(tmp_path / "empty.jpg")
    os.mkfifo(tmp_path / "fifo.jpg")
    with deadline(), pytest.raises(DatasetError, match="fifo.jpg: image file is not a regular file"):
        image_size(tmp_path / "fifo.jpg")


# --- the wrong benchmark's annotation file ---------------------------------------------


def _otb_style_json(path):
    entries = {n: {"video_dir": n, "img_names": [f"{n}/img/0001.jpg"], "gt_rect": [[1, 2, 3, 4]],
                   "init_rect": [1, 2, 3, 4], "attr": []} for n in ("Basketball", "Bolt", "Car4")}
    path.write_text(json.dumps(entries))
    return path


def _vot_style_json(path):
    entries = {n: {"video_dir": n, "img_names": [f"{n}/color/00000001.jpg"], "gt_rect": [[1, 2, 10, 2, 10, 8, 1, 8]],
                   "init_rect": [1, 2, 9, 6], "width": 40, "height": 30} for n in ("bag", "basketball", "bolt1")}
    path.write_text(json.dumps(entries))
    return path


def test_an_otb_annotation_file_for_a_vot_benchmark_is_named(tmp_path):
    path = _otb_style_json(tmp_path / "OTB100.json")
    with pytest.raises(DatasetError) as info:
        open_dataset(load_benchmark("vot2017"), annotations=path, images=False)
    assert str(info.value) == (f"{path} holds OTB-style boxes for 3 sequences, none of them vot2017's; "
                               "is it the right file?")


def test_a_vot_annotation_file_for_an_otb_benchmark_is_named(tmp_path):
    path = _vot_style_json(tmp_path / "VOT2018.json")
    with pytest.raises(DatasetError) as info:
        open_dataset(load_benchmark("otb2015"), annotations=path, images=False)
    assert str(info.value) == (f"{path} holds VOT-style polygons for 3 sequences, not otb2015's boxes; "
                               "is it the right file?")


def test_a_pysot_json_entry_without_regions_is_a_dataset_error(tmp_path):
    path = tmp_path / "VOT2018.json"
    path.write_text(json.dumps({"ants1": {"gt_rect": [], "img_names": []}}))
    specs = {"ants1": load_benchmark("vot2017").sequences["ants1"]}
    with pytest.raises(DatasetError, match="entry 'ants1' has no regions"):
        load_annotations("vot2017", path, specs)
