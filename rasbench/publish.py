"""Publishable outputs: LaTeX tables, a self-contained HTML report, plots, and the cache
that keeps them while their inputs are unchanged (``rasbench report --out DIR``).

* **Published numbers** (``experiments/published/*.yaml``, package data) are other
  people's scores without raw results. They are shown beside re-computed ones as rows
  and hollow points, always marked "published, not re-computed", and never take part
  in "best" / "second best"; only when the report scores the whole sequence set they
  were published on (never beside a ``--sequences`` subset).
* **Ranking**: complete trackers are ranked; incomplete ones (``*``, sequences missing)
  follow below a rule, unranked, in every table and ranking plot.
* **LaTeX**: plain ``.tex`` tables (booktabs; best in bold, second best underlined), to
  be ``\\input`` into a paper; nothing is compiled here. Names are escaped to compile
  with plain pdflatex (OT1 fonts).
* **HTML**: one file with the plots embedded as ``data:`` URIs, the score, per-attribute
  and per-sequence tables, and the run manifest (toolkit version, tracker parameters,
  weights hash, dataset fingerprint), readable offline and mailable.
* **Cache**: every output is keyed by a fingerprint of what it is made from (result
  files' sizes and modification times, the annotations, the benchmark definition, the
  convention, the toolkit version, the published numbers, the output options), recorded
  in ``DIR/.rasbench-report.json`` with the sha256 of each file it wrote; an output is
  reused only when its key matches and its files still hold those bytes, anything else
  is rebuilt. Plots are cached per format, so the HTML and LaTeX reports share them.
* **Safety**: every file is written to a temporary name and renamed into place; a
  report holds an exclusive lock on ``DIR`` while it writes (a second one waits); a
  folder that cannot be written is a :class:`~rasbench.errors.ResultsError`.
"""
from __future__ import annotations

import base64
import html
import importlib
import json
import math
import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ._version import __version__
from .config.benchmarks import ATTRIBUTE_CODES, BenchmarkDef
from .errors import ConfigError
from .fingerprint import dataset_digest, file_sha256, folder_digest, parts_digest
from .paths import atomic_write_text, file_lock
from .results.manifest import describe_origin
from .plots import plural
from .report import display_order
from .text import plural, yaml_problem

CACHE_FILE = ".rasbench-report.json"
LOCK_FILE = ".rasbench-report.lock"
RENDER_VERSION = 2  # bump when an output's content changes for the same inputs
DAGGER = "\u2020"
OUTPUT_FORMATS = ("table", "json", "csv", "latex", "html")


def short_title(benchmark: BenchmarkDef) -> str:
    """"OTB-2015" from "OTB-2015 (TB-100, TPAMI 2015, ...)"."""
    return benchmark.title.split(" (")[0]


# =========================================================================== published numbers
@dataclass(frozen=True)
class PublishedNumber:
    """One number as a paper or table printed it (see experiments/published/)."""

    tracker: str
    benchmark: str
    experiment: str
    metric: str
    value: float
    source: str
    status: str
    as_published: str = ""
    verified: bool = True
    context: str = ""  # set when shown on an alias: "vot2018" numbers on vot2017

    @property
    def label(self) -> str:
        """The name to print: "SiamRPN++" for "siamrpn_r50_l234_dwxcorr_otb (SiamRPN++)",
        with the benchmark it was published on when that is an alias."""
        inner = re.search(r"\(([^)]+)\)\s*$", self.tracker)
        name = inner.group(1) if inner else self.tracker
        return f"{name} ({self.context})" if self.context else name


def published_files() -> list[Path]:
    """``published/*.yaml`` of every benchmark-definition folder ($RASBENCH_EXPERIMENTS
    first, then the shipped one)."""
    from .config.benchmarks import definitions_dirs

    files = []
    for directory in definitions_dirs():
        files += sorted((Path(directory) / "published").glob("*.yaml"))
    return files


def load_published(paths: list[Path] | None = None) -> list[PublishedNumber]:
    """Every entry of the published-number files, in file order (earlier entries win
    where one tracker has several numbers for the same benchmark and metric)."""
    import yaml

    numbers = []
    for path in published_files() if paths is None else paths:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError(f"cannot read published numbers {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"published numbers {path} are not valid YAML: {yaml_problem(exc)}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"published numbers {path} must hold a mapping with 'entries', got "
                              f"{type(data).__name__}")
        for i, entry in enumerate(data.get("entries") or [], 1):
            try:
                numbers.append(PublishedNumber(
                    tracker=str(entry["tracker"]), benchmark=str(entry["benchmark"]).lower(),
                    experiment=str(entry.get("experiment", "ope")).lower(), metric=str(entry["metric"]),
                    value=float(entry["value"]), source=str(entry.get("source", "")),
                    status=str(entry.get("status", "")), as_published=str(entry.get("as_published", "")),
                    verified=bool(entry.get("verified", True))))
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"{path}: entry {i} is malformed ({exc})") from None
    return numbers


def _name_keys(name: str) -> set[str]:
    """Names a tracker may go by: "siamrpn_r50 (SiamRPN++)" is also "SiamRPN++"."""
    keys = {name}
    inner = re.search(r"\(([^)]+)\)", name)
    if inner:
        keys |= {inner.group(1), name[:inner.start()]}
    return {re.sub(r"[^a-z0-9+]", "", k.lower()) for k in keys} - {""}


def published_comparable(benchmark: BenchmarkDef, sequences) -> bool:
    """Whether scores over ``sequences`` compare with numbers published on ``benchmark``
    (or an alias): only when they are its whole sequence set."""
    return set(sequences) == set(benchmark.sequences)


def select_published(numbers: list[PublishedNumber], benchmark: BenchmarkDef, experiments,
                     recomputed=(), sequences=None) -> tuple[list[PublishedNumber], list[PublishedNumber]]:
    """(numbers to show, numbers of trackers re-computed here) for ``benchmark`` (its
    name or an alias) and ``experiments``; one number per (tracker, experiment, metric),
    the first listed (all numbers of re-computed trackers are kept). ``sequences``: the
    scored sequence names; none are selected unless they are the benchmark's whole set."""
    if sequences is not None and not published_comparable(benchmark, sequences):
        return [], []
    names = {benchmark.name.lower(), *(a.lower() for a in benchmark.aliases)}
    ours = set().union(*(_name_keys(n) for n in recomputed)) if recomputed else set()
    seen: dict[tuple, set] = {}
    shown, matched = [], []
    for p in numbers:
        if p.benchmark not in names or p.experiment not in experiments:
            continue
        keys = _name_keys(p.tracker)
        if p.benchmark != benchmark.name.lower():
            p = replace(p, context=p.benchmark.upper() if p.benchmark.startswith("vot") else p.benchmark)
        if keys & ours:  # every number of a re-computed tracker, to compare with ours
            matched.append(p)
            continue
        taken = seen.setdefault((p.experiment, p.metric), set())
        if keys & taken:  # the same tracker under another of its names
            continue
        taken |= keys
        shown.append(p)
    return shown, matched


# =========================================================================== fingerprints / cache
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


# =========================================================================== formatting helpers
def _finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _rank_marks(values: list, digits: int, lower_is_better: bool = False, eligible: list | None = None) -> list[int]:
    """0 = best, 1 = second best, -1 = neither, compared as printed (ties share a mark);
    only ``eligible`` rows (complete results) compete."""
    printed = [round(v, digits) if _finite(v) and (eligible is None or eligible[i]) else None
               for i, v in enumerate(values)]
    distinct = sorted({v for v in printed if v is not None}, reverse=not lower_is_better)
    order = {v: i for i, v in enumerate(distinct[:2])}
    return [order.get(v, -1) if v is not None else -1 for v in printed]


@dataclass
class Column:
    key: str
    label: str
    digits: int
    lower_is_better: bool = False
    ranked: bool = True  # takes part in best / second best


def columns_for(report) -> list[Column]:
    """The headline columns of an OTB or VOT report, as the terminal table shows them."""
    if _is_vot(report):
        if report.key == "average_overlap":
            return [Column("average_overlap", "AO", 3), Column("fps", "FPS", 1, ranked=False)]
        return [Column("eao", "EAO", 3), Column("accuracy", "A", 3), Column("robustness", "R", 3, True),
                Column("failures", "Fail.", 1, True), Column("fps", "FPS", 1, ranked=False)]
    return [Column("success_auc", "AUC", 3), Column("precision_20", "P@20", 3), Column("norm_precision_20", "NP@20", 3),
            Column("success_rate_50", "SR@0.5", 3), Column("fps", "FPS", 1, ranked=False)]


def _tag_order(tags) -> list[str]:
    from .plots import TAG_ORDER

    return sorted(tags, key=lambda g: (TAG_ORDER.index(g) if g in TAG_ORDER else len(TAG_ORDER), g))


def _is_vot(report) -> bool:
    return hasattr(report, "eao_interval")


def headline_rows(report) -> list[tuple[str, bool, dict]]:
    """[(tracker, complete, {column key: value})] in display order (complete trackers
    ranked, then incomplete ones), from the report's own numbers (the JSON report's
    values, unrounded)."""
    rows = []
    for t in display_order(report):
        if _is_vot(report):
            values = {k: t.scores.get(k) for k in ("eao", "accuracy", "robustness", "failures", "average_overlap",
                                                   "fps")}
        else:
            o = t.overall
            values = {"success_auc": o.success_auc if o else None, "precision_20": o.precision_20 if o else None,
                      "norm_precision_20": o.norm_precision_20 if o else None,
                      "success_rate_50": o.success_rate_50 if o else None, "fps": t.fps}
        rows.append((t.name, t.complete, values))
    return rows


def _published_by_tracker(published, columns, rank_key: str, limit: int | None) -> list[tuple[str, dict, list]]:
    """[(tracker, {column key: value}, [numbers])] of the published trackers with a
    number in the ranking column, best first, at most ``limit``."""
    keys = {c.key for c in columns}
    grouped: dict[str, dict] = {}
    for p in published:
        if p.metric in keys:
            grouped.setdefault(p.label, {})[p.metric] = p
    rows = [(name, {k: p.value for k, p in by_metric.items()}, list(by_metric.values()))
            for name, by_metric in grouped.items() if rank_key in by_metric]
    rows.sort(key=lambda r: -r[1][rank_key])
    return rows[:limit] if limit is not None else rows


# =========================================================================== LaTeX
# Every character LaTeX treats specially, and those the default OT1 fonts print as other
# glyphs (< > as inverted marks, " as a closing quote): \textless / \textgreater have
# kernel defaults in every encoding; \textquotedbl exists only in T1, so " is the
# straight quote of the typewriter font (slot 34 in OT1 and T1 alike).
_TEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                 "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                 "<": r"\textless{}", ">": r"\textgreater{}", '"': r"\texttt{\char34}"}


def tex_escape(text: str) -> str:
    """``text`` as LaTeX prints it literally (plain pdflatex, any font encoding)."""
    return "".join(_TEX_SPECIALS.get(ch, ch) for ch in str(text))


def _tex_number(value, digits: int, mark: int = -1) -> str:
    if not _finite(value):
        return "--"
    text = f"{value:.{digits}f}"
    return r"\textbf{" + text + "}" if mark == 0 else r"\underline{" + text + "}" if mark == 1 else text


def _experiment_label(report) -> str:
    exp = report.experiment
    return exp.upper() if exp in ("ope", "tre", "sre") else exp


def latex_table(report, published=(), published_top: int | None = 5) -> str:
    """The headline table of one experiment as a booktabs ``table`` environment.

    Numbers are the report's own, rounded as printed (3 decimals, failures and FPS 1);
    best in bold and second best underlined per column among the re-computed trackers;
    published numbers follow in their own block, marked with a dagger."""
    columns = columns_for(report)
    rows = headline_rows(report)
    eligible = [ok for _, ok, _ in rows]
    marks = {c.key: _rank_marks([v[c.key] for _, _, v in rows], c.digits, c.lower_is_better, eligible) if c.ranked
             else [-1] * len(rows) for c in columns}
    pub = _published_by_tracker(published, columns, columns[0].key, published_top)
    bench = short_title(report.benchmark)
    exp = _experiment_label(report)
    caption = (f"{tex_escape(bench)}, {tex_escape(exp)}, {plural(len(report.dataset), 'sequence')} (convention "
               f"{tex_escape(report.convention.name)}). "
               r"Best in \textbf{bold}, second best \underline{underlined}.")
    if any(not complete for _, complete, _ in rows):
        caption += r" $^*$incomplete results (sequences missing), listed below the rule, not ranked."
    if pub:
        caption += r" $^\dagger$published, not re-computed."
    if any(not p.verified for _, _, numbers in pub for p in numbers):
        caption += r" $^?$not verified against its source."
    lines = [
        f"% rasbench {__version__}: {report.benchmark.name} {report.experiment}, convention "
        f"{report.convention.name}; needs \\usepackage{{booktabs}}",
        r"\begin{table}[t]", r"\centering", r"\small",
        r"\begin{tabular}{l" + "r" * len(columns) + "}", r"\toprule",
        "Tracker & " + " & ".join(tex_escape(c.label) for c in columns) + r" \\", r"\midrule",
    ]
    for i, (name, complete, values) in enumerate(rows):
        if i and not complete and rows[i - 1][1]:
            lines.append(r"\midrule")  # the incomplete trackers, unranked
        cells = [tex_escape(name) + ("" if complete else "$^*$")]
        cells += [_tex_number(values[c.key], c.digits, marks[c.key][i]) for c in columns]
        lines.append(" & ".join(cells) + r" \\")
    if pub:
        lines.append(r"\midrule")
        for name, values, numbers in pub:
            flag = "" if all(p.verified for p in numbers) else "$^?$"
            cells = [r"\textit{" + tex_escape(name) + r"}$^\dagger$" + flag]
            cells += [_tex_number(values.get(c.key), c.digits) for c in columns]
            lines.append(" & ".join(cells) + r" \\")
    label = re.sub(r"[^a-z0-9]+", "-", f"{report.benchmark.name}-{report.experiment}".lower())
    lines += [r"\bottomrule", r"\end{tabular}", r"\caption{" + caption + "}", r"\label{tab:" + label + "}",
              r"\end{table}", ""]
    return "\n".join(lines)


def latex_attribute_table(report) -> str | None:
    """OTB: success AUC per attribute (sequences per attribute in the header); VOT:
    accuracy / failures-per-100-frames per tag. None when the report has neither.
    Incomplete trackers follow the complete ones below a rule."""
    ranked = display_order(report)
    if _is_vot(report):
        tags = _tag_order({g for t in ranked for g in t.tags})
        if not tags:
            return None
        header = ["Tracker"] + [tex_escape(g.replace("_", " ")) + " A / R" for g in tags]
        ok = [t.complete for t in ranked]
        acc_marks = {g: _rank_marks([t.tags.get(g, {}).get("accuracy") for t in ranked], 3, False, ok) for g in tags}
        rob_marks = {g: _rank_marks([t.tags.get(g, {}).get("robustness") for t in ranked], 2, True, ok) for g in tags}
        body = []
        for i, t in enumerate(ranked):
            cells = [tex_escape(t.name) + ("" if t.complete else "$^*$")]
            for g in tags:
                d = t.tags.get(g) or {}
                cells.append(_tex_number(d.get("accuracy"), 3, acc_marks[g][i]) + " / "
                             + _tex_number(d.get("robustness"), 2, rob_marks[g][i]))
            body.append(cells)
        caption = (f"{tex_escape(short_title(report.benchmark))}, {tex_escape(report.experiment)}, "
                   f"{plural(len(report.dataset), 'sequence')}: accuracy / robustness (failures per 100 frames) "
                   "per tag.")
    else:
        from .plots import attribute_counts

        counts = attribute_counts(report)
        codes = [c for c in ATTRIBUTE_CODES if c in counts]
        if not codes:
            return None
        header = ["Tracker"] + [f"{c} ({counts[c]})" for c in codes]
        values = {c: [t.attributes[c].success_auc if c in t.attributes else None for t in ranked] for c in codes}
        marks = {c: _rank_marks(values[c], 3, False, [t.complete for t in ranked]) for c in codes}
        body = [[tex_escape(t.name) + ("" if t.complete else "$^*$")]
                + [_tex_number(values[c][i], 3, marks[c][i]) for c in codes] for i, t in enumerate(ranked)]
        caption = (f"{tex_escape(short_title(report.benchmark))}, {_experiment_label(report)}, "
                   f"{plural(len(report.dataset), 'sequence')}: success AUC per attribute (number of sequences).")
    caption += r" Best in \textbf{bold}, second best \underline{underlined}."
    if not all(t.complete for t in ranked):
        caption += r" $^*$incomplete results, below the rule, not ranked."
    label = re.sub(r"[^a-z0-9]+", "-", f"{report.benchmark.name}-{report.experiment}-attributes".lower())
    lines = [f"% rasbench {__version__}; needs \\usepackage{{booktabs}}", r"\begin{table*}[t]", r"\centering",
             r"\footnotesize", r"\setlength{\tabcolsep}{3pt}", r"\begin{tabular}{l" + "c" * (len(header) - 1) + "}",
             r"\toprule", " & ".join(header) + r" \\", r"\midrule"]
    for i, (t, cells) in enumerate(zip(ranked, body)):
        if i and not t.complete and ranked[i - 1].complete:
            lines.append(r"\midrule")
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\caption{" + caption + "}", r"\label{tab:" + label + "}",
              r"\end{table*}", ""]
    return "\n".join(lines)


# =========================================================================== HTML
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;
padding:0 1.2em 3em;color:#222;line-height:1.4}
h1{font-size:1.5em;margin:1em 0 .2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.6em}.meta{color:#555;font-size:.92em}
table{border-collapse:collapse;font-size:.88em;margin:.6em 0}
th,td{padding:.22em .6em;border-bottom:1px solid #e4e4e4;text-align:right;white-space:nowrap}
th{background:#f4f4f4;cursor:pointer;position:sticky;top:0}th:first-child,td:first-child,.name{text-align:left}
td.best{font-weight:700}td.second{text-decoration:underline}
tr.published td{color:#555;font-style:italic}tbody.published{border-top:2px solid #bbb}
tr.incomplete td.name::after{content:" *";color:#b00}tbody.incomplete{border-top:2px solid #bbb}
tr.highlight td{background:#fff4cc}tr.highlight td.name{font-weight:700}td.flag{color:#a00;font-weight:600}
table.text td,table.text th{text-align:left;white-space:normal}.figs.wide img{width:100%;max-width:1100px}
.figs{display:flex;flex-wrap:wrap;gap:14px}.figs figure{margin:0;flex:0 1 auto}
.figs img{max-width:100%;height:auto;border:1px solid #eee}
details{margin:.6em 0}summary{cursor:pointer;font-weight:600}
.note{font-size:.85em;color:#555}.problem{color:#a00}code,pre{font-size:.85em}
pre{background:#f7f7f7;padding:.6em;overflow:auto;max-height:20em}
nav a{margin-right:1em}.scroll{overflow-x:auto}
"""

# Marks <body data-images="loaded"> once every image has decoded (checked by the tests
# in headless Chromium), and makes tables sortable by a click on a header.
_JS = """
function rbCheckImages(){var imgs=Array.prototype.slice.call(document.images);
var bad=imgs.filter(function(i){return !(i.complete&&i.naturalWidth>0);});
document.body.setAttribute('data-images',bad.length?'broken':'loaded');
document.body.setAttribute('data-image-count',String(imgs.length));
document.body.setAttribute('data-broken-images',String(bad.length));}
window.addEventListener('load',rbCheckImages);
document.addEventListener('click',function(e){var th=e.target.closest('th');if(!th)return;
var table=th.closest('table'),body=table.tBodies[0];if(!body)return;var col=th.cellIndex;
var dir=th.getAttribute('data-dir')==='desc'?'asc':'desc';th.setAttribute('data-dir',dir);
var rows=Array.prototype.slice.call(body.rows);function v(r){var t=(r.cells[col]||{}).textContent||'';
var n=parseFloat(t);return isNaN(n)?t.toLowerCase():n;}
rows.sort(function(a,b){var x=v(a),y=v(b);if(x===y)return 0;var c=x<y?-1:1;return dir==='asc'?c:-c;});
rows.forEach(function(r){body.appendChild(r);});});
"""


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _num(value, digits: int = 3) -> str:
    if not _finite(value):
        return "-"
    value = float(value)
    return f"{value:.{digits}f}" if abs(value) < 1e5 else f"{value:.2e}"


# Plots are PNGs at 200 dpi; shown at 140 CSS px per inch (a column-wide plot ~480 px),
# so every plot's text has the same size on the page, whatever the figure's width.
HTML_PX_PER_PNG_PX = 140 / 200


def _img(path: Path, alt: str, scale: float = 1.0) -> str:
    data = Path(path).read_bytes()
    width = int.from_bytes(data[16:20], "big")  # the PNG header's IHDR width
    encoded = base64.b64encode(data).decode("ascii")
    return (f'<img src="data:image/png;base64,{encoded}" width="{round(width * HTML_PX_PER_PNG_PX * scale)}" '
            f'alt="{_esc(alt)}">')


def _figures(plots: list[dict], names: list[str] | None = None, small: bool = False, wide: bool = False) -> str:
    chosen = [p for p in plots if names is None or p["name"] in names]
    if names is not None:
        chosen.sort(key=lambda p: names.index(p["name"]))
    items = []
    for p in chosen:
        png = [f for f in p["paths"] if str(f).endswith(".png")]
        if png:  # the title is in the image
            items.append(f"<figure>{_img(png[0], p['title'], 0.75 if small else 1.0)}</figure>")
    cls = "figs" + (" small" if small else "") + (" wide" if wide else "")
    return f'<div class="{cls}">' + "".join(items) + "</div>" if items else ""


def _row_class(complete: bool, highlighted: bool) -> str:
    names = ([] if complete else ["incomplete"]) + (["highlight"] if highlighted else [])
    return f' class="{" ".join(names)}"' if names else ""


def _score_table(report, published, published_top, highlight=()) -> str:
    """Complete trackers ranked (#), incomplete ones in a second body below a rule,
    without a rank; published numbers in a third."""
    columns = columns_for(report)
    rows = headline_rows(report)
    eligible = [ok for _, ok, _ in rows]
    marks = {c.key: _rank_marks([v[c.key] for _, _, v in rows], c.digits, c.lower_is_better, eligible) if c.ranked
             else [-1] * len(rows) for c in columns}
    extra = "runs" if _is_vot(report) else "seqs"
    out = ['<div class="scroll"><table class="scores"><thead><tr><th>#</th><th class="name">Tracker</th>'
           + "".join(f"<th>{_esc(c.label)}</th>" for c in columns) + f"<th>{extra}</th></tr></thead><tbody>"]
    for i, (name, complete, values) in enumerate(rows):
        if i and not complete and rows[i - 1][1]:
            out.append('</tbody><tbody class="incomplete">')
        t = report.trackers[name]
        count = t.scores.get("runs", 0) if _is_vot(report) else len(t.sequences)
        cells = []
        for c in columns:
            cls = {0: ' class="best"', 1: ' class="second"'}.get(marks[c.key][i], "")
            cells.append(f"<td{cls}>{_num(values[c.key], c.digits)}</td>")
        out.append(f'<tr{_row_class(complete, name in highlight)}><td>{i + 1 if complete else ""}</td>'
                   f'<td class="name">{_esc(name)}</td>' + "".join(cells) + f"<td>{count}</td></tr>")
    if rows and not rows[0][1]:  # every tracker incomplete: the first body is empty
        out[0] = out[0].replace("<tbody>", '<tbody class="incomplete">')
    out.append("</tbody>")
    pub = _published_by_tracker(published, columns, columns[0].key, published_top)
    if pub:
        out.append('<tbody class="published">')
        for name, values, numbers in pub:
            sources = "; ".join(f"{p.metric}: {p.source} ({p.status})" for p in numbers)
            flag = "" if all(p.verified for p in numbers) else " (unverified)"
            cells = "".join(f"<td>{_num(values.get(c.key), c.digits)}</td>" for c in columns)
            out.append(f'<tr class="published" title="{_esc(sources)}"><td></td>'
                       f'<td class="name">{_esc(name)}{DAGGER}{flag}</td>{cells}<td></td></tr>')
        out.append("</tbody>")
    out.append("</table></div>")
    notes = []
    if any(not complete for _, complete, _ in rows):
        notes.append("* incomplete: scored without the sequences listed under Problems; not comparable, not "
                     "ranked.")
    if pub:
        notes.append(f"{DAGGER} published, not re-computed (hover for the source; all sources are listed under "
                     "Published numbers). Bold / underlined: best / second best among the re-computed trackers.")
    if _is_vot(report) and report.key == "eao":
        notes.append(f"R = 100 x failures / frames; EAO over sequence lengths {report.eao_interval[0]}-"
                     f"{report.eao_interval[1]}.")
    return "".join(out) + "".join(f'<p class="note">{_esc(n)}</p>' for n in notes)


def _attribute_table(report) -> str:
    ranked = display_order(report)
    if _is_vot(report):
        tags = _tag_order({g for t in ranked for g in t.tags})
        if not tags:
            return ""
        head = "".join(f"<th>{_esc(g)} A</th><th>{_esc(g)} R</th>" for g in tags)
        body = []
        for t in ranked:
            cells = "".join(f"<td>{_num((t.tags.get(g) or {}).get('accuracy'))}</td>"
                            f"<td>{_num((t.tags.get(g) or {}).get('robustness'), 2)}</td>" for g in tags)
            body.append(f'<tr{_row_class(t.complete, False)}><td class="name">{_esc(t.name)}</td>{cells}</tr>')
        return (f'<div class="scroll"><table><thead><tr><th>Tracker</th>{head}</tr></thead><tbody>{"".join(body)}'
                '</tbody></table></div><p class="note">A = accuracy, R = failures per 100 frames, on the frames '
                'carrying each tag ("empty": frames with no tag).</p>')
    from .plots import attribute_counts

    counts = attribute_counts(report)
    codes = [c for c in ATTRIBUTE_CODES if c in counts]
    if not codes:
        return ""
    values = {c: [t.attributes[c].success_auc if c in t.attributes else None for t in ranked] for c in codes}
    marks = {c: _rank_marks(values[c], 3, False, [t.complete for t in ranked]) for c in codes}
    head = "".join(f'<th title="{_esc(report.benchmark.attribute_names.get(c, c))}">{c} ({counts[c]})</th>'
                   for c in codes)
    body = []
    for i, t in enumerate(ranked):
        cells = "".join(f"<td{ {0: ' class=best', 1: ' class=second'}.get(marks[c][i], '')}>{_num(values[c][i])}</td>"
                        for c in codes)
        body.append(f'<tr{_row_class(t.complete, False)}><td class="name">{_esc(t.name)}</td>{cells}</tr>')
    return (f'<div class="scroll"><table><thead><tr><th>Tracker</th>{head}</tr></thead><tbody>{"".join(body)}'
            '</tbody></table></div><p class="note">Success AUC per attribute; the number of sequences in '
            'brackets.</p>')


def _sequence_table(report) -> str:
    ranked = display_order(report)
    names = list(report.dataset)
    if _is_vot(report):
        head = "".join(f"<th>{_esc(t.name)} A</th><th>{_esc(t.name)} F</th>" for t in ranked)
        body = []
        for s in names:
            cells = ""
            for t in ranked:
                d = t.sequences.get(s)
                cells += (f"<td>{_num(d['accuracy'])}</td><td>{_num(d['failures'], 1)}</td>" if d else
                          '<td class="problem">-</td><td class="problem">-</td>')
            body.append(f"<tr><td>{_esc(s)}</td>{cells}</tr>")
        note = "A = accuracy, F = failures (mean over runs) per sequence."
    else:
        head = "".join(f"<th>{_esc(t.name)}</th>" for t in ranked)
        attrs = {s: " ".join(report.dataset[s].attributes) for s in names}
        body = []
        for s in names:
            cells = "".join(f"<td>{_num(t.sequences[s]['success_auc'])}</td>" if s in t.sequences else
                            '<td class="problem">-</td>' for t in ranked)
            body.append(f'<tr><td title="{_esc(attrs[s])}">{_esc(s)}</td>{cells}</tr>')
        note = "Success AUC per sequence (hover a name for its attributes)."
    return (f'<div class="scroll"><table><thead><tr><th>Sequence</th>{head}</tr></thead><tbody>{"".join(body)}'
            f'</tbody></table></div><p class="note">{_esc(note)}</p>')


def _problems(report) -> str:
    items = []
    for t in report.ranked():
        for seq, why in t.problems.items():
            items.append(f'<li><b>{_esc(t.name)}</b> / {_esc(seq)}: <span class="problem">{_esc(why)}</span></li>')
        for note in getattr(t, "notes", []) or []:
            items.append(f"<li><b>{_esc(t.name)}</b>: {_esc(note)}</li>")
    return "<ul>" + "".join(items) + "</ul>" if items else "<p>None: every tracker has every sequence.</p>"


def _manifest_section(request, inputs: dict[str, dict]) -> str:
    rows = []
    seen = set()
    for exp, dirs in request.tracker_dirs.items():
        for name, folder in dirs.items():
            if (name, exp) in seen:
                continue
            seen.add((name, exp))
            m = describe_origin(folder)
            params = json.dumps(m.get("parameters"), sort_keys=True) if m.get("parameters") else ""
            rows.append("<tr>" + "".join(f"<td>{_esc(v)}</td>" for v in (
                name, exp, m["origin"], m.get("tracker_spec") or "", params, m.get("weights_sha256") or "",
                m.get("rasbench_version") or "", m.get("data_fingerprint") or "", str(folder))) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("Tracker", "Experiment", "Origin", "Tracker spec", "Parameters",
                                             "Weights sha256", "Run with rasbench", "Data fingerprint (run)",
                                             "Folder"))
    datasets = "".join(f"<li>{_esc(exp)}: {_esc(request.datasets[exp].source)}, {len(request.datasets[exp])} "
                       f"sequences, annotation fingerprint <code>{_esc(inputs[exp]['dataset'])}</code></li>"
                       for exp in request.experiments)
    published = ", ".join(str(p) for p in request.published_paths) if request.published is not None else "off"
    return (f"<ul><li>rasbench {__version__} (report format {RENDER_VERSION}); convention "
            f"<code>{_esc(request.convention)}</code></li><li>benchmark definition: "
            f"{_esc(request.benchmark.path)} (fingerprint <code>{_esc(parts_digest(request.benchmark.raw))}</code>)</li>"
            f"{datasets}<li>published numbers: {_esc(published)}</li></ul>"
            f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
            '<p class="note">Data fingerprint (run): the hash of the per-sequence data fingerprints the run recorded '
            "in its manifest.json (ground truth and image files it was run on).</p>")


def printed_unit(p: PublishedNumber) -> float:
    """One unit of the last digit the source printed, on rasbench's scale: 0.01 for
    "= 0.52", 0.0001 for the jwlim toolkit's "= 46.17" (percent, value 0.4617). Taken
    from ``as_published``; from the value itself when that holds no number."""
    numbers = re.findall(r"\d+(?:\.\d+)?", p.as_published)
    text = numbers[-1] if numbers else repr(float(p.value))
    printed = float(text)
    decimals = len(text.split(".")[1]) if "." in text else 0
    scale = p.value / printed if printed and p.value else 1.0  # 0.01 for a percentage
    return 10.0 ** -decimals * scale


def beyond_rounding(p: PublishedNumber, recomputed: float) -> bool:
    """Whether ``recomputed`` differs from the published number by more than its
    rounding can explain: half a unit of the last printed digit (plus float slack)."""
    return abs(recomputed - p.value) > printed_unit(p) / 2 + 1e-9


def _published_section(shown: list, matched: list, reports: dict, withheld: dict) -> str:
    """Published numbers: those of trackers re-computed here beside ours with the
    difference (flagged beyond rounding), then every other number shown. ``withheld``:
    {experiment: scored sequence count} where a subset hides them."""
    parts = [f'<p class="note">{_esc(_experiment_label(reports[exp]))}: published numbers are for all '
             f"{len(reports[exp].benchmark.sequences)} sequences of {_esc(short_title(reports[exp].benchmark))}; "
             f"this report scores {plural(count, 'sequence')}, so none are shown.</p>"
             for exp, count in withheld.items()]
    if matched:
        rows = []
        for p in matched:
            report = reports.get(p.experiment)
            for t in report.trackers.values() if report is not None else ():
                if _name_keys(t.name) & _name_keys(p.tracker):
                    ours = _tracker_value(report, t, p.metric)
                    diff, flag = "-", ""
                    if _finite(ours):
                        diff = f"{ours - p.value:+.{max(3, _digits(printed_unit(p)))}f}"
                        if beyond_rounding(p, ours):
                            flag = " beyond rounding"
                    rows.append(f"<tr><td>{_esc(t.name)}</td><td>{_esc(p.label)}</td><td>{_esc(p.experiment)}</td>"
                                f"<td>{_esc(p.metric)}</td><td>{_num(p.value)}</td><td>{_num(ours)}</td>"
                                f'<td{" class=flag" if flag else ""}>{diff}{flag}</td>'
                                f"<td>{_esc(p.source)}</td><td>{_esc(p.status)}</td></tr>")
        if rows:
            head = "".join(f"<th>{h}</th>" for h in ("Tracker", "Published as", "Experiment", "Metric", "Published",
                                                     "Re-computed", "Difference", "Source", "Status"))
            parts.append("<h3>Published numbers of trackers re-computed here</h3><table class=text><thead><tr>"
                         f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
                         '<p class="note">Difference = re-computed - published; "beyond rounding": more than half a '
                         "unit of the last digit the source printed (0.005 for 0.52).</p>")
    if shown:
        rows = "".join(f"<tr><td>{_esc(p.tracker)}</td><td>{_esc(p.experiment)}</td><td>{_esc(p.metric)}</td>"
                       f"<td>{_num(p.value)}</td><td>{_esc(p.as_published)}</td><td>{_esc(p.source)}</td>"
                       f"<td{'' if p.verified else ' class=problem'}>{_esc(p.status)}</td></tr>" for p in shown)
        parts.append(f"<h3>Published, not re-computed ({len(shown)})</h3><details><summary>every number with its "
                     "source</summary><table class=text><thead><tr><th>Tracker</th><th>Experiment</th><th>Metric</th>"
                     "<th>Value</th><th>As published</th><th>Source</th><th>Status</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table></details>")
    return "".join(parts) or "<p>No published numbers for this benchmark.</p>"


def _digits(unit: float) -> int:
    """Decimals that show one ``unit``."""
    return max(0, math.ceil(-math.log10(unit) - 1e-9))


def _tracker_value(report, t, metric: str):
    if _is_vot(report):
        return t.scores.get(metric)
    return getattr(t.overall, metric, None) if t.overall is not None else None


def html_report(request, reports: dict, plots: dict[str, list[dict]], inputs: dict, shown: list,
                matched: list, withheld: dict | None = None) -> str:
    """The whole report as one HTML document (images inline). ``withheld``: {experiment:
    scored sequences} whose published numbers a sequence subset hides."""
    title = f"{short_title(request.benchmark)} - {', '.join(_experiment_label(r) for r in reports.values())}"
    nav = "".join(f'<a href="#{_esc(e)}">{_esc(_experiment_label(reports[e]))}</a>' for e in reports)
    nav += '<a href="#published">Published numbers</a><a href="#manifest">Run manifest</a>'
    body = [f"<h1>{_esc(request.benchmark.title)}</h1>",
            f'<p class="meta">convention <b>{_esc(request.convention)}</b> &middot; rasbench {__version__} &middot; '
            f'generated {time.strftime("%Y-%m-%d %H:%M:%S")}</p><nav>{nav}</nav>']
    for exp, report in reports.items():
        figs = plots.get(exp, [])
        label = _experiment_label(report)
        body.append(f'<section id="{_esc(exp)}"><h2>{_esc(label)}</h2>')
        body.append(f'<p class="meta">{plural(len(report.dataset), "sequence")} of '
                    f'{len(request.benchmark.sequences)}, {plural(len(report.trackers), "tracker")}</p>')
        body.append(_score_table(report, [p for p in shown if p.experiment == exp], request.published_top,
                                 request.highlight))
        if _is_vot(report):
            overall = [f"{exp}_eao_curve", f"{exp}_eao_ranking", f"{exp}_ar", f"{exp}_ranking"]
            body.append(_figures(figs, overall))
            if exp == "realtime":
                body.append(_figures(plots.get("_cross", [])))
            body.append("<h3>Per tag</h3>" + _figures(figs, [f"{exp}_tags"], wide=True) + _attribute_table(report))
        else:
            body.append(_figures(figs, [f"{exp}_success", f"{exp}_precision", f"{exp}_ranking"]))
            body.append("<h3>Per attribute</h3>" + _attribute_table(report))
            codes = [c for c in ATTRIBUTE_CODES if any(p["name"] == f"{exp}_success_{c}" for p in figs)]
            body.append(_figures(figs, [f"{exp}_success_{c}" for c in codes], small=True))
            if codes:
                body.append("<details><summary>Precision plots per attribute</summary>"
                            + _figures(figs, [f"{exp}_precision_{c}" for c in codes], small=True) + "</details>")
        body.append(f"<h3>Per sequence</h3><details><summary>{plural(len(report.dataset), 'sequence')}</summary>"
                    f"{_sequence_table(report)}</details>")
        body.append(f"<h3>Problems</h3>{_problems(report)}</section>")
    body.append('<section id="published"><h2>Published numbers</h2>'
                f"{_published_section(shown, matched, reports, withheld or {})}</section>")
    body.append(f'<section id="manifest"><h2>Run manifest</h2>{_manifest_section(request, inputs)}</section>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{_esc(title)}</title><style>{_CSS}</style>'
            f'</head><body>{"".join(body)}<script>{_JS}</script></body></html>\n')


# =========================================================================== building a report folder
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


@dataclass
class BuildResult:
    files: list[Path] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    incomplete: dict = field(default_factory=dict)  # experiment -> [tracker]
    seconds: float = 0.0


def _layout(benchmark: BenchmarkDef, experiment: str) -> str:
    return benchmark.dataset_layout(experiment)


def evaluate_experiment(request: ReportRequest, experiment: str):
    """An OTB :class:`~rasbench.report.Report` or a VOT
    :class:`~rasbench.vot_report.VOTReport`, as the experiment's layout says."""
    dataset, dirs = request.datasets[experiment], request.tracker_dirs[experiment]
    if _layout(request.benchmark, experiment) == "vot":
        from .vot_report import evaluate_vot

        return evaluate_vot(request.benchmark, experiment, dataset, dirs, request.convention)
    from .report import evaluate

    return evaluate(request.benchmark, experiment, dataset, dirs, request.convention)


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
            reports[exp] = evaluate_experiment(request, exp)
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
    options = {"top": request.top, "published_top": request.published_top, "highlight": sorted(request.highlight)}

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
    for exp in request.experiments:
        key = inputs[exp]["key"]
        vot = _layout(request.benchmark, exp) == "vot"
        module = importlib.import_module(".vot_report" if vot else ".report", __package__)

        def status(exp=exp):
            rep = report_for(exp)
            return {"incomplete": sorted(t.name for t in rep.trackers.values() if not t.complete)}

        info = step(f"status:{exp}", key, lambda: ([], status()))
        result.incomplete[exp] = info.get("incomplete", [])
        if "table" in want:
            step(f"table:{exp}", key, lambda exp=exp, m=module: (
                [write(f"{exp}_table.txt", m.to_table(report_for(exp)) + "\n")], {}))
        if "json" in want:
            step(f"json:{exp}", key, lambda exp=exp, m=module: (
                [write(f"{exp}_report.json", m.to_json(report_for(exp)) + "\n")], {}))
        if "csv" in want:
            step(f"csv:{exp}", key, lambda exp=exp, m=module: ([
                write(f"{exp}_report.csv", m.to_csv(report_for(exp))),
                write(f"{exp}_sequences.csv", m.to_csv(report_for(exp), per_sequence=True)),
                write(f"{exp}_attributes.csv", m.to_csv(report_for(exp), attributes=True))], {}))
        exp_published = [p for p in shown if p.experiment == exp]
        if "latex" in want:
            def latex(exp=exp, pub=exp_published):
                rep = report_for(exp)
                files = [write(f"{exp}_table.tex", latex_table(rep, pub, request.published_top))]
                attributes = latex_attribute_table(rep)
                if attributes:
                    files.append(write(f"{exp}_attributes.tex", attributes))
                return files, {}
            step(f"latex:{exp}", key, latex)
        if request.plots:
            def render_plots(formats, exp=exp, vot=vot, pub=exp_published):
                from . import plots as P

                rep = report_for(exp)
                bar = f"plots {exp}" if progress else None
                if vot:
                    return P.vot_plot_set({exp: rep}, out / "plots", formats, pub, request.top, request.published_top,
                                          highlight=request.highlight, progress=bar)
                return P.otb_plot_set(rep, out / "plots", formats, pub, request.top, request.published_top,
                                      highlight=request.highlight, progress=bar)
            plot_sets[exp] = plot_steps(f"plots:{exp}", key, render_plots)
    cross = request.plots and "baseline" in request.experiments and "realtime" in request.experiments \
        and _layout(request.benchmark, "realtime") == "vot"
    if cross:
        def render_cross(formats):
            from . import plots as P

            reps = {exp: report_for(exp) for exp in ("baseline", "realtime")}
            styles = P.tracker_styles([t.name for t in reps["baseline"].ranked()], request.highlight)
            fig = P.realtime_vs_baseline(reps["baseline"], reps["realtime"], shown, styles)
            paths = P.save(fig, out / "plots" / "realtime_vs_baseline", formats)
            return [{"name": "realtime_vs_baseline", "title": "Real-time vs baseline EAO", "paths": paths}]
        plot_sets["_cross"] = plot_steps("plots:realtime_vs_baseline",
                                         [inputs["baseline"]["key"], inputs["realtime"]["key"]], render_cross)
    if "html" in want:
        def render_html():
            reps = {exp: report_for(exp) for exp in request.experiments}
            text = html_report(request, reps, plot_sets, inputs, shown, matched, withheld)
            return [write("report.html", text)], {}
        # the page embeds the PNGs: keyed by their recorded content
        pngs = [cache.digest(f"plots:{name}:png") for name in [*request.experiments] + (["realtime_vs_baseline"]
                                                                                        if cross else [])]
        step("html", [[inputs[e]["key"] for e in request.experiments], request.plots, pngs if request.plots else []],
             render_html)
    return result


def _plot_info(made: list[dict], out: Path) -> list[dict]:
    return [{"name": p["name"], "title": p["title"], "paths": [Path(f).relative_to(out).as_posix() for f in p["paths"]]}
            for p in made]

