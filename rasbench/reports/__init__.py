"""Presentation: a report model as text, CSV, JSON, LaTeX and HTML, and the report folder
that keeps them while their inputs are unchanged.

* :mod:`~rasbench.reports.text`: terminal table, CSV, JSON;
* :mod:`~rasbench.reports.latex`, :mod:`~rasbench.reports.html`: publishable tables and the HTML report;
* :mod:`~rasbench.reports.published`: other people's published numbers;
* :mod:`~rasbench.reports.build`: ``rasbench report --out DIR`` (what to rebuild, the output cache, the lock).
"""

OUTPUT_FORMATS = ("table", "json", "csv", "latex", "html")  # what `report --format` accepts
RENDER_VERSION = 4  # bump when an output's content changes for the same inputs
