"""The OTB loaders on the real OTB annotations and sequences of the shared reference data."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.datasets.otb import load_anno_folder, load_native, load_pysot_json
from rasbench.errors import DatasetError


def test_anno_folder_and_pysot_json_agree(shared_data):
    specs = load_benchmark("otb2015").sequences
    anno = load_anno_folder("otb2015", shared_data / "otb/annotations/anno", specs)
    js = load_pysot_json("otb2015", shared_data / "otb/annotations/OTB100.json", specs)
    assert not anno.missing and not js.missing and len(anno) == len(js) == 100
    for name in specs:
        a, j = anno[name], js[name]
        offset = j.first_frame - a.first_frame
        assert np.array_equal(a.groundtruth[offset:], j.groundtruth), name
        assert (offset, name == "Tiger1") in ((0, False), (5, True))


def test_real_sequences_in_native_layout(shared_data):
    bench = load_benchmark("otb2015")
    ds = load_native("otb2015", shared_data / "sequences", {n: bench.sequences[n] for n in
                     ("Couple", "Crossing", "Football1", "Jogging-1", "Jogging-2", "Dog1")})
    assert not ds.missing
    assert len(ds["Football1"]) == 74 and len(ds["Dog1"]) == 1350
    assert ds["Dog1"].frame(0).shape[2] == 3  # grayscale JPEG delivered as RGB
    js = json.loads((shared_data / "otb/annotations/OTB100.json").read_text())
    assert np.array_equal(ds["Jogging-2"].groundtruth, np.array(js["Jogging-2"]["gt_rect"], float))


def test_real_partial_folder_and_present(shared_data):
    bench = load_benchmark("otb2015")
    with pytest.raises(DatasetError, match=r"^otb2015: 94 of 100 sequences missing") as info:
        open_dataset(bench, root=shared_data / "sequences", images=False)
    assert "\n" not in str(info.value)
    present = open_dataset(bench, root=shared_data / "sequences", images=False, sequences="present")
    assert sorted(present) == ["Couple", "Crossing", "Dog1", "Football1", "Jogging-1", "Jogging-2"]


