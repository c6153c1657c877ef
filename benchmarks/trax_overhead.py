"""Per-frame cost of running a tracker over TraX instead of in-process.

The identity tracker (reports its first box, costs nothing) runs over the same
synthetic JPEG frames, written to a temporary folder, four ways:

* in-process, as the runner calls it: decode the frame (``read_rgb``), then ``update``;
* over TraX (``rasbench.trax.TraxTracker`` talking to ``python -m rasbench trax``):
  send the path, the server decodes the frame and calls ``update``, the state comes
  back; through stdin/stdout pipes and through a 127.0.0.1 socket (``TRAX_SOCKET``);
* the same for a path-taking identity tracker (``input = "path"``), so that nothing is
  decoded on either side: what remains is the protocol itself (encode, write, read,
  parse, both ways).

Times are wall-clock per frame (``perf_counter`` around the whole call, as the runner
times trackers), medians over ``--repeat`` passes over ``--frames`` frames; the variants
take turns pass by pass and the overhead is the median of the per-pass differences, so
changes in machine load cancel.

Decoding a frame allocates two ~1 MB buffers. Whether glibc serves them from memory it
already has or from fresh pages (about 1 ms more per 640x480 frame, in page faults)
depends on the process's heap history, so the same decode can cost 1.1 ms in one
process and 2.1 ms in another. The script therefore re-runs itself with glibc's malloc
thresholds pinned (``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_``; the TraX
server inherits them), so both sides decode at the same cost; ``--no-pin`` skips that.

    python benchmarks/trax_overhead.py [--frames 300] [--size 640x480] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rasbench.datasets.images import read_rgb  # noqa: E402
from rasbench.registry import resolve  # noqa: E402
from rasbench.trax import TraxDeclaration, TraxTracker  # noqa: E402

BOX = [100.0, 80.0, 60.0, 40.0]


class PathIdentity:
    """The identity tracker, taking frame paths: the protocol cost without any decoding."""

    name = "pathidentity"
    deterministic = True
    input = "path"

    def init(self, image, box):
        self.box = np.array(box, dtype=np.float64)

    def update(self, image):
        return self.box


def write_frames(folder: Path, count: int, size: tuple[int, int]) -> list[str]:
    rng = np.random.default_rng(0)
    paths = []
    for k in range(count):
        image = cv2.GaussianBlur(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), (0, 0), 3)
        path = folder / f"{k + 1:08d}.jpg"
        cv2.imwrite(str(path), image)
        paths.append(str(path))
    return paths


def time_pass(step, paths: list[str]) -> float:
    """Mean seconds per call of ``step(path)`` over one pass (after one untimed warm-up call)."""
    step(paths[0])
    start = time.perf_counter()
    for path in paths:
        step(path)
    return (time.perf_counter() - start) / len(paths)


def measure(spec: str, paths: list[str], repeat: int) -> dict[str, tuple[float, float]]:
    """Per variant: (median seconds per frame, median per-pass difference to in-process).

    The variants take turns pass by pass, so a change in machine load between passes
    hits all of them alike and cancels in the differences."""
    local = resolve(spec).create()
    as_path = getattr(local, "input", "array") == "path"
    local.init(paths[0] if as_path else read_rgb(Path(paths[0])), BOX)
    steps = {"in-process": local.update if as_path else (lambda p: local.update(read_rgb(Path(p))))}
    remotes = []
    for variant, socket in (("pipe", False), ("socket", True)):
        declaration = TraxDeclaration("bench", "trax", f"{sys.executable} -m rasbench trax --tracker {spec}",
                                      socket=socket, env={"PYTHONPATH": str(REPO)})
        remote = TraxTracker(declaration, timeout=60)
        remote.init(paths[0], BOX)
        remotes.append(remote)
        steps[variant] = remote.update
    try:
        passes = {name: [] for name in steps}
        for _ in range(repeat):
            for name, step in steps.items():
                passes[name].append(time_pass(step, paths))
    finally:
        for remote in remotes:
            remote.close()
    base = passes["in-process"]
    return {name: (statistics.median(values), statistics.median(v - b for v, b in zip(values, base)))
            for name, values in passes.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="640x480", help="frame size WxH (default 640x480)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-pin", action="store_true", help="leave glibc's malloc thresholds alone")
    args = parser.parse_args()
    if not args.no_pin and os.name == "posix" and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(64 << 20), MALLOC_TRIM_THRESHOLD_=str(256 << 20))
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    size = tuple(int(v) for v in args.size.lower().split("x"))
    path_spec = f"{Path(__file__).resolve()}:PathIdentity"
    with tempfile.TemporaryDirectory(prefix="rasbench-trax-bench-") as folder:
        paths = write_frames(Path(folder), args.frames, size)
        rows = [(f"identity, {size[0]}x{size[1]} JPEG decoded", measure("identity", paths, args.repeat)),
                ("identity taking paths (no decoding)", measure(path_spec, paths, args.repeat))]
    print(f"TraX overhead per frame ({args.frames} frames; medians of {args.repeat} interleaved passes; "
          f"Python {sys.version.split()[0]})")
    print(f"{'tracker':40s} {'in-process':>11s} {'TraX pipe':>10s} {'overhead':>9s} {'TraX socket':>12s} "
          f"{'overhead':>9s}")
    for label, m in rows:
        print(f"{label:40s} {m['in-process'][0] * 1e6:9.1f}us {m['pipe'][0] * 1e6:8.1f}us "
              f"{m['pipe'][1] * 1e6:7.1f}us {m['socket'][0] * 1e6:10.1f}us {m['socket'][1] * 1e6:7.1f}us")


if __name__ == "__main__":
    main()
