"""Scoring speed: rasbench's VOT2017 report vs vot-toolkit 0.9.0's analysis, same inputs, one process.

Inputs (../shared/data/vot2017): the VOT2017 (= VOT2018 short-term) ground truth and every
raw baseline result there:

* DaSiamRPN's third-party VOT2018 re-run (the zip, unpacked into a temporary folder),
  60 sequences, one run each;
* Ocean's VOT2018 baseline (pysot layout). Two of its files are defective (bag_001.txt
  has 195 lines for 196 frames, fish1_001.txt 436 for 366): rasbench reports such files
  and scores the rest, vot-toolkit's analysis fails for the whole tracker ("List not of
  the same size 195 != 196") and gives no number, so Ocean is scored on the other 58
  sequences on both sides.

rasbench: ``open_dataset`` on pysot's ``VOT2018.json`` (regions, tags and image sizes;
no images) and one ``evaluate_vot(..., convention="vot-toolkit")`` over both result
folders, as ``rasbench report vot2017 -e baseline -c vot-toolkit`` makes it (Ocean's two
defective files are reported, its other 58 sequences scored). Nothing is cached between
calls, so every timed call reads and scores every file ("cold"); the first call in the
process is reported on its own as well. rasbench rasterises the overlaps in one thread
per CPU core (``rasbench.geometry.raster.overlaps``, numpy releasing the GIL); the printout says
how many cores there were.

vot-toolkit: a workspace made in a temporary folder with the toolkit's own ``vot2017``
stack (baseline: supervised_average_ar, cumulative_failures, supervised_eao_score
[100, 356], supervised_eao_curve). The images are not available, so each sequence folder
holds the native ground truth and tag files (links to ``annotations/sequences``) and a
``sequence`` metadata file with width, height and length (from the JSON): with the length
given the toolkit does not look for the frames. The trackers are results-only entries
(``command =``) in ``trackers.ini``. Each timed call loads the workspace afresh (its
dataset reads the ground truth lazily) and runs ``process_stack_analyses`` in the way
``vot analysis`` does (one worker thread, in-memory cache, new each time). numba's JIT
compilation of the rasteriser is triggered once before timing, so vot-toolkit is timed
slightly faster than a first ``vot analysis`` really is.

The script checks that both give the same numbers (A, failures, AR robustness: <= 1e-9;
EAO: <= 1e-6, vot-toolkit averages its EAO curve in float32) and prints the times and
the ratio.

    python benchmarks/vot_report_speed.py [--shared-data DIR] [--repeat N]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFECTIVE = ("bag", "fish1")  # Ocean_vot2018: wrong line counts (see ../shared/data/PROVENANCE.md)


def _link(source: Path, target: Path) -> None:
    try:
        os.symlink(source, target)
    except OSError:  # no symlinks here: copy
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)


def make_workspace(work: Path, annotations: Path, trackers: dict[str, Path]) -> Path:
    """A vot-toolkit workspace over the annotation-only copy, the trackers as results only."""
    meta = json.loads((annotations / "VOT2018.json").read_text())
    names = [n.strip() for n in (annotations / "list.txt").read_text().splitlines() if n.strip()]
    ws = work / "workspace"
    sequences = ws / "sequences"
    sequences.mkdir(parents=True)
    for name in names:
        folder = sequences / name
        folder.mkdir()
        for source in (annotations / "sequences" / name).iterdir():
            _link(source, folder / source.name)
        entry = meta[name]
        (folder / "sequence").write_text(
            f"channels.color=color/%08d.jpg\nfps=30\nformat=default\nname={name}\n"
            f"width={entry['width']}\nheight={entry['height']}\nlength={len(entry['gt_rect'])}\n")
    (sequences / "list.txt").write_text("".join(f"{n}\n" for n in names))
    (ws / "results").mkdir()
    for tracker, experiment_dir in trackers.items():  # <results>/<tracker>/baseline/<seq>/...
        (ws / "results" / tracker).mkdir()
        _link(experiment_dir, ws / "results" / tracker / "baseline")
    (ws / "trackers.ini").write_text("".join(f"[{t}]\nlabel = {t} (results only)\ncommand =\n\n" for t in trackers))
    (ws / "config.yaml").write_text("stack: vot2017\nregistry:\n  - ./trackers.ini\n")
    return ws


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = args.shared_data / "vot2017"
    annotations = base / "annotations"
    archive = base / "results" / "DaSiamRPN_vot2018_rerun_HonglinChu.zip"
    ocean = base / "results" / "Ocean_vot2018" / "baseline"
    if not (annotations / "VOT2018.json").is_file() or not archive.is_file() or not ocean.is_dir():
        raise SystemExit(f"VOT2017 annotations / raw results not found under {base}")

    os.environ["VOT_PERSISTENT_CACHE"] = "0"   # the analysis cache in memory, as fresh for every call
    os.environ.setdefault("MPLBACKEND", "Agg")
    work = Path(tempfile.mkdtemp(prefix="rasbench-vot-speed-"))
    try:
        with zipfile.ZipFile(archive) as z:
            z.extractall(work / "dasiam")
        dasiam = work / "dasiam" / "VOT2018" / "DaSiamRPN" / "baseline"
        ws = make_workspace(work, annotations, {"DaSiamRPN": dasiam, "Ocean": ocean})

        # Everything imported (and numba's rasteriser compiled) before any clock starts.
        from cachetools import LRUCache
        from vot.analysis import AnalysisProcessor, process_stack_analyses
        from vot.region import calculate_overlaps
        from vot.region.io import parse_region
        from vot.utilities import ThreadPoolExecutor
        from vot.workspace import Workspace

        from rasbench.config.benchmarks import load_benchmark
        from rasbench.datasets import open_dataset
        from rasbench.evaluation import evaluate as evaluate_vot

        calculate_overlaps([parse_region("1,1,5,5"), parse_region("0,0,3,0,3,4,0,4")],
                           [parse_region("2,2,5,5"), parse_region("1,1,5,5")], (10, 10))
        names = [n.strip() for n in (annotations / "list.txt").read_text().splitlines() if n.strip()]
        ocean_names = [n for n in names if n not in DEFECTIVE]

        def rasbench_scores():
            # One report over every result folder, as `rasbench report` makes it: Ocean's two
            # defective files are listed as problems and its other 58 sequences are scored.
            bench = load_benchmark("vot2017")
            dataset = open_dataset(bench, annotations=annotations / "VOT2018.json", images=False,
                                   experiment="baseline")
            report = evaluate_vot(bench, "baseline", dataset, {"DaSiamRPN": dasiam, "Ocean": ocean}, "vot-toolkit")
            out = {}
            for tracker, t in report.trackers.items():
                assert set(t.problems) == (set(DEFECTIVE) if tracker == "Ocean" else set()), t.problems
                s = t.scores
                out[tracker] = {"accuracy": s["accuracy"], "failures": s["failures"],
                                "cumulative_failures": sum(v["failures"] for v in t.sequences.values()),
                                "ar_robustness": s["ar_robustness"], "eao": s["eao"], "sequences": len(t.sequences)}
            return out

        def vot_scores():
            workspace = Workspace.load(str(ws))
            executor = ThreadPoolExecutor(1)
            out = {}
            try:
                with AnalysisProcessor(executor, LRUCache(1000)), contextlib.redirect_stdout(io.StringIO()):
                    for tracker, sequences in (("DaSiamRPN", None), ("Ocean", ocean_names)):
                        found = workspace.registry.resolve(tracker, storage=workspace.storage.substorage("results"),
                                                           skip_unknown=False)
                        results = process_stack_analyses(workspace, found, sequences, ["baseline"])
                        (experiment, by_analysis), = results.items()
                        values = {type(a).__name__: grid for a, grid in by_analysis.items()}
                        accuracy, failures, ar, _ = values["AverageAccuracyRobustness"][0, 0]
                        out[tracker] = {"accuracy": accuracy, "failures": failures,
                                        "cumulative_failures": values["CumulativeFailureCount"][0, 0][0],
                                        "ar_robustness": ar[0], "eao": values["EAOScore"][0, 0][0],
                                        "sequences": len(names if sequences is None else sequences)}
            finally:
                executor.shutdown(wait=True)
            return out

        ras_times, ras = timed(rasbench_scores, args.repeat)
        vot_times, vp = timed(vot_scores, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("VOT2017 baseline, convention vot-toolkit: DaSiamRPN (60 sequences) + Ocean (58; bag and fish1 "
          "are defective and left out on both sides)")
    keys = ("accuracy", "failures", "cumulative_failures", "ar_robustness", "eao")
    worst = {}
    for tracker in ras:
        print(f"  {tracker:9s}  " + "  ".join(f"{k} {ras[tracker][k]:.6f}" for k in keys))
        for k in keys:
            d = abs(ras[tracker][k] - vp[tracker][k])
            worst[k] = max(worst.get(k, 0.0), d)
    print("  max |rasbench - vot-toolkit|: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    for k, v in worst.items():
        limit = 1e-6 if k == "eao" else 1e-9
        if not v <= limit:
            raise SystemExit(f"numbers differ: {k} by {v:g} (limit {limit:g})")
    med_r, med_v = statistics.median(ras_times), statistics.median(vot_times)
    print(f"cores: {os.cpu_count()}")
    print(f"rasbench evaluate_vot (no cache, every file parsed): first {ras_times[0]:.3f} s, "
          f"median of {args.repeat} {med_r:.3f} s")
    print(f"vot-toolkit 0.9.0 analysis (AR + failures + EAO):     first {vot_times[0]:.3f} s, "
          f"median of {args.repeat} {med_v:.3f} s")
    print(f"ratio (vot-toolkit / rasbench): first {vot_times[0] / ras_times[0]:.1f}x, median {med_v / med_r:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
