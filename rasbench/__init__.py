"""rasbench: visual object tracking benchmarks with exact reference conventions.

The Python API (the CLI commands call the same functions)::

    import rasbench
    runs = rasbench.run(MyTracker(), "otb2015", experiment="ope", root="~/data/OTB100")  # or "mil", "file.py:C"
    report = rasbench.evaluate("otb2015", results="results", convention="official")
    report.table()           # pandas DataFrame, one row per tracker (measures as columns)
    report["KCF"].sequences  # per-sequence scores {sequence: {measure: value}}
    report.plot("success")   # matplotlib Figure

Importing this package is cheap (no numpy even); torch, matplotlib, pandas and OpenCV
load when a feature needs them. The types below load on first use.
"""
from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__
from .api import evaluate, run

# Public types, imported on first access (PEP 562): name -> module.
_LAZY = {
    "Report": "evaluation.model",
    "TrackerResult": "evaluation.model",
    "Measure": "evaluation.model",
    "RunSummary": "runner.units",
    "Tracker": "tracker",
    "Prediction": "tracker",
    "RasbenchError": "errors",
    "ConfigError": "errors",
    "DatasetError": "errors",
    "ResultsError": "errors",
    "TrackerError": "errors",
}

__all__ = ["__version__", "run", "evaluate", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'rasbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
