"""The HTML report: one self-contained file with the plots embedded as ``data:`` URIs, the
score, per-group (attribute / tag) and per-sequence tables, published numbers beside
re-computed ones, and the run manifest (toolkit version, tracker parameters, weights
hash, dataset fingerprint), readable offline and mailable. Everything comes from the
report model; nothing here knows a benchmark family."""
from __future__ import annotations

import base64
import html
import json
import math
import time
from pathlib import Path

from .._version import __version__
from ..evaluation.model import Report, finite
from ..fingerprint import parts_digest
from ..results.manifest import MANIFEST, describe_origin
from ..text import plural
from . import RENDER_VERSION
from .published import DAGGER, beyond_rounding, name_keys, printed_unit, short_title
from .rows import column_marks, headline_rows, published_by_tracker, rank_marks
from .text import run_notes

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
.ci{color:#666;font-size:.85em;font-weight:400}td.sig-better{background:#d9f2d9}td.sig-worse{background:#f8dada}
table.matrix td{text-align:center}
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
    if finite(value) is None:
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




def _score_table(report: Report, published, published_top, highlight=()) -> str:
    """Complete trackers ranked (#), incomplete ones in a second body below a rule,
    without a rank; published numbers in a third."""
    columns = report.measures
    rows = headline_rows(report)
    marks = column_marks(rows, columns)
    count_key, count_label = report.counts
    out = ['<div class="scroll"><table class="scores"><thead><tr><th>#</th><th class="name">Tracker</th>'
           + "".join(f"<th>{_esc(c.label)}</th>" for c in columns) + f"<th>{_esc(count_label)}</th></tr></thead>"
           "<tbody>"]
    for i, (name, complete, values) in enumerate(rows):
        if i and not complete and rows[i - 1][1]:
            out.append('</tbody><tbody class="incomplete">')
        count = report.trackers[name].scores.get(count_key, 0)
        cells = []
        bounds = report.trackers[name].intervals
        for c in columns:
            cls = {0: ' class="best"', 1: ' class="second"'}.get(marks[c.key][i], "")
            cells.append(f"<td{cls}>{_num(values[c.key], c.digits)}{_interval(bounds.get(c.key), c.digits)}</td>")
        out.append(f'<tr{_row_class(complete, name in highlight)}><td>{i + 1 if complete else ""}</td>'
                   f'<td class="name">{_esc(name)}</td>' + "".join(cells) + f"<td>{count}</td></tr>")
    if rows and not rows[0][1]:  # every tracker incomplete: the first body is empty
        out[0] = out[0].replace("<tbody>", '<tbody class="incomplete">')
    out.append("</tbody>")
    pub = published_by_tracker(published, columns, columns[0].key, published_top)
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
    notes += report.footnotes + [f"{note}." for note in report.title_notes] + run_notes(report)
    if report.uncertainty is not None:
        notes.append(f"Brackets: {report.uncertainty.method}.")
    return "".join(out) + "".join(f'<p class="note">{_esc(n)}</p>' for n in notes)


def _interval(interval, digits: int) -> str:
    if interval is None or interval.low is None or interval.high is None:
        return ""
    return f' <span class="ci">[{_num(interval.low, digits)}, {_num(interval.high, digits)}]</span>'


def _significance(report: Report) -> str:
    """The paired comparisons of the primary measure: Holm-adjusted p-values of every
    pair as a matrix (row minus column; significant cells marked), who is tied with the
    best, the method."""
    table = report.comparisons.get(report.primary)
    if table is None:
        return ""
    measure = report.measure(report.primary)
    names = table.trackers
    head = "".join(f'<th title="{_esc(n)}">{k}</th>' for k, n in enumerate(names, start=1))
    rows = []
    for i, a in enumerate(names):
        cells = []
        for j, b in enumerate(names):
            if i == j:
                cells.append("<td>-</td>")
                continue
            p, delta = table.p_holm[i, j], table.delta[i, j]
            better = delta > 0 if measure.higher_is_better else delta < 0
            cls = (' class="sig-better"' if better else ' class="sig-worse"') if p < 0.05 else ""
            tip = (f"{a} - {b}: {delta:+.4f} [{table.delta_low[i, j]:+.4f}, {table.delta_high[i, j]:+.4f}], "
                   f"p {table.p[i, j]:.4f}, Holm {p:.4f}")
            cells.append(f'<td{cls} title="{_esc(tip)}">{"<.001" if p < 0.001 else f"{p:.3f}"}</td>')
        rows.append(f'<tr><td class="name">{i + 1}. {_esc(a)}</td>{"".join(cells)}</tr>')
    tied = ", ".join(table.tied_with_best)
    return (f"<h3>Paired comparisons ({_esc(measure.label)})</h3>"
            f'<div class="scroll"><table class="matrix"><thead><tr><th class="name">row vs column</th>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></div>'
            f'<p class="note">Holm-adjusted p-values of the paired permutation test over all '
            f"{len(names) * (len(names) - 1) // 2} pairs of complete trackers; green: the row is significantly "
            f"better than the column (p &lt; 0.05), red: worse; hover a cell for the difference, its interval and "
            f"the unadjusted p. Statistically tied with the best: {_esc(tied)}. {_esc(report.uncertainty.method)}.</p>")


def _group_table(report: Report) -> str:
    """The per-group (attribute / tag) numbers of every tracker, best and second best marked."""
    ranked = report.display_order()
    groups = report.group_order
    if not groups:
        return ""
    measures = report.group_table
    ok = [t.complete for t in ranked]
    columns = [(g, m) for g in groups for m in measures]
    values = {(g, m.key): [t.groups[g].values.get(m.key) if g in t.groups else None for t in ranked]
              for g, m in columns}
    marks = {(g, m.key): rank_marks(values[g, m.key], m.digits, not m.higher_is_better, ok) for g, m in columns}

    def header(g, m):
        title = f' title="{_esc(report.group_names.get(g, g))}"'
        if len(measures) == 1:
            return f"<th{title}>{_esc(g)} ({report.group_sizes.get(g, 0)})</th>"
        return f"<th{title}>{_esc(g)} {_esc(m.label)}</th>"

    body = []
    for i, t in enumerate(ranked):
        cells = "".join(f"<td{ {0: ' class=best', 1: ' class=second'}.get(marks[g, m.key][i], '')}>"
                        f"{_num(values[g, m.key][i], m.digits)}"
                        f"{_interval(t.groups[g].intervals.get(m.key) if g in t.groups else None, m.digits)}</td>"
                        for g, m in columns)
        body.append(f'<tr{_row_class(t.complete, False)}><td class="name">{_esc(t.name)}</td>{cells}</tr>')
    head = "".join(header(g, m) for g, m in columns)
    return (f'<div class="scroll"><table><thead><tr><th>Tracker</th>{head}</tr></thead><tbody>{"".join(body)}'
            f'</tbody></table></div><p class="note">{_esc(report.group_note)}</p>')


def _sequence_table(report: Report) -> str:
    ranked = report.display_order()
    measures = report.sequence_table
    if len(measures) == 1:
        head = "".join(f"<th>{_esc(t.name)}</th>" for t in ranked)
    else:
        head = "".join(f"<th>{_esc(t.name)} {_esc(m.label)}</th>" for t in ranked for m in measures)
    body = []
    for s in report.dataset:
        cells = "".join(f"<td>{_num(t.sequences[s].get(m.key), m.digits)}</td>" if s in t.sequences else
                        '<td class="problem">-</td>' for t in ranked for m in measures)
        attributes = " ".join(report.dataset[s].attributes)
        title = f' title="{_esc(attributes)}"' if attributes else ""
        body.append(f"<tr><td{title}>{_esc(s)}</td>{cells}</tr>")
    return (f'<div class="scroll"><table><thead><tr><th>Sequence</th>{head}</tr></thead><tbody>{"".join(body)}'
            f'</tbody></table></div><p class="note">{_esc(report.sequence_note)}</p>')


def _problems(report: Report) -> str:
    items = []
    for t in report.ranked():
        for seq, why in t.problems.items():
            items.append(f'<li><b>{_esc(t.name)}</b> / {_esc(seq)}: <span class="problem">{_esc(why)}</span></li>')
        for note in t.notes:
            items.append(f"<li><b>{_esc(t.name)}</b>: {_esc(note)}</li>")
    return "<ul>" + "".join(items) + "</ul>" if items else "<p>None: every tracker has every sequence.</p>"


def _published_section(shown: list, matched: list, reports: dict, withheld: dict) -> str:
    """Published numbers: those of trackers re-computed here beside ours with the
    difference (flagged beyond rounding), then every other number shown. ``withheld``:
    {experiment: scored sequence count} where a subset hides them."""
    parts = [f'<p class="note">{_esc(reports[exp].experiment_label)}: published numbers are for all '
             f"{len(reports[exp].benchmark.sequences)} sequences of {_esc(short_title(reports[exp].benchmark))}; "
             f"this report scores {plural(count, 'sequence')}, so none are shown.</p>"
             for exp, count in withheld.items()]
    if matched:
        rows = []
        for p in matched:
            report = reports.get(p.experiment)
            for t in report.trackers.values() if report is not None else ():
                if name_keys(t.name) & name_keys(p.tracker):
                    ours = t.scores.get(p.metric)
                    diff, flag = "-", ""
                    if finite(ours) is not None:
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


def _experiment_section(exp: str, report: Report, request, figs: list[dict], cross: list[dict], shown: list) -> str:
    """One experiment: its table, plots, per-group and per-sequence numbers, problems."""
    def names(placement):
        return [f"{exp}_{p.name}" for p in report.plots if p.placement == placement]

    parts = [f'<section id="{_esc(exp)}"><h2>{_esc(report.experiment_label)}</h2>',
             f'<p class="meta">{plural(len(report.dataset), "sequence")} of {len(request.benchmark.sequences)}, '
             f'{plural(len(report.trackers), "tracker")}</p>',
             _score_table(report, [p for p in shown if p.experiment == exp], request.published_top, request.highlight),
             _figures(figs, names("overall")), _figures(cross), _significance(report)]
    parts.append(f"<h3>Per {_esc(report.group_noun)}</h3>" + _figures(figs, names("groups"), wide=True)
                 + _group_table(report) + _figures(figs, names("each-group"), small=True))
    details = [p for p in report.plots if p.placement == "each-group-details"]
    if details and any(p["name"] == f"{exp}_{details[0].name}" for p in figs):
        curve = next(c for c in report.curves if c.key == details[0].params["curve"])
        parts.append(f"<details><summary>{_esc(curve.title)} per {_esc(report.group_noun)}</summary>"
                     + _figures(figs, names("each-group-details"), small=True) + "</details>")
    parts.append(f"<h3>Per sequence</h3><details><summary>{plural(len(report.dataset), 'sequence')}</summary>"
                 f"{_sequence_table(report)}</details>")
    parts.append(f"<h3>Problems</h3>{_problems(report)}</section>")
    return "".join(parts)


def html_report(request, reports: dict, plots: dict[str, list[dict]], inputs: dict, shown: list,
                matched: list, withheld: dict | None = None, cross: dict | None = None) -> str:
    """The whole report as one HTML document (images inline). ``plots``: {experiment:
    plots made}; ``cross``: {experiment: plots combining it with another}, placed after
    its own; ``withheld``: {experiment: scored sequences} whose published numbers a
    sequence subset hides."""
    title = f"{short_title(request.benchmark)} - {', '.join(r.experiment_label for r in reports.values())}"
    nav = "".join(f'<a href="#{_esc(e)}">{_esc(reports[e].experiment_label)}</a>' for e in reports)
    nav += '<a href="#published">Published numbers</a><a href="#manifest">Run manifest</a>'
    body = [f"<h1>{_esc(request.benchmark.title)}</h1>",
            f'<p class="meta">convention <b>{_esc(request.convention)}</b> &middot; rasbench {__version__} &middot; '
            f'generated {time.strftime("%Y-%m-%d %H:%M:%S")}</p><nav>{nav}</nav>']
    for exp, report in reports.items():
        body.append(_experiment_section(exp, report, request, plots.get(exp, []), (cross or {}).get(exp, []), shown))
    body.append('<section id="published"><h2>Published numbers</h2>'
                f"{_published_section(shown, matched, reports, withheld or {})}</section>")
    body.append(f'<section id="manifest"><h2>Run manifest</h2>{_manifest_section(request, inputs)}</section>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{_esc(title)}</title><style>{_CSS}</style>'
            f'</head><body>{"".join(body)}<script>{_JS}</script></body></html>\n')


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
    datasets = "".join(f"<li>{_esc(exp)}: {_esc(request.datasets[exp].source)}, "
                       f"{plural(len(request.datasets[exp]), 'sequence')}, annotation fingerprint "
                       f"<code>{_esc(inputs[exp]['dataset'])}</code></li>"
                       for exp in request.experiments)
    published = ", ".join(str(p) for p in request.published_paths) if request.published is not None else "off"
    return (f"<ul><li>rasbench {__version__} (report format {RENDER_VERSION}); convention "
            f"<code>{_esc(request.convention)}</code></li><li>benchmark definition: "
            f"{_esc(request.benchmark.path)} (fingerprint <code>{_esc(parts_digest(request.benchmark.raw))}</code>)"
            "</li>"
            f"{datasets}<li>published numbers: {_esc(published)}</li></ul>"
            f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
            '<p class="note">Data fingerprint (run): the hash of the per-sequence data fingerprints the run recorded '
            f"in its {MANIFEST} (ground truth and image files it was run on).</p>")


