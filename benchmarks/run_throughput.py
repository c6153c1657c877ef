"""Runner throughput: the identity tracker over the synthetic benchmark against pure decoding.

The identity tracker costs nothing, so its frames/s is the toolkit's own ceiling: image
decoding (done ahead of the tracker in a background thread), timing, result writing.
Prints frames/s for decoding alone (one thread, the limit a single worker can reach),
for a run with 1 and with 2 worker processes, and each run's ratio to the decode limit.

    python benchmarks/run_throughput.py [--experiment ope] [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="ope")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from rasbench.config.benchmarks import load_benchmark
    from rasbench.datasets import open_dataset
    from rasbench.registry import resolve
    from rasbench.runner import run_experiment

    bench = load_benchmark("synth")
    dataset = open_dataset(bench, experiment=args.experiment, progress=True)
    frames = [seq.frame_paths for seq in dataset.values()]
    total = sum(len(f) for f in frames)

    def decode_all():
        for seq in dataset.values():
            for row in range(len(seq)):
                seq.frame(row)

    def run(workers: int):
        with tempfile.TemporaryDirectory() as out:
            summary = run_experiment(bench, args.experiment, dataset, resolve("identity"), Path(out),
                                     progress=False, workers=workers, executor="auto" if workers > 1 else "local")
            assert summary.ok and summary.frames > 0
            return summary.frames

    rows = []
    for label, fn in (("decode only (1 thread)", decode_all), ("identity, 1 worker", lambda: run(1)),
                      ("identity, 2 workers", lambda: run(2))):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        rows.append((label, total / statistics.median(times)))
    limit = rows[0][1]
    print(f"synthetic benchmark, {args.experiment}: {total} frames at 320x240 (median of {args.repeat})")
    print(f"{'':26s}{'frames/s':>10s}{'of decode limit':>17s}")
    for label, fps in rows:
        print(f"{label:26s}{fps:10.0f}{fps / limit:16.0%}")


if __name__ == "__main__":
    main()
