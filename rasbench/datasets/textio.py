"""Reading the numeric text files trackers and toolkits write (boxes, times, tags).

One box per line, values separated by commas, tabs or spaces (OTB mixes all three).
Trailing blank lines are fine; a blank line *between* boxes is an error, because
skipping it would shift every later frame by one.

Every file is opened without blocking and read only when it is a regular file (a FIFO
or a link to ``/dev/zero`` in somebody's results folder must not hang or exhaust a
report), and result files only up to :func:`size_bound` of the lines they should hold.
"""
from __future__ import annotations

import json
import os
import stat
import zlib
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from ..text import plural

_TRANSLATE = str.maketrans({",": " ", "\t": " ", ";": " "})

# The size bound of a result file: a generous line (a 60-point polygon at full double
# precision) per frame, plus slack for trailing whitespace and comments.
BYTES_PER_LINE = 1024
SLACK_BYTES = 64 * 1024

_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class RefusedFile(DatasetError):
    """A file that is not read at all: not a regular file, or larger than its bound."""


def size_bound(lines: int) -> int:
    """The most bytes a file of ``lines`` lines (one per frame) may have: ``BYTES_PER_LINE``
    per line plus ``SLACK_BYTES``."""
    return int(lines) * BYTES_PER_LINE + SLACK_BYTES


def read_bytes(path: Path, what: str, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file, refusing anything else without blocking on it; a
    ``.gz`` file's decompressed bytes (gzip-compressed result files, as shared LaSOT results).

    ``max_bytes``: refuse a larger file (:class:`RefusedFile`) instead of reading it
    (for a ``.gz`` file: larger once decompressed, found without decompressing more).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: opening a FIFO would wait for a writer
    except FileNotFoundError:
        raise DatasetError(f"{what} file is missing", path) from None
    except OSError as exc:
        raise DatasetError(f"cannot read {what} file: {exc.strerror}", path) from None
    try:
        info = os.fstat(fd)  # of what was opened, not of the name (no race with a swap)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _FILE_KINDS if test(info.st_mode)), "a special file")
            raise RefusedFile(f"{what} file is not a regular file ({kind}); only regular files are read", path)
        data = _read_to_end(fd, info.st_size, None if max_bytes is None else max_bytes + 1, what, path)
    finally:
        os.close(fd)
    _check_size(data, max_bytes, what, path)
    if Path(path).suffix == ".gz":
        data = _gunzip(data, path, what, max_bytes)
        _check_size(data, max_bytes, what, path)
    return data


def _read_to_end(fd: int, size: int, limit: int | None, what: str, path: Path) -> bytes:
    """All bytes of an open regular file of ``size`` bytes (more or fewer if it changes
    meanwhile), at most ``limit``. os.read, not a file object: ~20 us less per file, which
    is 0.4 s of a 20,000-file report."""
    chunks, total, ask = [], 0, size + 1  # one read takes it all; the next finds the end
    while limit is None or total < limit:
        try:
            chunk = os.read(fd, ask if limit is None else min(ask, limit - total))
        except OSError as exc:
            raise DatasetError(f"cannot read {what} file: {exc.strerror}", path) from None
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        ask = max(ask, 1 << 16)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _check_size(data: bytes, max_bytes: int | None, what: str, path: Path) -> None:
    if max_bytes is not None and len(data) > max_bytes:
        lines = (max_bytes - SLACK_BYTES) // BYTES_PER_LINE
        raise RefusedFile(f"{what} file is larger than expected: more than the {max_bytes} bytes allowed for "
                          f"{lines} lines ({BYTES_PER_LINE} per line + {SLACK_BYTES}); not read", path)


def _gunzip(data: bytes, path: Path, what: str, max_bytes: int | None) -> bytes:
    """The decompressed bytes of a gzip file (several members allowed), at most ``max_bytes + 1``."""
    out = []
    size = 0
    limit = None if max_bytes is None else max_bytes + 1
    try:
        while data:
            member = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip header and trailer
            out.append(member.decompress(data, 0 if limit is None else limit - size))
            size += len(out[-1])
            if limit is not None and size >= limit:
                break
            if not member.eof:
                raise DatasetError(f"{what} file is a truncated gzip file", path)
            data = member.unused_data
    except zlib.error as exc:
        raise DatasetError(f"{what} file is not a valid gzip file ({exc})", path) from None
    return b"".join(out)


def read_text(path: Path, what: str, max_bytes: int | None = None) -> str:
    return _decode(read_bytes(path, what, max_bytes), what, path)


def _decode(data: bytes, what: str, path: Path) -> str:
    """A file's bytes as UTF-8 text; :class:`DatasetError` naming the first bad byte."""
    try:
        return data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{what} file is not text ({exc.reason} at byte {exc.start})", path) from None


def _gt_rows_as_array(entry: dict) -> dict:
    """An entry's ``gt_rect`` rows as one (N, K) float64 array, where they convert as
    ``np.array(rows, dtype=np.float64)`` would; else left as decoded."""
    rows = entry.get("gt_rect")
    if isinstance(rows, list) and rows:
        try:
            array = np.array(rows, dtype=np.float64)
        except (ValueError, TypeError):
            return entry
        if array.ndim == 2:
            entry["gt_rect"] = array
    return entry


def read_pysot_json(path: Path, boxes_as_arrays: bool = False) -> dict:
    """A pysot dataset JSON (``OTB100.json``, ``VOT2018.json``): {sequence: entry}.

    ``boxes_as_arrays``: each entry's ``gt_rect`` becomes an array as soon as the entry is
    decoded, so a LaSOT-sized file (2.8 M boxes) never holds all its boxes as Python floats
    at once (first LaSOT-sized report: peak 236 -> 151 MB)."""
    try:
        data = json.loads(read_text(path, "pysot dataset JSON"),
                          object_hook=_gt_rows_as_array if boxes_as_arrays else None)
    except ValueError as exc:
        raise DatasetError(f"cannot read pysot dataset JSON: {exc}", path) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise DatasetError("not a pysot dataset JSON (expected {sequence: {\"gt_rect\": ...}, ...})", path)
    return data


def pysot_json_style(data: dict) -> str:
    """What the entries of a pysot dataset JSON hold: "VOT-style polygons" when some
    ``gt_rect`` row has 6 or more values, else "OTB-style boxes" (by content, whatever
    the file's name)."""
    polygons = any(_polygon_rows(entry.get("gt_rect")) for entry in data.values())
    return "VOT-style polygons" if polygons else "OTB-style boxes"


def _polygon_rows(rows) -> bool:
    """Whether some row of a ``gt_rect`` (decoded lists, or an array from ``boxes_as_arrays``)
    has 6 or more values."""
    if isinstance(rows, np.ndarray):
        return rows.ndim == 2 and rows.shape[1] >= 6
    if not isinstance(rows, list):  # not rows at all: the loader reports the entry as malformed
        return False
    return any(isinstance(row, (list, tuple)) and len(row) >= 6 for row in rows)


def wrong_pysot_json(path: Path, data: dict, benchmark: str) -> DatasetError:
    """The error for a pysot JSON that holds none of ``benchmark``'s sequences."""
    return DatasetError(f"{path} holds {pysot_json_style(data)} for {plural(len(data), 'sequence')}, none of them "
                        f"{benchmark}'s; is it the right file?")


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


def read_rows(path: Path, columns: int | None, what: str = "box", max_bytes: int | None = None) -> np.ndarray:
    """The rows of one numeric text file (see :func:`parse_rows`); raises :class:`DatasetError`."""
    data = read_bytes(path, what, max_bytes)
    rows = parse_plain(data, columns)
    return rows if rows is not None else parse_rows(_decode(data, what, path), columns, path, what)


def format_rows(rows: np.ndarray, fmt: str = "%.3f", delimiter: str = ",") -> str:
    """Format boxes the way got10k/pysot write them (``%.3f``, comma separated).

    NaN and inf are written as ``nan``/``inf`` so a bad output is stored as returned.
    """
    rows = np.asarray(rows, dtype=np.float64)
    if rows.ndim == 1:
        rows = rows[:, None]
    line_fmt = delimiter.join([fmt] * rows.shape[1])
    return "".join(line_fmt % tuple(row) + "\n" for row in rows)


_BYTES_TRANSLATE = bytes.maketrans(b",\t;", b"   ")
_BULK_MIN_BYTES = 1 << 18  # below this, parsing file by file is as fast
# The only bytes a file of the one-pass parse may hold: those loadtxt and the line parser read
# alike. Anything else (letters of nan / inf / exponents, \r and the other line breaks of
# str.splitlines that loadtxt takes for spaces, non-ASCII bytes: the line parser reads UTF-8)
# sends the file to the line parser, which names what is wrong.
_BULK_BYTES = b"0123456789.+-,;\t \n"


def _compiled_parser():
    """rasbench._textparse.parse_rows (built from _textparse.c when the install found a C
    compiler), or None: without it, or with a build of another version, numpy's reader does
    its work."""
    try:
        from .._textparse import VERSION, parse_rows
    except ImportError:
        return None
    return parse_rows if VERSION == 2 else None


_COMPILED = _compiled_parser()


def parse_plain(data: bytes, columns: int) -> np.ndarray | None:
    """The (N, columns) float64 rows of a file's bytes, parsed by the compiled parser; None
    when it is not built, or the text is empty or not plain rows of numbers (then
    :func:`parse_rows` reads it and names what is wrong). The same doubles as float() of
    each token: 5-12x faster than numpy's reader, by machine (tests check both)."""
    if _COMPILED is None or columns is None:
        return None
    values = _COMPILED(data, columns)
    return None if values is None else np.frombuffer(values, dtype=np.float64).reshape(-1, columns)


def read_many(paths: list[Path], columns: int, what: str = "box", lines: list[int] | None = None) -> list:
    """Parse many numeric text files; returns, per path, an array or a DatasetError.

    ``lines``: the number of lines each file should hold; a file larger than
    :func:`size_bound` of it is refused unread.

    Scoring a benchmark means parsing ~10^6 lines (18 trackers x OTB-100), where Python's
    float() dominates. Plain files are therefore parsed in C: by :func:`parse_plain` one by
    one where rasbench's parser is built, else joined and parsed in one pass by numpy's C
    text reader (``np.loadtxt``: the same doubles as float(), tests check it; as fast as
    pandas' reader with half its memory, and no 0.3 s pandas import). Any file that could
    hide a problem from those (blank lines, wrong widths, bad tokens) is parsed by
    :func:`parse_rows`, which names the bad line, so every path accepts exactly the same
    files with the same values.
    """
    results: list = [None] * len(paths)
    texts: dict[int, bytes] = {}
    for i, path in enumerate(paths):
        try:
            texts[i] = read_bytes(path, what, None if lines is None else size_bound(lines[i]))
        except DatasetError as exc:
            results[i] = exc
    if _COMPILED is not None:
        for i, text in texts.items():
            results[i] = parse_plain(text, columns)
    else:
        stripped = {i: t.rstrip() for i, t in texts.items()}
        bulk = [i for i, t in stripped.items() if t and not t.translate(None, _BULK_BYTES)]  # one C pass per file
        if sum(len(stripped[i]) for i in bulk) >= _BULK_MIN_BYTES:
            parsed = _parse_joined([stripped[i] for i in bulk], columns)
            if parsed is not None:
                for i, rows in zip(bulk, parsed):
                    results[i] = rows
    for i, text in texts.items():
        if results[i] is None:
            results[i] = _parse_or_error(text, columns, paths[i], what)
    return results


def _parse_or_error(data: bytes, columns: int | None, path: Path, what: str):
    """:func:`parse_rows` of a file's bytes: its rows, or the DatasetError naming what is wrong."""
    try:
        return parse_rows(_decode(data, what, path), columns, path, what)
    except DatasetError as exc:
        return exc


def _parse_joined(texts: list[bytes], columns: int) -> list[np.ndarray] | None:
    """One C-level parse of the joined files, or None when any check fails."""
    import io

    line_counts = [t.count(b"\n") + 1 for t in texts]
    joined = b"\n".join(texts).translate(_BYTES_TRANSLATE)
    try:
        # latin1: the text is ASCII, and numpy skips its per-token byte converters (~30 % faster than "bytes")
        rows = np.loadtxt(io.BytesIO(joined), dtype=np.float64, comments=None, ndmin=2, encoding="latin1")
    except ValueError:  # a token that is no number, or lines of different widths
        return None
    # loadtxt skips blank lines (and lines of separators only): the count tells
    if rows.shape != (sum(line_counts), columns):
        return None
    return np.split(rows, np.cumsum(line_counts)[:-1])
