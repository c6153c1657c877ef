"""The tracker folders under ``--results`` paths, ours and anybody's."""
from __future__ import annotations

from pathlib import Path

from ..errors import ResultsError
from . import LAYOUTS


def find_tracker_dirs(results: list[Path], benchmark: str, experiment: str,
                      wanted: list[str] | None = None) -> dict[str, Path]:
    """Experiment folders of the trackers under each ``--results`` path, by tracker name.

    A path may be a results root (``<path>/<benchmark>/<tracker>/<experiment>``, the
    benchmark folder in any case, as got10k's ``results/LaSOT/<tracker>/``) or
    directly a folder of tracker folders (other people's raw results), each holding
    experiment folders (VOT toolkit: ``<tracker>/baseline``) or, where a family's layout
    says so, the result files themselves (got10k, pysot: ``<tracker>/<Seq>.txt`` for OPE).
    ``wanted`` selects and orders trackers; a name may also be a path to such a folder.
    """
    found: dict[str, Path] = {}
    for root in results:
        root = Path(root)
        if not root.is_dir():
            raise ResultsError(f"results folder {root} " + ("is a file" if root.exists() else "does not exist"))
        folder = _benchmark_folder(root, benchmark)
        for child in sorted(folder.iterdir()):
            if not child.is_dir() or child.name.startswith("."):
                continue
            exp_dir = _experiment_dir(child, experiment)
            if exp_dir is None:
                continue
            name = tracker_name(child.name)
            if name in found and found[name] != exp_dir:
                raise ResultsError(f"tracker {name!r} is in both {found[name]} and {exp_dir}; "
                                   f"pass one --results or rename a folder")
            found[name] = exp_dir
    found = _group_runs(found)
    if wanted is None:
        return found
    selected = {}
    for name in wanted:
        if name in found:
            selected[name] = found[name]
        elif Path(name).is_dir() and _experiment_dir(Path(name), experiment):
            selected[tracker_name(Path(name).name)] = _experiment_dir(Path(name), experiment)
        else:
            raise ResultsError(f"no {experiment} results for tracker {name!r}; found: {', '.join(found) or 'none'} "
                               f"(in {', '.join(str(r) for r in results)})")
    return selected


def _benchmark_folder(root: Path, benchmark: str) -> Path:
    """``root/<benchmark>`` where it exists, in any case (got10k writes ``results/LaSOT/``,
    ``results/UAV123/``), else ``root`` itself."""
    if (root / benchmark).is_dir():
        return root / benchmark
    same = [p for p in root.iterdir() if p.is_dir() and p.name.lower() == benchmark.lower()]
    return same[0] if len(same) == 1 else root


def tracker_name(folder_name: str) -> str:
    """The tracker a folder holds: its name, less a suffix a layout's naming adds (the LaSOT
    toolkit's ``<Tracker>_tracking_result``)."""
    for layout in LAYOUTS.values():
        name = layout.tracker_name(folder_name)
        if name != folder_name:
            return name
    return folder_name


def _experiment_dir(tracker_folder: Path, experiment: str) -> Path | None:
    if (tracker_folder / experiment).is_dir():
        return tracker_folder / experiment
    if any(layout.holds_results(tracker_folder, experiment) for layout in LAYOUTS.values()):
        return tracker_folder
    return None


def _group_runs(found: dict[str, Path]) -> dict[str, Path]:
    """Run folders of one tracker (pytracking's numbered ``<param>_<run>`` folders) as one
    tracker ``<param>``, found at its first run folder (the layout reads the others)."""
    out = dict(found)
    for name, folder in found.items():
        for layout in LAYOUTS.values():
            group = layout.run_group(folder) if folder.name == name else None
            if group is not None and group[0] not in found:
                stem, folders = group
                for run_folder in folders:
                    out.pop(run_folder.name, None)
                out[stem] = folder
    return out
