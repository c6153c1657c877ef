"""Shared fixtures.

The suite is split by what a test needs: ``unit/`` (one module, in-process, fast), ``integration/``
(the CLI, subprocesses, servers, several layers end to end), ``reference/`` (the shared reference data;
skips without it) and ``gpu/`` (CUDA; skips without it). Markers: ``slow`` (over ~10 s), ``speed``
(timing checks, noisy on a busy machine); ``make test`` leaves both out, ``make test-all`` runs everything.
Helper modules (report_fixtures, fake_trackers, archive_server, vot_toolkit_reference, trax_fixtures/,
vot_workspace/) live here beside this file and are imported by name from every folder.

Tests that need the project's shared reference data (real OTB/VOT annotations and raw
results) find it at ``$RASBENCH_SHARED_DATA`` or ``../shared/data`` beside the checkout,
and skip cleanly when it is absent (a user's machine does not have it).
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
if str(TESTS) not in sys.path:  # the helper modules, for tests in every subfolder
    sys.path.insert(0, str(TESTS))
SHARED_DATA = Path(os.environ.get("RASBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "otb").is_dir():
        pytest.skip(f"shared reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Keep caches and default data folders out of the user's home during tests."""
    home = tmp_path_factory.getbasetemp() / "home"
    monkeypatch.setenv("RASBENCH_CACHE", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("RASBENCH_DATA", raising=False)
    monkeypatch.delenv("RASBENCH_RESULTS", raising=False)


@pytest.fixture(scope="session")
def synth_data(tmp_path_factory) -> Path:
    """The whole synthetic benchmark (~350 MB of PNG frames), generated once per session where
    ``run synth`` without ``--root`` finds it; tests pass it as ``root`` instead of making copies."""
    from rasbench.config.benchmarks import load_benchmark
    from rasbench.datasets.synthetic import ensure_generated

    return ensure_generated(load_benchmark("synth"), tmp_path_factory.getbasetemp() / "home" / "cache" / "synth")


def moving_boxes(n: int, start=(10.0, 8.0, 16.0, 12.0), step=(1.0, 0.5)) -> np.ndarray:
    """A box drifting by ``step`` pixels per frame (1-based OTB coordinates)."""
    boxes = np.tile(np.array(start, dtype=np.float64), (n, 1))
    boxes[:, 0] += step[0] * np.arange(n)
    boxes[:, 1] += step[1] * np.arange(n)
    return boxes


def write_otb_sequence(root: Path, folder: str, gt: np.ndarray, first: int = 1, size=(64, 48),
                       gt_name: str = "groundtruth_rect.txt", delimiter: str = ",", digits: int = 4) -> None:
    """Write a tiny OTB-layout sequence: a bright box (drawn from ``gt``) on a dark image."""
    img_dir = root / folder / "img"
    img_dir.mkdir(parents=True, exist_ok=True)
    for k, (x, y, w, h) in enumerate(gt):
        image = np.full((size[1], size[0], 3), 30, np.uint8)
        x0, y0 = int(round(x - 1)), int(round(y - 1))
        image[max(y0, 0): max(y0 + int(h), 0), max(x0, 0): max(x0 + int(w), 0)] = (200, 180, 60)
        cv2.imwrite(str(img_dir / f"{first + k:0{digits}d}.jpg"), image)
    text = "\n".join(delimiter.join(f"{v:g}" for v in row) for row in gt) + "\n"
    (root / folder / gt_name).write_text(text)


def write_benchmark(path: Path, sequences: dict[str, dict], name: str = "tiny") -> Path:
    """A benchmark definition with its own sequence table, using the OTB experiments."""
    import yaml

    experiments = REPO / "experiments" / "otb" / "experiments.yaml"
    table = {"sequences": {n: dict(row) for n, row in sequences.items()}}
    (path.parent / f"{name}_table.yaml").write_text(yaml.safe_dump(table))
    path.write_text(yaml.safe_dump({
        "name": name, "title": f"{name} test benchmark", "format": "otb",
        "base": os.path.relpath(experiments, path.parent), "table": f"{name}_table.yaml",
        "sequences": list(sequences),
    }))
    return path


def invoke(*args):
    """The rasbench CLI in-process, arguments as strings, exceptions raised."""
    from click.testing import CliRunner

    from rasbench.cli import main
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def otb(tiny_otb, tmp_path):
    """``tiny_otb`` with OPE and TRE results of the report tests' trackers: (bench, root, results)."""
    from report_fixtures import run_otb_trackers

    bench, root = tiny_otb
    return bench, root, run_otb_trackers(bench, root, tmp_path / "res", ("ope", "tre"))


@pytest.fixture
def tiny_otb(tmp_path):
    """Two short sequences in OTB layout and their benchmark definition.

    Returns (benchmark definition, dataset root).
    """
    from rasbench.config.benchmarks import load_benchmark

    root = tmp_path / "data"
    write_otb_sequence(root, "Alpha", moving_boxes(30))
    write_otb_sequence(root, "Beta", moving_boxes(24, start=(30.0, 20.0, 10.0, 14.0), step=(-0.5, 0.25)), first=3,
                       size=(72, 56))  # another size, so fake trackers can tell the sequences apart
    bench_path = write_benchmark(tmp_path / "tiny.yaml", {
        "Alpha": {"frames": [1, 30], "attributes": ["FM"]},
        "Beta": {"frames": [3, 26], "attributes": ["SV", "FM"], "init_omit": [[3, 4]]},
    })
    return load_benchmark(str(bench_path)), root


@contextlib.contextmanager
def deadline(seconds: float = 20.0):
    """Fail (TimeoutError) instead of hanging when the block is still running after
    ``seconds``: for tests of reads that once blocked forever (a FIFO)."""
    def expire(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
