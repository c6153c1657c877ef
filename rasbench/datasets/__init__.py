"""Finding and opening the data of a benchmark.

Search order for a benchmark's data: ``--root DIR`` when given; otherwise every folder
in ``$RASBENCH_DATA`` (``os.pathsep``-separated) and the default data home
(``$XDG_DATA_HOME/rasbench`` or ``~/.local/share/rasbench``), each tried as the dataset
folder itself and with the benchmark's usual folder names appended (``OTB100``,
``otb2015``, ...). The synthetic benchmark is generated on first use into the cache
(``$RASBENCH_CACHE`` or ``~/.cache/rasbench``) unless ``--root`` says where.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ..config.benchmarks import BenchmarkDef
from ..errors import DatasetError
from ..paths import cache_dir, data_dirs
from ..text import plural
from . import got10k, lasot, nfs, otb, uav, vot
from .cache import cached_annotations
from .otb import normalise_name
from .sequence import Dataset, Sequence

# ``open_dataset(..., sequences=PRESENT)`` (``--sequences present``): the benchmark's
# sequences that the data holds, the others left out.
PRESENT = "present"

__all__ = ["Dataset", "Sequence", "PRESENT", "open_dataset", "locate", "select_sequences"]


def synth_root(benchmark: BenchmarkDef, root: Path | None = None) -> Path:
    return Path(root) if root is not None else cache_dir() / benchmark.name


def _holds_sequences(folder: Path, benchmark: BenchmarkDef) -> bool:
    """Whether ``folder`` holds a sequence's ground-truth file at ``<folder>/<seq folder>/<file>``."""
    return any((folder / spec.folder / spec.groundtruth).is_file() for spec in benchmark.sequences.values())


def _search_bases(root: Path | None) -> list[Path]:
    """Where to look: ``root`` alone when given (it must be a folder), else :func:`data_dirs`."""
    if root is None:
        return data_dirs()
    if Path(root).is_file():
        raise DatasetError("the dataset folder is a file (an annotation file goes to --annotations)", root)
    if not Path(root).is_dir():
        raise DatasetError("the dataset folder does not exist", root)
    return [Path(root)]


def _candidates(benchmark: BenchmarkDef, bases: list[Path]) -> list[Path]:
    out = []
    for base in bases:
        out.append(base)
        out += [base / name for name in benchmark.dataset_dirs]
    return out


@dataclass
class Location:
    """Where a benchmark's data was found and how complete it is."""

    path: Path
    kind: str  # "images", "annotations"
    found: int
    missing: dict[str, str]
    present: tuple[str, ...] = field(default=())  # the sequences found


@dataclass(frozen=True)
class Loader:
    """How one dataset layout is read: ``native(benchmark, root, specs, images=, strict=)``
    from its own folders, ``annotations(benchmark, path, specs)`` from an annotation-only
    copy (a pysot JSON, the OTB toolkit's anno/ folder, ...); ``holds(folder, benchmark)``
    says whether a folder holds any of the benchmark's sequences in that layout."""

    native: Callable[..., Dataset]
    annotations: Callable[..., Dataset]
    holds: Callable[[Path, BenchmarkDef], bool] = _holds_sequences


def _tags(benchmark: BenchmarkDef) -> tuple[str, ...]:
    return tuple(benchmark.raw.get("tags") or ())


# The loaders of each dataset layout (a family's ``dataset_layout``, a definition's ``format``).
LOADERS: dict[str, Loader] = {
    "otb": Loader(lambda bench, root, specs, **kw: otb.load_native(bench.name, root, specs, **kw),
                  lambda bench, path, specs: otb.load_annotations(bench.name, path, specs)),
    "vot": Loader(lambda bench, root, specs, **kw: vot.load_native(bench.name, root, specs, _tags(bench), **kw),
                  lambda bench, path, specs: vot.load_annotations(bench.name, path, specs, _tags(bench))),
    "lasot": Loader(lambda bench, root, specs, **kw: lasot.load_native(bench.name, root, specs, **kw),
                    lambda bench, path, specs: lasot.load_annotations(bench.name, path, specs)),
    "uav": Loader(lambda bench, root, specs, **kw: uav.load_native(bench.name, root, specs, _subset(bench), **kw),
                  lambda bench, path, specs: uav.load_annotations(bench.name, path, specs, _subset(bench)),
                  lambda folder, bench: uav.holds(folder, bench.sequences, _subset(bench))),
    "nfs": Loader(lambda bench, root, specs, **kw: nfs.load_native(bench.name, root, specs, **kw),
                  lambda bench, path, specs: nfs.load_annotations(bench.name, path, specs)),
    "got10k": Loader(lambda bench, root, specs, **kw: got10k.load_got10k(bench.name, root, specs, **kw),
                     lambda bench, path, specs: got10k.load_got10k(bench.name, path, specs, images=False)),
    "trackingnet": Loader(lambda bench, root, specs, **kw: got10k.load_trackingnet(bench.name, root, specs, **kw),
                          lambda bench, path, specs: got10k.load_trackingnet(bench.name, path, specs, images=False)),
}


def _subset(benchmark: BenchmarkDef) -> str:
    """The UAV kit's annotation subfolder of a UAV-layout benchmark (``anno/UAV123``, ``anno/UAV20L``)."""
    return str(benchmark.raw.get("subset") or benchmark.name.upper())


def _loader(benchmark: BenchmarkDef, layout: str) -> Loader:
    """A definition's own format's loader; the synthetic benchmark's copies are in its experiments' layouts."""
    return LOADERS[layout if benchmark.format == "synth" else benchmark.format]


def _lower_case_copy(specs: dict) -> dict:
    return {n.lower(): replace(s, name=n.lower(), folder=s.folder.lower(), groundtruth="groundtruth.txt")
            for n, s in specs.items()}


# The synthetic benchmark's copy in each layout: the VOT copy uses lower-case names.
SYNTH_SPECS = {"otb": dict, "vot": _lower_case_copy}


def locate(benchmark: BenchmarkDef, root: Path | None = None) -> list[Location]:
    """Every place holding (part of) the benchmark, for ``rasbench datasets``."""
    if benchmark.format == "synth":
        from .synthetic import is_generated

        path = synth_root(benchmark, root)
        ok = is_generated(benchmark, path)
        return [Location(path, "generated" if ok else "not generated yet", len(benchmark.sequences) if ok else 0, {})]
    loader = LOADERS[benchmark.format]
    locations = []
    for folder in _candidates(benchmark, _search_bases(root)):
        if folder.is_dir() and loader.holds(folder, benchmark):
            ds = loader.native(benchmark, folder, benchmark.sequences, images=True, strict=False)
            locations.append(Location(folder, "images", len(ds), ds.missing, tuple(ds)))
        for name in benchmark.annotation_files:
            if (folder / name).exists():
                try:
                    ds = loader.annotations(benchmark, folder / name, benchmark.sequences)
                    locations.append(Location(folder / name, "annotations", len(ds), ds.missing, tuple(ds)))
                except DatasetError as exc:
                    locations.append(Location(folder / name, "annotations (broken)", 0, {"error": str(exc)}))
    return locations


def open_dataset(benchmark: BenchmarkDef, *, root: Path | None = None, annotations: Path | None = None,
                 images: bool = True, sequences: list[str] | str | None = None, progress: bool = False,
                 experiment: str | None = None) -> Dataset:
    """Load the benchmark's sequences (all, those named in ``sequences``, or with
    ``sequences=PRESENT`` those the data holds), with or without images.

    ``experiment`` picks the layout where a benchmark has two (the synthetic one holds
    OTB and VOT copies). Raises :class:`DatasetError` naming what is missing and where
    it looked. With ``PRESENT`` the absent sequences stay listed in ``missing``.
    """
    layout = benchmark.dataset_layout(experiment)
    specs = SYNTH_SPECS[layout](benchmark.sequences) if benchmark.format == "synth" else benchmark.sequences
    present_only = sequences == PRESENT
    if sequences and not present_only:
        specs = {name: specs[name] for name in select_sequences(benchmark.name, specs, sequences)}
    loader = _loader(benchmark, layout)
    if benchmark.format == "synth":
        from .synthetic import ensure_generated

        folder = ensure_generated(benchmark, synth_root(benchmark, root), progress=progress)
        dataset = loader.native(benchmark, folder / layout, specs, images=images)
    elif annotations is not None:
        if images:
            raise DatasetError("annotation-only copies cannot be used to run trackers; give --root", annotations)
        dataset = cached_annotations(layout, benchmark, annotations, specs,
                                     lambda: loader.annotations(benchmark, annotations, specs))
    else:
        dataset = _open_folders(benchmark, specs, root, images, loader)
    if present_only:
        if not len(dataset):
            raise DatasetError(f"{benchmark.name}: none of its {plural(len(specs), 'sequence')} is in {dataset.source}")
        missing = dataset.missing
        dataset = dataset.subset(list(dataset))
        dataset.missing = missing
    # how to open it again (worker processes, cluster nodes)
    dataset.open_args = {"root": None if root is None else str(root),
                         "annotations": None if annotations is None else str(annotations),
                         "images": images, "sequences": list(dataset if present_only else specs),
                         "experiment": experiment}
    if dataset.missing and not present_only:
        names = list(dataset.missing)
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        if len(names) <= 2:
            shown = "; ".join(f"{n}: {dataset.missing[n]}" for n in names)
        where = f"rasbench datasets --root {root}" if root is not None else "rasbench datasets"
        raise DatasetError(f"{benchmark.name}: {len(names)} of {plural(len(specs), 'sequence')} missing in "
                           f"{dataset.source} ({shown}); `--sequences present` uses the {len(dataset)} there, "
                           f"`{where}` lists "
                           f"what is where")
    return dataset


def select_sequences(benchmark_name: str, specs: dict, asked: list[str]) -> list[str]:
    """The sequence names ``asked`` stands for, in that order.

    A name matches as result files do (case, '-' / '_' / '.', the table's file names and
    aliases: ``jogging_1``, ``Human4``). An unknown one is a :class:`DatasetError` with
    suggestions: the sequences of a folder of that name (``Jogging`` -> Jogging-1,
    Jogging-2) or close spellings."""
    keys: dict[str, set] = {}
    for name, spec in specs.items():
        for key in {name, spec.anno, *spec.aliases}:
            keys.setdefault(normalise_name(key), set()).add(name)
    chosen, unknown, unhelped = [], [], False
    for name in asked:
        matches = keys.get(normalise_name(name), set())
        if len(matches) == 1:
            chosen.append(next(iter(matches)))
            continue
        sharing = [n for n, s in specs.items() if normalise_name(s.folder) == normalise_name(name)
                   or normalise_name(n).startswith(normalise_name(name) + "-")]
        if sharing:
            unknown.append(f"no sequence {name} (its folder holds {', '.join(sharing)}: -s {','.join(sharing)})")
            continue
        close = difflib.get_close_matches(name.lower(), [n.lower() for n in specs], n=3, cutoff=0.75)
        by_lower = {n.lower(): n for n in specs}
        if close:
            unknown.append(f"no sequence {name} (did you mean {' or '.join(by_lower[c] for c in close)}?)")
        else:
            unknown.append(f"no sequence {name}")
            unhelped = True
    if unknown:
        listing = list(specs)
        known = ", ".join(listing[:8]) + (f", ... ({len(listing)} in all)" if len(listing) > 8 else "")
        raise DatasetError(f"{benchmark_name} has {', '.join(unknown)}" + (f"; it has {known}" if unhelped else ""))
    return list(dict.fromkeys(chosen))


def _open_folders(benchmark: BenchmarkDef, specs, root: Path | None, images: bool, loader: Loader) -> Dataset:
    bases = _search_bases(root)
    best = None  # the incomplete copy holding the most sequences
    for folder in _candidates(benchmark, bases):
        if not folder.is_dir():
            continue
        loaders = []
        if loader.holds(folder, benchmark):
            loaders.append(lambda folder=folder: loader.native(benchmark, folder, specs, images=images))
        if not images:
            loaders += [lambda path=folder / name: loader.annotations(benchmark, path, specs)
                        for name in benchmark.annotation_files if (folder / name).exists()]
        for load in loaders:
            dataset = load()
            if not dataset.missing:
                return dataset
            if best is None or len(dataset) > len(best):
                best = dataset
    if best is not None:
        return best
    hint = f"give --root DIR, set RASBENCH_DATA, or run `rasbench download {benchmark.name} --root DIR`"
    if not images:
        hint += f", or give --annotations ({' or '.join(benchmark.annotation_files)})"
    subfolders = f" (and in their subfolders {', '.join(benchmark.dataset_dirs)})" if benchmark.dataset_dirs else ""
    raise DatasetError(f"{benchmark.title} not found in {', '.join(map(str, bases))}{subfolders}; {hint}")

