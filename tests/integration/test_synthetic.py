"""The synthetic benchmark: definition, simulation, ground truth against pixels, files."""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import REPO, invoke

from rasbench.config.benchmarks import ATTRIBUTE_CODES, load_benchmark
from rasbench.datasets import synthetic
from rasbench.datasets.otb import load_native
from rasbench.datasets.synthetic import VOT_TAGS, ensure_generated, generate, is_generated, render_sequence, simulate
from rasbench.errors import ConfigError, DatasetError

SIZE = (320, 240)
LAYOUT_SEQUENCES = ["Curtain", "Speck"]


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("synth")


@pytest.fixture(scope="module")
def entries(bench):
    return {e["name"]: e for e in bench.raw["sequences"]}


@pytest.fixture(scope="module")
def scenes(bench, entries):
    return {name: simulate(e, SIZE, bench.generator["seed"]) for name, e in entries.items()}


@pytest.fixture(scope="module")
def layout(bench, tmp_path_factory):
    """Two sequences generated once, for the file-layout tests."""
    return generate(bench, tmp_path_factory.mktemp("synth") / "data", sequences=LAYOUT_SEQUENCES)


def tiny_benchmark(folder: Path, seed: int = 5, length: int = 12, pins: dict | None = None):
    """A two-sequence synthetic definition small enough to generate completely; ``pins``
    adds generator keys (its digests)."""
    path = folder / "tiny_synth.yaml"
    path.write_text(yaml.safe_dump({
        "name": "tiny_synth", "format": "synth",
        "base": os.path.relpath(REPO / "experiments" / "otb" / "experiments.yaml", folder),
        "generator": {"version": synthetic.GENERATOR_VERSION, "seed": seed, "image_size": [96, 72], "fps": 30,
                      **(pins or {})},
        "sequences": [
            {"name": "Alpha", "length": length, "attributes": [], "target": {"size": [20, 14]},
             "motion": {"speed": 2.0}},
            {"name": "Beta", "length": length, "attributes": ["IPR"], "target": {"size": [16, 16]},
             "rotation": {"rate": 3.0}},
        ],
    }))
    return load_benchmark(str(path))


def test_definition(bench, entries):
    assert bench.format == "synth" and bench.name == "synth"
    assert {"ope", "tre", "sre"} <= set(bench.experiments)
    assert bench.generator["version"] == synthetic.GENERATOR_VERSION
    assert tuple(bench.generator["image_size"]) == SIZE
    assert 12 <= len(bench.sequences) <= 14
    assert 1800 <= sum(s.length for s in bench.sequences.values()) <= 2200
    assert all(100 <= s.length <= 180 for s in bench.sequences.values())
    assert len({n.lower() for n in entries}) == len(entries)
    # every OTB attribute is exercised by at least one sequence
    assert set(ATTRIBUTE_CODES) == {a for s in bench.sequences.values() for a in s.attributes}


def test_declared_attributes_match_the_simulation(entries, scenes):
    """The measurable OTB attributes hold exactly where declared (OTB's thresholds)."""
    for name, scene in scenes.items():
        size = scene.target.size
        linear_scale = np.sqrt(size.prod(axis=1) / size[0].prod())
        centres = scene.boxes[:, :2] + scene.boxes[:, 2:] / 2
        blur = scene.exposure * max(np.abs(np.gradient(scene.target.centre, axis=0)).max(),
                                    np.abs(np.gradient(scene.camera, axis=0)).max())
        measured = {
            "SV": np.max(np.maximum(linear_scale, 1 / linear_scale)) > 2,
            "FM": np.linalg.norm(np.diff(centres, axis=0), axis=1).max() > 20,
            "LR": size.prod(axis=1).max() < 400,
            "OV": scene.visible.min() < 0.9,
            "OCC": scene.tags["occlusion"].any(),
            "IV": scene.tags["illum_change"].any(),
            "IPR": np.ptp(scene.target.angle) > np.radians(30),
            "MB": blur >= 4,
        }
        declared = set(entries[name]["attributes"])
        for code, present in measured.items():
            assert present == (code in declared), f"{name}: {code} measured {present}, declared {code in declared}"
        assert scene.visible.min() >= synthetic.MIN_VISIBLE, name
        assert (scene.boxes[:, 2:] > 0).all(), name


def test_targets_move_a_lot(scenes):
    """A tracker that never moves must lose the target in every sequence."""
    for name, scene in scenes.items():
        first = scene.boxes[0]
        low = np.maximum(scene.boxes[:, :2], first[:2])
        high = np.minimum(scene.boxes[:, :2] + scene.boxes[:, 2:], first[:2] + first[2:])
        inter = np.clip(high - low, 0, None).prod(axis=1)
        iou = inter / (scene.boxes[:, 2:].prod(axis=1) + first[2:].prod() - inter)
        assert iou.mean() < 0.3, name


def test_tags_follow_their_rules(scenes):
    assert scenes["Pan"].tags["camera_motion"].any() and not scenes["Stroll"].tags["camera_motion"].any()
    assert scenes["Zoom"].tags["size_change"].any() and not scenes["Morph"].tags["size_change"].any()
    assert scenes["Dash"].tags["motion_change"].sum() > scenes["Speck"].tags["motion_change"].sum() + 10
    for scene in scenes.values():  # a tag must not be on everywhere: it would say nothing
        for tag in ("illum_change", "occlusion", "motion_change", "camera_motion"):
            assert not scene.tags[tag].all(), (scene.name, tag)


def edges(box) -> np.ndarray:
    return np.r_[box[:2], np.asarray(box[:2]) + box[2:]]


def drawn_edges(alpha: np.ndarray) -> np.ndarray:
    """Left, top, right, bottom of the pixels the target covers noticeably.

    At 20 % rather than 50 %: a rotated corner's tip covers no pixel half, so a 50 % mask
    loses up to ~1.4 px there, while 20 % stays within 1 px on edges and corners alike.
    """
    rows, cols = np.nonzero(alpha >= 0.2)
    return np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1], float)


@pytest.mark.parametrize("entry", [
    # rotating, blurred, leaving the view on the nearest side, with an occluder on top
    {"name": "Probe", "length": 24, "target": {"size": [36, 20]}, "rotation": {"rate": 7.0},
     "motion": {"speed": 4.0}, "exit": {"events": [[0, 24]], "keep": 0.4, "ramp": 0.3},
     "blur": {"exposure": 1.5}, "occlusion": {"events": [[4, 16, 1.0]]}},
    # turning, deforming, zooming, over a panning background with a look-alike
    {"name": "Probe", "length": 20, "target": {"size": [30, 24], "texture": "clouds"}, "turn": {"period": 16},
     "aspect": {"amplitude": 0.4, "period": 10}, "scale": {"keys": [0.8, 1.6]}, "camera": {"speed": 5.0},
     "distractors": {"count": 1, "near": 0.4}, "motion": {"speed": 3.0}},
], ids=["rotate-exit-blur-occlude", "turn-deform-zoom-pan"])
def test_ground_truth_matches_the_drawn_target(entry):
    width, height = SIZE
    for frame in render_sequence(entry, SIZE, seed=3, with_alpha=True):
        assert frame.image.shape == (height, width, 3) and frame.image.dtype == np.uint8
        assert np.abs(drawn_edges(frame.alpha) - edges(frame.box)).max() <= 1.0
        # the polygon is the whole rectangle: its bounding box, clipped, is the box
        corners = frame.polygon.reshape(4, 2)
        low = np.maximum(corners.min(axis=0), 0)
        high = np.minimum(corners.max(axis=0), [width, height])
        if frame.box[2:].prod() > 0.999 * (high - low).prod():  # fully inside or axis-aligned cut
            assert np.allclose(np.r_[low, high - low], frame.box)
        assert set(frame.tags) == set(VOT_TAGS)


def test_rendering_is_deterministic_per_seed(entries):
    entry = dict(entries["Twins"], length=8)
    first = list(render_sequence(entry, SIZE, seed=11))
    again = list(render_sequence(entry, SIZE, seed=11))
    other = list(render_sequence(entry, SIZE, seed=12))
    for a, b in zip(first, again):
        assert np.array_equal(a.image, b.image) and np.array_equal(a.box, b.box) and a.tags == b.tags
    assert not np.array_equal(first[0].image, other[0].image)
    assert not np.array_equal(np.array([f.box for f in first]), np.array([f.box for f in other]))


def test_bad_entries_are_config_errors():
    with pytest.raises(ConfigError, match="unknown key"):
        render_sequence({"name": "Bad", "length": 10, "zoom": {}})
    with pytest.raises(ConfigError, match="unknown parameter"):
        render_sequence({"name": "Bad", "length": 10, "motion": {"sped": 3}})
    with pytest.raises(ConfigError, match="in view"):  # an exit that hides the target
        simulate({"name": "Bad", "length": 30, "motion": {}, "exit": {"events": [[0, 30]], "keep": 0.05}})


def test_otb_layout_loads(bench, layout):
    specs = {n: bench.sequences[n] for n in LAYOUT_SEQUENCES}
    dataset = load_native("synth", layout / "otb", specs)
    assert not dataset.missing and dataset.has_images
    for name in LAYOUT_SEQUENCES:
        sequence = dataset[name]
        assert len(sequence) == len(sequence.frame_paths) == bench.sequences[name].length
        assert sequence.frame(0).shape == (240, 320, 3)
        assert (sequence.groundtruth > 0).all()  # every frame valid under OTB's rule
        first = next(render_sequence(next(e for e in bench.raw["sequences"] if e["name"] == name), SIZE,
                                     bench.generator["seed"]))
        assert np.allclose(sequence.to_tracker(sequence.groundtruth[0]), first.box, atol=0.006)


def test_vot_layout(bench, scenes, layout):
    vot = layout / "vot"
    assert (vot / "list.txt").read_text().split() == [n.lower() for n in LAYOUT_SEQUENCES]
    for name in LAYOUT_SEQUENCES:
        folder, length = vot / name.lower(), bench.sequences[name].length
        polygons = np.loadtxt(folder / "groundtruth.txt", delimiter=",")
        assert polygons.shape == (length, 8)
        assert np.allclose(polygons, scenes[name].polygons, atol=0.006)
        frames = sorted((folder / "color").iterdir())
        assert [p.name for p in frames] == [f"{k:08d}.png" for k in range(1, length + 1)]
        assert os.path.samefile(frames[0], layout / "otb" / name / "img" / "0001.png")  # a hard link
        for tag in VOT_TAGS:
            expected = scenes[name].tags[tag]
            path = folder / f"{tag}.tag"
            assert path.is_file() == expected.any(), (name, tag)
            if expected.any():
                assert path.read_text().split() == [str(int(v)) for v in expected]
        assert (folder / "sequence").read_text().splitlines() == [
            "channels.color=color/%08d.png", "fps=30", "format=default", f"name={name.lower()}"]
    assert (vot / "curtain" / "occlusion.tag").is_file() and not (vot / "curtain" / "camera_motion.tag").exists()


def test_partial_generation_is_not_the_benchmark(bench, layout):
    manifest = json.loads((layout / synthetic.MANIFEST).read_text())
    assert manifest["complete"] is False and manifest["sequences"] == {"Curtain": 160, "Speck": 140}
    assert manifest["seed"] == bench.generator["seed"]
    assert not is_generated(bench, layout)


def test_generation_is_byte_identical_per_seed(tmp_path):
    tiny = tiny_benchmark(tmp_path)
    first = generate(tiny, tmp_path / "a")
    again = generate(tiny, tmp_path / "b")
    other = generate(tiny, tmp_path / "c", seed=6)

    def files(root):
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    assert files(first) == files(again)
    changed = files(other)
    assert changed["otb/Alpha/groundtruth_rect.txt"] != files(first)["otb/Alpha/groundtruth_rect.txt"]
    assert changed["otb/Alpha/img/0001.png"] != files(first)["otb/Alpha/img/0001.png"]


def test_ensure_generated_reuses_and_regenerates(tmp_path, monkeypatch):
    tiny = tiny_benchmark(tmp_path)
    out = tmp_path / "data"
    assert not is_generated(tiny, out)
    ensure_generated(tiny, out)
    assert is_generated(tiny, out) and not is_generated(tiny, out, seed=99)
    stamp = (out / synthetic.MANIFEST).stat().st_mtime_ns
    ensure_generated(tiny, out)
    assert (out / synthetic.MANIFEST).stat().st_mtime_ns == stamp
    load_benchmark.cache_clear()  # a changed definition means other data
    assert not is_generated(tiny_benchmark(tmp_path, length=14), out)

    # an interrupted run leaves the old dataset untouched and no partial folder behind
    calls = []

    def crash(entry, root, settings, bar):
        calls.append(entry["name"])
        raise KeyboardInterrupt

    monkeypatch.setattr(synthetic, "_write_sequence", crash)
    with pytest.raises(KeyboardInterrupt):
        generate(tiny_benchmark(tmp_path, length=14), out)
    assert calls == ["Alpha"]
    assert not list(tmp_path.glob("data.*"))
    monkeypatch.undo()
    load_benchmark.cache_clear()
    assert is_generated(tiny_benchmark(tmp_path), out)
    load_benchmark.cache_clear()
    longer = tiny_benchmark(tmp_path, length=14)
    ensure_generated(longer, out)
    assert is_generated(longer, out)
    assert len((out / "vot" / "beta" / "groundtruth.txt").read_text().splitlines()) == 14


def test_refuses_to_replace_a_foreign_folder(tmp_path):
    tiny = tiny_benchmark(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(DatasetError, match="other files"):
        generate(tiny, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_the_pinned_digests_cover_the_whole_benchmark(bench):
    pinned = REPO / "experiments" / bench.generator["digests"]
    assert hashlib.sha256(pinned.read_bytes()).hexdigest() == bench.generator["digest"]
    lines = pinned.read_text().splitlines()
    assert len(lines) == sum(s.length + 1 for s in bench.sequences.values())  # frames + annotations
    assert lines[0].startswith("Stroll 0001 ") and lines[-1].startswith("Storm annotations ")


def test_generated_frames_decode_to_the_pinned_digests(bench, layout):
    import cv2

    pinned = (REPO / "experiments" / bench.generator["digests"]).read_text().splitlines()
    made = (layout / synthetic.DIGESTS).read_text().splitlines()
    assert made == [line for line in pinned if line.split()[0] in LAYOUT_SEQUENCES]
    # the digest is of the RGB pixels, which the PNG on disk gives back exactly
    rgb = cv2.imread(str(layout / "otb" / "Curtain" / "img" / "0037.png"))[..., ::-1]
    assert f"Curtain 0037 {hashlib.sha256(rgb.tobytes()).hexdigest()[:16]}" in pinned


@pytest.mark.slow
def test_frames_do_not_depend_on_numpys_simd_code_paths(entries):
    """Rendering with numpy's SIMD dispatch switched off (other exp/log/sin results in the
    last bit) gives the same pixels: no such function reaches a pixel."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:
        pytest.skip("numpy < 2 does not name its dispatch targets there")
    switched_off = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    if not switched_off:
        pytest.skip("this CPU uses none of numpy's SIMD dispatch targets")
    script = (
        "import hashlib, itertools, json, sys\n"
        "from rasbench.datasets.synthetic import render_sequence\n"
        "for entry in json.loads(sys.stdin.read()):\n"
        "    for frame in itertools.islice(render_sequence(entry, (320, 240), 2718), 45):\n"
        "        print(hashlib.sha256(frame.image.tobytes()).hexdigest())\n")
    chosen = [entries[name] for name in ("Storm", "Dash", "Flip", "Tumble")]  # every effect
    here = [hashlib.sha256(frame.image.tobytes()).hexdigest()
            for entry in chosen for frame in itertools.islice(render_sequence(entry, SIZE, 2718), 45)]
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(switched_off)}
    there = subprocess.run([sys.executable, "-c", script], input=json.dumps(chosen), env=env, text=True,
                           capture_output=True, check=True).stdout.split()
    assert there == here


def pinned_tiny(folder: Path, **kwargs):
    """The tiny benchmark with its own digests pinned, as synth.yaml pins the real one's."""
    made = generate(tiny_benchmark(folder), folder / "made")
    shutil.copyfile(made / synthetic.DIGESTS, folder / "tiny.digests")
    digest = hashlib.sha256((folder / "tiny.digests").read_bytes()).hexdigest()
    load_benchmark.cache_clear()
    return tiny_benchmark(folder, pins={"digests": "tiny.digests", "digest": digest}, **kwargs)


def test_a_frame_that_renders_differently_is_an_error_naming_it(tmp_path, monkeypatch):
    pinned = pinned_tiny(tmp_path)
    out = tmp_path / "data"
    ensure_generated(pinned, out)
    assert is_generated(pinned, out)

    frame = synthetic._Renderer.frame

    def other_library(self, t, with_alpha):  # one pixel of Beta's 7th frame one grey level off
        rendered = frame(self, t, with_alpha)
        if self.scene.name == "Beta" and t == 6:
            rendered.image[10, 20, 1] ^= 1
        return rendered

    monkeypatch.setattr(synthetic._Renderer, "frame", other_library)
    with pytest.raises(DatasetError, match=r"renders differently here: Beta frame 7 is the first that differs "
                                           r"from the pinned digests \(numpy \d"):
        generate(pinned, out)
    assert not is_generated(pinned, out)  # kept for inspection, never used
    assert "Beta 0007" in (out / synthetic.DIGESTS).read_text()
    # `rasbench run` on it: one line, exit 2
    run = invoke("run", pinned.path, "--tracker", "identity", "--root", out, "--results", tmp_path / "res", "-q")
    assert run.exit_code == 2 and run.output.startswith("error: ") and run.output.count("\n") == 1
    assert "Beta frame 7" in run.output
    # other seeds have no pins: nothing to compare
    generate(pinned, tmp_path / "seed9", seed=9)


def test_a_tampered_digest_file_is_a_config_error(tmp_path):
    pinned = pinned_tiny(tmp_path)
    with open(tmp_path / "tiny.digests", "a") as f:
        f.write("Alpha 0099 0000000000000000\n")
    with pytest.raises(ConfigError, match="tiny.digests does not match the digest pinned in tiny_synth.yaml"):
        generate(pinned, tmp_path / "data")
