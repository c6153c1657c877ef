"""The measurements of ``benchmarks/gpu_check.sh`` on a CUDA GPU: tracking fps and training throughput.

* ``fps``: ``update`` per frame for ``siamfc-3s`` (SiamFC variant, its arithmetic) and
  ``rasnet`` (all attentions), float32 and float16, on a synthetic 640x480 clip; ``update``
  ends with the tracker's one device-to-host copy, and the timer also synchronises the
  device, so every frame is complete when its time is taken. Untrained weights: the speed
  does not depend on their values.
* ``train``: ``rasbench train``'s step (RASNet, batch 32, autocast as ``--amp auto`` picks)
  fed by its loader from synthetic videos, for ``--train-seconds``; pairs per second after
  a warm-up, and the peak GPU memory.

Prints the table (with ``--tests``, the shell script's CUDA test summary as its first row).

    python benchmarks/gpu_check.py [--frames 300] [--train-seconds 120] [--tests "3 passed in 9s"]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tracker_speed import synthetic_clip  # noqa: E402

from rasbench_trackers.rasnet import RASNetTracker, build_model  # noqa: E402
from rasbench_trackers.rasnet.data import EpochBatches, PairDataset, make_labels, open_source  # noqa: E402
from rasbench_trackers.rasnet.train import make_loader, resolve_amp, resolve_workers, train_step  # noqa: E402


def tracking_fps(frames, first_box, variant: str, preset: str, half: bool, warmup: int) -> float:
    tracker = RASNetTracker(random_init=True, variant=variant, preset=preset, device="cuda", half=half)
    tracker.init(frames[0], first_box)
    times = []
    for k, frame in enumerate(frames[1:]):
        torch.cuda.synchronize()
        start = time.perf_counter()
        tracker.update(frame)
        torch.cuda.synchronize()
        if k >= warmup:
            times.append(time.perf_counter() - start)
    return 1.0 / statistics.median(times)


def training_throughput(seconds: float) -> tuple[float, float, str]:
    device = torch.device("cuda")
    amp = resolve_amp("auto", device)
    workers = resolve_workers("auto", device)
    model = build_model("rasnet", seed=0).to(device).to(memory_format=torch.channels_last).train()
    torch.backends.cudnn.benchmark = True
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=amp is torch.float16)
    labels, weights = (torch.from_numpy(a).to(device) for a in make_labels())
    dataset = PairDataset(open_source("synth:1", processes=os.cpu_count() or 1), seed=0)
    loader = make_loader(dataset, EpochBatches(10 ** 7, 32), workers, device)
    torch.cuda.reset_peak_memory_stats()
    pairs, started, deadline = 0, None, None
    for k, batch in enumerate(loader):
        train_step(model, optimizer, scaler, batch, labels, weights, amp_dtype=amp, channels_last=True).item()
        if k == 10:  # after cuDNN autotuning and worker start-up
            started = time.perf_counter()
            deadline = started + seconds
        elif started is not None:
            pairs += len(batch["omega"])
            if time.perf_counter() >= deadline:
                break
    rate = pairs / (time.perf_counter() - started)
    return rate, torch.cuda.max_memory_allocated() / 2 ** 30, f"{str(amp).replace('torch.', '')}, {workers} workers"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--train-seconds", type=float, default=120.0)
    parser.add_argument("--tests", help="summary line of the CUDA tests, shown as the first row")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU")
    rows = [("check", "setting", "result")]
    if args.tests:
        rows.append(("CUDA tests", "pytest -m cuda", args.tests))
    frames, first_box = synthetic_clip(args.frames + args.warmup + 1, 640, 480)
    for label, variant, preset in (("siamfc-3s", "siamfc", "siamfc-3s"), ("rasnet", "rasnet", "rasnet")):
        for half in (False, True):
            fps = tracking_fps(frames, first_box, variant, preset, half, args.warmup)
            rows.append((f"tracking {label}", f"{'float16' if half else 'float32'}, 640x480", f"{fps:.0f} frames/s"))
    rate, memory, setting = training_throughput(args.train_seconds)
    rows.append(("training rasnet", f"batch 32, {setting}", f"{rate:.0f} pairs/s, peak {memory:.1f} GiB"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    print(f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    main()
