"""Downloading benchmark data: HTTP with resume, archive checks, atomic extraction.

The OTB site serves one zip archive per sequence folder (``Jogging.zip`` holds both
Jogging targets) and publishes no checksums, so an archive is trusted only once every
member's CRC checks out, its sha256 matches where one is known, and the extracted
folder loads with every frame and ground-truth line the sequence table asks for.

Work in progress lives in ``<root>/.download/``: ``<folder>.zip.part`` while the
transfer runs (a later run resumes it with an HTTP ``Range`` request), ``<folder>.zip``
once complete, ``<folder>.tmp/`` while extracting. A folder appears in ``<root>`` only
after all checks pass, in one ``os.replace``. A folder being installed is locked
(``<folder>.lock``, ``fcntl.flock``), so a second download into the same root waits for
it and then finds the folder complete.

Nothing a server says is trusted with the file system: names from a VOT
``description.json`` (channels, ``uid``, frame patterns) and every member name in an
archive must be one plain path component (:func:`rasbench.paths.path_component`); an
archive may unpack to at most :class:`UnpackLimits` (zip bombs); a transfer slower than
``min_rate`` or past its ``deadline`` is abandoned.

:func:`fetch`, :func:`verify_checksum` and :func:`safe_extract`
know nothing about OTB, so other downloaders (VOT's per-sequence archives) can reuse them.
"""
from __future__ import annotations

import hashlib
import http.client
import logging
import math
import os
import re
import shutil
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from ..config.benchmarks import BenchmarkDef, SequenceSpec
from ..errors import ConfigError, DatasetError, RasbenchError
from ..paths import file_lock, path_component
from ..text import plural
from .images import IMAGE_SUFFIXES
from .otb import load_native, normalise_name

log = logging.getLogger(__name__)

PARTIAL_DIR = ".download"
CHUNK_SIZE = 1 << 16
DEFAULT_TIMEOUT = 60.0  # seconds to connect, and to wait for each read
DEFAULT_MIN_RATE = 1024.0  # bytes/s, averaged over RATE_WINDOW
RATE_WINDOW = 30.0  # seconds
USER_AGENT = "rasbench-download"
URL_SCHEMES = ("http", "https", "ftp", "file")  # what urllib fetches
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")
_RETRY_STATUS = {408, 429}  # besides 5xx: the server asks to try again later


class DownloadError(DatasetError):
    """A file could not be fetched (HTTP error, network failure, wrong checksum)."""


class _TransientError(Exception):
    """A failure worth another attempt: connection lost, timeout, 5xx, short transfer."""


# --- HTTP with resume ---------------------------------------------------------------

def fetch(url: str, dest: Path, *, expected_sha256: str | None = None, retries: int = 3,
          timeout: float = DEFAULT_TIMEOUT, min_rate: float = DEFAULT_MIN_RATE, deadline: float | None = None,
          max_bytes: int | None = None, backoff: float = 1.0, progress: bool = False,
          label: str | None = None) -> Path:
    """Download ``url`` to ``dest``, resuming ``<dest>.part`` left by an earlier attempt.

    Transient failures are retried up to ``retries`` times, waiting ``backoff * 2**k``
    seconds before retry ``k``; each retry resumes where the previous one stopped. The
    received length is checked against the server's Content-Length / Content-Range.
    An existing ``dest`` counts as already fetched. On a sha256 mismatch ``dest`` is
    deleted. Raises :class:`DownloadError`; the ``.part`` file is kept after network
    failures (so the next call resumes) and deleted after permanent HTTP errors.

    Bounds, so that no server can hold a download forever: ``timeout`` seconds to
    connect and for each read; an attempt receiving less than ``min_rate`` bytes/s over
    :data:`RATE_WINDOW` seconds is abandoned (and retried; 0 turns this off); after
    ``deadline`` seconds (all attempts together; None: none) the file is given up. A file
    larger than ``max_bytes`` is refused and its ``.part`` deleted.
    """
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    if not dest.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        give_up_at = None if deadline is None else time.monotonic() + deadline
        for attempt in range(max(retries, 0) + 1):
            if attempt:
                time.sleep(backoff * 2 ** (attempt - 1))
            try:
                _transfer(url, part, timeout=timeout, min_rate=min_rate, give_up_at=give_up_at,
                          max_bytes=max_bytes, progress=progress, label=label or dest.name)
                break
            except _TransientError as exc:
                reason = str(exc)
            if give_up_at is not None and time.monotonic() >= give_up_at:
                raise DownloadError(f"not fetched within the deadline of {deadline:g} s ({reason}); the next "
                                    "run resumes it", url)
        else:
            raise DownloadError(f"gave up after {plural(attempt + 1, 'attempt')}: {reason}", url)
        os.replace(part, dest)
    if expected_sha256:
        try:
            verify_checksum(dest, expected_sha256, "sha256")
        except DatasetError:
            dest.unlink(missing_ok=True)
            raise
    return dest


def _transfer(url: str, part: Path, *, timeout: float, min_rate: float, give_up_at: float | None,
              max_bytes: int | None, progress: bool, label: str) -> None:
    """One attempt: append to ``part`` (or restart it) until it holds the whole file."""
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        _handle_http_error(exc, url, part, offset)
        return  # a 416 for a part that was already complete
    except (OSError, http.client.HTTPException) as exc:  # URLError, refused, timeout
        raise _TransientError(f"cannot reach {url}: {getattr(exc, 'reason', exc)}") from exc

    with response:
        if response.status == 206:
            start, total = _parse_content_range(response.headers.get("Content-Range"))
            if start != offset:
                part.unlink(missing_ok=True)
                raise _TransientError(f"server resumed at byte {start}, not {offset}; restarting")
            mode = "ab"
        else:  # 200: the whole file, also when the server ignored our Range header
            offset, mode = 0, "wb"
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        if max_bytes is not None and total is not None and total > max_bytes:
            part.unlink(missing_ok=True)
            raise DownloadError(f"the server announces {total} bytes, more than the limit of {max_bytes} "
                                f"(--max-unpacked)", url)
        window_start, window_bytes = time.monotonic(), 0
        with open(part, mode) as out, tqdm(total=total, initial=offset, unit="B", unit_scale=True,
                                           unit_divisor=1024, desc=label, disable=not progress,
                                           leave=False) as bar:
            while True:
                try:
                    # read1: return what has arrived, so the clock is checked even on a trickle
                    chunk = response.read1(CHUNK_SIZE)
                except (OSError, http.client.HTTPException) as exc:
                    raise _TransientError(f"connection lost: {exc!r}") from exc
                if not chunk:
                    break
                out.write(chunk)
                bar.update(len(chunk))
                offset += len(chunk)
                if max_bytes is not None and offset > max_bytes:
                    out.close()
                    part.unlink()
                    raise DownloadError(f"more than {max_bytes} bytes sent: the limit (--max-unpacked)", url)
                now = time.monotonic()
                if give_up_at is not None and now >= give_up_at:
                    raise _TransientError(f"stopped at byte {offset}")
                window_bytes += len(chunk)
                if now - window_start >= RATE_WINDOW:
                    rate = window_bytes / (now - window_start)
                    if rate < min_rate:
                        raise _TransientError(f"{rate:.0f} B/s over the last {now - window_start:.0f} s, below "
                                              f"the minimum of {min_rate:g} B/s (--min-rate)")
                    window_start, window_bytes = now, 0

    size = part.stat().st_size
    if total is not None and size != total:
        if size > total:  # not a prefix of this file: only a fresh start can fix it
            part.unlink()
        raise _TransientError(f"transfer stopped at {size} of {total} bytes")


def _handle_http_error(exc: urllib.error.HTTPError, url: str, part: Path, offset: int) -> None:
    """Return if a 416 shows ``part`` is complete; otherwise raise the right error."""
    with exc:
        status, content_range = exc.code, exc.headers.get("Content-Range")
    if status == 416 and offset:
        _, total = _parse_content_range(content_range)
        if total == offset:
            return
        part.unlink()  # larger than the file, or a different file: start over
        raise _TransientError(f"server refused to resume at byte {offset} (size {total}); restarting")
    if status >= 500 or status in _RETRY_STATUS:
        raise _TransientError(f"HTTP {status} {exc.reason} for {url}")
    part.unlink(missing_ok=True)
    raise DownloadError(f"HTTP {status} {exc.reason}", url)


def _parse_content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/1000`` -> (100, 1000); ``bytes */1000`` -> (None, 1000)."""
    match = _CONTENT_RANGE.fullmatch((value or "").strip())
    if match is None:
        return None, None
    start, _, total = match.groups()
    return (int(start) if start else None), (int(total) if total != "*" else None)


# --- verification and extraction ----------------------------------------------------

def verify_checksum(path: Path, expected: str, algorithm: str = "sha256") -> None:
    """Raise :class:`DownloadError` unless ``path``'s digest equals ``expected`` (hex)."""
    with open(path, "rb") as f:
        actual = hashlib.file_digest(f, algorithm).hexdigest()
    if actual.lower() != expected.strip().lower():
        raise DownloadError(f"{algorithm} mismatch: expected {expected}, got {actual}", path)


@dataclass(frozen=True)
class UnpackLimits:
    """How much one archive may unpack to: refuses zip bombs before they fill the disk.

    An archive may unpack to at most ``max_ratio`` times its own size and never more than
    ``max_bytes`` (which also bounds the download itself), in at most ``max_members``
    members. Benchmark archives hold JPEG frames (about 1x) and annotation text (a few x).
    """

    max_ratio: float = 100.0
    max_bytes: int = 4 << 30
    max_members: int = 100_000

    def budget(self, archive_size: int) -> int:
        """The most bytes an archive of ``archive_size`` bytes may unpack to."""
        return min(self.max_bytes, int(self.max_ratio * archive_size))


def safe_extract(path: Path, dest: Path, limits: UnpackLimits = UnpackLimits()) -> None:
    """Extract a zip archive into ``dest``, checking every member's CRC on the way.

    Refused, with :class:`DownloadError` naming the archive (and the member): more members
    or more unpacked bytes than ``limits`` allow (the sizes the archive declares are checked
    first, and the bytes actually written are counted, as declarations can lie); a member
    name that is absolute or has a part that is not a plain path component (``..``, a drive,
    a backslash, a control character); a symbolic link or other special file; a corrupt
    member. macOS metadata (``__MACOSX/``, names starting with ``.``) is left out. ``dest``
    may hold part of the archive after a failure: extract into a scratch folder.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > limits.max_members:
                raise DownloadError(f"{len(members)} members, more than the limit of {limits.max_members}", path)
            wanted = [(info, parts) for info in members if (parts := _member_parts(info, path))]
            budget = limits.budget(path.stat().st_size)
            declared = sum(info.file_size for info, _ in wanted)
            if declared > budget:
                raise DownloadError(_too_big(f"declares {declared} unpacked bytes", budget, limits), path)
            written = 0
            for info, parts in wanted:
                target = dest.joinpath(*parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with archive.open(info) as member, open(target, "wb") as out:
                        while chunk := member.read(CHUNK_SIZE):
                            written += len(chunk)
                            if written > budget:
                                raise DownloadError(_too_big("unpacks to more bytes than it declares", budget,
                                                             limits), path)
                            out.write(chunk)
                except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                    raise DownloadError(f"corrupt archive: member {info.filename}: {exc}", path) from None
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"not a valid zip archive: {exc}", path) from None


def _too_big(what: str, budget: int, limits: UnpackLimits) -> str:
    return (f"refused as a possible zip bomb: it {what}, more than the limit of {budget} bytes "
            f"({limits.max_ratio:g} x its size, at most {limits.max_bytes}; raise --max-unpack-ratio / "
            "--max-unpacked if it is genuine)")


def _member_parts(info: zipfile.ZipInfo, archive: Path) -> tuple[str, ...]:
    """The path parts ``info`` extracts to; () for macOS metadata, which is left out."""
    name = info.filename
    parts = tuple(name[:-1].split("/") if info.is_dir() else name.split("/"))
    if parts[0] == "__MACOSX" or any(part.startswith(".") and part not in (".", "..") for part in parts):
        return ()
    file_type = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0  # 3: made on Unix
    if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
        kind = "a symbolic link" if file_type == stat.S_IFLNK else "a special file"
        raise DownloadError(f"refusing member {name!r}: {kind}, not a plain file or folder", archive)
    if re.match(r"[A-Za-z]:", name):
        raise DownloadError(f"refusing unsafe member {name!r}: a drive letter", archive)
    for part in parts:
        path_component(part, f"refusing unsafe member {name!r}: its part", DownloadError)
    return parts


# --- OTB benchmarks -----------------------------------------------------------------

@dataclass
class DownloadReport:
    """What :func:`download_benchmark` did, per sequence folder."""

    root: Path
    downloaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # folder -> reason
    targets: dict[str, list[str]] = field(default_factory=dict)  # folder -> its target names

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        total = len(self.downloaded) + len(self.skipped) + len(self.failed)
        lines = [f"{total - len(self.failed)} of {plural(total, 'sequence folder')} ready in {self.root}"]
        if self.downloaded:
            lines.append(f"  downloaded: {', '.join(self.downloaded)}")
        if self.skipped:
            lines.append(f"  already complete (skipped): {', '.join(self.skipped)}")
        if self.failed:
            lines.append(f"  FAILED ({len(self.failed)}):")
            for folder, reason in self.failed.items():
                names = self.targets.get(folder, [folder])
                shown = folder if names == [folder] else f"{folder} ({', '.join(names)})"
                lines.append(f"    {shown}: {reason}")
            partial = self.root / PARTIAL_DIR
            if partial.is_dir():
                lines.append(f"  partial downloads in {partial} resume on the next run")
        return "\n".join(lines)


def _check_url(url: str, what: str) -> None:
    """ConfigError unless ``url`` has a scheme urllib fetches (a mistyped ``--url`` fails here,
    not once per sequence)."""
    if urllib.parse.urlsplit(url).scheme.lower() not in URL_SCHEMES:
        raise ConfigError(f"{what} {url!r} is not a URL ({', '.join(s + '://' for s in URL_SCHEMES)})")


def download_benchmark(benchmark: BenchmarkDef, root, *, url_template: str | None = None,
                       sequences=None, retries: int = 3, timeout: float = DEFAULT_TIMEOUT,
                       min_rate: float = DEFAULT_MIN_RATE, deadline: float | None = None,
                       unpack: UnpackLimits = UnpackLimits(), progress: bool = True,
                       checksums: dict[str, str] | None = None, backoff: float = 1.0) -> DownloadReport:
    """Fetch, verify and unpack the per-folder archives of an OTB-format benchmark.

    ``sequences`` picks targets by name (aliases and folder names work too); a target's
    whole folder is fetched, so ``Jogging-1`` brings ``Jogging-2`` along. Folders that
    already load completely are skipped without touching the network. A failing folder
    is recorded in the report and the next one is tried; only a bad call raises
    (:class:`ConfigError`). ``timeout``, ``min_rate`` and ``deadline`` bound each file's
    transfer (see :func:`fetch`), ``unpack`` each archive's contents.
    """
    fetch_options = dict(retries=retries, timeout=timeout, min_rate=min_rate, deadline=deadline,
                         max_bytes=unpack.max_bytes, backoff=backoff, progress=progress)
    if Path(root).exists() and not Path(root).is_dir():
        raise ConfigError(f"{root} is a file, not a folder to download into")
    downloader = DOWNLOADERS.get(benchmark.format)
    if benchmark.download.get("where") and not (url_template or benchmark.download.get("url")):
        raise ConfigError(f"{benchmark.name} is not downloaded by rasbench; {benchmark.download['where']}")
    if downloader is None:
        registration = benchmark.download.get("registration")
        if registration:
            raise ConfigError(f"{benchmark.name} has no direct download; get it from {registration}, then "
                              f"`rasbench datasets --root DIR` checks your copy")
        raise ConfigError(f"{benchmark.name}: {benchmark.format!r} benchmarks are not downloaded "
                          f"(the synthetic one is generated: `rasbench synth`)")
    return downloader(benchmark, root, url_template, sequences, unpack, checksums, **fetch_options)


def where_to_get(benchmark: BenchmarkDef) -> str:
    """How to get a benchmark's data: the definition's ``download: where`` text (sources
    rasbench cannot download from) or ``registration`` page, else the download command."""
    download = benchmark.download
    if download.get("where"):
        return str(download["where"])
    if download.get("registration"):
        return f"get it from {download['registration']}"
    return f"rasbench download {benchmark.name} --root DIR"


def download_otb(benchmark: BenchmarkDef, root, url_template: str | None, sequences, unpack: UnpackLimits,
                 checksums: dict[str, str] | None, **fetch_options) -> DownloadReport:
    """The OTB layout: one archive per sequence folder from the definition's URL template,
    checked against its sha256 where the definition (or ``checksums``) knows it."""
    template = url_template or benchmark.download.get("url")
    if not template or "{folder}" not in template:
        raise ConfigError(f"{benchmark.name}: no download URL template with '{{folder}}' "
                          f"(got {template!r})")
    _check_url(template, f"{benchmark.name}: download URL template")
    known_sha256 = {**(benchmark.download.get("sha256") or {}), **(checksums or {})}
    malformed = [f for f, digest in known_sha256.items() if not _is_sha256(digest)]
    if malformed:  # e.g. an unquoted all-digit hash that YAML read as a number
        raise ConfigError(f"{benchmark.name}: sha256 for {', '.join(malformed)} is not 64 hex digits "
                          f"(quote it in YAML)")
    root = Path(root)
    folders = _select_folders(benchmark, sequences)
    report = DownloadReport(root, targets={f: list(specs) for f, specs in folders.items()})
    for folder, specs in folders.items():
        if _is_complete(root, folder, specs):
            report.skipped.append(folder)
            continue
        url = template.format(folder=urllib.parse.quote(folder))
        try:
            with _install_lock(root / PARTIAL_DIR, folder):
                if _is_complete(root, folder, specs):  # another download installed it while we waited
                    report.skipped.append(folder)
                    continue
                _install_folder(url, root, folder, specs, known_sha256.get(folder), unpack, **fetch_options)
        except (RasbenchError, OSError) as exc:  # OSError: disk full, permissions
            report.failed[folder] = str(exc)
        else:
            report.downloaded.append(folder)
    _remove_if_empty(root / PARTIAL_DIR)
    return report


def _install_lock(partial: Path, name: str):
    """Hold ``<partial>/<name>.lock`` while ``name`` is fetched and installed: a second
    download of ``name`` into the same root waits here. The lock file is removed on
    release, so ``.download/`` can go once empty."""
    def waiting():
        log.warning("%s is being installed by another download into %s; waiting for it", name, partial.parent)

    return file_lock(partial / f"{name}.lock", waiting, remove=True, error=DatasetError)


def _select_folders(benchmark: BenchmarkDef, names) -> dict[str, dict[str, SequenceSpec]]:
    """Folder -> {target name: spec} for the requested targets, in benchmark order."""
    by_folder: dict[str, dict[str, SequenceSpec]] = {}
    for spec in benchmark.sequences.values():
        by_folder.setdefault(spec.folder, {})[spec.name] = spec
    if names is None:
        return by_folder
    if isinstance(names, str):
        names = [names]
    index = {}
    for spec in benchmark.sequences.values():
        for key in (spec.folder, *spec.aliases, spec.name):
            index[normalise_name(key)] = spec.folder
    unknown = [n for n in names if normalise_name(n) not in index]
    if unknown:
        raise ConfigError(f"{benchmark.name} has no sequence {', '.join(map(repr, unknown))}; "
                          f"known: {', '.join(benchmark.sequences)}")
    wanted = {index[normalise_name(n)] for n in names}
    return {folder: specs for folder, specs in by_folder.items() if folder in wanted}


def _is_sha256(digest) -> bool:
    return isinstance(digest, str) and re.fullmatch(r"[0-9a-fA-F]{64}", digest.strip()) is not None


def _is_complete(root: Path, folder: str, specs: dict[str, SequenceSpec]) -> bool:
    try:
        return not load_native(folder, root, specs, images=True).missing
    except DatasetError:
        return False


def _install_folder(url: str, root: Path, folder: str, specs: dict[str, SequenceSpec],
                    sha256: str | None, unpack: UnpackLimits, **fetch_options) -> None:
    """Fetch one archive, check it, and move the sequence folder into ``root``."""
    partial = root / PARTIAL_DIR
    archive = partial / f"{folder}.zip"
    extract_dir = partial / f"{folder}.tmp"
    fetch(url, archive, expected_sha256=sha256, label=folder, **fetch_options)
    try:
        shutil.rmtree(extract_dir, ignore_errors=True)  # left by an interrupted run
        _unpack(archive, extract_dir, unpack)
        seq_dir = _find_sequence_dir(extract_dir, specs, archive)
        _check_loads(seq_dir, specs, archive, extract_dir)
        target = root / folder
        if target.exists():  # an incomplete copy: it failed the completeness check
            shutil.rmtree(target)
        os.replace(seq_dir, target)
    except RasbenchError:
        archive.unlink(missing_ok=True)  # a bad archive: the next run fetches it afresh
        raise
    finally:
        shutil.rmtree(extract_dir, ignore_errors=True)
    archive.unlink()


def _unpack(archive: Path, dest: Path, limits: UnpackLimits) -> None:
    """:func:`safe_extract`, deleting an archive that cannot be unpacked for any reason (also an
    OS error: a name the file system refuses, a file where a folder must go), so that the
    next run fetches it afresh instead of failing on the same file for ever."""
    try:
        safe_extract(archive, dest, limits)
    except (RasbenchError, OSError):
        archive.unlink(missing_ok=True)
        raise


def _find_sequence_dir(extract_dir: Path, specs: dict[str, SequenceSpec], archive: Path) -> Path:
    """The shallowest directory holding every target's ground truth.

    Archives hold ``Folder/...``, or nest it one level deeper, or hold the files directly.
    """
    wanted = sorted({spec.groundtruth for spec in specs.values()})
    levels = [[extract_dir], sorted(extract_dir.glob("*")), sorted(extract_dir.glob("*/*"))]
    for candidate in (path for level in levels for path in level):
        if "__MACOSX" in candidate.relative_to(extract_dir).parts:  # macOS metadata, never the data
            continue
        if candidate.is_dir() and all((candidate / gt).is_file() for gt in wanted):
            return candidate
    raise DatasetError(f"no folder in the archive holds {', '.join(wanted)}", archive)


def _check_loads(seq_dir: Path, specs: dict[str, SequenceSpec], archive: Path, extract_dir: Path) -> None:
    """Load the extracted folder as the benchmark will; name the failing file inside the archive."""
    relocated = {name: replace(spec, folder=seq_dir.name) for name, spec in specs.items()}
    try:
        dataset = load_native(seq_dir.name, seq_dir.parent, relocated, images=True)
    except DatasetError as exc:
        inside = str(exc).replace(f"{extract_dir}{os.sep}", "")
        raise DatasetError(f"incomplete sequence data: {inside}", archive) from None
    if dataset.missing:
        reasons = "; ".join(f"{name}: {why}" for name, why in dataset.missing.items())
        raise DatasetError(f"incomplete sequence data: {reasons}", archive)


def _remove_if_empty(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:  # absent, or still holds partial downloads to resume
        pass


# --- VOT benchmarks ------------------------------------------------------------------

def download_vot(benchmark: BenchmarkDef, root, *, description_url: str | None = None, sequences=None,
                 unpack: UnpackLimits = UnpackLimits(), **fetch_options) -> DownloadReport:
    """Fetch a VOT dataset from its official ``description.json``.

    Each sequence has an annotation archive and one archive per channel, each with an
    md5 ``checksum`` in the description (VOT2017: ``color``). Both are verified, unpacked
    into ``<root>/.download/<seq>.tmp/`` (channel archives into ``color/``), given the
    ``sequence`` metadata file the VOT toolkits write (``channels.color=color/%08d.jpg``,
    fps, name, uid), checked to load like the benchmark will load it, and moved into
    ``<root>/<seq>`` in one step. ``list.txt`` lists the benchmark's sequences once all
    are present. Complete sequences are skipped. ``fetch_options`` go to :func:`fetch`.
    """
    import json

    url = description_url or benchmark.download.get("description")
    if not url:
        raise ConfigError(f"{benchmark.name}: no dataset description URL")
    _check_url(url, f"{benchmark.name}: dataset description URL")
    root = Path(root)
    names = list(benchmark.sequences)
    if sequences is not None:
        unknown = [n for n in ([sequences] if isinstance(sequences, str) else sequences) if n not in names]
        if unknown:
            raise ConfigError(f"{benchmark.name} has no sequence {', '.join(map(repr, unknown))}")
        names = [n for n in names if n in sequences]
    tags = tuple(benchmark.raw.get("tags") or ())
    report = DownloadReport(root, targets={n: [n] for n in names})
    todo = [n for n in names if not _vot_complete(root, benchmark.sequences[n], tags)]
    report.skipped = [n for n in names if n not in todo]
    if todo:
        partial = root / PARTIAL_DIR
        try:
            with _install_lock(partial, "description.json"):
                path = fetch(url, partial / "description.json", **{**fetch_options, "progress": False})
                try:
                    description = {s["name"]: s for s in json.loads(path.read_text(encoding="utf-8"))["sequences"]}
                finally:
                    path.unlink()
        except (RasbenchError, OSError, ValueError, KeyError, TypeError) as exc:
            for name in todo:
                report.failed[name] = f"cannot read the dataset description {url}: {exc}"
            return report
        for name in todo:
            spec = benchmark.sequences[name]
            entry = description.get(name)
            if entry is None:
                report.failed[name] = f"not in the dataset description {url}"
                continue
            try:
                with _install_lock(partial, spec.folder):
                    if _vot_complete(root, spec, tags):  # another download installed it while we waited
                        report.skipped.append(name)
                        continue
                    _install_vot_sequence(url, root, entry, spec, tags, unpack, **fetch_options)
            except (RasbenchError, OSError) as exc:
                report.failed[name] = str(exc)
            else:
                report.downloaded.append(name)
    if all(_vot_complete(root, spec, tags) for spec in benchmark.sequences.values()):
        (root / "list.txt").write_text("".join(f"{n}\n" for n in benchmark.sequences))
    _remove_if_empty(root / PARTIAL_DIR)
    return report


def _download_vot_layout(benchmark: BenchmarkDef, root, url_template: str | None, sequences, unpack: UnpackLimits,
                         checksums: dict[str, str] | None, **fetch_options) -> DownloadReport:
    """The VOT layout: ``url_template`` is the description.json URL; its checksums are the server's."""
    return download_vot(benchmark, root, description_url=url_template, sequences=sequences, unpack=unpack,
                        **fetch_options)


# How each dataset layout (a definition's ``format``) is downloaded.
DOWNLOADERS = {"otb": download_otb, "vot": _download_vot_layout}


def _vot_complete(root: Path, spec: SequenceSpec, tags) -> bool:
    from . import vot

    if not (root / spec.folder / "sequence").is_file():
        return False
    try:
        missing = vot.load_native(spec.name, root, {spec.name: spec}, tags, images=True).missing
        return not missing
    except DatasetError:
        return False


# The frame file names a VOT channel may declare: %08d.jpg and the like, nothing with a path.
_FRAME_PATTERN = re.compile("%0[1-9]d(?:" + "|".join(re.escape(s) for s in IMAGE_SUFFIXES) + ")")


def _vot_entry(entry, spec: SequenceSpec, base_url: str) -> tuple[dict[str, str], list[tuple[str, str, str | None]]]:
    """Check one ``description.json`` entry: (the ``sequence`` file's values, [(subfolder,
    archive URL, md5 or None)], the annotations first with subfolder "").

    Every value that reaches the file system or the ``sequence`` file is checked, so a
    hostile description can neither write outside the sequence's folder nor add lines.
    """
    def fail(problem: str):
        raise DownloadError(f"entry {spec.name!r} of the dataset description: {problem}", base_url)

    if not isinstance(entry, dict):
        fail("not an object")
    annotations, channels = entry.get("annotations"), entry.get("channels", {})
    if not isinstance(annotations, dict) or not isinstance(channels, dict):
        fail("'annotations' and 'channels' must be objects")
    fps = entry.get("fps", 30)
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not (math.isfinite(fps) and fps > 0):
        fail(f"fps {fps!r} is not a positive number")
    uid = annotations.get("uid", "")
    if uid != "":
        path_component(uid, f"entry {spec.name!r} of the dataset description {base_url}: uid", DownloadError)
    metadata = {"name": spec.name, "fps": str(fps), "format": "default", "uid": uid}
    sources = [("", *_archive_source(annotations, "annotations", base_url, fail))]
    for channel, item in channels.items():
        path_component(channel, f"entry {spec.name!r} of the dataset description {base_url}: channel name",
                       DownloadError)
        if not isinstance(item, dict):
            fail(f"channel {channel!r} is not an object")
        pattern = item.get("pattern", "%08d.jpg")
        if not isinstance(pattern, str) or not _FRAME_PATTERN.fullmatch(pattern):
            fail(f"channel {channel!r}: frame pattern {pattern!r} is not of the form %08d.jpg")
        metadata[f"channels.{channel}"] = f"{channel}/{pattern}"
        sources.append((channel, *_archive_source(item, f"channel {channel!r}", base_url, fail)))
    return metadata, sources


def _archive_source(item: dict, what: str, base_url: str, fail) -> tuple[str, str | None]:
    """(absolute URL, md5 or None) of one archive of a description entry."""
    relative, checksum = item.get("url"), item.get("checksum")
    if not isinstance(relative, str) or not relative:
        fail(f"{what} has no archive URL")
    url = urllib.parse.urljoin(base_url, relative)
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https", urllib.parse.urlsplit(base_url).scheme):
        fail(f"{what}: archive URL {url!r} is neither http(s) nor where the description came from")
    if checksum is not None and not (isinstance(checksum, str) and re.fullmatch(r"[0-9a-fA-F]{32}", checksum)):
        fail(f"{what}: checksum {checksum!r} is not an md5 (32 hex digits)")
    return url, checksum


def _fetch_verified(url: str, checksum: str | None, dest: Path, **fetch_options) -> Path:
    """One archive of a description entry, its md5 verified when given."""
    fetch(url, dest, label=dest.name, **fetch_options)
    if checksum:
        try:
            verify_checksum(dest, checksum, "md5")
        except RasbenchError:
            dest.unlink(missing_ok=True)  # a bad archive: the next run fetches it afresh
            raise
    return dest


def _install_vot_sequence(base_url: str, root: Path, entry, spec: SequenceSpec, tags, unpack: UnpackLimits,
                          **fetch_options) -> None:
    from . import vot

    metadata, sources = _vot_entry(entry, spec, base_url)
    partial = root / PARTIAL_DIR
    work = partial / f"{spec.folder}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    archives = []
    try:
        for subfolder, url, checksum in sources:
            archive = _fetch_verified(url, checksum, partial / f"{spec.folder}.{subfolder or 'annotations'}.zip",
                                      **fetch_options)
            archives.append(archive)
            _unpack(archive, work / subfolder, unpack)
        (work / "sequence").write_text("".join(f"{k}={v}\n" for k, v in metadata.items()))
        try:
            dataset = vot.load_native(spec.name, partial, {spec.name: replace(spec, folder=work.name)}, tags,
                                      images=True)
            if dataset.missing:
                raise DatasetError("; ".join(dataset.missing.values()), archives[0])
        except RasbenchError:
            for archive in archives:  # which one is wrong cannot be told: fetch them all afresh
                archive.unlink(missing_ok=True)
            raise
        target = root / spec.folder
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for archive in archives:
        archive.unlink()
