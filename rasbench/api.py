"""The Python API: what ``rasbench run`` and ``rasbench report`` do, callable from a notebook.

The CLI commands call these functions, so a run started here resumes, refuses a folder
made differently (the manifest guard) and records a failing unit exactly as the command
does, and a report here has the numbers ``rasbench report --format json`` prints.
Everything heavy is imported inside the functions: importing rasbench stays cheap.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from .config.benchmarks import BenchmarkDef
    from .datasets import Dataset
    from .evaluation.model import Report, Uncertainty
    from .runner.units import RunSummary

PathLike = Union[str, Path]
Names = Union[str, Iterable[str], None]  # "a,b", ["a", "b"] or None (all)


def load_benchmark(benchmark: str | BenchmarkDef) -> BenchmarkDef:
    """``benchmark`` as a definition: a name or alias (``otb2015``, ``synth``), a YAML path,
    or a :class:`~rasbench.config.benchmarks.BenchmarkDef` (returned as is)."""
    from .config.benchmarks import BenchmarkDef
    from .config.benchmarks import load_benchmark as load

    return benchmark if isinstance(benchmark, BenchmarkDef) else load(str(benchmark))


def names(value: Names) -> list[str]:
    """``"a,b"`` or ``["a", "b,c"]`` as a list of stripped, non-empty names; None: []."""
    if value is None:
        return []
    parts = [value] if isinstance(value, str) else list(value)
    return [n.strip() for part in parts for n in str(part).split(",") if n.strip()]


def experiments(benchmark: BenchmarkDef, value: Names = None) -> list[str]:
    """The experiments ``value`` names (each one ``benchmark`` defines, lower case, no
    repeats); none: the benchmark's first. Unknown names raise ConfigError."""
    chosen = list(dict.fromkeys(e.lower() for e in names(value))) or [next(iter(benchmark.experiments))]
    for name in chosen:
        benchmark.experiment(name)
    return chosen


def present_note(benchmark: BenchmarkDef, dataset: Dataset, doing: str) -> str:
    """With ``sequences="present"``: how many of the benchmark's sequences are used."""
    from .text import plural

    total = len(dataset) + len(dataset.missing)
    return (f"{benchmark.name}: {len(dataset)} of {plural(total, 'sequence')} present in {dataset.source}; {doing} "
            f"those (--sequences present)")


def _selection(sequences: Names) -> list[str] | str | None:
    from .datasets import PRESENT

    chosen = names(sequences)
    return PRESENT if chosen == [PRESENT] else (chosen or None)


def run(tracker: Any, benchmark: str | BenchmarkDef, experiment: Names = None, root: PathLike | None = None,
        results: PathLike | None = None, *, name: str | None = None, params: dict | None = None,
        sequences: Names = None, convention: str = "official", force: bool = False, workers: int = 1,
        devices: list[str] | None = None, frame_timeout: float | None = None, executor: str = "auto",
        address: str | None = None, progress: bool = True, runs: int | None = None,
        on_summary: Callable[[str, RunSummary], None] | None = None,
        message: Callable[[str], None] | None = None) -> list[RunSummary]:
    """Run ``tracker`` on the experiments of ``benchmark``; results go to
    ``results/<benchmark>/<name>/<experiment>/`` (``results``: default ``$RASBENCH_RESULTS`` or
    ``results``).

    ``tracker``: a tracker object (``init(image, box)``/``update(image)``, see
    :mod:`rasbench.tracker`; it runs in this process), a spec string (``"mil"``,
    ``"opencv:KCF"``, ``"module:Class"``, ``"file.py:Class"``) or a class/factory, built with
    ``params``. ``experiment``: one name, several (a list or ``"ope,tre"``), or None for the
    benchmark's first. ``root``: the dataset folder (None: the search path; ``synth``: the
    cache). ``sequences``: names, or ``"present"`` for those the folder holds.
    ``convention``: as ``rasbench conventions`` lists. ``workers``/``devices``/
    ``frame_timeout`` (seconds)/``executor``/``address``: where units run, as the CLI's options.
    ``runs``: run a one-run experiment (OPE) this many times (stochastic trackers; run k's
    files in ``runs/<k:03d>/`` beside run 1's), ConfigError where the family repeats by itself.

    Finished units are skipped (``force``: redo them); a folder whose results were made
    differently is refused (ResultsError); a failing unit is recorded next to its results
    and the run goes on: check ``summary.ok`` / ``summary.failures``. ``on_summary(experiment,
    summary)`` is called as each experiment finishes, ``message(text)`` with notes (the CLI
    prints both). Returns one :class:`~rasbench.runner.units.RunSummary` per experiment, in order.
    """
    from .config.conventions import convention as find_convention
    from .datasets import PRESENT, open_dataset
    from .errors import ConfigError
    from .paths import default_results
    from .protocols import family_for
    from .registry import tracker_spec
    from .runner import run_experiment

    bench = load_benchmark(benchmark)
    exps = experiments(bench, experiment)
    for exp in exps:
        find_convention(bench.experiment(exp).family, convention)
        if runs is not None:  # refused before anything is read or run
            family_for(bench.experiment(exp)).repetitions(bench.experiment(exp).settings, lambda: False, runs)
    spec = tracker_spec(tracker, params)
    if spec.instance is not None and (workers > 1 or devices or frame_timeout is not None
                                      or executor not in ("auto", "local")):
        raise ConfigError("a tracker object runs in this process: for workers, devices, frame_timeout or another "
                          "executor pass its class or a spec string (each worker builds its own)")
    selection = _selection(sequences)
    results_root = Path(results if results is not None else default_results()).expanduser()
    root = Path(root).expanduser() if root is not None else None
    summaries = []
    for exp in exps:
        dataset = open_dataset(bench, root=root, images=True, sequences=selection, progress=progress, experiment=exp)
        if selection == PRESENT and message is not None:
            message(present_note(bench, dataset, "running"))
        summary = run_experiment(bench, exp, dataset, spec, results_root, name=name, force=force,
                                 convention=convention, progress=progress, workers=workers, devices=devices,
                                 frame_timeout=frame_timeout, executor=executor, address=address, runs=runs)
        summaries.append(summary)
        if on_summary is not None:
            on_summary(exp, summary)
    return summaries


def scoring_inputs(benchmark: BenchmarkDef, exps: list[str], results: PathLike | Iterable[PathLike] | None = None,
                   trackers: Names = None, sequences: Names = None, root: PathLike | None = None,
                   annotations: PathLike | None = None, message: Callable[[str], None] | None = None,
                   ) -> tuple[dict[str, Dataset], dict[str, dict[str, Path]]]:
    """What scoring ``exps`` reads: per experiment the dataset (ground truth only; one per
    dataset layout, shared) and the tracker folders ``{name: folder}`` found under
    ``results`` (one root or several; default ``$RASBENCH_RESULTS`` or ``results``), only
    ``trackers`` if given, in that order. No folder for an experiment raises ResultsError."""
    from .datasets import PRESENT, open_dataset
    from .errors import ResultsError
    from .paths import default_results
    from .results.discovery import find_tracker_dirs

    if results is None:
        paths = [Path(default_results())]
    elif isinstance(results, (str, Path)):
        paths = [Path(results).expanduser()]
    else:
        paths = [Path(p).expanduser() for p in results] or [Path(default_results())]
    selection = _selection(sequences)
    root = Path(root).expanduser() if root is not None else None
    annotations = Path(annotations).expanduser() if annotations is not None else None
    datasets, dirs, by_layout = {}, {}, {}
    for exp in exps:
        layout = benchmark.dataset_layout(exp)
        if layout not in by_layout:
            by_layout[layout] = open_dataset(benchmark, root=root, annotations=annotations, images=False,
                                             sequences=selection, experiment=exp)
            if selection == PRESENT and message is not None:
                message(present_note(benchmark, by_layout[layout], "scoring"))
        datasets[exp] = by_layout[layout]
        dirs[exp] = find_tracker_dirs(paths, benchmark.name, exp, names(trackers) or None)
        if not dirs[exp]:
            raise ResultsError(f"no {exp} tracker folders found in {', '.join(map(str, paths))}")
    return datasets, dirs


def evaluate(benchmark: str | BenchmarkDef, results: PathLike | Iterable[PathLike] | None = None,
             experiment: str | None = None, *, trackers: Names = None, sequences: Names = None,
             convention: str = "official", root: PathLike | None = None, annotations: PathLike | None = None,
             cache: bool = True, uncertainty: Uncertainty | bool = True, workers: int | None = 1) -> Report:
    """Score the tracker folders under ``results`` on one experiment of ``benchmark``.

    ``results``: a results root or folder of tracker folders, or several (default
    ``$RASBENCH_RESULTS`` or ``results``); ``experiment``: None for the benchmark's first;
    ``trackers``/``sequences``: only these (``sequences="present"``: those the data holds);
    ``root`` (the dataset) or ``annotations`` (pysot JSON / OTB ``anno/``): where the
    ground truth is. Run scores are cached (``cache=False``: recompute). ``workers``:
    forked processes that may share the scoring of many trackers (default 1: this process
    only; None: one per CPU core, as ``rasbench report`` does; a notebook kernel has
    threads, and forking a process with threads is what Python 3.12 warns about).

    Returns a :class:`~rasbench.evaluation.model.Report`: ``report.table()`` (pandas, one
    row per tracker in rank order, fractions in 0..1), ``report["KCF"].sequences``
    (``{sequence: {measure: value}}``), ``report.plot("success")`` (a matplotlib Figure;
    names in ``report.plots``), ``report.to_dict()`` (what ``--format json`` prints),
    ``report["KCF"].intervals`` and ``report.compare("ATOM", "KCF")`` (bootstrap intervals
    and paired tests: ``uncertainty`` True for the defaults, an
    :class:`~rasbench.evaluation.model.Uncertainty` for other settings, False for none).
    """
    from .config.conventions import convention as find_convention
    from .errors import ConfigError
    from .evaluation import evaluate as score
    from .evaluation.model import Uncertainty

    bench = load_benchmark(benchmark)
    chosen = experiments(bench, experiment)
    if len(chosen) > 1:
        raise ConfigError(f"evaluate scores one experiment at a time, got {', '.join(chosen)}")
    exp = chosen[0]
    find_convention(bench.experiment(exp).family, convention)
    datasets, dirs = scoring_inputs(bench, [exp], results, trackers, sequences, root, annotations)
    settings = Uncertainty() if uncertainty is True else uncertainty or None
    return score(bench, exp, datasets[exp], dirs[exp], convention, cache=cache, uncertainty=settings, workers=workers)
