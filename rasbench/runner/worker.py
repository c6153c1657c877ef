"""The unit runner: a job's dataset, tracker and results store, loaded once per process."""
from __future__ import annotations

from pathlib import Path

from ..config.benchmarks import load_benchmark
from ..datasets import Dataset, open_dataset
from ..protocols import family_for
from ..protocols.base import OnFrame, Outcome, RunContext, Unit
from ..registry import TrackerSpec, resolve
from ..results.store import ResultStore
from .units import Job


class UnitRunner:
    """Executes the units of one job through the experiment's family.

    In a worker process it is built from the :class:`Job` alone; in-process the caller
    hands over the dataset and tracker spec it already has.
    """

    def __init__(self, job: Job, dataset: Dataset | None = None, spec: TrackerSpec | None = None):
        benchmark = load_benchmark(job.benchmark)
        experiment = benchmark.experiment(job.experiment)
        if dataset is None:
            args = dict(job.dataset_args)
            root, annotations = args.pop("root"), args.pop("annotations")
            dataset = open_dataset(benchmark, root=None if root is None else Path(root),
                                   annotations=None if annotations is None else Path(annotations), **args)
        self.family = family_for(experiment)
        spec = spec or resolve(job.tracker, job.params)
        self.context = RunContext(experiment, dataset, ResultStore(job.results_root, benchmark.name, experiment),
                                  job.tracker_name, self.family.convention(job.convention), spec, spec.create())

    @property
    def tracker(self):
        return self.context.tracker

    def run(self, unit: Unit, on_frame: OnFrame | None = None) -> Outcome:
        """Execute ``unit``; ``on_frame(run, frame)`` before the tracker sees each frame."""
        return self.family.run_unit(self.context, unit, on_frame)
