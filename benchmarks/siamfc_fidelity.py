"""How close is ``siamfc-3s`` to the official SiamFC-3s, frame by frame?

Compares our boxes with the official SiamFC-3s boxes of the same targets (the CFNet
release, ``shared/data/otb/results_subsets/SiamFC-3s-official``) three ways:

* ``compare RESULTS_DIR ...``: result folders written by ``rasbench run otb2015`` (any
  tracker), scored per target: success AUC (official OTB convention) next to the official
  boxes' own, and the mean IoU between the folder's boxes and the official ones over all
  frames (frame 1 included: it is the ground truth for both).
* ``rules``: no network at all: whether the official boxes move as SiamFC's state update
  says (whole upsampled-response pixels of ``round(s_x)``, one of three size factors) or
  as rasbench's would.
* ``ablate``: runs ``siamfc-3s`` in this process with each piece of the original's
  arithmetic switched back to rasbench's (``crop``, ``upsample``, ``update``), all of them,
  and with the weights perturbed by noise the size of their int8 rounding (uniform in half
  a quantisation step per output channel: what the float originals could have been). One
  step per frame: the tracker is put in the official state of frame k - 1 (centre, size,
  search side) and tracks frame k, which measures the per-frame arithmetic without the
  drift that compounds any single difference; printed over all targets: the share of steps
  with the official box (to its 3 decimals), the official scale choice, the official move
  (within half an upsampled-response pixel), and the mean move difference in those pixels
  (length, x, y). The int8-noise rows are compared with the unperturbed steps too: how
  much weight rounding alone changes. ``--free`` adds free runs (mean IoU to the official
  boxes over whole targets).

    python benchmarks/siamfc_fidelity.py rules --official DIR
    python benchmarks/siamfc_fidelity.py compare --root SEQS --official DIR RESULTS/otb2015/siamfc-3s/ope ...
    python benchmarks/siamfc_fidelity.py ablate --root SEQS --official DIR --weights W.mat [--steps 300]
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import open_dataset
from rasbench.evaluation import evaluate
from rasbench.geometry import overlap
from rasbench.results.otb import read_boxes
from rasbench_trackers.rasnet import RASNetTracker, siamfc
from rasbench_trackers.rasnet.tracker import cpu_has_native_bf16

TARGETS = ("Couple", "Crossing", "Dog1", "Football1", "Jogging-1", "Jogging-2")
SCALE_LR, SCALE_STEP = 0.59, 1.0375  # SiamFC-3s (tracking/tracker.m)
CONFIGS = {  # label -> tracker parameters on top of preset=siamfc-3s
    "siamfc-3s": {},
    "crop=rasbench": {"crop": "rasbench"},
    "upsample=rasbench": {"upsample": "rasbench"},
    "update=rasbench": {"update": "rasbench"},
    "all rasbench": {"crop": "rasbench", "upsample": "rasbench", "update": "rasbench"},
    "half": {"half": True},  # bfloat16 on a CPU, float16 on CUDA
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


def one_steps(tracker: RASNetTracker, frames, seq, official: np.ndarray, steps: int) -> np.ndarray:
    """Boxes (native coordinates) of ``steps`` single steps, each from the official state of the frame before."""
    first = seq.to_tracker(official[0])
    tracker.init(frames[0], first)
    boxes = []
    for k in range(1, steps + 1):
        set_state(tracker, seq.to_tracker(official[k - 1]), first)
        boxes.append(seq.from_tracker(tracker.update(frames[k])["box"]))
    return np.array(boxes)


def search_sides(states: np.ndarray) -> np.ndarray:
    """SiamFC's search side ``s_x`` in each of consecutive states (N,): the first box's, times the
    damped scale factor of every step since (read from the width ratios, which the 3 decimals
    of the boxes blur but cannot confuse: the factors differ by 2 %)."""
    first = states[0]
    context = 0.5 * (first[2] + first[3])
    factors = 1 - SCALE_LR + SCALE_LR * SCALE_STEP ** np.array([-1.0, 0.0, 1.0])
    ratios = states[1:, 2] / states[:-1, 2]
    steps = factors[np.argmin(np.abs(ratios[:, None] - factors), axis=1)]
    return np.sqrt((first[2] + context) * (first[3] + context)) * 255 / 127 * np.cumprod(np.r_[1.0, steps])


def step_moves(boxes: np.ndarray, previous: np.ndarray, scale_lr: float, scale_step: float) -> tuple:
    """(centre displacement in SiamFC's upsampled-response pixels (N, 2), scale choice (N,) in -1, 0, 1).

    The unit is ``8/16 * round(s_x)/255`` frame pixels, with ``s_x`` the search side of the
    state at ``previous`` (it scales with the box width); the scale choice is read from the
    width ratio, ``1 + lr (q - 1)`` with ``q`` one of ``scale_step ** (-1, 0, 1)``.
    """
    sides = np.array([siamfc.matlab_round(side) for side in search_sides(previous)])
    unit = 0.5 * sides / 255
    moves = ((boxes[:, :2] + boxes[:, 2:] / 2) - (previous[:, :2] + previous[:, 2:] / 2)) / unit[:, None]
    q = 1 + (boxes[:, 2] / previous[:, 2] - 1) / scale_lr
    choice = np.argmin(np.abs(q[:, None] - scale_step ** np.array([-1.0, 0.0, 1.0])), axis=1) - 1
    return moves, choice


def ablate(args) -> None:
    torch.set_num_threads(args.threads)
    bench = load_benchmark("otb2015")
    dataset = open_dataset(bench, root=args.root, images=True, sequences=list(args.targets))
    started = time.perf_counter()
    print(f"torch {torch.__version__}, {args.threads} threads, load {os.getloadavg()[0]:.1f}; one step per frame "
          f"over the first {args.steps} frames of each target, from the official state of the frame before")
    hp = make_tracker(args.weights, {}).hyper
    official, frames, base, rows = {}, {}, {}, []
    for name in args.targets:
        seq = dataset[name]
        official[name] = official_boxes(args.official, name)
        frames[name] = [seq.frame(k) for k in range(min(args.steps, len(seq) - 1) + 1)]
    configs = list(args.configs)
    if "half" in configs and not cpu_has_native_bf16():
        print("  'half' left out: this CPU has no bfloat16 instructions")
        configs.remove("half")
    for label in configs:
        params = CONFIGS[label]
        steps, free = {}, {}
        for name in args.targets:
            seq, boxes = dataset[name], official[name]
            if args.steps:
                steps[name] = one_steps(make_tracker(args.weights, params), frames[name], seq, boxes,
                                        len(frames[name]) - 1)
            if args.free:
                free[name] = mean_iou(free_run(make_tracker(args.weights, params), seq), boxes)
        if label == "siamfc-3s":
            base = steps
        rows.append((label, steps, free))
        print(f"  {label} done ({time.perf_counter() - started:.0f} s)", flush=True)

    def stats(boxes_by_target, against) -> tuple[float, ...]:
        ours, theirs = [], []
        for name in args.targets:
            n = len(boxes_by_target[name])
            previous = official[name][:n]
            ours.append(step_moves(boxes_by_target[name], previous, hp.scale_lr, hp.scale_step))
            theirs.append(step_moves(against[name], previous, hp.scale_lr, hp.scale_step))
        moves = np.concatenate([m for m, _ in ours]) - np.concatenate([m for m, _ in theirs])
        same_scale = np.concatenate([c for _, c in ours]) == np.concatenate([c for _, c in theirs])
        exact = np.concatenate([np.all(np.abs(boxes_by_target[t] - against[t]) < 1.5e-3, axis=1)
                                for t in args.targets])
        return (exact.mean(), same_scale.mean(), np.all(np.abs(moves) < 0.5, axis=1).mean(),
                np.hypot(*moves.T).mean(), *moves.mean(axis=0))

    official_steps = {name: official[name][1:len(frames[name])] for name in args.targets}
    if args.steps:
        print("\none step from the official state, all targets together (moves in upsampled-response pixels)")
        print(f"{'configuration':20s} {'compared with':14s} {'same box':>8s} {'same scale':>10s} "
              f"{'same move':>9s} {'mean |d|':>8s} {'mean dx':>8s} {'mean dy':>8s}")
        for label, steps, _ in rows:
            against = {"official": official_steps}
            if label.startswith("int8 noise") or label == "half":
                against["siamfc-3s"] = base
            for what, boxes in against.items():
                exact, scale, move, error, dx, dy = stats(steps, boxes)
                print(f"{label:20s} {what:14s} {exact:8.3f} {scale:10.3f} {move:9.3f} {error:8.2f} "
                      f"{dx:+8.2f} {dy:+8.2f}")
    if args.free:
        print("\nfree run: mean IoU to the official boxes (all frames)")
        print(f"{'configuration':20s} " + " ".join(f"{t:>9s}" for t in args.targets))
        for label, _, free in rows:
            print(f"{label:20s} " + " ".join(f"{free[t]:9.3f}" for t in args.targets))
    print(f"({time.perf_counter() - started:.0f} s, load {os.getloadavg()[0]:.1f})")


def free_run(tracker: RASNetTracker, seq) -> np.ndarray:
    """The tracker's boxes (native coordinates) over the whole sequence, from the ground truth of frame 1."""
    tracker.init(seq.frame(0), seq.to_tracker(seq.groundtruth[0]))
    boxes = [seq.groundtruth[0]] + [seq.from_tracker(tracker.update(seq.frame(k))["box"]) for k in range(1, len(seq))]
    return np.array(boxes)


def rules(args) -> None:
    """Which state update the official boxes obey, network aside: SiamFC's moves are whole
    upsampled-response pixels of ``8/16 round(s_x)/255`` from ``ceil(272/2)``; rasbench's are
    ``8/16 s_x q/255`` (the winning scale's side) from the exact centre, half a pixel off
    SiamFC's; the size changes by one of the three damped factors ``1 - lr + lr q`` either way."""
    print(f"{'target':10s} {'steps':>6s} {'size: one of 3':>15s} {'siamfc moves':>13s} {'rasbench moves':>15s}")
    counts = np.zeros(4)
    for name in args.targets:
        boxes = official_boxes(args.official, name)
        previous, current = boxes[:-1], boxes[1:]
        moves, choice = step_moves(current, previous, SCALE_LR, SCALE_STEP)
        q = SCALE_STEP ** choice
        sized = np.abs(current[:, 2] / previous[:, 2] - (1 - SCALE_LR + SCALE_LR * q)) < 1e-3
        whole = np.all(np.abs(moves - np.round(moves)) < 0.02, axis=1)
        shift = (current[:, :2] + current[:, 2:] / 2) - (previous[:, :2] + previous[:, 2:] / 2)
        own = shift / (0.5 * search_sides(previous) * q / 255)[:, None] - 0.5
        own_whole = np.all(np.abs(own - np.round(own)) < 0.02, axis=1)
        row = np.array([len(current), sized.sum(), whole.sum(), own_whole.sum()])
        counts += row
        print(f"{name:10s} {row[0]:6d} {row[1]:15d} {row[2]:13d} {row[3]:15d}")
    print(f"{'all':10s} {int(counts[0]):6d} {int(counts[1]):15d} {int(counts[2]):13d} {int(counts[3]):15d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("compare", "ablate", "rules"):
        p = sub.add_parser(name)
        if name != "rules":
            p.add_argument("--root", type=Path, required=True, help="folder of the OTB sequences")
        p.add_argument("--official", type=Path, required=True, help="folder of the official SiamFC-3s boxes")
        p.add_argument("--targets", type=lambda s: s.split(","), default=TARGETS)
    sub.choices["compare"].add_argument("results", nargs="+", help="result folders (<Seq>.txt files)")
    sub.choices["ablate"].add_argument("--weights", type=Path, required=True)
    sub.choices["ablate"].add_argument("--steps", type=int, default=300, help="one-step comparisons per target")
    sub.choices["ablate"].add_argument("--free", action="store_true", help="also free runs over whole targets")
    sub.choices["ablate"].add_argument("--configs", type=lambda s: s.split(","), default=list(CONFIGS))
    sub.choices["ablate"].add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    {"compare": compare, "ablate": ablate, "rules": rules}[args.command](args)


if __name__ == "__main__":
    main()
