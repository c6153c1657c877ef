"""The VOT loader on the real VOT2017 annotations of the shared reference data."""
from __future__ import annotations

import numpy as np

from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.datasets.vot import load_native
from rasbench.geometry import RECTANGLE


def test_vot2017_annotations(shared_data):
    bench = load_benchmark("vot2017")
    js = open_dataset(bench, annotations=shared_data / "vot2017/annotations/VOT2018.json", images=False)
    folders = open_dataset(bench, annotations=shared_data / "vot2017/annotations/sequences", images=False)
    assert len(js) == 60 and sum(len(s) for s in js.values()) == 21356
    for name, seq in js.items():
        other = folders[name]
        # the folder copy was written from the JSON with fewer decimals for conduction1
        assert np.allclose(seq.groundtruth.coords, other.groundtruth.coords, atol=1e-3, equal_nan=True), name
        assert all(np.array_equal(seq.tags[t], other.tags[t]) for t in bench.raw["tags"])
    assert js["conduction1"].groundtruth.kind[0] == RECTANGLE  # stored as x,y,w,h in the JSON
    real = load_native("vot2017", shared_data / "sequences/vot2017", {"bag": bench.sequences["bag"]},
                       bench.raw["tags"])
    assert real["bag"].image_size == js["bag"].image_size == (480, 360)


def test_real_annotation_files_swapped(shared_data):
    from conftest import invoke

    otb = shared_data / "otb/annotations/OTB100.json"
    vot = shared_data / "vot2017/annotations/VOT2018.json"
    out = invoke("report", "vot2017", "--annotations", otb, "--results", shared_data / "vot2017/results")
    assert out.exit_code == 2 and out.output == (f"error: {otb} holds OTB-style boxes for 100 sequences, none of them "
                                                 "vot2017's; is it the right file?\n")
    out = invoke("report", "otb2015", "--annotations", vot, "--results", shared_data / "otb/results")
    assert out.exit_code == 2 and out.output == (f"error: {vot} holds VOT-style polygons for 60 sequences, not "
                                                 "otb2015's boxes; is it the right file?\n")
