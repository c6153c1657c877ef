"""LaTeX tables: plain ``.tex`` (booktabs; best in bold, second best underlined), to be
``\\input`` into a paper; nothing is compiled here. Names are escaped to compile with
plain pdflatex (OT1 fonts). Numbers are the report's own, rounded as its measures say."""
from __future__ import annotations

import re

from .._version import __version__
from ..evaluation.model import Interval, Report, finite
from ..text import plural
from .published import short_title
from .rows import column_marks, headline_rows, published_by_tracker, rank_marks

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


def _tex_number(value, digits: int, mark: int = -1, interval: Interval | None = None, style: str | None = None) -> str:
    """A number as printed, bold (best) or underlined (second best); with ``style``
    (``pm`` or ``brackets``) and an ``interval``: ``0.582$\\pm$0.021`` (half its width) or
    ``0.582 [0.561, 0.603]``, the interval in a smaller size."""
    if finite(value) is None:
        return "--"
    text = f"{value:.{digits}f}"
    text = r"\textbf{" + text + "}" if mark == 0 else r"\underline{" + text + "}" if mark == 1 else text
    if style is None or interval is None or interval.low is None or interval.high is None:
        return text
    if style == "pm":
        return text + r"{\scriptsize$\pm$" + f"{(interval.high - interval.low) / 2:.{digits}f}" + "}"
    return text + r" {\scriptsize[" + f"{interval.low:.{digits}f}, {interval.high:.{digits}f}" + "]}"


def interval_caption(report: Report, style: str | None) -> str:
    """The caption sentence naming the interval method (and who is tied with the best)."""
    u = report.uncertainty
    if style is None or u is None:
        return ""
    shown = "$\\pm$ half the width of the" if style == "pm" else "in brackets:"
    text = f" {shown} {tex_escape(u.method)}."
    table = report.comparisons.get(report.primary)
    if table is not None and len(table.tied_with_best) > 1:
        text += (f" Statistically tied with the best {tex_escape(report.measure(report.primary).label)} "
                 f"(Holm-adjusted $p \\geq 0.05$): {tex_escape(', '.join(table.tied_with_best))}.")
    return text


def latex_table(report: Report, published=(), published_top: int | None = 5, intervals: str | None = None) -> str:
    """The headline table of one experiment as a booktabs ``table`` environment: best in
    bold and second best underlined per column among the re-computed trackers;
    published numbers follow in their own block, marked with a dagger. ``intervals``
    (``pm``, ``brackets``): each number with its confidence interval, the method in the
    caption."""
    columns = report.measures
    rows = headline_rows(report)
    marks = column_marks(rows, columns)
    pub = published_by_tracker(published, columns, columns[0].key, published_top)
    caption = (f"{tex_escape(short_title(report.benchmark))}, {tex_escape(report.experiment_label)}, "
               f"{plural(len(report.dataset), 'sequence')} (convention {tex_escape(report.convention.name)}). "
               r"Best in \textbf{bold}, second best \underline{underlined}.")
    if any(not complete for _, complete, _ in rows):
        caption += r" $^*$incomplete results (sequences missing), listed below the rule, not ranked."
    if pub:
        caption += r" $^\dagger$published, not re-computed."
    if any(not p.verified for _, _, numbers in pub for p in numbers):
        caption += r" $^?$not verified against its source."
    caption += interval_caption(report, intervals)
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
        bounds = report.trackers[name].intervals
        cells += [_tex_number(values[c.key], c.digits, marks[c.key][i], bounds.get(c.key), intervals) for c in columns]
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


def latex_attribute_table(report: Report, intervals: str | None = None) -> str | None:
    """The per-group table (OTB: success AUC per attribute, sequences per attribute in the
    header; VOT: accuracy / failures per 100 frames per tag); None when the report has no
    groups. Incomplete trackers follow the complete ones below a rule. ``intervals``: as
    :func:`latex_table`, where the groups have them."""
    ranked = report.display_order()
    groups = report.group_order
    if not groups:
        return None
    measures = report.group_table
    if len(measures) == 1:
        header = [f"{tex_escape(g)} ({report.group_sizes.get(g, 0)})" for g in groups]
    else:
        header = [tex_escape(report.group_names.get(g, g)) + " " + " / ".join(tex_escape(m.label) for m in measures)
                  for g in groups]
    ok = [t.complete for t in ranked]
    values = {(g, m.key): [t.groups[g].values.get(m.key) if g in t.groups else None for t in ranked]
              for g in groups for m in measures}
    marks = {(g, m.key): rank_marks(values[g, m.key], m.digits, not m.higher_is_better, ok)
             for g in groups for m in measures}
    body = [[tex_escape(t.name) + ("" if t.complete else "$^*$")]
            + [" / ".join(_tex_number(values[g, m.key][i], m.digits, marks[g, m.key][i],
                                      t.groups[g].intervals.get(m.key) if g in t.groups else None, intervals)
                          for m in measures)
               for g in groups] for i, t in enumerate(ranked)]
    caption = (f"{tex_escape(short_title(report.benchmark))}, {tex_escape(report.experiment_label)}, "
               f"{plural(len(report.dataset), 'sequence')}: {report.group_caption}.")
    caption += r" Best in \textbf{bold}, second best \underline{underlined}."
    if any(t.groups[g].intervals for t in ranked for g in groups if g in t.groups):
        caption += interval_caption(report, intervals)
    if not all(t.complete for t in ranked):
        caption += r" $^*$incomplete results, below the rule, not ranked."
    label = re.sub(r"[^a-z0-9]+", "-", f"{report.benchmark.name}-{report.experiment}-attributes".lower())
    lines = [f"% rasbench {__version__}; needs \\usepackage{{booktabs}}", r"\begin{table*}[t]", r"\centering",
             r"\footnotesize", r"\setlength{\tabcolsep}{3pt}", r"\begin{tabular}{l" + "c" * len(groups) + "}",
             r"\toprule", " & ".join(["Tracker"] + header) + r" \\", r"\midrule"]
    for i, (t, cells) in enumerate(zip(ranked, body)):
        if i and not t.complete and ranked[i - 1].complete:
            lines.append(r"\midrule")
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\caption{" + caption + "}", r"\label{tab:" + label + "}",
              r"\end{table*}", ""]
    return "\n".join(lines)
