"""``rasbench report --out DIR``: the requested outputs, rebuilt only when their inputs change.

Every output is keyed by a fingerprint of what it is made from (result files' sizes and
modification times, the annotations, the benchmark definition, the convention, the
toolkit version, the published numbers, the output options), recorded in
``DIR/.rasbench-report.json`` with the sha256 of each file it wrote; an output is reused
only when its key matches and its files still hold those bytes, anything else is
rebuilt. Plots are cached per format, so the HTML and LaTeX reports share them. Every
file is written to a temporary name and renamed into place; a report holds an exclusive
lock on ``DIR`` while it writes (a second one waits); a folder that cannot be written is
a :class:`~rasbench.errors.ResultsWriteError`.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .._version import __version__
from ..config.benchmarks import BenchmarkDef
from ..evaluation import cross_plots, evaluate
from ..evaluation.model import Uncertainty
from ..fingerprint import dataset_digest, file_sha256, folder_digest, parts_digest
from ..paths import atomic_write_text, file_lock
from . import RENDER_VERSION
from .html import html_report
from .latex import latex_attribute_table, latex_table
from .published import published_comparable, select_published
from .text import to_csv, to_json, to_table

CACHE_FILE = ".rasbench-report.json"
LOCK_FILE = ".rasbench-report.lock"


class OutputCache:
    """``DIR/.rasbench-report.json``: per output, the key it was made with and the
    sha256 of each of its files (an output is reused only while its files hold them)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / CACHE_FILE
        try:
            self.state = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(self.state, dict) or self.state.get("render_version") != RENDER_VERSION:
                self.state = {}
        except (OSError, ValueError):
            self.state = {}
        if not isinstance(self.state.get("outputs"), dict):
            self.state["outputs"] = {}
        self.state["render_version"] = RENDER_VERSION

    def fresh(self, name: str, key: str) -> bool:
        entry = self.state["outputs"].get(name)
        return (isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("files"), dict)
                and all(file_sha256(self.folder / f) == sha for f, sha in entry["files"].items()))

    def files(self, name: str) -> list[str]:
        return list((self.state["outputs"].get(name) or {}).get("files", {}))

    def digest(self, name: str) -> str:
        """One hash of an output's recorded file hashes (what it holds, for keys of
        outputs made from it)."""
        return parts_digest(sorted((self.state["outputs"].get(name) or {}).get("files", {}).items()))

    def info(self, name: str) -> dict:
        return dict((self.state["outputs"].get(name) or {}).get("info", {}))

    def record(self, name: str, key: str, files: list[Path], info: dict | None = None) -> None:
        old = set(self.files(name))
        rel = [Path(f).relative_to(self.folder).as_posix() for f in files]
        for stale in old - set(rel):  # e.g. an attribute plot no longer made
            try:
                (self.folder / stale).unlink()
            except OSError:
                pass
        self.state["outputs"][name] = {"key": key, "files": {f: file_sha256(self.folder / f) for f in rel},
                                       "info": info or {}}

    def save(self) -> None:
        atomic_write_text(self.path, json.dumps(self.state, indent=1, sort_keys=True) + "\n")


def locked_folder(folder: Path, message=None):
    """Hold an exclusive lock on ``folder`` (``LOCK_FILE`` in it, created if needed)
    while the block runs. Another holder makes this wait, after saying so through
    ``message(text)``; a folder that cannot be created or written raises ResultsWriteError."""
    waiting = None if message is None else (lambda: message(f"waiting for another report writing {folder} to finish"))
    return file_lock(Path(folder) / LOCK_FILE, waiting)


@dataclass
class ReportRequest:
    """Everything ``rasbench report --out DIR`` needs; reports are scored only when an
    output has to be (re)built."""

    benchmark: BenchmarkDef
    experiments: list[str]
    datasets: dict  # experiment -> Dataset
    tracker_dirs: dict  # experiment -> {tracker: folder}
    convention: str = "official"
    formats: tuple = ("html",)
    plots: bool = True
    plot_formats: tuple = ("png", "pdf")
    published: list | None = None  # None: no published numbers
    published_paths: tuple = ()
    top: int = 10
    published_top: int = 5
    highlight: tuple = ()  # tracker names drawn emphasised
    uncertainty: Uncertainty | None = Uncertainty()  # None: no intervals or tests
    show_intervals: bool = False  # in the text and LaTeX tables too (they are always in JSON, CSV, HTML)
    ci_format: str = "pm"  # LaTeX: "pm" or "brackets"
    workers: int | None = None  # scoring and plot-rendering processes (None: one per core; plots.style.default_workers)


@dataclass
class BuildResult:
    files: list[Path] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    incomplete: dict = field(default_factory=dict)  # experiment -> [tracker]
    seconds: float = 0.0


def _input_fingerprints(request: ReportRequest) -> dict[str, dict]:
    bench = parts_digest(request.benchmark.raw)
    published = parts_digest([asdict(p) for p in request.published]) if request.published is not None else "off"
    out = {}
    for exp in request.experiments:
        dirs = request.tracker_dirs[exp]
        parts = {"benchmark": bench, "experiment": exp, "convention": request.convention, "version": __version__,
                 "render": RENDER_VERSION, "dataset": dataset_digest(request.datasets[exp]),
                 "results": {name: [str(folder), folder_digest(folder)] for name, folder in dirs.items()},
                 "order": list(dirs), "published": published}
        parts["key"] = parts_digest(parts)
        out[exp] = parts
    return out


def build_report(request: ReportRequest, out: Path, rebuild: bool = False, progress: bool = False,
                 message=None) -> BuildResult:
    """Write the requested outputs into ``out``, reusing those whose inputs and files are
    unchanged.

    Files: ``<exp>_table.txt``, ``<exp>_report.json``, ``<exp>_report.csv`` (+
    ``_sequences.csv``, ``_attributes.csv``), ``<exp>_table.tex`` (+ ``_attributes.tex``),
    ``report.html`` and ``plots/<exp>_<plot>.<format>``. ``progress``: a bar per plot
    set on stderr; ``message(text)`` is told when another report holds ``out`` (this
    one waits for it). A folder that cannot be written raises ResultsError.
    """
    started = time.perf_counter()
    out = Path(out)
    with locked_folder(out, message):
        for folder in (out, out / "plots"):  # left by a report that was killed while writing
            for leftover in folder.glob(".*.tmp"):
                leftover.unlink()
        result = _build(request, out, rebuild, progress)
    result.seconds = time.perf_counter() - started
    return result


def _build(request: ReportRequest, out: Path, rebuild: bool, progress: bool) -> BuildResult:
    cache = OutputCache(out)
    result = BuildResult()
    inputs = _input_fingerprints(request)
    reports: dict = {}

    def report_for(exp):
        if exp not in reports:
            reports[exp] = evaluate(request.benchmark, exp, request.datasets[exp], request.tracker_dirs[exp],
                                    request.convention, uncertainty=request.uncertainty, workers=request.workers)
        return reports[exp]

    recomputed = sorted({n for dirs in request.tracker_dirs.values() for n in dirs})
    shown, matched, withheld = [], [], {}
    for exp in request.experiments if request.published is not None else ():
        exp_shown, exp_matched = select_published(request.published, request.benchmark, [exp], recomputed)
        if published_comparable(request.benchmark, request.datasets[exp]):
            shown += exp_shown
            matched += exp_matched
        elif exp_shown or exp_matched:
            withheld[exp] = len(request.datasets[exp])
    options = {"top": request.top, "published_top": request.published_top, "highlight": sorted(request.highlight),
               "uncertainty": asdict(request.uncertainty) if request.uncertainty else None,
               "show_intervals": request.show_intervals, "ci_format": request.ci_format}
    latex_intervals = request.ci_format if request.show_intervals else None

    def step(name: str, key_parts, render):
        key = parts_digest(key_parts, name, options)
        counted = not name.startswith("status:")  # bookkeeping, not an output
        if not rebuild and cache.fresh(name, key):
            if counted:
                result.reused.append(name)
            result.files += [out / f for f in cache.files(name)]
            return cache.info(name)
        files, info = render()
        cache.record(name, key, files, info)
        cache.save()  # a report killed later keeps what it finished
        if counted:
            result.rebuilt.append(name)
        result.files += files
        return info

    def plot_steps(prefix: str, key_parts, render) -> list[dict]:
        """Plots are cached per format (``prefix:png``, ``prefix:pdf``): only formats
        not already there are rendered, each figure once for all of them."""
        keys = {fmt: parts_digest(key_parts, f"{prefix}:{fmt}", options) for fmt in plot_formats}
        missing = tuple(f for f in plot_formats if rebuild or not cache.fresh(f"{prefix}:{f}", keys[f]))
        made = render(missing) if missing else []
        merged: dict[str, dict] = {}
        for fmt in plot_formats:
            name = f"{prefix}:{fmt}"
            if fmt in missing:
                info = [dict(p, paths=[f for f in p["paths"] if f.suffix == f".{fmt}"]) for p in made]
                files = [f for p in info for f in p["paths"]]
                cache.record(name, keys[fmt], files, {"plots": _plot_info(info, out)})
                cache.save()
                result.rebuilt.append(name)
                result.files += files
            else:
                result.reused.append(name)
                result.files += [out / f for f in cache.files(name)]
            for p in cache.info(name).get("plots", []):
                entry = merged.setdefault(p["name"], {"name": p["name"], "title": p["title"], "paths": []})
                entry["paths"] += [out / f for f in p["paths"]]
        return list(merged.values())

    def write(name: str, text: str) -> Path:
        return atomic_write_text(out / name, text)

    want = set(request.formats)
    plot_formats = tuple(dict.fromkeys(request.plot_formats + (("png",) if "html" in want else ())))
    plot_sets: dict[str, list[dict]] = {}
    cross_sets: dict[str, list[dict]] = {}
    for exp in request.experiments:
        key = inputs[exp]["key"]

        def status(exp=exp):
            rep = report_for(exp)
            return {"incomplete": sorted(t.name for t in rep.trackers.values() if not t.complete)}

        info = step(f"status:{exp}", key, lambda: ([], status()))
        result.incomplete[exp] = info.get("incomplete", [])
        if "table" in want:
            def table(exp=exp):
                text = to_table(report_for(exp), intervals=request.show_intervals)
                return [write(f"{exp}_table.txt", text + "\n")], {}

            step(f"table:{exp}", key, table)
        if "json" in want:
            step(f"json:{exp}", key, lambda exp=exp: ([write(f"{exp}_report.json", to_json(report_for(exp)) + "\n")],
                                                      {}))
        if "csv" in want:
            step(f"csv:{exp}", key, lambda exp=exp: ([
                write(f"{exp}_report.csv", to_csv(report_for(exp))),
                write(f"{exp}_sequences.csv", to_csv(report_for(exp), per_sequence=True)),
                write(f"{exp}_attributes.csv", to_csv(report_for(exp), attributes=True))], {}))
        exp_published = [p for p in shown if p.experiment == exp]
        if "latex" in want:
            def latex(exp=exp, pub=exp_published):
                rep = report_for(exp)
                files = [write(f"{exp}_table.tex", latex_table(rep, pub, request.published_top, latex_intervals))]
                attributes = latex_attribute_table(rep, latex_intervals)
                if attributes:
                    files.append(write(f"{exp}_attributes.tex", attributes))
                return files, {}
            step(f"latex:{exp}", key, latex)
        if request.plots:
            def render_plots(formats, exp=exp):
                from ..plots import plot_set

                return plot_set({exp: report_for(exp)}, out / "plots", formats, shown, request.top,
                                request.published_top, request.workers, highlight=request.highlight,
                                progress=f"plots {exp}" if progress else None)
            plot_sets[exp] = plot_steps(f"plots:{exp}", key, render_plots)
            for kind, other in cross_plots(request.benchmark, exp):
                if other not in request.experiments:
                    continue

                def render_cross(formats, exp=exp, kind=kind, other=other):
                    from ..plots import cross_plot

                    return [cross_plot(kind, report_for(exp), report_for(other), out / "plots", formats, shown,
                                       request.highlight)]
                cross_sets.setdefault(exp, []).extend(
                    plot_steps(f"plots:{kind}", [inputs[other]["key"], inputs[exp]["key"]], render_cross))
    if "html" in want:
        def render_html():
            reps = {exp: report_for(exp) for exp in request.experiments}
            text = html_report(request, reps, plot_sets, inputs, shown, matched, withheld, cross_sets)
            return [write("report.html", text)], {}
        # the page embeds the PNGs: keyed by their recorded content
        pngs = [cache.digest(f"plots:{exp}:png") for exp in request.experiments]
        pngs += [cache.digest(f"plots:{kind}:png") for exp in request.experiments
                 for kind, other in cross_plots(request.benchmark, exp) if other in request.experiments]
        step("html", [[inputs[e]["key"] for e in request.experiments], request.plots, pngs if request.plots else []],
             render_html)
    return result


def _plot_info(made: list[dict], out: Path) -> list[dict]:
    return [{"name": p["name"], "title": p["title"], "paths": [Path(f).relative_to(out).as_posix() for f in p["paths"]]}
            for p in made]

