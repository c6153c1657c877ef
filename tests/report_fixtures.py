"""Builders shared by the plot, publish and show tests: small OTB and VOT result sets
made by the real runner, and OTB reports with many fabricated trackers."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import cv2
import numpy as np
import yaml
from conftest import moving_boxes


def tiny_vot(tmp_path: Path):
    """Two VOT-layout sequences (rectangles, two tags) with images, and their benchmark.

    Returns (benchmark definition, dataset root)."""
    from rasbench.config.benchmarks import load_benchmark

    root = tmp_path / "votdata"
    for name, n, size in (("alpha", 40, (64, 48)), ("beta", 30, (72, 56))):
        seq = root / name
        (seq / "color").mkdir(parents=True)
        boxes = moving_boxes(n, start=(10.0, 8.0, 16.0, 12.0)) - [1, 1, 0, 0]  # VOT is 0-based
        for k, (x, y, w, h) in enumerate(boxes):
            image = np.full((size[1], size[0], 3), 30, np.uint8)
            image[int(y):int(y + h), int(x):int(x + w)] = (60, 180, 200)
            cv2.imwrite(str(seq / "color" / f"{k + 1:08d}.jpg"), image)
        (seq / "groundtruth.txt").write_text("".join(",".join(f"{v:g}" for v in b) + "\n" for b in boxes))
        (seq / "camera_motion.tag").write_text("".join("1\n" if k % 3 == 0 else "0\n" for k in range(n)))
        (seq / "occlusion.tag").write_text("".join("1\n" if 10 <= k < 20 else "0\n" for k in range(n)))
    (root / "list.txt").write_text("alpha\nbeta\n")
    definition = tmp_path / "tinyvot.yaml"
    definition.write_text(yaml.safe_dump({
        "name": "tinyvot", "title": "tinyvot (test benchmark)", "format": "vot",
        "tags": ["camera_motion", "occlusion"],
        "experiments": {
            "baseline": {"protocol": "baseline", "repetitions": 15, "skip_initialize": 5, "burnin": 10,
                         "failure_overlap": 0, "eao_interval": [5, 25]},
            "realtime": {"protocol": "realtime", "repetitions": 1, "skip_initialize": 5, "burnin": 10,
                         "failure_overlap": 0, "fps": 20, "grace": 3, "eao_interval": [5, 25]},
            "unsupervised": {"protocol": "unsupervised", "repetitions": 1}},
        "sequences": ["alpha", "beta"],
    }))
    return load_benchmark(str(definition)), root


def run_vot_trackers(bench, root, results: Path, experiments=("baseline", "realtime", "unsupervised")):
    """identity (drifts off: failures) and LoseAfter (fails after 10 frames), run for real."""
    from rasbench.datasets import open_dataset
    from rasbench.registry import resolve
    from rasbench.runner import run_experiment

    for exp in experiments:
        dataset = open_dataset(bench, root=root, experiment=exp)
        for tracker, params in (("identity", {}), ("fake_trackers:LoseAfter", {"after": 10})):
            run_experiment(bench, exp, dataset, resolve(tracker, params), results, progress=False)
    return results / bench.name


def vot_reports(bench, root, folder: Path, experiments=("baseline", "realtime", "unsupervised")) -> dict:
    from rasbench.datasets import open_dataset
    from rasbench.evaluation import evaluate as evaluate_vot
    from rasbench.results.discovery import find_tracker_dirs

    dataset = open_dataset(bench, root=root, images=False, experiment="baseline")
    return {exp: evaluate_vot(bench, exp, dataset, find_tracker_dirs([folder], bench.name, exp)) for exp in experiments}


def run_otb_trackers(bench, root, results: Path, experiments=("ope",)):
    from rasbench.datasets import open_dataset
    from rasbench.registry import resolve
    from rasbench.runner import run_experiment

    dataset = open_dataset(bench, root=root)
    for exp in experiments:
        for tracker in ("identity", "fake_trackers:BrightBox"):
            run_experiment(bench, exp, dataset, resolve(tracker), results, progress=False)
    return results / bench.name


def otb_report(bench, root, folder: Path, experiment: str = "ope"):
    from rasbench.datasets import open_dataset
    from rasbench.evaluation import evaluate
    from rasbench.results.discovery import find_tracker_dirs

    dataset = open_dataset(bench, root=root, images=False)
    return evaluate(bench, experiment, dataset, find_tracker_dirs([folder], bench.name, experiment))


def many_trackers(report, count: int = 30):
    """The report with ``count`` fabricated trackers of spread-out scores (names of
    realistic length), to test plots for readability."""
    from rasbench.evaluation.model import Scores

    base = next(t for t in report.trackers.values() if t.overall is not None)
    trackers = {}
    rng = np.random.default_rng(0)
    for i in range(count):
        factor = 0.3 + 0.7 * rng.random()

        def scale(s, factor=factor):
            values = {k: v * factor if k != "fps" and isinstance(v, float) else v for k, v in s.values.items()}
            return Scores(values, {k: np.asarray(v) * factor for k, v in s.curves.items()}, s.count)

        name = f"Tracker-{i:02d}" + ("-conv5-long" if i % 4 == 0 else "")
        overall = scale(base.overall)
        trackers[name] = dataclasses.replace(base, name=name, scores=overall.values, curves=overall.curves,
                                             groups={c: scale(g) for c, g in base.groups.items()})
    return dataclasses.replace(report, trackers=trackers)


def tex_rows(tex: str) -> dict:
    """{tracker: {column: text}} of a table written by latex_table (marks removed)."""
    header = re.search(r"\\toprule\n(.*?) \\\\", tex).group(1).split(" & ")
    rows = {}
    for line in tex.split("\\midrule", 1)[1].split("\\bottomrule")[0].splitlines():
        if not line.endswith(r"\\"):
            continue
        cells = [c.strip() for c in line[:-2].split(" & ")]
        name = re.sub(r"\\textit\{(.*?)\}|\$\^[^$]*\$", r"\1", cells[0]).replace(r"\_", "_")
        values = [re.sub(r"\\(textbf|underline)\{(.*?)\}", r"\2", c) for c in cells[1:]]
        rows[name] = dict(zip(header[1:], values))
    return rows
