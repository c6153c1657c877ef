"""Wall time of ``rasbench report`` with and without intervals and paired tests (issue 16).

Runs the report command as a user does (a fresh process each time, imports included) on
the shared real data, interleaved: without intervals (``--no-ci``), with the defaults
(10,000 resamples, 10,000 permutations), and with 100,000 permutations:

* OTB-2015, 18 trackers x 100 sequences (OTB100.json), JSON: 4 headline measures, 11
  attributes x 2 measures, the success curve's band, 4 x 153 pairs;
* VOT2017 baseline, DaSiamRPN and Ocean (EAO, A, R, failures; the pair on the 58
  sequences both have).

    python benchmarks/report_ci_speed.py [--shared-data DIR] [--repeat N]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VARIANTS = {"--no-ci": ["--no-ci"], "default": [], "100k permutations": ["--n-permutations", "100000"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    shared = args.shared_data
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(shared / "vot2017/results/DaSiamRPN_vot2018_rerun_HonglinChu.zip") as z:
            z.extractall(tmp)
        names = (shared / "vot2017/annotations/list.txt").read_text().split()
        both = ",".join(n for n in names if n not in ("bag", "fish1"))
        cases = {
            "OTB-2015 18 trackers": ["otb2015", "--results", str(shared / "otb/results"), "--annotations",
                                     str(shared / "otb/annotations/OTB100.json")],
            "VOT2017 DaSiamRPN vs Ocean (58 seqs)": [
                "vot2017", "--annotations", str(shared / "vot2017/annotations/VOT2018.json"), "--results",
                str(shared / "vot2017/results"), "--results", str(Path(tmp) / "VOT2018"), "-s", both],
        }
        times: dict[tuple[str, str], list[float]] = {(c, v): [] for c in cases for v in VARIANTS}
        cpu: dict[tuple[str, str], list[float]] = {(c, v): [] for c in cases for v in VARIANTS}
        load_before = os.getloadavg()
        for _ in range(args.repeat):
            for case, command in cases.items():
                for variant, flags in VARIANTS.items():  # interleaved: load changes hit every variant alike
                    start, used = time.perf_counter(), _children_cpu()
                    subprocess.run([sys.executable, "-m", "rasbench", "report", *command, "-f", "json", *flags],
                                   check=True, stdout=subprocess.DEVNULL)
                    times[case, variant].append(time.perf_counter() - start)
                    cpu[case, variant].append(_children_cpu() - used)
        load_after = os.getloadavg()
    print(f"{os.cpu_count()} cores; load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
          f"{args.repeat} runs each, `rasbench report ... -f json`: wall time and CPU time (user + system)")
    for (case, variant), values in times.items():
        print(f"  {case}, {variant}: wall median {statistics.median(values):.2f} s (min {min(values):.2f}, "
              f"max {max(values):.2f}); CPU median {statistics.median(cpu[case, variant]):.2f} s")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
