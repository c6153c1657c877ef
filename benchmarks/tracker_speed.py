"""Tracking speed of the RASNet variants: end to end, search branch alone, and per stage.

For every variant (untrained, seeded weights: speed does not depend on their values) and
device, on a synthetic clip of textured frames (640x480 RGB by default) with a moving
textured target:

* ``e2e``: wall time of ``tracker.update(frame)``, what the runner measures (it ends with
  the tracker's one device-to-host copy, so GPU work is finished when it returns);
* ``fwd``: the search branch alone, backbone on the (scales, 3, 255, 255) batch of one
  frame's search crops plus the correlation head, synchronised; measured frame by frame
  interleaved with ``e2e`` (alternating which goes first) so both see the same machine
  state. ``ratio``: median over frames of e2e / fwd; everything but the network is
  overhead (the CPU target is <= 1.15);
* ``crop`` / ``backbone`` / ``head`` / ``post``: ``update_profiled``, which synchronises the
  device after each stage (on a GPU they may add up to more than ``e2e``).

Times are medians over the measured frames. The CPU runs use ``--threads`` threads
(default 2). CUDA runs (float32 and, with ``--half``, float16) happen when a GPU is
present.

    python benchmarks/tracker_speed.py [--frames 30] [--warmup 3] [--size 640x480] [--threads 2]
                                       [--variants siamfc,rasnet] [--devices cpu,cuda] [--half]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import torch

from rasbench_trackers.rasnet import VARIANTS, RASNetTracker, parameter_count

STAGES = ("crop", "backbone", "head", "post")


def synthetic_clip(count: int, width: int, height: int, seed: int = 0) -> tuple[list[np.ndarray], list[float]]:
    """``count`` RGB frames: a noisy colour gradient and a 64x48 checker target moving 3 px per frame."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    background = np.stack([xs * 200 / width, ys * 200 / height, (xs + ys) * 100 / (width + height)], -1)
    background = background + rng.normal(0, 12, background.shape)
    texture = np.kron(rng.integers(0, 256, (6, 8, 3)), np.ones((8, 8, 1)))
    frames = []
    for k in range(count):
        frame = background.copy()
        x0 = int(width / 4 + 3 * k) % (width - 64)
        y0 = int(height / 3 + 2 * k) % (height - 48)
        frame[y0:y0 + 48, x0:x0 + 64] = texture
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    first_box = [width / 4, height / 3, 64.0, 48.0]
    return frames, first_box


def search_branch(tracker: RASNetTracker, crops: torch.Tensor) -> None:
    tracker.respond(tracker.model.backbone(crops))


def measure(variant: str, device: str, half: bool, frames: list[np.ndarray], first_box, warmup: int) -> dict:
    tracker = RASNetTracker(random_init=True, variant=variant, device=device, half=half)
    sync = (lambda: torch.cuda.synchronize(tracker.device)) if tracker.device.type == "cuda" else (lambda: None)
    tracker.init(frames[0], first_box)
    with torch.inference_mode():
        crops = tracker.search_crops(frames[1])  # the network's real input, fixed: fwd times the network only
    clip = frames[1:]
    for frame in clip[:warmup]:
        tracker.update(frame)
        with torch.inference_mode():
            search_branch(tracker, crops)
        sync()
    def time_update(frame):
        start = time.perf_counter()
        tracker.update(frame)
        return time.perf_counter() - start

    @torch.inference_mode()
    def time_forward():
        sync()
        start = time.perf_counter()
        search_branch(tracker, crops)
        sync()
        return time.perf_counter() - start

    e2e, fwd = [], []
    for k, frame in enumerate(clip):
        # adjacent pairs in alternating order: a burst of load elsewhere hits both alike
        if k % 2:
            fwd.append(time_forward())
            e2e.append(time_update(frame))
        else:
            e2e.append(time_update(frame))
            fwd.append(time_forward())
    stages = {stage: [] for stage in STAGES}
    for frame in clip:
        _, times = tracker.update_profiled(frame)
        for stage in STAGES:
            stages[stage].append(times[stage])
    e2e_ms, fwd_ms = 1e3 * statistics.median(e2e), 1e3 * statistics.median(fwd)
    return {"variant": variant, "device": f"{tracker.device}{' fp16' if half else ''}",
            "params": parameter_count(tracker.model), "e2e_ms": e2e_ms, "fps": 1e3 / e2e_ms, "fwd_ms": fwd_ms,
            "ratio": statistics.median(a / b for a, b in zip(e2e, fwd)),
            **{stage: 1e3 * statistics.median(v) for stage, v in stages.items()}}


def print_table(rows: list[dict]) -> None:
    header = ["variant", "device", "params", "e2e ms", "fps", "fwd ms", "ratio"] + [f"{s} ms" for s in STAGES]
    lines = [[r["variant"], r["device"], f"{r['params']:,}", f"{r['e2e_ms']:.2f}", f"{r['fps']:.1f}",
              f"{r['fwd_ms']:.2f}", f"{r['ratio']:.3f}"] + [f"{r[s]:.2f}" for s in STAGES] for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=30, help="measured frames per variant and device")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--size", default="640x480", help="frame size WxH")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (torch.set_num_threads)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--devices", default="cpu,cuda", help="cuda is skipped when no GPU is present")
    parser.add_argument("--half", action="store_true", help="also run float16 on CUDA")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    torch.set_num_threads(args.threads)
    frames, first_box = synthetic_clip(args.frames + args.warmup + 1, width, height)
    devices = [d for d in args.devices.split(",") if d and (d != "cuda" or torch.cuda.is_available())]
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, CPU threads {args.threads}, "
          f"frames {width}x{height}, {args.frames} measured + {args.warmup} warm-up, medians")
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    rows = []
    for device in devices:
        for half in ([False, True] if device == "cuda" and args.half else [False]):
            for variant in args.variants.split(","):
                rows.append(measure(variant, device, half, frames, first_box, args.warmup))
    print_table(rows)


if __name__ == "__main__":
    main()
