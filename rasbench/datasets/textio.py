"""Reading the numeric text files trackers and toolkits write (boxes, times, tags).

One box per line, values separated by commas, tabs or spaces (OTB mixes all three).
Trailing blank lines are fine; a blank line *between* boxes is an error, because
skipping it would shift every later frame by one.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DatasetError

_TRANSLATE = str.maketrans({",": " ", "\t": " ", ";": " "})


def read_text(path: Path, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="strict")
    except FileNotFoundError:
        raise DatasetError(f"{what} file is missing", path) from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{what} file is not text ({exc.reason} at byte {exc.start})", path) from None
    except OSError as exc:
        raise DatasetError(f"cannot read {what} file: {exc.strerror}", path) from None


def parse_rows(text: str, columns: int | None, path, what: str = "box") -> np.ndarray:
    """Parse ``text`` into a float array with ``columns`` values per line.

    ``columns=None`` accepts any constant width. Raises :class:`DatasetError` naming
    the first bad line.
    """
    lines = text.rstrip().translate(_TRANSLATE).splitlines() if text.strip() else []
    split = [line.split() for line in lines]
    width = columns or (len(split[0]) if split else 0)
    if all(len(values) == width for values in split):
        try:
            return np.array(split, dtype=np.float64).reshape(len(split), width)
        except ValueError:
            pass  # a non-numeric token: find it below
    lines = text.rstrip().splitlines()
    rows = []
    width = columns
    for number, line in enumerate(lines, start=1):
        values = line.translate(_TRANSLATE).split()
        if not values:
            raise DatasetError("empty line inside the file (every later frame would shift by one)", path, number)
        try:
            row = [float(v) for v in values]
        except ValueError:
            raise DatasetError(f"not a number in {line.strip()!r}", path, number) from None
        if width is None:
            width = len(row)
        if len(row) != width:
            raise DatasetError(f"expected {width} values, got {len(row)} in {line.strip()!r}", path, number)
        rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(len(rows), width or 0)


def read_rows(path: Path, columns: int | None, what: str = "box") -> np.ndarray:
    return parse_rows(read_text(path, what), columns, path, what)


def format_rows(rows: np.ndarray, fmt: str = "%.3f", delimiter: str = ",") -> str:
    """Format boxes the way got10k/pysot write them (``%.3f``, comma separated).

    NaN and inf are written as ``nan``/``inf`` so a bad output is stored as returned.
    """
    rows = np.asarray(rows, dtype=np.float64)
    if rows.ndim == 1:
        rows = rows[:, None]
    line_fmt = delimiter.join([fmt] * rows.shape[1])
    return "".join(line_fmt % tuple(row) + "\n" for row in rows)
