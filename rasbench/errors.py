"""Exceptions with enough context (file, line, frame) to act on without a debugger."""
from __future__ import annotations


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
