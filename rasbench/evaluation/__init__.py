"""The scoring half of the family seam: result folders in, one :class:`~rasbench.evaluation.model.Report` out.

Each family's scorer (:mod:`~rasbench.evaluation.otb`, :mod:`~rasbench.evaluation.vot`,
:mod:`~rasbench.evaluation.got10k`, :mod:`~rasbench.evaluation.trackingnet`)
provides ``score(benchmark, experiment, dataset, tracker_dirs, convention, cache, workers)`` and
``view_run(...)`` for the viewer; :func:`evaluate` dispatches by the experiment's family.
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

from ..config.benchmarks import BenchmarkDef
from ..config.conventions import convention as find_convention
from ..datasets import Dataset
from . import got10k, otb, trackingnet, vot
from .model import Report, Uncertainty

# The scorer of each family, by family name.
SCORERS: dict[str, ModuleType] = {"otb": otb, "vot": vot, "got10k": got10k, "trackingnet": trackingnet}


def evaluate(benchmark: BenchmarkDef, experiment: str, dataset: Dataset, tracker_dirs: dict[str, Path],
             convention: str = "official", cache: bool = True,
             uncertainty: Uncertainty | None = Uncertainty(), workers: int | None = 1) -> Report:
    """Score every tracker folder of ``tracker_dirs`` ({name: experiment folder}) on the
    sequences of ``dataset`` under ``convention``; run scores are cached where the
    family caches them (``cache=False``: recompute). ``workers``: forked processes that
    may share the scoring of many trackers (1: none, the default for library callers;
    None: one per CPU core, as ``rasbench report``; families that score quickly enough
    ignore it). ``uncertainty``: how to compute the
    confidence intervals and paired tests (:mod:`~rasbench.evaluation.uncertainty`);
    None: none."""
    family = benchmark.experiment(experiment).family
    conv = find_convention(family, convention)
    report = SCORERS[family].score(benchmark, experiment, dataset, tracker_dirs, conv, cache, workers)
    if uncertainty is None:
        return report
    from .uncertainty import add_uncertainty  # resampling and its imports only when asked for

    return add_uncertainty(report, uncertainty)


def cross_plots(benchmark: BenchmarkDef, experiment: str) -> list[tuple[str, str]]:
    """Plots combining ``experiment`` with another of the benchmark, known without scoring:
    [(plot kind of :data:`rasbench.plots.CROSS_KINDS`, other experiment)]."""
    return SCORERS[benchmark.experiment(experiment).family].cross_plots(benchmark, experiment)
