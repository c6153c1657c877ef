"""Per-frame time of ``siamfc-3s`` and ``rasnet`` against the plain PyTorch SiamFC loop.

All trackers run in one process on the same synthetic clip (a textured target moving over a
textured background, :func:`tracker_speed.synthetic_clip`), frame by frame and interleaved:
frame k is given to every tracker before frame k + 1, in an order that rotates, so load
from other processes hits them alike. Reported: the median time of ``update`` per frame,
its ratio to the reference loop (``benchmarks/siamfc_reference.py``, the same network and
hyper-parameters), and the machine's load average before and after. Then the stage
profile (``update_profiled``: crop, backbone, head, post) of each tracker.

``--clock wall`` (default) times what a user waits for; ``--clock cpu`` the CPU time of
the process (``time.process_time``), which other processes' load does not inflate: with
``--threads 1`` it is the work each tracker does per frame, the fair comparison on a
shared machine.

``--half`` adds each tracker with ``half=true`` (bfloat16 on a CPU with bfloat16
instructions, float16 on CUDA) and the reference loop with its backbone in bfloat16; the
last column compares every tracker with the reference loop of its own precision.

``--before DIR`` adds the trackers of an older rasbench checkout (``DIR/trackers/rasnet``,
loaded under another package name) to the same interleaved run, for a before/after
comparison on the same machine state.

    python benchmarks/siamfc_speed.py [--weights siamfc3s.mat] [--sizes 320x240,640x480] [--frames 30]
                                      [--threads 2] [--clock wall|cpu] [--half]
                                      [--before /path/to/old/checkout]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from siamfc_reference import ReferenceSiamFC  # noqa: E402
from tracker_speed import synthetic_clip  # noqa: E402

from rasbench_trackers.rasnet import RASNetTracker, build_model  # noqa: E402
from rasbench_trackers.rasnet.weights import convert, load_weights  # noqa: E402

STAGES = ("crop", "backbone", "head", "post")


def load_package(folder: Path, name: str):
    """Import ``folder`` (a copy of trackers/rasnet) as the package ``name``."""
    spec = importlib.util.spec_from_file_location(name, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def make_trackers(args, checkpoint: Path | None) -> dict:
    siamfc_params = {"weights": str(checkpoint)} if checkpoint else {"random_init": True}
    official = {"scale_step": 1.0375, "scale_lr": 0.59, "scale_penalty": 0.9745, "window_influence": 0.176}
    trackers = {
        "siamfc-3s": RASNetTracker(variant="siamfc", preset="siamfc-3s", device="cpu", **siamfc_params),
        "rasnet": RASNetTracker(device="cpu"),
    }
    # the user's network as loaded: parameters in PyTorch's default layout
    model = load_weights(checkpoint, "siamfc")[0] if checkpoint else build_model("siamfc", seed=0)
    trackers["reference loop"] = ReferenceSiamFC(model.backbone, model.out_scale.item(), model.bias.item())
    if args.half:
        trackers["siamfc-3s half"] = RASNetTracker(variant="siamfc", preset="siamfc-3s", device="cpu", half=True,
                                                   **siamfc_params)
        trackers["rasnet half"] = RASNetTracker(device="cpu", half=True)
        copy = load_weights(checkpoint, "siamfc")[0] if checkpoint else build_model("siamfc", seed=0)
        trackers["reference bf16"] = ReferenceSiamFC(copy.backbone, copy.out_scale.item(), copy.bias.item(),
                                                     dtype=torch.bfloat16)
    if args.before:
        old = load_package(args.before / "trackers" / "rasnet", "rasnet_before")
        old_tracker = importlib.import_module("rasnet_before.tracker")  # the package's attributes load lazily
        old_tracker.time = types.SimpleNamespace(perf_counter=args.timer)  # its stage clock reads this
        # checkouts from before the siamfc-3s preset get its hyper-parameters with rasbench's arithmetic
        before = {"preset": "siamfc-3s"} if "siamfc-3s" in getattr(old_tracker, "PRESETS", {}) else official
        trackers["siamfc before"] = old.RASNetTracker(variant="siamfc", device="cpu", **siamfc_params, **before)
        trackers["rasnet before"] = old.RASNetTracker(device="cpu", weights=str(
            args.before / "trackers" / "rasnet" / "weights" / "rasnet_synth.pt"))
    return trackers


def interleaved(trackers: dict, frames, first_box, warmup: int, timer) -> dict[str, list[float]]:
    names = list(trackers)
    for tracker in trackers.values():
        tracker.init(frames[0], first_box)
        for frame in frames[1:1 + warmup]:
            tracker.update(frame)
    times = {name: [] for name in names}
    for k, frame in enumerate(frames[1 + warmup:]):
        order = names[k % len(names):] + names[:k % len(names)]
        for name in order:
            start = timer()
            trackers[name].update(frame)
            times[name].append(timer() - start)
    return times


def profile(trackers: dict, frames, first_box, timer) -> dict[str, dict[str, float]]:
    out = {}
    for name, tracker in trackers.items():
        tracker.init(frames[0], first_box)
        stages = {stage: [] for stage in STAGES}
        for frame in frames[1:]:
            # an older checkout's trackers take no timer: their stage clock was given it in make_trackers
            _, seconds = tracker.update_profiled(frame) if "before" in name else tracker.update_profiled(frame, timer)
            for stage in STAGES:
                stages[stage].append(seconds[stage])
        out[name] = {stage: 1e3 * statistics.median(v) for stage, v in stages.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, help="SiamFC weights (.mat / .pth / checkpoint); default: random")
    parser.add_argument("--sizes", default="320x240,640x480")
    parser.add_argument("--frames", type=int, default=30, help="measured frames per size")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall time, or the process's CPU time (use with --threads 1)")
    parser.add_argument("--half", action="store_true", help="also the trackers and the reference loop in half "
                        "precision (bfloat16 on a CPU)")
    parser.add_argument("--before", type=Path, help="an older rasbench checkout to compare with")
    args = parser.parse_args()
    args.timer = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(args.threads)
    checkpoint = None
    with tempfile.TemporaryDirectory() as scratch:
        if args.weights:  # a checkpoint both the new and an older tracker can read
            checkpoint = Path(scratch) / "siamfc.pt"
            convert(args.weights, checkpoint, variant="siamfc")
        trackers = make_trackers(args, checkpoint)
        load_start = os.getloadavg()
        print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"torch threads {args.threads}; {args.frames} frames per size after {args.warmup} warm-up, interleaved; "
              f"medians of {args.clock} time; load average (1/5/15 min) at start "
              f"{load_start[0]:.1f}/{load_start[1]:.1f}/"
              f"{load_start[2]:.1f}")
        rows, profiles = [], {}
        for size in args.sizes.split(","):
            width, height = (int(v) for v in size.lower().split("x"))
            frames, first_box = synthetic_clip(args.frames + args.warmup + 1, width, height)
            times = interleaved(trackers, frames, first_box, args.warmup, args.timer)
            reference = statistics.median(times["reference loop"])
            for name, values in times.items():
                median = statistics.median(values)
                same = "reference bf16" if name.endswith(("half", "bf16")) else "reference loop"
                own = statistics.median(times[same])
                rows.append((size, name, 1e3 * median, 1 / median, median / reference, median / own))
            profiles[size] = profile(trackers, frames[:1 + min(args.frames, 12)], first_box, args.timer)
        load_end = os.getloadavg()
    print(f"{'frames':8s} {'tracker':15s} {'ms/frame':>9s} {'fps':>6s} {'/ reference':>11s} "
          f"{'/ same-precision ref':>20s}")
    for size, name, ms, fps, ratio, own in rows:
        print(f"{size:8s} {name:15s} {ms:9.1f} {fps:6.1f} {ratio:11.2f} {own:20.2f}")
    print("\nstage profile, ms per frame (medians; update_profiled)")
    print(f"{'frames':8s} {'tracker':15s} " + " ".join(f"{s:>9s}" for s in STAGES))
    for size, table in profiles.items():
        for name, stages in table.items():
            print(f"{size:8s} {name:15s} " + " ".join(f"{stages[s]:9.2f}" for s in STAGES))
    print(f"load average at end {load_end[0]:.1f}/{load_end[1]:.1f}/{load_end[2]:.1f}")


if __name__ == "__main__":
    main()
