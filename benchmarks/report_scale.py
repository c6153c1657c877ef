"""Report speed and peak memory at scale: whole processes, interleaved, cold and warm (issue 18).

Every measurement is a separate process (``python -m rasbench report ...`` or a process
running the alternative's scoring), started in turn A, B, C, A, B, C, ... for
``--repeat`` rounds; the printed times are medians over the rounds and the ratios are
ratios of those medians. Peak memory is the ``ru_maxrss`` that ``os.wait4`` returns
for each child (that process alone, with any children it waited for; not a sum), the
median over the rounds. Linux counts in it the parent's own peak (the child starts as
a vfork of the parent), so this script keeps itself small: inputs are generated in
child processes, and its own peak is printed as the floor of every figure. The
1-minute load average is printed before and after each row.

* cold: ``$RASBENCH_CACHE`` points at a new empty folder for that one process (no run
  scores, nothing else rasbench caches); nothing else is dropped (the OS page cache
  stays warm, as it is for the alternatives).
* warm: ``$RASBENCH_CACHE`` points at a folder filled by one untimed run first.

Before the timed rounds, one untimed round runs every command once, so that Python's
bytecode caches and the OS file cache are warm for every side alike. Children run
without ``PYTHONDONTWRITEBYTECODE`` (set in some sandboxes): otherwise every rasbench
process would compile its modules from source, while the alternatives' installed
packages have their bytecode.

Rows (``--only`` picks some, comma-separated):

  otb    OTB-2015, the 18 stored tracker folders (../shared/data/otb/results, ~1.06 M
         boxes), pysot's OTB100.json, convention got10k: rasbench cold, with the
         annotations cached but no run scores (the issue's "cold": empty score cache), and warm vs
         got10k 0.1.3's ExperimentOTB.report (scoring only, and with its two plots) on
         the same files (annotations written as per-sequence text files, read with
         np.loadtxt as got10k's OTB dataset does; see report_speed.py).
  lasot  LaSOT-sized: 280 sequences x 2,500 frames, 4 trackers, integer boxes (one
         tracker with 3 decimals), generated once into the work folder: rasbench from
         an OTB-toolkit anno/ folder and from a pysot-style JSON (~37 MB) vs got10k
         scoring the same text files; also with the annotations cached and the run
         scores not (new results on a dataset read before).
  vot    VOT2017 baseline, DaSiamRPN (the third-party VOT2018 re-run in shared data),
         convention vot-toolkit: rasbench cold and warm vs ``vot analysis`` (vot-toolkit
         0.9.0, its CLI, persistent cache off) on a results-only workspace over the
         same ground truth (see vot_report_speed.py).
  many   200 tracker folders x OTB-2015 (copies of the 18 with every number moved by
         a seeded random amount, 3 decimals; generated once): rasbench cold for 50,
         100 and 200 of them; a least-squares line through the medians gives seconds
         per million boxes.
  html   OTB-2015, 18 trackers, ``-f html,latex -o DIR``: a cold build (new cache,
         new folder) and a second build with unchanged inputs into the same folder.
  help   ``rasbench --help`` and ``rasbench report --help`` vs ``python -c pass``, and
         the top imports of ``python -X importtime -m rasbench --help``.

Each row checks that the two sides give the same numbers where they compute the same
thing (success AUC vs got10k; EAO, accuracy and failures vs vot-toolkit).

    python benchmarks/report_scale.py [--only otb,lasot,vot,many,html,help] [--repeat N]
                                      [--quick] [--work DIR] [--shared-data DIR] [--profile DIR]
                                      [--before DIR]

``--quick``: one timed round, small generated data (LaSOT-sized: 20 x 500; many: 5/10/20
trackers), html with 2 trackers: a smoke test of every row in about a minute.
``--before DIR``: beside every rasbench variant, the same on the rasbench package in DIR
(an earlier version unpacked there), interleaved: before / after ratios.
``--profile DIR``: after a row, run each rasbench variant once more under cProfile
(``DIR/<row>-<variant>.prof``, not timed) and print its top functions.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PY = sys.executable
ROWS = ("otb", "lasot", "vot", "many", "html", "help")
GENERATOR_VERSION = 1  # bump when a generator changes what it writes


# ---------------------------------------------------------------------------------------- measuring


@dataclass
class Variant:
    """One side of a comparison: a command line and how ``$RASBENCH_CACHE`` is set.

    ``cache``: "cold" (a new empty folder per run), "warm" (one folder, filled by an
    untimed run first), "annotations" (as warm, but the run scores removed before each
    run: new results on a dataset read before), "again" (the folder and ``{out}`` of the
    cold run just before it in the same round) or None (no rasbench cache: the alternatives). ``{out}`` in the
    arguments is a new folder per round.
    """

    label: str
    argv: list[str]
    cache: str | None = None
    env: dict = field(default_factory=dict)
    rasbench: bool = False  # a rasbench report (profiled with --profile)
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_seconds)

    @property
    def peak(self) -> float:
        return statistics.median(self.peak_mb)


def run_child(argv: list[str], env: dict, log: Path) -> tuple[float, float, float]:
    """Run one process to its end, stdout into ``log`` (stderr beside it, ``.err``):
    (wall seconds, peak resident MB, CPU seconds (user + system, all its threads))."""
    with open(log, "wb") as out, open(log.with_suffix(".err"), "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err, cwd=log.parent)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.with_suffix(".err").read_text(errors="replace")[-3000:]
        raise SystemExit(f"exit code {proc.returncode}: {' '.join(argv)}\n{tail}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime  # Linux: ru_maxrss in kilobytes


def child_env(cache: Path | None, extra: dict) -> dict:
    env = dict(os.environ, MPLBACKEND="Agg", **extra)
    env.pop("RASBENCH_CACHE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cache is not None:
        env["RASBENCH_CACHE"] = str(cache)
    return env


def interleaved(variants: list[Variant], repeat: int, scratch: Path) -> None:
    """Run the variants in turn, an untimed round and ``repeat`` timed ones; fills each
    one's seconds, CPU seconds and peaks."""
    scratch.mkdir(parents=True, exist_ok=True)
    warm = {}
    for v in variants:
        if v.cache in ("warm", "annotations"):
            warm[v.label] = Path(tempfile.mkdtemp(prefix="warm-", dir=scratch))
            out = Path(tempfile.mkdtemp(prefix="out-", dir=scratch))
            run_child(expand(v.argv, out), child_env(warm[v.label], v.env), scratch / "prime.log")
    for timed in [False] + [True] * repeat:
        # per package version (with --before): its own output folder and cold cache, which
        # its "again" variant reuses; a cold variant starts both afresh
        outs: dict[bool, Path] = {}
        colds: dict[bool, Path] = {}
        for v in variants:
            version = v.label.endswith(BEFORE)
            if v.cache == "cold":
                colds[version] = Path(tempfile.mkdtemp(prefix="cold-", dir=scratch))
                outs[version] = Path(tempfile.mkdtemp(prefix="out-", dir=scratch))
            out = outs.setdefault(version, Path(tempfile.mkdtemp(prefix="out-", dir=scratch)))
            cache = {"warm": warm.get(v.label), "annotations": warm.get(v.label), "again": colds.get(version),
                     "cold": colds.get(version)}.get(v.cache)
            if v.cache == "annotations":
                for scores in ("scores", "measured"):
                    shutil.rmtree(cache / scores, ignore_errors=True)
            seconds, peak, cpu = run_child(expand(v.argv, out), child_env(cache, v.env), scratch / "child.log")
            if timed:
                v.seconds.append(seconds)
                v.peak_mb.append(peak)
                v.cpu_seconds.append(cpu)
        for folder in [*outs.values(), *colds.values()]:
            shutil.rmtree(folder, ignore_errors=True)
    for folder in warm.values():
        shutil.rmtree(folder, ignore_errors=True)


BEFORE = " [before]"


def with_before(variants: list[Variant], args) -> list[Variant]:
    """With ``--before DIR``: after each rasbench variant, the same command run on the
    rasbench package in DIR (``$PYTHONPATH=DIR``, e.g. ``git archive main rasbench
    experiments | tar -x -C DIR``), so that before / after ratios come from one
    interleaved run."""
    if args.before is None:
        return variants
    out = []
    for v in variants:
        out.append(v)
        if v.rasbench or v.argv[1:3] == ["-m", "rasbench"]:
            out.append(Variant(v.label + BEFORE, v.argv, v.cache, dict(v.env, PYTHONPATH=str(args.before))))
    return out


def expand(argv: list[str], out: Path) -> list[str]:
    return [a.replace("{out}", str(out)) for a in argv]


def load() -> float:
    return os.getloadavg()[0]


def print_row(title: str, variants: list[Variant], ratios: list[tuple[str, str]], load_before: float,
              memory: list[tuple[str, str]] = ()) -> None:
    """The row's table; ``ratios``: (slower, faster) labels, printed as slower / faster, for
    wall time and for CPU time (user + system: the steadier figure on a loaded machine)."""
    import resource

    rounds = len(variants[0].seconds)
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n== {title}")
    print(f"   {rounds} interleaved round(s); load average (1 min) {load_before:.1f} -> {load():.1f} on "
          f"{os.cpu_count()} CPUs; peak = ru_maxrss of each process (os.wait4), median; floor {floor:.0f} MB")
    width = max(len(v.label) for v in variants)
    print(f"   {'':{width}s}  median s    min-max s   cpu s  peak MB")
    for v in variants:
        print(f"   {v.label:{width}s}  {v.median:8.3f}  {min(v.seconds):6.2f}-{max(v.seconds):<6.2f} {v.cpu:6.2f} "
              f"{v.peak:8.0f}")
    by_label = {v.label: v for v in variants}
    for slow, fast in ratios:
        r = by_label[slow].median / by_label[fast].median
        print(f"   time:   {slow} / {fast} = {r:.2f}" + (f" ({fast} {r:.1f}x faster)" if r >= 1 else "")
              + f"; cpu {by_label[slow].cpu / by_label[fast].cpu:.2f}")
    for big, small in memory:
        print(f"   memory: {big} / {small} = {by_label[big].peak / by_label[small].peak:.2f}")
    for v in variants:
        if v.label.endswith(BEFORE):
            now = by_label[v.label[:-len(BEFORE)]]
            print(f"   before / after: {now.label}: time {v.median / now.median:.2f}, cpu {v.cpu / now.cpu:.2f}, "
                  f"peak {v.peak:.0f} -> {now.peak:.0f} MB")


def profile(row: str, variants: list[Variant], folder: Path, scratch: Path) -> None:
    """The rasbench variants once more (one round, in order) under cProfile; top functions
    (printed by a child: loading a profile would raise this process's peak)."""
    folder.mkdir(parents=True, exist_ok=True)
    targets = {v.label: folder / f"{row}-{re.sub(r'[^A-Za-z0-9]+', '-', v.label).strip('-')}.prof"
               for v in variants if v.rasbench}
    interleaved([Variant(v.label, v.argv[:1] + ["-m", "cProfile", "-o", str(targets[v.label])] + v.argv[1:],
                         v.cache, v.env) for v in variants if v.rasbench], 1, scratch)
    for label, target in targets.items():
        print(f"\n   cProfile of {label}: {target}")
        show = "import pstats, sys; pstats.Stats(sys.argv[1]).sort_stats('cumulative').print_stats(25)"
        top = subprocess.run([PY, "-c", show, str(target)], capture_output=True, text=True, check=True).stdout
        print("\n".join("   " + line for line in top.splitlines()[6:]))


# ---------------------------------------------------------------------------------------- inputs


def ready(folder: Path, params: dict) -> bool:
    """Whether ``folder`` holds data generated with ``params`` (else it is emptied)."""
    marker = folder / "READY.json"
    if marker.is_file() and json.loads(marker.read_text()) == params:
        return True
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return False


def mark_ready(folder: Path, params: dict) -> None:
    (folder / "READY.json").write_text(json.dumps(params))


def write_rows(path: Path, rows, line: str) -> None:
    path.write_text("".join(line % r for r in map(tuple, rows.tolist())))


def prepare(kind: str, *args) -> None:
    """Generate inputs in a child process (this one must stay small, see the docstring)."""
    subprocess.run([PY, str(HERE / "report_scale.py"), "_prepare", kind, *map(str, args)], check=True)


def otb_annotation_files(shared: Path, folder: Path) -> Path:
    """OTB-2015's ground truth as got10k-style per-sequence text files (from OTB100.json)."""
    anno = folder / "anno"
    params = {"v": GENERATOR_VERSION, "source": str(shared / "otb/annotations/OTB100.json")}
    if not ready(folder, params):
        from rasbench.config.benchmarks import load_benchmark
        from rasbench.datasets import open_dataset

        anno.mkdir()
        dataset = open_dataset(load_benchmark("otb2015"), annotations=shared / "otb/annotations/OTB100.json",
                               images=False)
        for name, seq in dataset.items():
            write_rows(anno / f"{name}.txt", seq.groundtruth, "%g,%g,%g,%g\n")
        mark_ready(folder, params)
    return anno


LASOT_CLASSES = ("airplane", "basketball", "bear", "bicycle", "bird", "boat", "book", "bottle", "bus", "car",
                 "cat", "cattle", "chameleon", "coin")


def lasot_sized(folder: Path, sequences: int, frames: int, trackers: int = 4) -> Path:
    """A LaSOT-sized OTB-layout benchmark: ``folder/{bench.yaml, anno/, lasot.json, results/}``.

    Ground truth: a random walk of integer boxes in a 1280 x 720 image, 1% of frames
    absent (0,0,0,0, as LaSOT writes them). Tracker k: the ground truth plus noise
    growing with k, with a lost stretch (the box stays put) in one sequence of 8;
    trackers 0..2 integer boxes (as pytracking writes), the last one 3 decimals.
    """
    import numpy as np

    params = {"v": GENERATOR_VERSION, "sequences": sequences, "frames": frames, "trackers": trackers}
    if ready(folder, params):
        return folder
    rng = np.random.default_rng(18)
    names = [f"{LASOT_CLASSES[i % len(LASOT_CLASSES)]}-{i // len(LASOT_CLASSES) + 1}" for i in range(sequences)]
    (folder / "anno").mkdir()
    results = [folder / "results" / f"Tracker{k + 1}" for k in range(trackers)]
    for r in results:
        r.mkdir(parents=True)
    entries = {}
    for name in names:
        size = rng.uniform(30, 200, 2) * np.exp(np.cumsum(rng.normal(0, 0.01, (frames, 2)), axis=0))
        size = np.clip(size, 8, 400)
        centre = np.array([640.0, 360.0]) + np.cumsum(rng.normal(0, 3, (frames, 2)), axis=0)
        centre = np.clip(centre, size / 2, np.array([1280, 720]) - size / 2)
        gt = np.rint(np.hstack([centre - size / 2, size])).astype(np.int64)
        absent = rng.random(frames) < 0.01
        absent[0] = False
        gt[absent] = 0
        write_rows(folder / "anno" / f"{name}.txt", gt, "%d,%d,%d,%d\n")
        entries[name] = {"video_dir": name, "init_rect": gt[0].tolist(),
                         "img_names": [f"{name}/img/{i:08d}.jpg" for i in range(1, frames + 1)],
                         "gt_rect": gt.tolist(), "attr": []}
        for k, r in enumerate(results):
            boxes = np.hstack([centre - size / 2, size]) + rng.normal(0, 1 + 2 * k, (frames, 4))
            if rng.random() < 1 / 8:  # lost for the last third
                boxes[2 * frames // 3:] = boxes[2 * frames // 3]
            boxes[:, 2:] = np.maximum(boxes[:, 2:], 1)
            if k < trackers - 1:
                write_rows(r / f"{name}.txt", np.rint(boxes).astype(np.int64), "%d,%d,%d,%d\n")
            else:
                write_rows(r / f"{name}.txt", boxes, "%.3f,%.3f,%.3f,%.3f\n")
    (folder / "lasot.json").write_text(json.dumps(entries))
    (folder / "bench.yaml").write_text(
        "name: lasotsize\ntitle: LaSOT-sized (generated)\nformat: otb\nexperiments: {ope: {protocol: ope}}\n"
        "sequences:\n" + "".join(f"  - {{name: {n}, length: {frames}}}\n" for n in names))
    mark_ready(folder, params)
    return folder


def many_trackers(shared: Path, folder: Path, count: int) -> Path:
    """``count`` tracker folders: copies of the stored OTB-2015 ones (tracker i from folder
    i mod 18) with every number moved by N(0, 0.5) px, seeded per tracker, 3 decimals."""
    import numpy as np

    from rasbench.datasets.textio import read_rows

    params = {"v": GENERATOR_VERSION, "count": count}
    if ready(folder, params):
        return folder / "results"
    sources = sorted(p for p in (shared / "otb/results").iterdir() if p.is_dir())
    boxes = {s.name: {f.name: read_rows(f, 4) for f in sorted(s.glob("*.txt"))} for s in sources}
    for i in range(count):
        source = sources[i % len(sources)].name
        target = folder / "results" / f"T{i + 1:03d}-{source}"
        target.mkdir(parents=True)
        rng = np.random.default_rng(i)
        for file_name, rows in boxes[source].items():
            write_rows(target / file_name, rows + rng.normal(0, 0.5, rows.shape), "%.3f,%.3f,%.3f,%.3f\n")
    mark_ready(folder, params)
    return folder / "results"


# ---------------------------------------------------------------------------------------- alternatives


def child_main(kind: str, argv: list[str]) -> None:
    """The child processes: ``_got10k ...`` (timed) and ``_prepare KIND ARGS`` (inputs)."""
    if kind == "_got10k":
        return got10k_child(argv)
    what, *args = argv
    if what == "otb":
        otb_annotation_files(Path(args[0]), Path(args[1]))
    elif what == "lasot":
        lasot_sized(Path(args[0]), int(args[1]), int(args[2]))
    elif what == "many":
        many_trackers(Path(args[0]), Path(args[1]), int(args[2]))
    elif what == "vot":
        vot_workspace(Path(args[0]), Path(args[1]))


def vot_workspace(base: Path, folder: Path) -> None:
    """DaSiamRPN's results unpacked, and a vot-toolkit workspace over them (vot_report_speed.py's)."""
    from vot_report_speed import make_workspace

    params = {"v": GENERATOR_VERSION, "source": str(base)}
    if not ready(folder, params):
        with zipfile.ZipFile(base / "results/DaSiamRPN_vot2018_rerun_HonglinChu.zip") as z:
            z.extractall(folder / "dasiam")
        make_workspace(folder, base / "annotations", {"DaSiamRPN": folder / "dasiam/VOT2018/DaSiamRPN/baseline"})
        mark_ready(folder, params)


def got10k_child(argv: list[str]) -> None:
    """``report_scale.py _got10k RESULTS ANNO_DIR REPORT_DIR [--plots]``: got10k's
    ExperimentOTB.report over every tracker folder in RESULTS (what report_speed.py times)."""
    from got10k.experiments import ExperimentOTB
    from report_speed import Got10kStyleDataset

    results, anno_dir, report_dir = map(Path, argv[:3])
    experiment = ExperimentOTB.__new__(ExperimentOTB)  # its constructor would download OTB
    experiment.dataset = Got10kStyleDataset(sorted(p.stem for p in anno_dir.glob("*.txt")), anno_dir)
    experiment.result_dir, experiment.report_dir = str(results), str(report_dir)
    experiment.nbins_iou, experiment.nbins_ce = 21, 51
    if "--plots" not in argv:
        experiment.plot_curves = lambda names: None
    with contextlib.redirect_stdout(io.StringIO()):
        experiment.report(sorted(p.name for p in results.iterdir() if p.is_dir()))


def got10k_variants(results: Path, anno: Path, plots: bool = True) -> list[Variant]:
    argv = [PY, str(HERE / "report_scale.py"), "_got10k", str(results), str(anno), "{out}"]
    out = [Variant("got10k scoring only", argv)]
    return out + [Variant("got10k with plots", argv + ["--plots"])] if plots else out


def compare_with_got10k(results: Path, anno: Path, rasbench_argv: list[str], scratch: Path) -> str:
    """Largest |success AUC difference| between rasbench (-f json) and got10k."""
    report = scratch / "got10k-check"
    run_child([PY, str(HERE / "report_scale.py"), "_got10k", str(results), str(anno), str(report)],
              child_env(None, {}), scratch / "check.log")
    theirs = json.loads(next(report.glob("*/performance.json")).read_text())
    run_child(rasbench_argv + ["-f", "json"], child_env(scratch / "check-cache", {}), scratch / "check.json")
    ours = json.loads((scratch / "check.json").read_text())["trackers"]
    worst = max(abs(ours[n]["success_auc"] - theirs[n]["overall"]["success_score"]) for n in theirs)
    return f"   numbers: largest |success AUC rasbench - got10k| over {len(theirs)} trackers: {worst:.1e}"


def rasbench(*args: str) -> list[str]:
    return [PY, "-m", "rasbench", "report", *args]


# ---------------------------------------------------------------------------------------- rows


def row_otb(args, work: Path, scratch: Path):
    shared = args.shared_data
    results, anno = shared / "otb/results", work / "otb/anno"
    prepare("otb", shared, work / "otb")
    argv = rasbench("otb2015", "--annotations", str(shared / "otb/annotations/OTB100.json"),
                    "--results", str(results), "-c", "got10k")
    variants = [Variant("rasbench cold", argv, "cold", rasbench=True),
                Variant("rasbench annotations cached", argv, "annotations", rasbench=True),
                Variant("rasbench warm", argv, "warm", rasbench=True), *got10k_variants(results, anno)]
    before = load()
    variants = with_before(variants, args)
    interleaved(variants, args.repeat, scratch)
    print_row("a. OTB-2015, 18 trackers x 100 sequences (~1.06 M boxes), convention got10k", variants,
              [("got10k scoring only", "rasbench cold"), ("got10k scoring only", "rasbench annotations cached"),
               ("got10k scoring only", "rasbench warm"),
               ("got10k with plots", "rasbench cold"), ("got10k with plots", "rasbench warm")], before,
              [("rasbench cold", "got10k scoring only")])
    print(compare_with_got10k(results, anno, argv, scratch))
    return variants


def row_lasot(args, work: Path, scratch: Path):
    sequences, frames = (20, 500) if args.quick else (280, 2500)
    folder = work / f"lasot-{sequences}x{frames}"
    prepare("lasot", folder, sequences, frames)
    common = ["--results", str(folder / "results"), "-c", "got10k"]
    anno_argv = rasbench(str(folder / "bench.yaml"), "--annotations", str(folder / "anno"), *common)
    json_argv = rasbench(str(folder / "bench.yaml"), "--annotations", str(folder / "lasot.json"), *common)
    variants = [Variant("rasbench cold, anno/ txt", anno_argv, "cold", rasbench=True),
                Variant("rasbench cold, pysot JSON", json_argv, "cold", rasbench=True),
                Variant("rasbench annotations cached, JSON", json_argv, "annotations", rasbench=True),
                Variant("rasbench warm, anno/ txt", anno_argv, "warm", rasbench=True),
                Variant("rasbench warm, pysot JSON", json_argv, "warm", rasbench=True),
                *got10k_variants(folder / "results", folder / "anno", plots=False)]
    before = load()
    variants = with_before(variants, args)
    interleaved(variants, args.repeat, scratch)
    mb = (folder / "lasot.json").stat().st_size / 1e6
    print_row(f"b. LaSOT-sized: {sequences} sequences x {frames} frames, 4 trackers "
              f"({4 * sequences * frames / 1e6:.2f} M boxes; JSON {mb:.0f} MB), convention got10k", variants,
              [("got10k scoring only", v.label) for v in variants if v.rasbench], before,
              [(v.label, "got10k scoring only") for v in variants if v.rasbench])
    print(compare_with_got10k(folder / "results", folder / "anno", anno_argv, scratch))
    return variants


def row_vot(args, work: Path, scratch: Path):
    base = args.shared_data / "vot2017"
    folder = work / "vot"
    prepare("vot", base, folder)
    argv = rasbench("vot2017", "-e", "baseline", "--annotations", str(base / "annotations/VOT2018.json"),
                    "--results", str(folder / "dasiam/VOT2018"), "-t", "DaSiamRPN", "-c", "vot-toolkit")
    # vot-toolkit's own CLI; its analysis cache in memory only, so every run computes
    vot_argv = [PY, "-m", "vot", "analysis", "--workspace", str(folder / "workspace"), "--experiments", "baseline",
                "--format", "json", "--name", "scale", "DaSiamRPN"]
    variants = [Variant("rasbench cold", argv, "cold", rasbench=True),
                Variant("rasbench warm", argv, "warm", rasbench=True),
                Variant("vot-toolkit analysis", vot_argv, env={"VOT_PERSISTENT_CACHE": "0"})]
    before = load()
    variants = with_before(variants, args)
    interleaved(variants, args.repeat, scratch)
    print_row("c. VOT2017 baseline, DaSiamRPN (60 sequences x 1 run), convention vot-toolkit", variants,
              [("vot-toolkit analysis", "rasbench cold"), ("vot-toolkit analysis", "rasbench warm")], before,
              [("rasbench cold", "vot-toolkit analysis")])
    theirs = json.loads((folder / "workspace/analysis/scale.json").read_text())["results"]["baseline"]["results"]
    accuracy, failures = theirs[0][0][:2]  # AverageAccuracyRobustness: A, mean failures, AR, length
    run_child(argv + ["-f", "json"], child_env(scratch / "check-cache", {}), scratch / "check.json")
    ours = json.loads((scratch / "check.json").read_text())["trackers"]["DaSiamRPN"]
    diffs = {"eao": abs(ours["eao"] - theirs[2][0][0]), "accuracy": abs(ours["accuracy"] - accuracy),
             "failures": abs(ours["failures"] - failures)}
    print("   numbers: |rasbench - vot-toolkit| " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
    return variants


def row_many(args, work: Path, scratch: Path):
    counts = (5, 10, 20) if args.quick else (50, 100, 200)
    results = work / f"many-{counts[-1]}" / "results"
    prepare("many", args.shared_data, results.parent, counts[-1])
    prepare("otb", args.shared_data, work / "otb")
    names = sorted(p.name for p in results.iterdir())
    base = rasbench("otb2015", "--annotations", str(args.shared_data / "otb/annotations/OTB100.json"),
                    "--results", str(results), "-c", "got10k")
    variants = [Variant(f"rasbench cold, {n} trackers", base + ([] if n == len(names) else ["-t", ",".join(names[:n])]),
                        "cold", rasbench=True) for n in counts]
    before = load()
    variants = with_before(variants, args)
    interleaved(variants, args.repeat, scratch)
    # got10k's convention scores every ground-truth row of OTB100.json (Tiger1 from frame 6)
    boxes_per_tracker = sum(f.read_bytes().count(b"\n") for f in (work / "otb/anno").glob("*.txt"))
    print_row(f"d. {counts[-1]} tracker folders x OTB-2015 ({boxes_per_tracker * counts[-1] / 1e6:.1f} M boxes), "
              f"convention got10k, cold", variants, [], before)
    xs = [n * boxes_per_tracker / 1e6 for n in counts]
    fits = [(what + tag, ys) for tag, group in (("", [v for v in variants if not v.label.endswith(BEFORE)]),
                                                 (BEFORE, [v for v in variants if v.label.endswith(BEFORE)])) if group
            for what, ys in (("wall", [v.median for v in group]), ("cpu", [v.cpu for v in group]))]
    for what, ys in fits:
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)
        residual = max(abs(y - (mean_y + slope * (x - mean_x))) for x, y in zip(xs, ys))
        print(f"   {what}: line through the medians {mean_y - slope * mean_x:.2f} s + {slope:.3f} s per million "
              f"boxes (largest residual {residual:.2f} s)")
    print(f"   peak memory {variants[0].peak:.0f} -> {variants[-1].peak:.0f} MB")
    return variants


def row_html(args, work: Path, scratch: Path):
    shared = args.shared_data
    argv = rasbench("otb2015", "--annotations", str(shared / "otb/annotations/OTB100.json"),
                    "--results", str(shared / "otb/results"), "-c", "got10k", "-f", "html,latex", "-o", "{out}")
    if args.quick:
        argv += ["-t", "ATOM,KCF"]
    variants = [Variant("cold build (new cache, new folder)", argv, "cold", rasbench=True),
                Variant("second build, inputs unchanged", argv, "again", rasbench=True)]
    before = load()
    variants = with_before(variants, args)
    interleaved(variants, args.repeat, scratch)
    print_row(f"e. HTML + LaTeX of OTB-2015, {'2' if args.quick else '18'} trackers, plots png+pdf, built together",
              variants, [("cold build (new cache, new folder)", "second build, inputs unchanged")], before)
    return variants


def row_help(args, work: Path, scratch: Path):
    variants = [Variant("python -c pass", [PY, "-c", "pass"]),
                Variant("rasbench --help", [PY, "-m", "rasbench", "--help"]),
                Variant("rasbench report --help", [PY, "-m", "rasbench", "report", "--help"])]
    before = load()
    variants = with_before(variants, args)
    interleaved(variants, max(args.repeat, 5), scratch)
    print_row("f. CLI start-up", variants, [("rasbench --help", "python -c pass")], before)
    log = scratch / "importtime.log"
    with open(log, "wb") as err:
        subprocess.run([PY, "-X", "importtime", "-m", "rasbench", "--help"], stdout=subprocess.DEVNULL, stderr=err,
                       check=True, env=child_env(None, {}))
    rows = []
    for line in log.read_text().splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(2)), int(m.group(1)), len(m.group(3)) // 2, m.group(4)))
    print("   python -X importtime -m rasbench --help (one run): imports by cumulative time, top-level and "
          "one level below")
    for cumulative, _own, depth, name in sorted((r for r in rows if r[2] <= 1), reverse=True)[:12]:
        print(f"     {cumulative / 1000:7.1f} ms  {'  ' * depth}{name}")
    return variants


def main() -> int:
    if sys.argv[1:2] in (["_got10k"], ["_prepare"]):
        child_main(sys.argv[1], sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(ROWS), help=f"rows, comma-separated: {', '.join(ROWS)}")
    parser.add_argument("--repeat", type=int, help="interleaved rounds (default 5; --quick: 1)")
    parser.add_argument("--quick", action="store_true", help="small generated data, one round: a smoke test")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rasbench-report-scale",
                        help="where generated inputs are kept between runs (default: %(default)s)")
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--profile", type=Path, help="also profile each rasbench variant into this folder")
    parser.add_argument("--before", type=Path, help="also run every rasbench variant on the rasbench package in "
                                                     "this folder (before / after ratios)")
    args = parser.parse_args()
    rows = [r.strip() for r in args.only.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown or not rows:
        parser.error(f"--only: unknown row(s) {', '.join(unknown)}; choose from {', '.join(ROWS)}")
    if args.repeat is None:
        args.repeat = 1 if args.quick else 5
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not (args.shared_data / "otb/annotations/OTB100.json").is_file():
        parser.error(f"shared data not found at {args.shared_data}")
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"rasbench report_scale: {time.strftime('%Y-%m-%d %H:%M')}, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}; "
          f"inputs in {args.work}")
    for row in rows:
        scratch = Path(tempfile.mkdtemp(prefix=f"{row}-", dir=args.work))
        try:
            variants = globals()[f"row_{row}"](args, args.work, scratch)
            sys.stdout.flush()
            if args.profile:
                profile(row, variants, args.profile, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
