"""Downloading benchmark data: HTTP with resume, archive checks, atomic extraction.

The OTB site serves one zip archive per sequence folder (``Jogging.zip`` holds both
Jogging targets) and publishes no checksums, so an archive is trusted only once every
member's CRC checks out, its sha256 matches where one is known, and the extracted
folder loads with every frame and ground-truth line the sequence table asks for.

Work in progress lives in ``<root>/.download/``: ``<folder>.zip.part`` while the
transfer runs (a later run resumes it with an HTTP ``Range`` request), ``<folder>.zip``
once complete, ``<folder>.tmp/`` while extracting. A folder appears in ``<root>`` only
after all checks pass, in one ``os.replace``.

:func:`fetch`, :func:`verify_checksum`, :func:`verify_zip` and :func:`safe_extract`
know nothing about OTB, so other downloaders (VOT's per-sequence archives) can reuse them.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from ..benchmarks import BenchmarkDef, SequenceSpec
from ..errors import ConfigError, DatasetError, RasbenchError
from .otb import load_native, normalise_name

PARTIAL_DIR = ".download"
CHUNK_SIZE = 1 << 16
USER_AGENT = "rasbench-download"
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")
_RETRY_STATUS = {408, 429}  # besides 5xx: the server asks to try again later


class DownloadError(DatasetError):
    """A file could not be fetched (HTTP error, network failure, wrong checksum)."""


class _TransientError(Exception):
    """A failure worth another attempt: connection lost, timeout, 5xx, short transfer."""


# --- HTTP with resume ---------------------------------------------------------------

def fetch(url: str, dest: Path, *, expected_sha256: str | None = None, retries: int = 3,
          timeout: float = 60.0, backoff: float = 1.0, progress: bool = False,
          label: str | None = None) -> Path:
    """Download ``url`` to ``dest``, resuming ``<dest>.part`` left by an earlier attempt.

    Transient failures are retried up to ``retries`` times, waiting ``backoff * 2**k``
    seconds before retry ``k``; each retry resumes where the previous one stopped. The
    received length is checked against the server's Content-Length / Content-Range.
    An existing ``dest`` counts as already fetched. On a sha256 mismatch ``dest`` is
    deleted. Raises :class:`DownloadError`; the ``.part`` file is kept after network
    failures (so the next call resumes) and deleted after permanent HTTP errors.
    """
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    if not dest.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(max(retries, 0) + 1):
            if attempt:
                time.sleep(backoff * 2 ** (attempt - 1))
            try:
                _transfer(url, part, timeout=timeout, progress=progress, label=label or dest.name)
                break
            except _TransientError as exc:
                reason = str(exc)
        else:
            raise DownloadError(f"gave up after {attempt + 1} attempt(s): {reason}", url)
        os.replace(part, dest)
    if expected_sha256:
        try:
            verify_checksum(dest, expected_sha256, "sha256")
        except DatasetError:
            dest.unlink(missing_ok=True)
            raise
    return dest


def _transfer(url: str, part: Path, *, timeout: float, progress: bool, label: str) -> None:
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
        with open(part, mode) as out, tqdm(total=total, initial=offset, unit="B", unit_scale=True,
                                           unit_divisor=1024, desc=label, disable=not progress,
                                           leave=False) as bar:
            while True:
                try:
                    chunk = response.read(CHUNK_SIZE)
                except (OSError, http.client.HTTPException) as exc:
                    raise _TransientError(f"connection lost: {exc!r}") from exc
                if not chunk:
                    break
                out.write(chunk)
                bar.update(len(chunk))

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


def verify_zip(path: Path) -> None:
    """Read every member of a zip archive so each CRC is checked (what ``testzip`` does).

    Done by hand rather than with ``testzip`` so that every failure, including a
    corrupt deflate stream (``zlib.error``) or an encrypted member, names the member it hit.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                try:
                    with archive.open(info) as member:
                        while member.read(CHUNK_SIZE):
                            pass
                except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                    raise DatasetError(f"corrupt archive: member {info.filename}: {exc}", path) from None
    except zipfile.BadZipFile as exc:
        raise DatasetError(f"not a valid zip archive: {exc}", path) from None


def safe_extract(path: Path, dest: Path) -> None:
    """Extract a zip archive into ``dest``, refusing members that would land outside it."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            member = PurePosixPath(name.replace("\\", "/"))
            if member.is_absolute() or ".." in member.parts or re.match(r"[A-Za-z]:", name):
                raise DatasetError(f"refusing unsafe member {name!r} (absolute path or '..' "
                                   f"would write outside the extraction folder)", path)
        archive.extractall(dest)


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
        lines = [f"{total - len(self.failed)} of {total} sequence folder(s) ready in {self.root}"]
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


def download_benchmark(benchmark: BenchmarkDef, root, *, url_template: str | None = None,
                       sequences=None, retries: int = 3, timeout: float = 60.0,
                       progress: bool = True, checksums: dict[str, str] | None = None,
                       backoff: float = 1.0) -> DownloadReport:
    """Fetch, verify and unpack the per-folder archives of an OTB-format benchmark.

    ``sequences`` picks targets by name (aliases and folder names work too); a target's
    whole folder is fetched, so ``Jogging-1`` brings ``Jogging-2`` along. Folders that
    already load completely are skipped without touching the network. A failing folder
    is recorded in the report and the next one is tried; only a bad call raises
    (:class:`ConfigError`).
    """
    if benchmark.format == "vot":
        return download_vot(benchmark, root, description_url=url_template, sequences=sequences, retries=retries,
                            timeout=timeout, progress=progress, backoff=backoff)
    if benchmark.format != "otb":
        raise ConfigError(f"{benchmark.name}: {benchmark.format!r} benchmarks are not downloaded "
                          f"(the synthetic one is generated: `rasbench synth`)")
    template = url_template or benchmark.download.get("url")
    if not template or "{folder}" not in template:
        raise ConfigError(f"{benchmark.name}: no download URL template with '{{folder}}' "
                          f"(got {template!r})")
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
            _install_folder(url, root, folder, specs, known_sha256.get(folder), retries=retries,
                            timeout=timeout, backoff=backoff, progress=progress)
        except (RasbenchError, OSError) as exc:  # OSError: disk full, permissions
            report.failed[folder] = str(exc)
        else:
            report.downloaded.append(folder)
    _remove_if_empty(root / PARTIAL_DIR)
    return report


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
                    sha256: str | None, **fetch_options) -> None:
    """Fetch one archive, check it, and move the sequence folder into ``root``."""
    partial = root / PARTIAL_DIR
    archive = partial / f"{folder}.zip"
    extract_dir = partial / f"{folder}.tmp"
    fetch(url, archive, expected_sha256=sha256, label=folder, **fetch_options)
    try:
        verify_zip(archive)
        shutil.rmtree(extract_dir, ignore_errors=True)  # left by an interrupted run
        safe_extract(archive, extract_dir)
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
                 retries: int = 3, timeout: float = 60.0, progress: bool = True,
                 backoff: float = 1.0) -> DownloadReport:
    """Fetch a VOT dataset from its official ``description.json``.

    Each sequence has an annotation archive and one archive per channel, each with an
    md5 ``checksum`` in the description (VOT2017: ``color``). Both are verified, unpacked
    into ``<root>/.download/<seq>.tmp/`` (channel archives into ``color/``), given the
    ``sequence`` metadata file the VOT toolkits write (``channels.color=color/%08d.jpg``,
    fps, name, uid), checked to load like the benchmark will load it, and moved into
    ``<root>/<seq>`` in one step. ``list.txt`` lists the benchmark's sequences once all
    are present. Complete sequences are skipped.
    """
    import json

    url = description_url or benchmark.download.get("description")
    if not url:
        raise ConfigError(f"{benchmark.name}: no dataset description URL")
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
            path = fetch(url, partial / "description.json", retries=retries, timeout=timeout, backoff=backoff)
            description = {s["name"]: s for s in json.loads(path.read_text(encoding="utf-8"))["sequences"]}
        except (RasbenchError, OSError, ValueError, KeyError, TypeError) as exc:
            for name in todo:
                report.failed[name] = f"cannot read the dataset description {url}: {exc}"
            return report
        finally:
            (partial / "description.json").unlink(missing_ok=True)
        for name in todo:
            entry = description.get(name)
            if entry is None:
                report.failed[name] = f"not in the dataset description {url}"
                continue
            try:
                _install_vot_sequence(url, root, entry, benchmark.sequences[name], tags, retries=retries,
                                      timeout=timeout, backoff=backoff, progress=progress)
            except (RasbenchError, OSError, KeyError, TypeError) as exc:
                report.failed[name] = str(exc)
            else:
                report.downloaded.append(name)
    if all(_vot_complete(root, spec, tags) for spec in benchmark.sequences.values()):
        (root / "list.txt").write_text("".join(f"{n}\n" for n in benchmark.sequences))
    _remove_if_empty(root / PARTIAL_DIR)
    return report


def _vot_complete(root: Path, spec: SequenceSpec, tags) -> bool:
    from . import vot

    if not (root / spec.folder / "sequence").is_file():
        return False
    try:
        return not vot.load_native(spec.name, root, {spec.name: spec}, tags, images=True).missing
    except DatasetError:
        return False


def _fetch_verified(base_url: str, item: dict, dest: Path, **fetch_options) -> Path:
    """One archive of a description entry, its md5 ``checksum`` verified when given."""
    fetch(urllib.parse.urljoin(base_url, item["url"]), dest, label=dest.name, **fetch_options)
    checksum = item.get("checksum")
    try:
        if checksum:
            verify_checksum(dest, checksum, "md5")
        verify_zip(dest)
    except RasbenchError:
        dest.unlink(missing_ok=True)  # a bad archive: the next run fetches it afresh
        raise
    return dest


def _install_vot_sequence(base_url: str, root: Path, entry: dict, spec: SequenceSpec, tags, **options) -> None:
    from . import vot

    partial = root / PARTIAL_DIR
    work = partial / f"{spec.folder}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    archives = [_fetch_verified(base_url, entry["annotations"], partial / f"{spec.folder}.annotations.zip",
                                **options)]
    safe_extract(archives[0], work)
    metadata = {"name": spec.name, "fps": entry.get("fps", 30), "format": "default",
                "uid": entry["annotations"].get("uid", "")}
    for channel, item in entry.get("channels", {}).items():
        archive = _fetch_verified(base_url, item, partial / f"{spec.folder}.{channel}.zip", **options)
        archives.append(archive)
        safe_extract(archive, work / channel)
        metadata[f"channels.{channel}"] = f"{channel}/{item.get('pattern', '%08d.jpg')}"
    (work / "sequence").write_text("".join(f"{k}={v}\n" for k, v in metadata.items()))
    try:
        dataset = vot.load_native(spec.name, partial, {spec.name: replace(spec, folder=work.name)}, tags,
                                  images=True)
        if dataset.missing:
            raise DatasetError("; ".join(dataset.missing.values()), archives[0])
        target = root / spec.folder
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    except RasbenchError:
        for archive in archives:
            archive.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for archive in archives:
        archive.unlink()
