"""Exceptions with enough context (file, line, frame) to act on without a debugger."""
from __future__ import annotations

from contextlib import contextmanager

# Optional dependencies (top-level module) and the extra of setup.cfg that installs each.
# got10k 0.1.3 imports six without declaring it; the got10k extra adds it.
EXTRAS = {"torch": "torch", "scipy": "matconvnet", "got10k": "got10k", "six": "got10k", "ray": "ray"}


class RasbenchError(Exception):
    """Base class: every error the toolkit raises on purpose derives from it."""


class ConfigError(RasbenchError):
    """A benchmark definition, convention or command-line value is wrong."""


class DatasetError(RasbenchError):
    """A dataset is missing, incomplete or malformed.

    ``path`` and ``line`` (1-based) name the offending file and line where known.
    """

    def __init__(self, message: str, path=None, line: int | None = None):
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)


class TrackerError(RasbenchError):
    """A tracker could not be created, or failed while tracking a sequence."""

    def __init__(self, message: str, sequence: str | None = None, frame: int | None = None):
        self.sequence = sequence
        self.frame = frame
        where = ""
        if sequence is not None:
            where = f"sequence {sequence}"
            if frame is not None:
                where += f", frame {frame}"
            where += ": "
        super().__init__(where + message)


class ResultsError(RasbenchError):
    """A results folder or result file cannot be used as asked."""


class ResultsWriteError(ResultsError):
    """The results folder cannot be written (disk full, read-only, not a folder): a run stops,
    since nothing it does could be recorded."""


@contextmanager
def optional_dependency(needed_by: str):
    """Imports inside the block that fail for want of an optional dependency become a
    :class:`ConfigError` naming the extra that installs it::

        with optional_dependency("tracker 'rasnet'"):
            import torch
        # error: tracker 'rasnet' needs torch, which is not installed: pip install "rasbench[torch]"

    Other import errors (a module of no extra missing, a broken install) pass unchanged.
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        module = (exc.name or "").partition(".")[0]
        if module not in EXTRAS:
            raise
        raise ConfigError(f"{needed_by} needs {module}, which is not installed: "
                          f"pip install \"rasbench[{EXTRAS[module]}]\"") from exc
