"""Training speed of RASNet: does the data loader keep up with the network?

For each device (CPU, and CUDA when present) and variant, in training pairs per second:

* ``loader``: the DataLoader alone (pair sampling, JPEG decoding, crops, augmentation,
  collation) with the given number of worker processes, nothing else running;
* ``step``: one SGD step (forward, weighted logistic loss, backward, update) on a batch
  made beforehand and reused, so no data work at all;
* ``full``: the training loop, loader and step together, as ``rasbench train`` runs it.
  ``full / step`` near 1 means the loader hides behind the network.

Each is measured for every ``--amp`` setting (``off``: float32; ``auto``: what training
picks, bfloat16 on CPUs and GPUs that compute it natively).

Data: the synthetic benchmark's sequences rendered in memory with one training seed
(``--data synth:1``, the default; any ``rasbench train --data`` string works). Times
exclude ``--warmup`` batches (worker start-up, allocator and kernel warm-up). CPU runs
use ``--threads`` threads for the network (default: all cores).

    python benchmarks/train_speed.py [--variants siamfc,rasnet] [--batch 32] [--batches 4] [--warmup 1]
                                     [--amp off,auto] [--workers 0,1] [--cuda-workers 4,15] [--data synth:1]
                                     [--threads N]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import torch

from rasbench_trackers.rasnet import VARIANTS, build_model
from rasbench_trackers.rasnet.data import EpochBatches, PairDataset, collate_pairs, make_labels, open_source
from rasbench_trackers.rasnet.train import make_loader, resolve_amp, train_step


def timed_batches(loader, warmup: int, consume) -> float:
    """Pairs per second over the batches after the first ``warmup`` (each passed to ``consume``)."""
    pairs, start = 0, None
    for k, batch in enumerate(loader):
        consume(batch)
        if k + 1 == warmup:
            start = time.perf_counter()
        elif k >= warmup:
            pairs += len(batch["omega"])
    if start is None or pairs == 0:
        raise SystemExit("need more batches than warm-up batches")
    return pairs / (time.perf_counter() - start)


class Trainer:
    """A variant's model, optimiser and targets on one device: ``step(batch)`` is one SGD step."""

    def __init__(self, variant: str, device: torch.device, amp: str) -> None:
        self.amp = resolve_amp(amp, device)
        self.channels_last = device.type == "cuda"
        self.model = build_model(variant, seed=0).to(device).train()
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.amp is torch.float16)
        self.labels, self.weights = (torch.from_numpy(a).to(device) for a in make_labels())

    def step(self, batch: dict) -> None:
        train_step(self.model, self.optimizer, self.scaler, batch, self.labels, self.weights, amp_dtype=self.amp,
                   channels_last=self.channels_last).item()  # .item() waits for the GPU


def measure(dataset: PairDataset, variants: list[str], device: torch.device, amps: list[str], workers: list[int],
            batch: int, batches: int, warmup: int) -> list[dict]:
    rows = []
    pairs = batch * (batches + warmup)
    loader_rates = {w: timed_batches(make_loader(dataset, EpochBatches(pairs, batch), w, device), warmup,
                                     lambda b: None) for w in workers}
    fixed = collate_pairs([dataset[(0, k)] for k in range(batch)])
    for variant in variants:
        for amp in amps:
            trainer = Trainer(variant, device, amp)
            step_rate = timed_batches([fixed] * (batches + warmup), warmup, trainer.step)
            for w in workers:
                loader = make_loader(dataset, EpochBatches(pairs, batch, epoch=1), w, device)
                full_rate = timed_batches(loader, warmup, trainer.step)
                rows.append({"device": device.type, "variant": variant,
                             "autocast": str(trainer.amp).replace("torch.", ""), "batch": batch, "workers": w,
                             "loader": loader_rates[w], "step": step_rate, "full": full_rate,
                             "full/step": full_rate / step_rate})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default="siamfc,rasnet")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--batches", type=int, default=4, help="timed batches per measurement")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--workers", default="0,1", help="loader processes to try on the CPU")
    parser.add_argument("--cuda-workers", default="4,15", help="loader processes to try beside a GPU")
    parser.add_argument("--amp", default="off,auto", help="autocast settings to try (train's amp values)")
    parser.add_argument("--data", default="synth:1")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    dataset = PairDataset(open_source(args.data, processes=os.cpu_count() or 1), seed=0)
    print(f"data {args.data}: {dataset.video_count} videos, ready in {time.perf_counter() - started:.1f} s; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    amps = args.amp.split(",")
    rows = measure(dataset, variants, torch.device("cpu"), [a for a in amps if a != "fp16"],
                   [int(w) for w in args.workers.split(",")], args.batch, args.batches, args.warmup)
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name()}")
        rows += measure(dataset, variants, torch.device("cuda"), amps, [int(w) for w in args.cuda_workers.split(",")],
                        args.batch, max(args.batches, 20), max(args.warmup, 3))
    columns = ["device", "variant", "autocast", "batch", "workers", "loader", "step", "full", "full/step"]
    print("pairs per second (loader: data only; step: network only, batch made beforehand; full: both)")
    print("  ".join(f"{c:>9s}" for c in columns))
    for row in rows:
        print("  ".join(f"{row[c]:>9.2f}" if isinstance(row[c], float) else f"{row[c]!s:>9s}" for c in columns))


if __name__ == "__main__":
    main()
