"""The evidence behind benchmarks/PERF_NOTES.md: each suspected cost of a cold report
measured on its own, in one process, beside a prototype of its fix (issue 18).

Sections (``--only``, comma-separated):

  stages   a report's steps as ``rasbench report`` takes them (imports, benchmark
           definition, published numbers, annotations, scoring, table), each scenario in a
           new process (cold: an empty ``$RASBENCH_CACHE``): where the wall time goes.

  yaml     pure-Python ``yaml.safe_load`` vs the C loader (``yaml.CSafeLoader``) on the
           published numbers, the OTB-2015 and VOT2017 definitions and a 280-sequence one;
           ``load_published()`` and ``load_benchmark()`` as the CLI calls them.
  json     a pysot JSON (OTB100.json; the LaSOT-sized one of report_scale.py): parse time
           and peak memory, ``load_pysot_json``'s calls of ``normalise_name`` (the name map
           rebuilt per sequence), the same lookups with one map, and a binary annotation
           cache (one ``.npz`` of every sequence's boxes; keyed by the file's sha1 or by
           its size and mtime).
  anno     an OTB-toolkit anno/ folder (the LaSOT-sized one): ``load_anno_folder`` vs
           ``read_many`` over the same files and the cache above.
  parse    the 18 OTB-2015 result folders (1.06 M lines) and the LaSOT-sized results:
           ``read_many`` (pandas' C reader) vs numpy parsers on the same joined text;
           ``import pandas`` on its own.
  warm     OTB-2015's warm ``evaluate`` (run scores cached) by part: planning (three
           walks per tracker folder), the cache entries, the curves; one ``os.scandir``
           per folder (names and stats) as the floor of the planning.
  vot      VOT2017 DaSiamRPN under vot-toolkit: time and peak memory of reading, of the
           rasterised overlaps at several ``chunk_rows``, and of the scores from cached
           overlaps (what a VOT score cache would leave to do).
  memory   peak memory (tracemalloc) by stage of the LaSOT-sized cold report.
  plots    three OTB-2015 figures (18 trackers) saved as PNG + PDF as ``plots.save`` does
           (``bbox_inches="tight"``: every format draws the figure twice) vs the tight box
           computed once per figure and handed to both formats.
  imports  ``python -c "import X"`` for the modules a report imports, interleaved.

Timings are medians of ``--repeat`` calls (interleaved where two are compared) after one
untimed call; peak memory is tracemalloc's (Python objects and numpy buffers). The
LaSOT-sized data must exist: run ``report_scale.py --only lasot`` first (same ``--work``).

    python benchmarks/perf_prototypes.py [--only ...] [--repeat N] [--work DIR] [--shared-data DIR]
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SECTIONS = ("stages", "yaml", "json", "anno", "parse", "warm", "vot", "memory", "plots", "imports")


STAGE_SCENARIOS = ("otb cold", "otb warm", "lasot-anno cold", "lasot-json cold", "lasot-anno warm", "vot cold")


def stages_child(scenario: str, work: Path, shared: Path) -> None:
    """One report's steps in the order ``cli.report`` runs them; prints {step: seconds}.
    Imports are separate steps (pandas: where ``read_many``'s bulk parse would import it)."""
    steps, last = {}, [time.perf_counter()]

    def step(name):
        now = time.perf_counter()
        steps[name] = now - last[0]
        last[0] = now

    import numpy  # noqa: F401
    step("import numpy")
    import yaml  # noqa: F401
    step("import yaml")
    import click  # noqa: F401
    step("import click")
    import rasbench.cli  # noqa: F401
    from rasbench.config.benchmarks import load_benchmark
    from rasbench.datasets import open_dataset
    from rasbench.reports.published import load_published
    from rasbench.results.discovery import find_tracker_dirs
    step("import rasbench (cli, benchmarks, datasets, publish)")
    kind, _, state = scenario.partition(" ")
    from rasbench.evaluation import evaluate
    from rasbench.reports.text import to_table
    step("import rasbench report modules")
    if kind == "otb":
        name, annotations, results, options = ("otb2015", shared / "otb/annotations/OTB100.json",
                                               [shared / "otb/results"], ("ope", "got10k"))
    elif kind == "vot":
        name, annotations, results, options = ("vot2017", shared / "vot2017/annotations/VOT2018.json",
                                               [work / "vot/dasiam/VOT2018"], ("baseline", "vot-toolkit"))
    else:
        folder = work / "lasot-280x2500"
        name, results, options = str(folder / "bench.yaml"), [folder / "results"], ("ope", "got10k")
        annotations = folder / ("anno" if kind == "lasot-anno" else "lasot.json")
    bench = load_benchmark(name)
    step("load_benchmark")
    load_published()
    step("load_published (not used by the table)")
    dataset = open_dataset(bench, annotations=annotations, images=False, experiment=options[0])
    step("open_dataset")
    dirs = find_tracker_dirs(results, bench.name, options[0])
    step("find_tracker_dirs")
    if state == "cold" and kind != "vot":
        import pandas  # noqa: F401
        step("import pandas (read_many)")
    report = evaluate(bench, options[0], dataset, dirs, options[1])
    step("evaluate" + (" (vot)" if kind == "vot" else ""))
    to_table(report)
    step("to_table")
    print(json.dumps(steps))


if __name__ == "__main__" and sys.argv[1:2] == ["_stages"]:
    stages_child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
    sys.exit(0)

import numpy as np  # noqa: E402  (below the _stages child, which times numpy's import itself)


def timed(fns: dict, repeat: int) -> dict:
    """{label: median seconds}, the functions called in turn ``repeat`` times (one untimed call each first)."""
    times = {label: [] for label in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeat):
        for label, fn in fns.items():
            started = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - started)
    return {label: statistics.median(t) for label, t in times.items()}


def peak_mb(fn) -> tuple[float, object]:
    """Peak traced memory (MB) of one call, and its result."""
    tracemalloc.start()
    try:
        result = fn()
        return tracemalloc.get_traced_memory()[1] / 1e6, result
    finally:
        tracemalloc.stop()


def show(times: dict, reference: str | None = None) -> None:
    for label, t in times.items():
        ratio = f"  ({times[reference] / t:.1f}x)" if reference and label != reference else ""
        print(f"  {label:58s} {t * 1000:9.1f} ms{ratio}")


def lasot_folder(work: Path) -> Path:
    folder = work / "lasot-280x2500"
    if not (folder / "READY.json").is_file():
        raise SystemExit(f"no LaSOT-sized data in {folder}: run report_scale.py --only lasot --work {work} first")
    return folder


# ---------------------------------------------------------------------------------------- sections


def section_stages(args) -> None:
    """Each scenario ``--repeat`` times in new processes, interleaved; median per step."""
    if not (args.work / "vot/READY.json").is_file() or not (args.work / "lasot-280x2500/READY.json").is_file():
        raise SystemExit(f"run report_scale.py --only lasot,vot --work {args.work} first (it writes the inputs)")
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as installed software has it
    samples = {s: [] for s in STAGE_SCENARIOS}
    for timed_round in [False] + [True] * args.repeat:
        for scenario, runs in samples.items():
            with tempfile.TemporaryDirectory() as cache:
                if scenario.endswith("warm"):
                    subprocess.run(_stages_argv(scenario, args), env=dict(env, RASBENCH_CACHE=cache), check=True,
                                   capture_output=True)
                started = time.perf_counter()
                out = subprocess.run(_stages_argv(scenario, args), env=dict(env, RASBENCH_CACHE=cache), check=True,
                                     capture_output=True, text=True).stdout
                wall = time.perf_counter() - started
            if timed_round:
                steps = json.loads(out.splitlines()[-1])
                runs.append({"process start and exit": wall - sum(steps.values()), **steps, "whole process": wall})
    print("stages: wall seconds per step, medians, each scenario in new processes (interleaved)")
    for scenario, runs in samples.items():
        print(f" {scenario}:")
        for step in runs[0]:
            print(f"  {step:58s} {statistics.median(r[step] for r in runs) * 1000:8.0f} ms")


def _stages_argv(scenario: str, args) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "_stages", scenario, str(args.work), str(args.shared_data)]


def section_yaml(args) -> None:
    import yaml

    from rasbench.config import benchmarks
    from rasbench.reports import published as publish

    exp = REPO / "experiments"
    files = {"published/baselines.yaml": [exp / "published/baselines.yaml"],
             "otb2015 (+ otb/benchmark, experiments, sequences)": [exp / "otb2015.yaml", exp / "otb/benchmark.yaml",
                                                                    exp / "otb/experiments.yaml",
                                                                    exp / "otb/sequences.yaml"],
             "vot2017 (+ vot/common)": [exp / "vot2017.yaml", exp / "vot/common.yaml"]}
    lasot = args.work / "lasot-280x2500" / "bench.yaml"
    if lasot.is_file():
        files["LaSOT-sized bench.yaml (280 sequences)"] = [lasot]
    print("yaml: parsing (text already read)")
    for label, paths in files.items():
        texts = [p.read_text(encoding="utf-8") for p in paths]
        pure = partial(_parse_all, texts, yaml.SafeLoader)
        fast = partial(_parse_all, texts, yaml.CSafeLoader)
        assert pure() == fast(), label
        print(f" {label} ({sum(len(t) for t in texts) / 1000:.0f} kB):")
        show(timed({"yaml.safe_load (pure Python)": pure, "yaml.load(Loader=CSafeLoader)": fast}, args.repeat),
             "yaml.safe_load (pure Python)")

    def fresh_benchmark():
        benchmarks.load_benchmark.cache_clear()
        return benchmarks.load_benchmark("otb2015")

    print(" as the CLI calls them:")
    show(timed({"publish.load_published() (every report, --published default)": publish.load_published,
                "benchmarks.load_benchmark('otb2015') (lru_cache cleared)": fresh_benchmark}, args.repeat))


def _parse_all(texts: list[str], loader) -> list:
    import yaml

    return [yaml.load(t, Loader=loader) for t in texts]


def _otb_name_calls(load) -> tuple[int, object]:
    """How often ``rasbench.datasets.otb.normalise_name`` runs during ``load()``."""
    from rasbench.datasets import otb

    original, calls = otb.normalise_name, [0]

    def counting(name):
        calls[0] += 1
        return original(name)

    otb.normalise_name = counting
    try:
        result = load()
    finally:
        otb.normalise_name = original
    return calls[0], result


def _cache_write(path: Path, dataset) -> None:
    """The prototype annotation cache: every sequence's boxes in one array, with offsets."""
    names = list(dataset)
    lengths = [len(dataset[n]) for n in names]
    np.savez(path, boxes=np.concatenate([dataset[n].groundtruth for n in names]),
             offsets=np.r_[0, np.cumsum(lengths)], first=np.array([dataset[n].first_frame for n in names]),
             names=np.array(json.dumps(names)))


def _cache_read(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        boxes, offsets, names = z["boxes"], z["offsets"], json.loads(str(z["names"]))
    return {n: boxes[offsets[i]:offsets[i + 1]] for i, n in enumerate(names)}


def _cache_keys(source: Path) -> dict:
    def sha1():
        if source.is_file():
            return hashlib.sha1(source.read_bytes()).hexdigest()
        h = hashlib.sha1()
        for p in sorted(source.glob("*.txt")):
            h.update(p.name.encode() + p.read_bytes())
        return h.hexdigest()

    def stat():
        paths = [source] if source.is_file() else sorted(source.glob("*.txt"))
        return [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in paths]

    return {"  key: sha1 of the content": sha1, "  key: size + mtime of each file": stat}


def _annotation_section(title: str, bench, source: Path, load, repeat: int, extra: dict = ()) -> None:
    calls, dataset = _otb_name_calls(load)
    print(f" {title}: {len(dataset)} sequences, {dataset.total_frames():,} boxes; normalise_name called "
          f"{calls:,} times")
    cache = Path(tempfile.mkdtemp()) / "annotations.npz"
    _cache_write(cache, dataset)
    ours = _cache_read(cache)
    assert all(np.array_equal(ours[n], dataset[n].groundtruth) for n in dataset)
    names = [spec.name for spec in bench.sequences.values()]
    stored = list(dataset)

    def lookups_one_map():
        from rasbench.datasets.otb import normalise_name

        index = {normalise_name(n): n for n in stored}
        return [index.get(normalise_name(n)) for n in names]

    def lookups_as_now():  # as datasets/otb.py looked names up before issue 18: a map per name
        from rasbench.datasets.otb import normalise_name

        return [{normalise_name(s): s for s in stored}.get(normalise_name(n)) for n in names]

    fns = {"current loader": load, **dict(extra), "  name lookups, the map rebuilt per name (before)":
           lookups_as_now, "  name lookups with one map (prototype)": lookups_one_map,
           "  cache: np.load of the .npz (prototype)": lambda: _cache_read(cache)}
    fns.update(_cache_keys(source))
    show(timed(fns, repeat), "current loader")
    print(f"  peak memory: current loader {peak_mb(load)[0]:.0f} MB, cache read "
          f"{peak_mb(lambda: _cache_read(cache))[0]:.0f} MB (.npz {cache.stat().st_size / 1e6:.0f} MB)")


def _json_parts(path: Path) -> dict:
    """The steps of load_pysot_json on their own: parsing, the style scan, the box arrays."""
    from rasbench.datasets.textio import pysot_json_style, read_pysot_json

    data = read_pysot_json(path)
    return {"  read_pysot_json (read + json.loads)": partial(read_pysot_json, path),
            "  read_pysot_json with the cyclic GC paused (prototype)": partial(_gc_paused, read_pysot_json, path),
            "  pysot_json_style (a Python loop over every row)": partial(pysot_json_style, data),
            "  np.array(entry['gt_rect']) for every entry": lambda: [np.array(e["gt_rect"], dtype=np.float64)
                                                                     for e in data.values()]}


def _gc_paused(fn, *args):
    """``fn(*args)`` with Python's cyclic garbage collector off: parsing builds millions of
    lists, each allocation counting towards a collection that finds nothing to free."""
    import gc

    gc.disable()
    try:
        return fn(*args)
    finally:
        gc.enable()


def section_json(args) -> None:
    from rasbench.config.benchmarks import load_benchmark
    from rasbench.datasets.otb import load_pysot_json
    from rasbench.datasets.textio import read_pysot_json

    print("json: pysot dataset JSON files")
    otb_json = args.shared_data / "otb/annotations/OTB100.json"
    bench = load_benchmark("otb2015")
    _annotation_section(f"OTB100.json ({otb_json.stat().st_size / 1e6:.1f} MB)", bench, otb_json,
                        lambda: load_pysot_json("otb2015", otb_json, bench.sequences), args.repeat,
                        _json_parts(otb_json))
    folder = lasot_folder(args.work)
    path = folder / "lasot.json"
    lasot = load_benchmark(str(folder / "bench.yaml"))
    _annotation_section(f"LaSOT-sized lasot.json ({path.stat().st_size / 1e6:.0f} MB)", lasot, path,
                        lambda: load_pysot_json("lasotsize", path, lasot.sequences), args.repeat, _json_parts(path))
    print(f"  peak memory of read_pysot_json alone: {peak_mb(partial(read_pysot_json, path))[0]:.0f} MB")


def section_anno(args) -> None:
    from rasbench.config.benchmarks import load_benchmark
    from rasbench.datasets.otb import load_anno_folder
    from rasbench.datasets.textio import read_many

    folder = lasot_folder(args.work)
    lasot = load_benchmark(str(folder / "bench.yaml"))
    print("anno: OTB-toolkit anno/ folder, one text file per sequence")
    anno = folder / "anno"
    _annotation_section("LaSOT-sized anno/ (280 files)", lasot, anno,
                        lambda: load_anno_folder("lasotsize", anno, lasot.sequences), args.repeat)
    paths = sorted(anno.glob("*.txt"))
    show(timed({"  read_many over the same files (pandas bulk parse)": lambda: read_many(paths, 4, "ground truth")},
               args.repeat))


def _joined(paths: list[Path]) -> bytes:
    return b"\n".join(p.read_bytes().rstrip() for p in paths)


def section_parse(args) -> None:
    from rasbench.datasets.textio import _BYTES_TRANSLATE, read_many

    sets = {"OTB-2015, 18 trackers": sorted((args.shared_data / "otb/results").glob("*/*.txt"))}
    folder = args.work / "lasot-280x2500"
    if folder.is_dir():
        sets["LaSOT-sized, 4 trackers"] = sorted((folder / "results").glob("*/*.txt"))
    print("parse: result text files, joined and parsed at once (read_many's bulk path)")
    for title, paths in sets.items():
        reference = np.concatenate(read_many(paths, 4))
        text = _joined(paths).translate(_BYTES_TRANSLATE)
        print(f" {title}: {len(paths)} files, {len(reference):,} lines, {len(text) / 1e6:.0f} MB")
        parsers = {"  pandas.read_csv on the joined text": partial(_with_pandas, text),
                   "  np.fromstring(sep=' ') on the joined text": partial(_with_fromstring, text),
                   "  np.loadtxt on the joined text": partial(_with_loadtxt, text),
                   "  np.array(text.split(), float64)": partial(_with_split, text)}
        for label, parse in parsers.items():
            assert np.array_equal(parse(), reference, equal_nan=True), label
        current = partial(read_many, paths, 4)
        show(timed({"read_many (read + pandas.read_csv, C engine)": current, **parsers,
                    "  reading the files (bytes only)": partial(_joined, paths)}, args.repeat),
             "read_many (read + pandas.read_csv, C engine)")
        loadtxt = parsers["  np.loadtxt on the joined text"]
        print(f"  peak memory: read_many {peak_mb(current)[0]:.0f} MB, np.loadtxt {peak_mb(loadtxt)[0]:.0f} MB")


def _with_pandas(text: bytes) -> np.ndarray:
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(text), sep=" ", header=None, skipinitialspace=True, skip_blank_lines=False,
                        dtype=np.float64, engine="c", low_memory=False)
    return np.column_stack([frame[c].to_numpy() for c in frame.columns])


def _with_fromstring(text: bytes) -> np.ndarray:
    return np.fromstring(text, dtype=np.float64, sep=" ").reshape(-1, 4)


def _with_loadtxt(text: bytes) -> np.ndarray:
    return np.loadtxt(io.BytesIO(text), dtype=np.float64, ndmin=2)


def _with_split(text: bytes) -> np.ndarray:
    return np.array(text.split(), dtype=np.float64).reshape(-1, 4)


def section_warm(args) -> None:
    from rasbench.config.benchmarks import load_benchmark
    from rasbench.config.conventions import otb_convention
    from rasbench.datasets import open_dataset
    from rasbench.evaluation import evaluate
    from rasbench.evaluation.cache import RunScoreCache
    from rasbench.protocols.otb import expected_lengths
    from rasbench.results.discovery import find_tracker_dirs
    from rasbench.results.otb import OTBLayout

    bench = load_benchmark("otb2015")
    dataset = open_dataset(bench, annotations=args.shared_data / "otb/annotations/OTB100.json", images=False)
    dirs = find_tracker_dirs([args.shared_data / "otb/results"], "otb2015", "ope")
    exp, conv = bench.experiment("ope"), otb_convention("got10k")
    lengths = {n: expected_lengths(s, exp.settings, conv.run.start) for n, s in dataset.items()}
    layout, specs = OTBLayout(exp), {s: bench.sequences[s] for s in dataset}
    with tempfile.TemporaryDirectory() as cache:
        os.environ["RASBENCH_CACHE"] = cache
        evaluate(bench, "ope", dataset, dirs, "got10k")  # fills the cache
        scores = RunScoreCache()
        scope = f"{bench.name}/ope/{conv.name}"

        def scan():
            return [[(e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(f)] for f in dirs.values()]

        print(f"warm: OTB-2015, {len(dirs)} trackers, run scores cached")
        show(timed({"evaluate (warm)": partial(evaluate, bench, "ope", dataset, dirs, "got10k"),
                    "  OTBLayout.scan for every tracker": lambda: [layout.scan(f, specs, lengths)
                                                                   for f in dirs.values()],
                    "  RunScoreCache.load for every tracker": lambda: [scores.load(f, scope) for f in dirs.values()],
                    "  one os.scandir per folder, names and stats (prototype floor)": scan}, args.repeat),
             "evaluate (warm)")


def section_vot(args) -> None:
    from rasbench.config.benchmarks import load_benchmark
    from rasbench.config.conventions import vot_convention
    from rasbench.datasets import open_dataset
    from rasbench.evaluation import evaluate
    from rasbench.evaluation.model import TrackerResult
    from rasbench.evaluation.vot import _load
    from rasbench.geometry.raster import overlaps
    from rasbench.geometry.regions import Regions
    from rasbench.metrics import vot as V

    base = args.shared_data / "vot2017"
    unpacked = Path(tempfile.mkdtemp())
    with zipfile.ZipFile(base / "results/DaSiamRPN_vot2018_rerun_HonglinChu.zip") as z:
        z.extractall(unpacked)
    folder = unpacked / "VOT2018/DaSiamRPN/baseline"
    bench = load_benchmark("vot2017")
    open_json = partial(open_dataset, bench, annotations=base / "annotations/VOT2018.json", images=False,
                        experiment="baseline")
    dataset = open_json()
    conv = vot_convention("vot-toolkit")
    exp = bench.experiment("baseline")
    options = exp.settings

    def load_runs():
        return _load(TrackerResult("DaSiamRPN", folder), exp, dataset, conv)

    def evaluate_vot():
        return evaluate(bench, "baseline", dataset, {"DaSiamRPN": folder}, "vot-toolkit")

    print("vot: VOT2017 baseline, DaSiamRPN, convention vot-toolkit")
    runs = load_runs()
    names = list(runs)
    pred = Regions.concat([traj for n in names for traj, _ in runs[n]])
    gt = Regions.concat([dataset[n].groundtruth for n in names for _ in runs[n]])
    sizes = np.concatenate([np.broadcast_to(np.asarray(dataset[n].image_size, float), (len(dataset[n]), 2))
                            for n in names for _ in runs[n]])
    bounds = V.frame_bounds(sizes, conv.accuracy_bounds_pad)
    layout = V.RunLayout.from_lengths([len(dataset[n]) for n in names for _ in runs[n]],
                                      [i for i, n in enumerate(names) for _ in runs[n]])
    codes = pred.codes()
    ov = V.analysis_overlaps(pred, gt, sizes, conv, ("accuracy", "eao"))

    def scores_from_overlaps():  # what a warm report would still compute with overlaps cached
        ar = V.accuracy_robustness(ov["accuracy"], codes, layout, conv, burnin=options.burnin)
        fragments = V.eao_fragments(ov["eao"], codes, layout, conv, skip_initialize=options.skip_initialize)
        interval = options.eao_interval or V.eao_interval([len(s) for s in dataset.values()])[:2]
        return ar, V.eao_score(V.eao_curve(fragments, conv), *interval, conv)

    cache = unpacked / "overlaps.npz"
    np.savez(cache, accuracy=ov["accuracy"], eao=ov["eao"], codes=codes)
    fns = {"evaluate (whole, one tracker)": evaluate_vot,
           "  open_dataset(VOT2018.json)": open_json,
           "  reading the 60 result files (evaluation.vot._load)": load_runs,
           "  analysis_overlaps (rasterised IoU, default chunks)": lambda: V.analysis_overlaps(pred, gt, sizes, conv,
                                                                                              ("accuracy", "eao")),
           "  A, R, EAO from the overlaps": scores_from_overlaps,
           "  np.load of cached overlaps + codes (prototype)": lambda: dict(np.load(cache))}
    show(timed(fns, args.repeat))
    print(f"  {len(pred):,} frames; geometry.raster.overlaps with bounds (W, H), vot-toolkit rule, by chunk_rows "
          f"(threads: {os.cpu_count()}):")
    for chunk in (1 << 18, 1 << 19, 1 << 20, 1 << 21):
        rasterise = partial(overlaps, pred, gt, bounds, conv.overlap, chunk_rows=chunk)
        seconds = timed({"": rasterise}, args.repeat)[""]
        mb, _ = peak_mb(rasterise)
        print(f"    chunk_rows 2**{chunk.bit_length() - 1}: {seconds * 1000:7.0f} ms, peak {mb:5.0f} MB")
    mb, _ = peak_mb(evaluate_vot)
    print(f"  evaluate_vot peak {mb:.0f} MB; dataset alone {peak_mb(open_json)[0]:.0f} MB")


def section_memory(args) -> None:
    from rasbench.config.benchmarks import load_benchmark
    from rasbench.datasets import open_dataset
    from rasbench.datasets.textio import read_many
    from rasbench.evaluation import evaluate
    from rasbench.results.discovery import find_tracker_dirs

    folder = lasot_folder(args.work)
    bench = load_benchmark(str(folder / "bench.yaml"))
    print("memory: LaSOT-sized cold report by stage (tracemalloc peak within the stage; held = still allocated after)")
    tracemalloc.start()
    stages = {}

    def stage(label, fn):
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        now, peak = tracemalloc.get_traced_memory()
        stages[label] = (peak - before, now - before)
        return result

    for source in ("lasot.json", "anno"):
        dataset = stage(f"open_dataset({source})", partial(open_dataset, bench, annotations=folder / source,
                                                            images=False))
        del dataset
    dataset = open_dataset(bench, annotations=folder / "anno", images=False)
    dirs = find_tracker_dirs([folder / "results"], bench.name, "ope")
    paths = sorted((folder / "results" / "Tracker1").glob("*.txt"))
    stage("read_many, one tracker (280 files)", lambda: read_many(paths, 4))
    with tempfile.TemporaryDirectory() as cache:
        os.environ["RASBENCH_CACHE"] = cache
        stage("evaluate, 4 trackers, cold", lambda: evaluate(bench, "ope", dataset, dirs, "got10k"))
        stage("evaluate, 4 trackers, warm", lambda: evaluate(bench, "ope", dataset, dirs, "got10k"))
    tracemalloc.stop()
    for label, (peak, held) in stages.items():
        print(f"  {label:40s} peak {peak / 1e6:6.0f} MB, held {held / 1e6:6.0f} MB")


def _save_box_once(fig, stem: Path, formats) -> list[Path]:
    """The prototype: one draw for the tight bounding box, then each format with it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from rasbench.plots import style

    canvas = FigureCanvasAgg(fig)
    with style.print_style():
        box = fig.get_tightbbox(canvas.get_renderer()).padded(style.RC["savefig.pad_inches"])
        paths = []
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            metadata = {"Software": None} if fmt == "png" else {"Creator": None, "CreationDate": None}
            fig.savefig(path, format=fmt, bbox_inches=box, metadata=metadata)
            paths.append(path)
    return paths


def section_plots(args) -> None:
    from rasbench import plots
    from rasbench.config.benchmarks import load_benchmark
    from rasbench.datasets import open_dataset
    from rasbench.evaluation import evaluate
    from rasbench.results.discovery import find_tracker_dirs

    bench = load_benchmark("otb2015")
    dataset = open_dataset(bench, annotations=args.shared_data / "otb/annotations/OTB100.json", images=False)
    report = evaluate(bench, "ope", dataset, find_tracker_dirs([args.shared_data / "otb/results"], "otb2015", "ope"),
                      "got10k")
    names = [p.name for p in report.plots]
    figures = {name: partial(plots.figure, report, name) for name in names[:2] + names[-1:]}
    folder = Path(tempfile.mkdtemp())
    print(f"plots: {len(figures)} OTB-2015 figures ({', '.join(figures)}; {len(report.trackers)} trackers), "
          f"PNG + PDF each")

    def save_all(saver, tag):
        return [saver(build(), folder / f"{tag}_{name}", ("png", "pdf")) for name, build in figures.items()]

    show(timed({"plots.save (tight box per format: 4 draws per figure)": partial(save_all, plots.save, "now"),
                "  tight box once, both formats with it (prototype)": partial(save_all, _save_box_once, "once"),
                "  building the figures only": lambda: [build() for build in figures.values()]}, args.repeat),
         "plots.save (tight box per format: 4 draws per figure)")
    same = [(folder / f"now_{n}.png").read_bytes() == (folder / f"once_{n}.png").read_bytes() for n in figures]
    print(f"  PNG files byte-identical between the two: {sum(same)} of {len(same)}")


def section_imports(args) -> None:
    modules = ("numpy", "yaml", "click", "pandas", "rasbench.cli", "rasbench.config.benchmarks", "rasbench.datasets",
               "rasbench.evaluation", "rasbench.reports.build", "rasbench.reports.published", "rasbench.plots",
               "matplotlib.pyplot")
    times = {m: [] for m in ("(nothing)",) + modules}
    for _ in range(args.repeat):
        for m, samples in times.items():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "" if m == "(nothing)" else f"import {m}"], check=True)
            samples.append(time.perf_counter() - started)
    print("imports: python -c 'import X', whole process, interleaved")
    show({f"import {m}": statistics.median(t) for m, t in times.items()})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rasbench-report-scale")
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    if not chosen or any(s not in SECTIONS for s in chosen):
        parser.error(f"--only: choose from {', '.join(SECTIONS)}")
    print(f"perf_prototypes: {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}; medians of {args.repeat}")
    for name in chosen:
        globals()[f"section_{name}"](args)
        sys.stdout.flush()
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
