"""File-system foundations: safe names, where things live, atomic writes, locks.

* **Names.** Every name that arrives from outside and ends up in a path (a tracker or
  results-folder name, a benchmark or sequence name from a YAML file or an annotation
  file, a channel or file name from a download server) is checked here, once, where it
  enters: it must be one plain path component. That closes path traversal (``../x``,
  ``/etc``), folder nesting (``a/b``), hidden or special entries (``.``, ``..``,
  ``.download``) and line injection into the text files some of these names are written
  to (a newline in a name).
* **Places.** Data is looked for in ``$RASBENCH_DATA`` and the data home, caches go to
  ``$RASBENCH_CACHE``, results to ``$RASBENCH_RESULTS`` (default ``results``).
* **Writes** go to a temporary name beside the target and are renamed into place, so a
  killed process leaves the old file or the new one, never a part.
* **Locks** are ``flock`` on a lock file (which also works on NFS, where a directory
  cannot be locked); a file system without locks only costs the guard, with a warning.
"""
from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from .errors import ConfigError, RasbenchError, ResultsWriteError

log = logging.getLogger("rasbench")

# Characters that are never part of a name: path separators, NUL and other control
# characters, and those Windows forbids in file names (results folders get copied).
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
MAX_NAME_BYTES = 255  # the file-name limit of common file systems
DEFAULT_RESULTS = "results"


def path_component(value: object, what: str, error: type[RasbenchError] = ConfigError) -> str:
    """``value`` if it is safe as one path component, else ``error`` naming ``what``.

    ``what`` says where the name came from (``"tracker name"``, ``"sequence name in
    VOT2017.json"``); the message quotes the value with ``repr`` so invisible characters
    show.
    """
    if not isinstance(value, str):
        raise error(f"{what} must be a string, got {value!r}")
    problem = None
    if not value.strip():
        problem = "it is empty"
    elif value != value.strip():
        problem = "it starts or ends with white space"
    elif value.startswith("."):
        problem = "it starts with '.'"
    elif _FORBIDDEN.search(value):
        problem = "it contains a path separator, a control character or one of : * ? \" < > |"
    elif len(value.encode("utf-8")) > MAX_NAME_BYTES:
        problem = f"it is longer than {MAX_NAME_BYTES} bytes"
    if problem:
        raise error(f"{what} {value!r} cannot name a file or folder: {problem}")
    return value


# --------------------------------------------------------------------------- places
def data_dirs() -> list[Path]:
    """Folders searched for datasets: ``$RASBENCH_DATA`` (``os.pathsep``-separated), then
    ``$XDG_DATA_HOME/rasbench`` or ``~/.local/share/rasbench``."""
    dirs = [Path(p).expanduser() for p in os.environ.get("RASBENCH_DATA", "").split(os.pathsep) if p]
    home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    dirs.append(Path(home) / "rasbench")
    return dirs


def cache_dir() -> Path:
    """``$RASBENCH_CACHE``, else ``$XDG_CACHE_HOME/rasbench`` or ``~/.cache/rasbench``."""
    explicit = os.environ.get("RASBENCH_CACHE")
    if explicit:
        folder, source = Path(explicit).expanduser(), "$RASBENCH_CACHE"
    else:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "rasbench"
        source = "the default cache folder"
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{source} {folder} is a file, not a folder; set RASBENCH_CACHE to a folder")
    return folder


def default_results() -> str:
    """The results root when none is given: ``$RASBENCH_RESULTS``, else ``results``."""
    return os.environ.get("RASBENCH_RESULTS", DEFAULT_RESULTS)


# --------------------------------------------------------------------------- writes
def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it (``.<name>.<random>.tmp``,
    synced, then renamed), with the umask's permissions, creating the folder if needed.
    ``durable=False``: not synced (~2 ms less per file), for cache entries, which a power
    loss can leave empty or torn but never partly right: their readers take such an entry
    for a miss.

    A failure (disk full, a read-only folder, a path under a file) is a
    :class:`~rasbench.errors.ResultsWriteError` naming ``path``; the temporary file is gone.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        while tmp is None:
            candidate = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            tmp = candidate
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise ResultsWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            try:
                tmp.unlink()
            except OSError:
                pass
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """:func:`atomic_write_bytes` of ``text`` in UTF-8."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data) -> Path:
    """:func:`atomic_write_text` of ``data`` as indented JSON with sorted keys."""
    return atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


# --------------------------------------------------------------------------- locks
@contextmanager
def file_lock(path: Path, waiting: Callable[[], None] | None = None, remove: bool = False,
              error: type[RasbenchError] = ResultsWriteError) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created, with its folder) while the block runs.

    ``waiting()`` is called once when another process holds it (this one then waits).
    ``remove``: delete the lock file on release (its folder can then go); a waiter that
    got the lock on a file removed meanwhile locks the path afresh. A lock file that
    cannot be created is ``error``; a file system without locks gives a warning and no
    lock.
    """
    import fcntl

    path = Path(path)
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError as exc:
            if remove:  # the folder went away between the two calls: another holder removed it
                continue
            raise error(f"cannot write {path}: {exc.strerror or exc}") from None
        except OSError as exc:
            raise error(f"cannot write {path}: {exc.strerror or exc}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if waiting is not None:
                    waiting()
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                log.warning("cannot lock %s (%s): concurrent writers are not detected", path, exc.strerror or exc)
            if not remove:
                break
            try:
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        if remove:
            path.unlink(missing_ok=True)  # before unlocking: a waiter then sees its file is gone
        os.close(fd)  # releases the lock
