"""How close is ``siamfc-3s`` to the official SiamFC-3s, frame by frame?

Compares our boxes with the official SiamFC-3s boxes of the same targets (the CFNet
release, ``shared/data/otb/results_subsets/SiamFC-3s-official``) two ways:

* ``compare RESULTS_DIR ...``: result folders written by ``rasbench run otb2015`` (any
  tracker), scored per target: success AUC (official OTB convention) next to the official
  boxes' own, and the mean IoU between the folder's boxes and the official ones over all
  frames (frame 1 included: it is the ground truth for both).
* ``ablate``: runs ``siamfc-3s`` in this process with each piece of the original's
  arithmetic switched back to rasbench's (``crop``, ``upsample``, ``update``), all of them,
  and with the weights perturbed by noise the size of their int8 rounding (uniform in half
  a quantisation step per output channel: what the float originals could have been). Per
  configuration and target it prints the mean IoU to the official boxes of a free run, and
  the one-step agreement: the tracker is put in the official state of frame k - 1 (centre,
  size, search side) and tracks frame k; the step agrees when the box equals the official
  one to the 3 decimals the official file has. One-step agreement measures the per-frame
  arithmetic without the drift that compounds any single difference.

    python benchmarks/siamfc_fidelity.py compare --root SEQS --official DIR RESULTS/otb2015/siamfc-3s/ope ...
    python benchmarks/siamfc_fidelity.py ablate --root SEQS --official DIR --weights W.mat [--steps 300]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from rasbench.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.metrics.otb import overlap
from rasbench.report import evaluate
from rasbench.results import read_boxes
from rasbench_trackers.rasnet import RASNetTracker

TARGETS = ("Couple", "Crossing", "Dog1", "Football1", "Jogging-1", "Jogging-2")
CONFIGS = {  # label -> tracker parameters on top of preset=siamfc-3s
    "siamfc-3s": {},
    "crop=rasbench": {"crop": "rasbench"},
    "upsample=rasbench": {"upsample": "rasbench"},
    "update=rasbench": {"update": "rasbench"},
    "all rasbench": {"crop": "rasbench", "upsample": "rasbench", "update": "rasbench"},
    "int8 noise seed 1": {"noise_seed": 1},
    "int8 noise seed 2": {"noise_seed": 2},
}


def official_boxes(folder: Path, name: str) -> np.ndarray:
    return read_boxes(folder / f"{name}.txt")


def mean_iou(boxes: np.ndarray, official: np.ndarray) -> float:
    return float(overlap(boxes, official).mean())


def compare(args) -> None:
    bench = load_benchmark("otb2015")
    dataset = open_dataset(bench, root=args.root, images=False, sequences=list(args.targets))
    folders = {Path(f).parent.name if Path(f).name == "ope" else Path(f).name: Path(f) for f in args.results}
    report = evaluate(bench, "ope", dataset, {**folders, "official": args.official}, cache=False)
    auc = {name: {seq: tracker.sequences[seq]["success_auc"] for seq in args.targets}
           for name, tracker in report.trackers.items()}
    print(f"{'target':10s} {'official AUC':>12s} " + " ".join(f"{n + ' AUC':>22s} {'IoU to official':>16s}"
                                                         for n in folders))
    for seq in args.targets:
        official = official_boxes(args.official, seq)
        cells = [f"{auc[name][seq]:22.3f} {mean_iou(read_boxes(folder / f'{seq}.txt'), official):16.3f}"
                 for name, folder in folders.items()]
        print(f"{seq:10s} {auc['official'][seq]:12.3f} " + " ".join(cells))
    print(f"{'all six':10s} {report.trackers['official'].overall.success_auc:12.3f} "
          + " ".join(f"{report.trackers[n].overall.success_auc:22.3f} {'':16s}" for n in folders))


# ----------------------------------------------------------------------------- ablation

def perturb_like_int8(tracker: RASNetTracker, seed: int) -> None:
    """Add uniform noise of half a quantisation step to every conv weight (per output channel,
    symmetric int8: step = max |w| / 127)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in tracker.model.backbone.modules():
            if isinstance(module, torch.nn.Conv2d):
                weight = module.weight
                step = weight.abs().amax(dim=(1, 2, 3), keepdim=True) / 127
                noise = (torch.rand(weight.shape, generator=generator) - 0.5) * step
                weight.add_(noise.to(weight.device, weight.dtype))


def make_tracker(weights: Path, params: dict) -> RASNetTracker:
    params = dict(params)
    seed = params.pop("noise_seed", None)
    tracker = RASNetTracker(weights=str(weights), variant="siamfc", preset="siamfc-3s", device="cpu", **params)
    if seed is not None:
        perturb_like_int8(tracker, seed)
    return tracker


def set_state(tracker: RASNetTracker, box: np.ndarray, first: np.ndarray) -> None:
    """Put the tracker in the state the official tracker had when it reported ``box`` (0-based)."""
    x, y, w, h = box
    factor = w / first[2]  # size and search side scale together (SiamFC's clamp is never reached here)
    tracker.centre = [x + w / 2.0, y + h / 2.0]
    tracker.target_size = [w, h]
    tracker.scale = factor
    tracker.search_side = tracker.initial_search_side * factor


def run_target(tracker_for, seq, official: np.ndarray, steps: int) -> tuple[float, float, int]:
    """(mean IoU of a free run to the official boxes, one-step agreement, frames)."""
    frames = [seq.frame(k) for k in range(len(seq))]
    first = seq.to_tracker(seq.groundtruth[0])
    tracker = tracker_for()
    tracker.init(frames[0], first)
    boxes = [seq.groundtruth[0]]
    for frame in frames[1:]:
        boxes.append(seq.from_tracker(tracker.update(frame)["box"]))
    free = mean_iou(np.array(boxes), official)
    agree = 0
    count = min(steps, len(seq) - 1)
    tracker.init(frames[0], first)
    for k in range(1, count + 1):
        set_state(tracker, seq.to_tracker(official[k - 1]), first)
        box = seq.from_tracker(tracker.update(frames[k])["box"])
        agree += bool(np.all(np.abs(box - official[k]) < 1.5e-3))
    return free, agree / count, len(seq)


def ablate(args) -> None:
    torch.set_num_threads(args.threads)
    bench = load_benchmark("otb2015")
    dataset = open_dataset(bench, root=args.root, images=True, sequences=list(args.targets))
    configs = {label: CONFIGS[label] for label in args.configs}
    started = time.perf_counter()
    print(f"torch {torch.__version__}, {args.threads} threads, load {os.getloadavg()[0]:.1f}; "
          f"one-step agreement over the first {args.steps} steps of each target")
    header = f"{'configuration':20s} " + " ".join(f"{t:>17s}" for t in args.targets) + f" {'mean':>11s}"
    print("cells: free-run mean IoU to official / one-step agreement")
    print(header)
    for label, params in configs.items():
        cells, ious, agreements = [], [], []
        for name in args.targets:
            seq = dataset[name]
            free, agree, _ = run_target(lambda: make_tracker(args.weights, params), seq,
                                        official_boxes(args.official, name), args.steps)
            cells.append(f"{free:8.3f} / {agree:6.3f}")
            ious.append(free)
            agreements.append(agree)
        print(f"{label:20s} " + " ".join(f"{c:>17s}" for c in cells)
              + f" {statistics.mean(ious):.3f}/{statistics.mean(agreements):.3f}", flush=True)
    print(f"({time.perf_counter() - started:.0f} s, load {os.getloadavg()[0]:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("compare", "ablate"):
        p = sub.add_parser(name)
        p.add_argument("--root", type=Path, required=True, help="folder of the OTB sequences")
        p.add_argument("--official", type=Path, required=True, help="folder of the official SiamFC-3s boxes")
        p.add_argument("--targets", type=lambda s: s.split(","), default=TARGETS)
    sub.choices["compare"].add_argument("results", nargs="+", help="result folders (<Seq>.txt files)")
    sub.choices["ablate"].add_argument("--weights", type=Path, required=True)
    sub.choices["ablate"].add_argument("--steps", type=int, default=300, help="one-step comparisons per target")
    sub.choices["ablate"].add_argument("--configs", type=lambda s: s.split(","), default=list(CONFIGS))
    sub.choices["ablate"].add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    compare(args) if args.command == "compare" else ablate(args)


if __name__ == "__main__":
    main()
