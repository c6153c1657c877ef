"""Command-line interface: ``rasbench run | report | show | datasets | download | synth | trackers | ...``.

Every bad input ends a command the same way: one line ``error: ...`` on stderr and exit
code 2 (:class:`_Group`), whether a toolkit check or click's own parsing found it.
"""
from __future__ import annotations

import logging
import math
import os
import re
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

from ._version import __version__
from .errors import ConfigError, RasbenchError, ResultsError
from .paths import default_results
from .text import one_line, plural, yaml_problem


def _split(values) -> list[str]:
    out = []
    for value in values or ():
        out += [v.strip() for v in value.split(",") if v.strip()]
    return out


def _sequence_selection(values):
    """``--sequences``: names (comma-separated or repeated), ``present`` alone, or None."""
    from .datasets import PRESENT

    names = _split(values)
    if values and not names:  # `-s ,` or `-s ""`: a selection that names nothing must not mean everything
        raise ConfigError("--sequences names no sequence")
    if any(n.lower() == PRESENT for n in names):
        if len(names) > 1:
            raise ConfigError("--sequences present stands alone (every sequence the data holds); "
                              "give it or sequence names, not both")
        return PRESENT
    return names or None


def _experiments(bench, values) -> list[str]:
    """``--experiment`` values (comma-separated or repeated), each one BENCHMARK defines;
    none: the benchmark's first."""
    from .api import experiments

    return experiments(bench, values)


def _note(text: str) -> None:
    click.echo(text, err=True)


def _parse_params(pairs) -> dict:
    """``key=value`` pairs; values are parsed as YAML scalars (numbers, booleans, lists)."""
    import yaml

    params = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--param")
        try:
            params[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise click.BadParameter(f"{pair!r}: the value is not valid YAML ({yaml_problem(exc)})",
                                     param_hint="--param") from exc
    return params


def _number(minimum: float, *, inclusive: bool = False):
    """An option callback: a finite number above ``minimum`` (or equal, ``inclusive``); None stays None.

    Raises ConfigError, so a bad value is one ``error:`` line and exit 2 like every other bad input.
    """
    def check(ctx, param, value):
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and (number >= minimum if inclusive else number > minimum)):
            bound = f"{'at least' if inclusive else 'more than'} {minimum:g}"
            raise ConfigError(f"{param.opts[0]} must be a number {bound}, got {value!r}")
        return number
    return check


def _level(ctx, param, value):
    """An option callback: a confidence level strictly between 0 and 1."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0 < number < 1:
        raise ConfigError(f"{param.opts[0]} must be a number between 0 and 1 (e.g. 0.95), got {value!r}")
    return number


_SIZE = re.compile(r"(\d+(?:\.\d*)?)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)


def _byte_size(ctx, param, value):
    """``4G``, ``500M``, ``1048576``: a positive size in bytes (K, M, G, T are powers of 1024)."""
    match = _SIZE.fullmatch(str(value).strip())
    size = float(match.group(1)) * 1024 ** " KMGT".index(match.group(2).upper() or " ") if match else 0
    if not size >= 1:
        raise ConfigError(f"{param.opts[0]} must be a size such as 4G, 500M or 1048576 (bytes), got {value!r}")
    return int(size)


@contextmanager
def _sigterm_interrupts():
    """SIGTERM stops a run as Ctrl-C does: workers are ended, finished units are kept."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(message: str) -> NoReturn:
    """How a bad input ends a command: one line ``error: MESSAGE`` on stderr, exit code 2."""
    click.secho(f"error: {one_line(message)}", fg="red", err=True)
    sys.exit(2)


@contextmanager
def _one_line_errors():
    """Toolkit errors, and click's usage errors (an unknown command or option, a value that
    is not a number or not one of the choices, a missing argument), end the command in
    :func:`_fail` instead of a traceback or click's usage block."""
    try:
        yield
    except RasbenchError as exc:
        _fail(str(exc))
    except click.exceptions.NoArgsIsHelpError:
        raise  # `rasbench` or `rasbench weights` alone: the help page
    except click.UsageError as exc:
        message = exc.format_message().rstrip(".")
        if message[1:2].islower():  # "Missing argument" -> "missing argument", "TraX" stays
            message = message[0].lower() + message[1:]
        _fail(message + (f" (see {exc.ctx.command_path} --help)" if exc.ctx else ""))


def _experiment_families() -> dict[str, list[str]]:
    """The experiments the benchmark definitions name, by family: {"otb": [...], "vot": [...]}."""
    from .config.benchmarks import list_benchmarks, load_benchmark
    from .config.conventions import CONVENTIONS

    families: dict[str, dict] = {family: {} for family in CONVENTIONS}
    for name in list_benchmarks():
        try:
            bench = load_benchmark(name)
        except RasbenchError:  # a broken user definition; using it says what is wrong
            continue
        for exp in bench.experiments.values():
            families[exp.family][exp.name] = None
    return {family: list(names) for family, names in families.items()}


def _help_lists() -> dict[str, str]:
    """The lists help texts name, from the benchmark definitions and convention tables."""
    from .config.benchmarks import describe_benchmarks
    from .config.conventions import CONVENTIONS

    experiments = _experiment_families()
    return {
        "benchmarks": ", ".join(describe_benchmarks()) + " or a YAML file",
        "experiments": "; ".join(f"{', '.join(names)} ({family.upper()} family)"
                                 for family, names in experiments.items()),
        "conventions": "; ".join(f"{family.upper()} experiments: {', '.join(table)}"
                                 for family, table in CONVENTIONS.items()),
    }


class _Command(click.Command):
    """A command whose help may name {benchmarks}, {experiments} and {conventions}: they are
    filled in when the help is shown, so they list what is installed and cost nothing else."""

    def format_help(self, ctx, formatter):
        lists = _help_lists()

        def fill(text):
            for key, value in lists.items():
                text = text.replace("{" + key + "}", value)
            return text

        texts = [(item, item.help) for item in (self, *self.params) if getattr(item, "help", None)]
        try:
            for item, text in texts:
                item.help = fill(text)
            super().format_help(ctx, formatter)
        finally:  # the templates stay, for the next help (in-process callers, tests)
            for item, text in texts:
                item.help = text


class _Group(click.Group):
    """Every error of every command (sub-groups included) is one line and exit code 2;
    commands are :class:`_Command`."""

    command_class = _Command
    group_class = type  # sub-groups are _Groups too

    def make_context(self, info_name, args, parent=None, **extra):
        with _one_line_errors():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        with _one_line_errors():
            return super().invoke(ctx)


#: Entry-point group of the commands installed packages add (``name = module:click_command``).
COMMAND_GROUP = "rasbench.commands"


class _Main(_Group):
    """The top-level group: its own commands, then those of the entry-point group
    :data:`COMMAND_GROUP` (RASNet's ``weights`` and ``train``: the core never imports a
    tracker package). Those load only when a name is not one of ours or the commands are
    listed (``rasbench --help``), so ``rasbench run`` imports none of them; one that fails
    to load is one warning line, and the others stay usable."""

    _added: dict[str, click.Command] | None = None

    def _installed(self) -> dict[str, click.Command]:
        if self._added is None:
            from importlib.metadata import entry_points

            self._added = {}
            for entry_point in entry_points(group=COMMAND_GROUP):
                if entry_point.name in self.commands:
                    continue  # a built-in name stays the built-in command
                try:
                    command = entry_point.load()
                except Exception as exc:  # another package's module failing to import
                    problem = f"{type(exc).__name__}: {exc}"
                else:
                    if isinstance(command, click.Command):
                        self._added[entry_point.name] = command
                        continue
                    problem = f"{type(command).__name__} is not a click command"
                click.secho(f"warning: command {entry_point.name!r} ({entry_point.value}) failed to load: "
                            f"{one_line(problem)}", fg="yellow", err=True)
        return self._added

    def list_commands(self, ctx) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._installed()})

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or self._installed().get(name)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="rasbench")
def main():
    """Evaluate single-object trackers on OTB, VOT, GOT-10k and TrackingNet with the reference toolkits' exact rules.

    \b
    Typical session:
      rasbench datasets                          # which benchmarks are found where
      rasbench run otb2015 --tracker mil         # track; resumes if interrupted
      rasbench report otb2015 --results results  # success / precision table
    The built-in `synth` benchmark needs no download: `rasbench run synth --tracker identity`.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")


@main.command()
@click.argument("benchmark")
@click.option("--tracker", "-t", required=True, help="Registered name (see `rasbench trackers`), SCHEME:ARG "
              "(opencv:KCF), module:Class or file.py:Class.")
@click.option("--experiment", "-e", "experiments", multiple=True, show_default="the benchmark's first: ope, baseline",
              help="{experiments}: those BENCHMARK defines (repeat or comma-separate for several).")
@click.option("--root", type=click.Path(path_type=Path), help="Dataset folder (default: search $RASBENCH_DATA; "
              "synth: the cache).")
@click.option("--results", type=click.Path(path_type=Path), default=default_results, show_default="results "
              "or $RASBENCH_RESULTS", help="Results root; files go to RESULTS/BENCHMARK/NAME/EXPERIMENT/.")
@click.option("--name", help="Results folder name for this tracker (default: the tracker's name). Use it to "
              "keep runs with different parameters apart.")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="Tracker constructor argument (repeatable); VALUE is read as YAML (1, 0.5, true, [1, 2]).")
@click.option("--sequences", "-s", multiple=True, help="Only these sequences (comma-separated or repeated), or "
              "`present`: those the dataset folder holds.")
@click.option("--convention", default="official", show_default=True,
              help="{conventions} (`rasbench conventions` says what each does). For OTB experiments it also "
                   "sets how the reference toolkits run trackers: where OPE starts (official/pysot: Tiger1 from "
                   "frame 6; got10k: frame 1) and the boxes handed over (official: 0-based; got10k: OTB's "
                   "1-based numbers; pysot: those moved by half a pixel).")
@click.option("--force", is_flag=True, help="Redo units that already have results.")
@click.option("--workers", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (each loads the dataset and the tracker once).")
@click.option("--devices", help="GPUs, one worker each (e.g. 0,1): sets CUDA_VISIBLE_DEVICES per worker.")
@click.option("--frame-timeout", type=float, help="Seconds a frame may take; a unit whose tracker hangs longer "
              "is recorded as failed and the run goes on (runs units in worker processes).")
@click.option("--executor", type=click.Choice(["auto", "local", "processes", "ray"]), default="auto",
              show_default=True, help='ray: run units on a Ray cluster (pip install "rasbench[ray]").')
@click.option("--address", help="With --executor ray: the cluster's address (ray://host:10001 or auto); default: "
              "a local instance.")
@click.option("--runs", type=click.IntRange(min=1), help="Run a one-run experiment (OPE) N times, for stochastic "
              "trackers: run 1 is the usual files, run k in runs/<k:03d>/ beside them; the report gives the mean "
              "over runs and the spread between them. VOT experiments repeat as the benchmark defines.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def run(benchmark, tracker, experiments, root, results, name, params, sequences, convention, force, workers,
        devices, frame_timeout, executor, address, runs, quiet):
    """Run a tracker on BENCHMARK.

    BENCHMARK: {benchmarks}.

    Finished units are skipped, so rerunning the same command after an interruption
    completes only what is missing. The exit code is 1 when a unit failed (its error is
    recorded next to its results and the run goes on with the next one).
    """
    from . import api
    from .runner import check_frame_timeout

    check_frame_timeout(frame_timeout, "--frame-timeout")
    gpus = _split([devices]) if devices is not None else None
    if gpus == []:
        raise ConfigError(f"--devices expects GPU numbers such as 0,1, got {devices!r}")
    if address is not None and executor != "ray":
        raise ConfigError("--address is the Ray cluster's: give it with --executor ray")
    bench = api.load_benchmark(benchmark)

    def finished(exp, summary) -> None:
        fps = summary.frames / summary.tracker_seconds if summary.tracker_seconds > 0 else float("nan")
        click.echo(f"{summary.tracker} {bench.name}/{exp}: {plural(summary.completed, 'unit')} run, "
                   f"{summary.skipped} already done, {len(summary.failures)} failed"
                   + (f"; tracker speed {fps:.1f} fps" if summary.frames else "")
                   + f"\n  results: {summary.folder.resolve()}", err=True)
        for failure in summary.failures:
            click.secho(f"  failed: {failure.message}", fg="red", err=True)

    with _sigterm_interrupts():
        summaries = api.run(tracker, bench, list(experiments), root, results, name=name,
                            params=_parse_params(params), sequences=_sequence_selection(sequences),
                            convention=convention, force=force, workers=workers, devices=gpus,
                            frame_timeout=frame_timeout, executor=executor, address=address, progress=not quiet,
                            runs=runs, on_summary=finished, message=_note)
    sys.exit(0 if all(s.ok for s in summaries) else 1)


def _keep_freed_memory() -> None:
    """glibc: large arrays come from the heap and go back to it, instead of new pages from
    the kernel for every numpy temporary of scoring (their page faults were ~20 % of a
    cold report's time). A report process ends soon, so keeping freed memory costs nothing.
    Nothing elsewhere (no mallopt there), and never in a library caller's process."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD: allocations below 64 MiB from the heap
    mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: hand back heap memory only past 256 MiB free


@main.command()
@click.argument("benchmark")
@click.option("--results", "results_paths", multiple=True, type=click.Path(path_type=Path),
              help="Results root or folder of tracker folders (repeat to put other people's results beside "
                   "yours). Default: results or $RASBENCH_RESULTS.")
@click.option("--root", type=click.Path(path_type=Path), help="Dataset folder (only the ground truth is read).")
@click.option("--annotations", type=click.Path(path_type=Path),
              help="Annotation-only copy: pysot JSON (OTB100.json) or the OTB toolkit's anno/ folder.")
@click.option("--experiment", "-e", "experiments", multiple=True, show_default="the benchmark's first: ope, "
              "baseline", help="{experiments}: those BENCHMARK defines; several (comma-separated or repeated) with "
              "--out.")
@click.option("--trackers", "-t", multiple=True, help="Only these trackers, in this order (comma-separated).")
@click.option("--sequences", "-s", multiple=True, help="Only these sequences, or `present`: those the dataset "
              "folder (or annotation file) holds.")
@click.option("--convention", "-c", default="official", show_default=True,
              help="How to score. {conventions} (`rasbench conventions` says what each does).")
@click.option("--format", "-f", "formats", multiple=True, show_default="table",
              help="table, json, csv, latex (a booktabs table), html (a self-contained report, needs --out); "
                   "several (comma-separated or repeated, e.g. html,latex) with --out, sharing the plots.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Write the report into this folder: the chosen formats, plots, and for html everything in one "
                   "file. Outputs whose inputs and files are unchanged are reused; a second report into the same "
                   "folder waits for the first.")
@click.option("--plots/--no-plots", default=True, show_default=True, help="With --out: success / precision plots "
              "(OTB, overall and per attribute) or EAO, AR and per-tag plots (VOT).")
@click.option("--plot-format", "plot_formats", multiple=True, show_default="png,pdf",
              help="png, pdf, svg (comma-separated or repeated).")
@click.option("--published/--no-published", default=True, show_default=True,
              help="Show published numbers of trackers without raw results (the YAML files shipped with rasbench, "
                   "or --published-file) in plots and tables, marked as not re-computed.")
@click.option("--published-file", "published_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Published-number YAML file(s) to use instead of the shipped ones.")
@click.option("--top", type=int, default=10, show_default=True, help="Trackers drawn bold in the plots.")
@click.option("--published-top", type=int, default=5, show_default=True,
              help="At most this many published numbers (the best) per plot and table.")
@click.option("--highlight", multiple=True, metavar="NAME",
              help="Emphasise these trackers (yours) in the plots and the HTML table (comma-separated or repeated).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or messages (with --out).")
@click.option("--workers", "-j", type=click.IntRange(min=1), show_default="one per CPU core",
              help="Processes sharing the scoring of many trackers (OTB-style benchmarks, uncached runs) and, "
              "with --out, the plots (each plot is rendered once, for every format).")
@click.option("--rebuild", is_flag=True, help="With --out: rebuild every output even if its inputs are unchanged.")
@click.option("--attributes", is_flag=True, help="Per-attribute success AUC (table/csv).")
@click.option("--per-sequence", is_flag=True, help="Per-sequence rows (csv).")
@click.option("--strict", is_flag=True, help="Exit with code 3 if any tracker has missing or bad result files.")
@click.option("--ci/--no-ci", "ci", default=None, help="Confidence intervals and paired tests between trackers. "
              "Computed by default for JSON, CSV and HTML; --ci also prints them in the table and LaTeX; --no-ci: "
              "none (faster).")
@click.option("--n-boot", type=click.IntRange(min=100, max=100_000), default=10_000, show_default=True,
              help="Bootstrap resamples of the sequences per interval.")
@click.option("--n-permutations", type=click.IntRange(min=100, max=1_000_000), default=10_000, show_default=True,
              help="Random swap patterns per paired permutation test (all 2^S patterns when fewer).")
@click.option("--ci-level", default="0.95", show_default=True, callback=_level, metavar="LEVEL",
              help="Confidence level of the intervals, between 0 and 1.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the resamples and permutations (recorded in the outputs).")
@click.option("--ci-format", type=click.Choice(["pm", "brackets"]), default="pm", show_default=True,
              help="LaTeX with --ci: pm (0.582 plus-minus half the interval's width) or brackets "
                   "(0.582 [0.561, 0.603]).")
def report(benchmark, results_paths, root, annotations, experiments, trackers, sequences, convention, formats, out,
           plots, plot_formats, published, published_files, top, published_top, highlight, quiet, workers, rebuild,
           attributes, per_sequence, strict, ci, n_boot, n_permutations, ci_level, seed, ci_format):
    """Score result folders on BENCHMARK and print success / precision numbers.

    BENCHMARK: {benchmarks}.

    \b
    JSON (--format json) prints one object:
      {"benchmark", "experiment", "convention", "trackers": {NAME: {"success_auc",
       "precision_20", "norm_precision_20", "success_rate_50", "fps",
       "sequences": {SEQ: {"success_auc", "precision_20", ...}},
       "intervals": {"success_auc": {"ci_low", "ci_high", "ci_level", "n_boot",
       "seed"}, ...}, ...}}, "uncertainty": {...}, "comparisons": {"success_auc":
       {"tied_with_best", "pairs": [{"a", "b", "delta", "delta_ci", "p", "p_holm"}]}}}
    with fractions in 0..1. A tracker whose files are missing or have the wrong length
    is marked incomplete ("complete": false, "problems": {...}), never silently scored.
    Intervals: BCa bootstrap over sequences; pairs: paired permutation tests, Holm-
    adjusted (docs/statistics.md); trackers run several times add "runs", "run_spread".

    \b
    With --out DIR the report is written into DIR (and reused while its inputs are
    unchanged: result files, annotations, convention, rasbench version, published numbers):
      rasbench report otb2015 --results results -f html -o report/        # report/report.html
      rasbench report otb2015 -e ope,tre,sre -f latex -o paper/            # paper/ope_table.tex, plots/
      rasbench report otb2015 -f html,latex -o both/ --highlight mine      # each plot rendered once
      rasbench report vot2017 -e baseline,realtime -f html -o vot17/
    Published numbers appear only when the whole sequence set they were published on is
    scored (not with -s); incomplete trackers (*) are listed below the ranked ones.
    """
    _keep_freed_memory()
    from .api import load_benchmark, scoring_inputs
    from .config.conventions import convention as find_convention
    from .evaluation.model import Uncertainty

    ctx = click.get_current_context()
    if ci is False:
        given = [f"--{name.replace('_', '-')}" for name in ("n_boot", "n_permutations", "ci_level", "seed", "ci_format")
                 if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE]
        if given:
            raise ConfigError(f"{', '.join(given)} set how intervals are computed or shown: drop --no-ci")
    uncertainty = None if ci is False else Uncertainty(n_boot, ci_level, seed, n_permutations)
    bench = load_benchmark(benchmark)
    exps = _experiments(bench, experiments)
    for exp in exps:
        find_convention(bench.experiment(exp).family, convention)
    from .reports import OUTPUT_FORMATS

    fmts = list(dict.fromkeys(f.lower() for f in _split(formats))) or ["table"]
    unknown = [f for f in fmts if f not in OUTPUT_FORMATS]
    if unknown:
        raise ConfigError(f"--format {', '.join(unknown)}: choose from {', '.join(OUTPUT_FORMATS)}")
    if out is None and len(exps) > 1:
        raise ConfigError("several experiments need --out DIR (one report folder holds them all)")
    if out is None and len(fmts) > 1:
        raise ConfigError(f"several formats ({', '.join(fmts)}) need --out DIR (one report folder holds them all)")
    if out is None and fmts == ["html"]:
        raise ConfigError("--format html writes a file: give --out DIR")
    for option, value in (("--top", top), ("--published-top", published_top)):
        if value < 0:
            raise ConfigError(f"{option} must be 0 or more, got {value}")
    figure_formats = tuple(dict.fromkeys(f.lower() for f in _split(plot_formats))) or ("png", "pdf")
    unknown = [f for f in figure_formats if f not in ("png", "pdf", "svg")]
    if unknown:
        raise ConfigError(f"--plot-format {', '.join(unknown)}: choose from png, pdf, svg")
    datasets, dirs = scoring_inputs(bench, exps, list(results_paths), _split(trackers), _sequence_selection(sequences),
                                    root, annotations, message=_note)
    emphasised = tuple(dict.fromkeys(_split(highlight)))
    found = {name for exp_dirs in dirs.values() for name in exp_dirs}
    missing = [name for name in emphasised if name not in found]
    if missing:
        raise ConfigError(f"--highlight {', '.join(missing)}: no such tracker here (found: {', '.join(sorted(found))})")
    numbers = None
    # the shipped numbers are read only for the outputs that show them; a given file is always checked
    if published and (out is not None or "latex" in fmts or published_files):
        from .reports.published import load_published
        from .reports.published import published_files as shipped

        chosen = list(published_files) or shipped()
        numbers = load_published(chosen)
    if out is not None:
        from .reports.build import ReportRequest, build_report

        request = ReportRequest(bench, exps, datasets, dirs, convention, formats=tuple(fmts), plots=plots,
                                plot_formats=figure_formats, published=numbers,
                                published_paths=tuple(chosen) if published else (), top=top,
                                published_top=published_top, highlight=emphasised, uncertainty=uncertainty,
                                show_intervals=bool(ci), ci_format=ci_format, workers=workers)
        say = None if quiet else (lambda text: click.echo(f"report: {text}", err=True))
        result = build_report(request, out, rebuild=rebuild, progress=not quiet and sys.stderr.isatty(), message=say)
        if "table" in fmts:
            for exp in exps:
                click.echo((out / f"{exp}_table.txt").read_text(encoding="utf-8"), nl=False)
        main_files = [{"html": "report.html", "latex": f"{exps[0]}_table.tex", "json": f"{exps[0]}_report.json",
                       "csv": f"{exps[0]}_report.csv", "table": f"{exps[0]}_table.txt"}[f] for f in fmts]
        if not quiet:
            click.echo(f"report: {plural(len(result.rebuilt), 'output')} built, {len(result.reused)} reused (inputs "
                       f"unchanged), {plural(len(result.files), 'file')} in {result.seconds:.1f} s"
                       + "".join(f"\n  {(out / f).resolve()}" for f in main_files), err=True)
        if strict and any(result.incomplete.values()):
            sys.exit(3)
        return
    from .evaluation import evaluate
    from .reports.text import to_csv, to_json, to_table

    exp, fmt = exps[0], fmts[0]
    # resampling costs seconds on a 100-sequence benchmark: only for an output that prints intervals
    prints_intervals = fmt in ("json", "csv") or bool(ci)
    rep = evaluate(bench, exp, datasets[exp], dirs[exp], convention,
                   uncertainty=uncertainty if prints_intervals else None, workers=workers)
    if fmt == "json":
        click.echo(to_json(rep))
    elif fmt == "csv":
        click.echo(to_csv(rep, per_sequence=per_sequence, attributes=attributes), nl=False)
    elif fmt == "latex":
        from .reports.latex import latex_attribute_table, latex_table
        from .reports.published import select_published

        if attributes:
            click.echo(latex_attribute_table(rep, intervals=ci_format if ci else None)
                       or "% no attributes / tags in this report", nl=False)
        else:
            shown = (select_published(numbers, bench, [exp], list(rep.trackers), sequences=list(rep.dataset))[0]
                     if numbers is not None else [])
            click.echo(latex_table(rep, shown, published_top, intervals=ci_format if ci else None), nl=False)
    else:
        click.echo(to_table(rep, attributes=attributes, color=sys.stdout.isatty(), intervals=bool(ci)))
    if strict and any(not t.complete for t in rep.trackers.values()):
        sys.exit(3)


@main.command()
@click.argument("benchmark")
@click.argument("sequence")
@click.option("--trackers", "-t", multiple=True, help="Trackers to draw, in this order (comma-separated); "
              "default: every tracker found.")
@click.option("--results", "results_paths", multiple=True, type=click.Path(path_type=Path),
              help="Results root or folder of tracker folders (repeatable). Default: results or $RASBENCH_RESULTS.")
@click.option("--root", type=click.Path(path_type=Path), help="Dataset folder (the images are needed).")
@click.option("--experiment", "-e", "experiments", show_default="the benchmark's first: ope, baseline",
              help="{experiments}: one BENCHMARK defines.")
@click.option("--run", type=int, default=1, show_default=True, help="Which run: VOT repetition, TRE segment or "
              "SRE perturbation (1-based).")
@click.option("--out", "-o", type=click.Path(path_type=Path),
              help="video.mp4 (H.264 where OpenCV can write it, else WebM: video.webm), video.webm, animation.gif, "
                   "or a folder for PNG frames. Default: BENCHMARK_SEQUENCE.mp4")
@click.option("--frames", help="Only frames A-B (1-based positions in the sequence), e.g. 100-250.")
@click.option("--step", type=int, help="Every STEP-th frame (default: 1; GIF: the least that keeps it within "
              "150 frames).")
@click.option("--scale", type=float, help="Resize the images, 0 < SCALE <= 8 (default: 1; GIF: fit them in 320 px "
              "width).")
@click.option("--fps", type=float, help="Frame rate of the video (default: 25; GIF: 10).")
def show(benchmark, sequence, trackers, results_paths, root, experiments, run, out, frames, step, scale, fps):
    """Draw SEQUENCE of BENCHMARK with the ground truth (green) and each tracker's boxes.

    BENCHMARK: {benchmarks}.

    \b
    The side panel gives each tracker's overlap on the frame, or for VOT runs the events
    (initialisation, FAILURE, skipped frames), and a strip of its overlap over the whole
    sequence (red = 0, green = 1, white ticks = failures) with the current frame marked:
      rasbench show otb2015 Skiing -t SiamFC,KCF --root ~/data/OTB100 -o skiing.mp4
      rasbench show vot2017 bag -e baseline -t mytracker --frames 1-120 -o bag.gif
    """
    from .config.benchmarks import load_benchmark
    from .datasets import open_dataset
    from .results.discovery import find_tracker_dirs
    from .viewer import check_options, parse_frames, show_sequence

    span = parse_frames(frames) if frames else None
    check_options(run=run, step=step, scale=scale, fps=fps)
    bench = load_benchmark(benchmark)
    exps = _experiments(bench, [experiments] if experiments else ())
    if len(exps) > 1:
        raise ConfigError(f"--experiment: one at a time, got {', '.join(exps)}")
    exp = exps[0]
    dataset = open_dataset(bench, root=root, images=True, sequences=[sequence], experiment=exp)
    seq = next(iter(dataset.values()))
    paths = list(results_paths) or [Path(default_results())]
    dirs = find_tracker_dirs(paths, bench.name, exp, _split(trackers) or None)
    if not dirs:
        raise ResultsError(f"no {exp} tracker folders found in {', '.join(map(str, paths))}")
    out = out or Path(f"{bench.name}_{seq.name}.mp4")
    result = show_sequence(bench, exp, seq, dirs, out, run=run, frames=span, step=step, scale=scale, fps=fps)
    for track in result.tracks:
        if track.problem:
            click.secho(f"  {track.name}: {track.problem}", fg="yellow", err=True)
    every = (f" (1 in {result.step})" if result.step > 1 else "") + (
        f" at scale {result.scale:.3g}" if result.scale != 1 else "")
    codec = ""
    if result.codec:
        codec = f" ({result.codec}" + ("; this OpenCV cannot encode H.264, so WebM" if result.path.suffix != out.suffix
                                       else "") + ")"
    click.echo(f"{plural(result.frames, 'frame')}{every} -> {Path(result.path).resolve()}{codec}", err=True)


@main.command()
def conventions():
    """List the named scoring conventions and what each one does."""
    from .config.conventions import CONVENTIONS

    experiments = _experiment_families()
    for family, table in CONVENTIONS.items():
        click.echo(f"{family.upper()} ({', '.join(experiments[family])})")
        for conv in table.values():
            click.echo(f"  {conv.name:17s} {conv.summary}")


@main.command()
@click.option("--root", type=click.Path(path_type=Path), help="Look only here.")
def datasets(root):
    """Show which benchmarks are found where: what is present and what is missing."""
    from .config.benchmarks import list_benchmarks, load_benchmark
    from .datasets import locate
    from .datasets.download import where_to_get
    from .paths import data_dirs

    click.echo("searched: " + (str(root) if root else ", ".join(str(d) for d in data_dirs())
                               + "  (set RASBENCH_DATA to add folders)"))
    for name in list_benchmarks():
        bench = load_benchmark(name)
        locations = locate(bench, root)
        if not locations:
            click.echo(f"{name:10s} not found  ({where_to_get(bench)})")
            continue
        for loc in locations:
            if loc.kind in ("generated", "not generated yet"):
                click.echo(f"{name:10s} {loc.kind:22s} {loc.found:4d}/{len(bench.sequences):<4d} {'':12s} {loc.path}")
                continue
            status = "complete" if not loc.missing else f"{len(loc.missing)} missing"
            click.echo(f"{name:10s} {loc.kind:22s} {loc.found:4d}/{len(bench.sequences):<4d} {status:12s} {loc.path}")
            if loc.missing and loc.present:
                shown = ", ".join(loc.present[:12]) + (f", ... ({len(loc.present) - 12} more)"
                                                       if len(loc.present) > 12 else "")
                click.echo(f"{'':12s}present: {shown}")
            absent = [seq for seq, why in loc.missing.items() if why.startswith(("folder ", "no ", "ground truth "))]
            broken = [(seq, why) for seq, why in loc.missing.items() if seq not in absent]
            for _, why in broken:
                click.echo(f"{'':12s}{why}")
            if absent:
                shown = ", ".join(absent[:8]) + (f", ... ({len(absent) - 8} more)" if len(absent) > 8 else "")
                click.echo(f"{'':12s}not there: {shown}")


@main.command()
@click.argument("benchmark")
@click.option("--root", required=True, type=click.Path(path_type=Path), help="Destination folder.")
@click.option("--url", "url_template", help="A mirror: OTB archive URL template with {folder}; VOT: the "
              "description.json URL.")
@click.option("--sequences", "-s", multiple=True, help="Only these sequences.")
@click.option("--timeout", default="60", show_default=True, callback=_number(0), metavar="SECONDS",
              help="Seconds to wait for a connection and for each read.")
@click.option("--min-rate", default="1024", show_default=True, callback=_number(0, inclusive=True),
              metavar="BYTES/S", help="Abandon (and retry, resuming) a transfer slower than this over 30 s; 0: off.")
@click.option("--deadline", callback=_number(0), metavar="SECONDS",
              help="Give up on a file not fetched within this time, retries included (default: none); the next "
                   "run resumes it.")
@click.option("--max-unpacked", default="4G", show_default=True, callback=_byte_size, metavar="SIZE",
              envvar="RASBENCH_MAX_UNPACKED", show_envvar=True,
              help="Most bytes one archive may be, and unpack to (zip bombs are refused).")
@click.option("--max-unpack-ratio", default="100", show_default=True, callback=_number(0), metavar="N",
              envvar="RASBENCH_MAX_UNPACK_RATIO", show_envvar=True,
              help="An archive may unpack to at most N times its own size.")
@click.option("--quiet", "-q", is_flag=True)
def download(benchmark, root, url_template, sequences, timeout, min_rate, deadline, max_unpacked,
             max_unpack_ratio, quiet):
    """Download BENCHMARK's official archives into --root (resumes, verifies, skips complete ones).

    Names the server sends (channels, file names in archives) must be plain file names, and
    archives and transfers are bounded by the options below; what breaks a rule fails its
    sequence with the reason, and the exit code is 1.
    """
    from .config.benchmarks import load_benchmark
    from .datasets.download import UnpackLimits, download_benchmark

    bench = load_benchmark(benchmark)
    rep = download_benchmark(bench, root, url_template=url_template, sequences=_split(sequences) or None,
                             timeout=timeout, min_rate=min_rate, deadline=deadline,
                             unpack=UnpackLimits(max_ratio=max_unpack_ratio, max_bytes=max_unpacked),
                             progress=not quiet)
    click.echo(rep.summary())
    sys.exit(0 if rep.ok else 1)


@main.command()
@click.argument("benchmark")
@click.option("--results", type=click.Path(path_type=Path), default=default_results, show_default="results "
              "(or $RASBENCH_RESULTS)", help="Results root (or a folder of tracker folders, got10k's own included).")
@click.option("--tracker", "-t", required=True, help="The tracker's results folder name.")
@click.option("--experiment", "-e", help="Experiment (default: the benchmark's first).")
@click.option("--root", type=click.Path(path_type=Path), help="Dataset folder: result lengths are then checked "
              "against its frames.")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Archive to write (default: "
              "TRACKER_BENCHMARK.zip here).")
def pack(benchmark, results, tracker, experiment, root, out):
    """Pack a tracker's BENCHMARK results into the archive its evaluation server takes
    (got10k-test, trackingnet-test).

    Every sequence must be there, complete; otherwise nothing is written and the error
    names what is missing. The written archive is read back and checked against the
    server's format and the benchmark's sequence names.
    """
    from .config.benchmarks import load_benchmark
    from .datasets import open_dataset
    from .results.discovery import find_tracker_dirs
    from .results.submission import pack as pack_results

    bench = load_benchmark(benchmark)
    exp = _experiments(bench, [experiment] if experiment else [])[0]
    folder = find_tracker_dirs([results], bench.name, exp, [tracker])
    frames = None
    if root is not None:
        frames = {name: len(seq) for name, seq in open_dataset(bench, root=root, images=True, experiment=exp).items()}
    out = Path(out) if out else Path(f"{Path(tracker).name}_{bench.name}.zip")
    count = pack_results(bench, exp, next(iter(folder.values())), out, frames)
    click.echo(f"{plural(len(bench.sequences), 'sequence')}, {plural(count, 'file')} -> {out.resolve()}")


@main.command()
@click.option("--out", type=click.Path(path_type=Path), help="Folder (default: the cache, where `run synth` looks).")
@click.option("--seed", type=int, help="Generator seed (default: the benchmark's).")
@click.option("--force", is_flag=True, help="Regenerate even if present.")
@click.option("--lasot", "lasot_dir", type=click.Path(path_type=Path),
              help="Instead: write the sequences in LaSOT's layout into this folder, with absent flags and a "
                   "definition (synth_lasot.yaml).")
@click.option("--length", type=click.IntRange(min=1), metavar="FRAMES", help="With --lasot: every sequence this long.")
def synth(out, seed, force, lasot_dir, length):
    """Generate the synthetic benchmark in OTB and VOT layouts (or, with --lasot, LaSOT's)."""
    from .config.benchmarks import load_benchmark
    from .datasets import synth_root
    from .datasets.synthetic import LASOT_DEFINITION, ensure_generated, generate, write_lasot_copy

    bench = load_benchmark("synth")
    if lasot_dir is not None:
        names = write_lasot_copy(bench, lasot_dir, seed=seed, length=length)
        click.echo(f"{plural(len(names), 'sequence')} in LaSOT's layout: {lasot_dir.resolve()} "
                   f"(rasbench run {lasot_dir / LASOT_DEFINITION} --root {lasot_dir} ...)")
        return
    if length is not None:
        raise click.UsageError("--length goes with --lasot")
    if seed is not None and out is None:
        raise click.UsageError("give --out with --seed: the cache holds the benchmark's own seed, "
                               "which `rasbench run synth` expects")
    folder = synth_root(bench, out)
    if force:
        generate(bench, folder, seed=seed, progress=True)
    else:
        ensure_generated(bench, folder, seed=seed, progress=True)
    checked = seed in (None, bench.generator.get("seed")) and "digest" in bench.generator
    click.echo(f"synthetic benchmark: {folder.resolve()} (otb/ and vot/ layouts"
               + (f"; every frame as pinned in {bench.generator['digests']})" if checked else ")"))


@main.command("trackers")
def list_trackers():
    """List registered trackers and tracker schemes."""
    from .registry import describe_schemes, registered_trackers

    for name, target in sorted(registered_trackers().items()):
        click.echo(f"{name:16s} {target}")
    for scheme, summary in sorted(describe_schemes().items()):
        click.echo(f"{scheme + ':NAME':16s} {summary}")
    click.echo("module:Class     any importable class or factory; file.py:Class also works")


@main.command("trax")
@click.option("--tracker", "-t", metavar="SPEC", help="Registered name, SCHEME:ARG, module:Class or file.py:Class.")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="Tracker constructor argument (value read as YAML); repeatable.")
@click.option("--weights", metavar="PATH", help="Shorthand for -p weights=PATH (made absolute).")
@click.option("--region", type=click.Choice(["rectangle", "polygon"]), default="rectangle", show_default=True,
              help="Regions announced: rectangle, or polygon (also reports the tracker's polygons).")
@click.option("--trax-version", type=int, metavar="N",
              help="TraX version announced, 1 up to the current one (the default).")
@click.option("--name", help="trax.name announced; with --print-config the section name.")
@click.option("--print-config", is_flag=True, help="Print the trackers.ini section(s) instead of serving (every "
              "registered tracker without --tracker).")
def trax_command(tracker, params, weights, region, trax_version, name, print_config):
    """Serve a rasbench tracker over TraX (for the VOT toolkit), or print the trackers.ini section that runs it.

    The server talks where libtrax trackers do: a TCP connection to 127.0.0.1 on
    $TRAX_SOCKET, the descriptors in $TRAX_IN / $TRAX_OUT, else stdin/stdout, which then
    carry the protocol alone (whatever the tracker prints goes to stderr). Exit status: 0
    when the client quits, 1 after a protocol error or a tracker exception (the client gets
    quit with the reason; the traceback goes to stderr), 2 when the tracker cannot be built
    or an option is wrong.
    """
    from .registry import resolve
    from .trax import PROTOCOL_VERSION, run_server, trackers_ini_entry

    if trax_version is None:
        trax_version = PROTOCOL_VERSION
    elif not 1 <= trax_version <= PROTOCOL_VERSION:
        raise click.BadParameter(f"{trax_version} is not a TraX version (1 to {PROTOCOL_VERSION})",
                                 param_hint="'--trax-version'")
    tracker_params = _parse_params(params)
    if weights:
        tracker_params["weights"] = os.path.abspath(os.path.expanduser(weights))
    if print_config:
        if tracker:  # a section that would start a tracker that cannot be built helps nobody
            resolve(tracker, tracker_params)
        try:
            text = trackers_ini_entry(tracker, tracker_params, identifier=name, region=region, version=trax_version)
        except ValueError as exc:  # a --name that cannot name a VOT tracker
            raise ConfigError(str(exc)) from exc
        click.echo(text, nl=False)
        return
    if not tracker:
        raise ConfigError("--tracker is required (or --print-config)")
    sys.exit(run_server(tracker, tracker_params, region=region, version=trax_version, name=name))
