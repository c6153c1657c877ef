"""rasbench.datasets.download against a local HTTP server serving archives built here.

Nothing leaves 127.0.0.1: each test starts its own server (port 0) and stops it at the end.
The tiny benchmark mirrors the OTB quirks that matter for downloading: a two-target
folder (Jog, like Jogging), a sequence whose frames start at 5 (Car3, like BlurCar3),
and the three archive layouts (folder at the top, nested one level deeper, files at the root).
"""
from __future__ import annotations

import hashlib
import io
import time
import zipfile
from pathlib import Path

import pytest
from archive_server import ArchiveServer, build_zip, gt_lines, tiny_jpeg

from rasbench.config.benchmarks import load_benchmark
from rasbench.datasets import download
from rasbench.datasets.download import PARTIAL_DIR, UnpackLimits, download_benchmark, fetch
from rasbench.datasets.otb import load_native
from rasbench.errors import ConfigError, DatasetError

TABLE = """\
sequences:
  Alpha: {frames: [1, 4]}
  Car3: {frames: [5, 8]}
  Jog-1: {folder: Jog, groundtruth: groundtruth_rect.1.txt, frames: [1, 3], aliases: [Jogger]}
  Jog-2: {folder: Jog, groundtruth: groundtruth_rect.2.txt, frames: [1, 3]}
"""
FOLDERS = ["Alpha", "Car3", "Jog"]
FAST = dict(progress=False, backoff=0.0, timeout=5.0)  # no sleeping between retries


def sequence_files(folder: str) -> dict[str, bytes]:
    """Relative path -> content of one complete sequence folder."""
    frame = tiny_jpeg()
    if folder == "Alpha":
        files = {f"img/{n:04d}.jpg": frame for n in range(1, 5)}
        files["groundtruth_rect.txt"] = gt_lines(4)
    elif folder == "Car3":  # images and ground truth cover frames 5-8 only
        files = {f"img/{n:04d}.jpg": frame for n in range(5, 9)}
        files["groundtruth_rect.txt"] = gt_lines(4)
    else:
        files = {f"img/{n:04d}.jpg": frame for n in range(1, 4)}
        files["groundtruth_rect.1.txt"] = gt_lines(3)
        files["groundtruth_rect.2.txt"] = gt_lines(3)
    return files


def official_archives() -> dict[str, bytes]:
    """One archive per folder, in the three layouts the downloader must accept."""
    return {
        "Alpha.zip": build_zip(sequence_files("Alpha"), "Alpha/"),
        "Car3.zip": build_zip(sequence_files("Car3"), "otb/Car3/"),
        "Jog.zip": build_zip(sequence_files("Jog")),
    }


@pytest.fixture
def server():
    with ArchiveServer(official_archives()) as running:
        yield running


def make_benchmark(tmp_path: Path, url_template: str, sha256: dict[str, str] | None = None):
    """A tiny OTB-format benchmark; a fresh file per test because load_benchmark is cached."""
    (tmp_path / "table.yaml").write_text(TABLE)
    sha_lines = "".join(f"    {folder}: '{digest}'\n" for folder, digest in (sha256 or {}).items())
    (tmp_path / "tiny.yaml").write_text(
        "name: tiny\nformat: otb\ntable: table.yaml\n"
        "sequences: [Alpha, Car3, Jog-1, Jog-2]\n"
        "experiments: {ope: {protocol: ope}}\n"
        f"download:\n  url: {url_template}\n" + (f"  sha256:\n{sha_lines}" if sha_lines else ""))
    return load_benchmark(str(tmp_path / "tiny.yaml"))


def assert_complete(benchmark, root: Path, names=None) -> None:
    specs = {n: s for n, s in benchmark.sequences.items() if names is None or n in names}
    dataset = load_native("tiny", root, specs, images=True)
    assert not dataset.missing and sorted(dataset) == sorted(specs)


def test_clean_download_of_every_layout(tmp_path, server, capsys):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    report = download_benchmark(benchmark, root, progress=True, backoff=0.0)
    assert report.ok and report.downloaded == FOLDERS and report.skipped == []
    assert_complete(benchmark, root)
    assert (root / "Car3" / "img" / "0005.jpg").is_file()
    assert sorted(p.name for p in root.iterdir()) == FOLDERS  # .download/ tidied away
    assert [rng for _, rng in server.requests] == [None, None, None]
    assert str(root) in report.summary()


def test_complete_folders_are_skipped_without_network(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    assert download_benchmark(benchmark, root, **FAST).ok
    server.requests.clear()
    report = download_benchmark(benchmark, root, **FAST)
    assert report.ok and report.skipped == FOLDERS and report.downloaded == []
    assert server.requests == []


def test_incomplete_folder_is_replaced(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    (root / "Alpha" / "img").mkdir(parents=True)
    (root / "Alpha" / "groundtruth_rect.txt").write_bytes(gt_lines(4))  # frames missing
    report = download_benchmark(benchmark, root, sequences=["Alpha"], **FAST)
    assert report.downloaded == ["Alpha"]
    assert_complete(benchmark, root, ["Alpha"])


def test_truncated_transfer_is_resumed_with_range(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    server.faults["Alpha.zip"] = [("cut", 300)]
    report = download_benchmark(benchmark, root, sequences=["Alpha"], **FAST)
    assert report.ok, report.summary()
    assert server.requests_for("Alpha.zip") == [None, "bytes=300-"]
    assert_complete(benchmark, root, ["Alpha"])
    assert (root / "Alpha" / "img" / "0004.jpg").read_bytes() == tiny_jpeg()


def test_part_left_by_earlier_run_is_resumed(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    (root / PARTIAL_DIR).mkdir(parents=True)
    (root / PARTIAL_DIR / "Jog.zip.part").write_bytes(server.files["Jog.zip"][:500])
    report = download_benchmark(benchmark, root, sequences=["Jog-2"], **FAST)
    assert report.ok and server.requests_for("Jog.zip") == ["bytes=500-"]
    assert_complete(benchmark, root, ["Jog-1", "Jog-2"])
    assert not (root / PARTIAL_DIR).exists()


def test_server_ignoring_range_restarts_from_scratch(tmp_path, server):
    dest = tmp_path / "Alpha.zip"
    dest.with_name("Alpha.zip.part").write_bytes(b"stale bytes of some other file")
    server.faults["Alpha.zip"] = [("ignore-range",)]
    fetch(server.url_template.format(folder="Alpha"), dest, backoff=0.0)
    assert dest.read_bytes() == server.files["Alpha.zip"]


def test_416_for_a_complete_part_needs_no_more_data(tmp_path, server):
    dest = tmp_path / "Alpha.zip"
    dest.with_name("Alpha.zip.part").write_bytes(server.files["Alpha.zip"])
    fetch(server.url_template.format(folder="Alpha"), dest, backoff=0.0)
    assert dest.read_bytes() == server.files["Alpha.zip"]
    assert server.requests_for("Alpha.zip") == [f"bytes={len(server.files['Alpha.zip'])}-"]


def test_server_error_is_retried(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    server.faults["Car3.zip"] = [("status", 500), ("status", 503)]
    report = download_benchmark(benchmark, tmp_path / "data", sequences=["Car3"], retries=2, **FAST)
    assert report.ok and len(server.requests_for("Car3.zip")) == 3


def test_retries_exhausted_keeps_part_for_next_run(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    server.faults["Alpha.zip"] = [("cut", 100), ("status", 500)]
    report = download_benchmark(benchmark, root, sequences=["Alpha"], retries=1, **FAST)
    assert report.failed.keys() == {"Alpha"} and "500" in report.failed["Alpha"]
    assert (root / PARTIAL_DIR / "Alpha.zip.part").stat().st_size == 100
    assert "resume on the next run" in report.summary()
    assert download_benchmark(benchmark, root, sequences=["Alpha"], **FAST).ok
    assert server.requests_for("Alpha.zip")[-1] == "bytes=100-"


def test_corrupt_archive_is_reported_and_run_continues(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    archive = bytearray(server.files["Alpha.zip"])
    archive[archive.index(tiny_jpeg()) + 100] ^= 0xFF  # inside Alpha/img/0001.jpg
    server.files["Alpha.zip"] = bytes(archive)
    report = download_benchmark(benchmark, root, **FAST)
    assert report.failed.keys() == {"Alpha"} and report.downloaded == ["Car3", "Jog"]
    reason = report.failed["Alpha"]
    assert "Alpha.zip" in reason and "Alpha/img/0001.jpg" in reason and "CRC" in reason
    assert not (root / "Alpha").exists() and not (root / PARTIAL_DIR).exists()
    assert "Alpha" in report.summary() and reason in report.summary()


def test_archive_with_missing_frames_fails_the_load_check(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    files = sequence_files("Car3")
    del files["img/0007.jpg"]
    server.files["Car3.zip"] = build_zip(files, "Car3/")
    report = download_benchmark(benchmark, root, **FAST)
    reason = report.failed["Car3"]
    assert "Car3.zip" in reason and "Car3/img" in reason and "7" in reason
    assert not (root / "Car3").exists() and report.downloaded == ["Alpha", "Jog"]


def test_missing_archive_is_reported_without_retries(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    del server.files["Jog.zip"]
    report = download_benchmark(benchmark, tmp_path / "data", **FAST)
    assert not report.ok and report.downloaded == ["Alpha", "Car3"]
    assert "404" in report.failed["Jog"] and "Jog.zip" in report.failed["Jog"]
    assert len(server.requests_for("Jog.zip")) == 1
    assert "Jog (Jog-1, Jog-2)" in report.summary()


def test_sha256_checks(tmp_path, server):
    right = hashlib.sha256(server.files["Alpha.zip"]).hexdigest()
    benchmark = make_benchmark(tmp_path, server.url_template, sha256={"Alpha": "0" * 64})
    root = tmp_path / "data"
    report = download_benchmark(benchmark, root, sequences=["Alpha"], **FAST)
    assert "sha256 mismatch" in report.failed["Alpha"] and "Alpha.zip" in report.failed["Alpha"]
    assert not (root / "Alpha").exists() and not (root / PARTIAL_DIR).exists()
    # an explicit checksum overrides the benchmark's
    report = download_benchmark(benchmark, root, sequences=["Alpha"], checksums={"Alpha": right}, **FAST)
    assert report.ok and report.downloaded == ["Alpha"]


@pytest.mark.parametrize("evil", ["../evil.txt", "/tmp/rasbench-evil.txt", "Alpha/../../evil.txt"])
def test_zip_slip_is_refused(tmp_path, server, evil):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    files = {"Alpha/" + name: data for name, data in sequence_files("Alpha").items()}
    server.files["Alpha.zip"] = build_zip({**files, evil: b"owned"})
    report = download_benchmark(benchmark, root, sequences=["Alpha"], **FAST)
    assert "unsafe member" in report.failed["Alpha"] and evil in report.failed["Alpha"]
    assert not list(tmp_path.rglob("evil.txt")) and not Path("/tmp/rasbench-evil.txt").exists()
    assert not (root / "Alpha").exists()


def test_sequence_filter_fetches_whole_folder(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    report = download_benchmark(benchmark, root, sequences=["Jog-1"], **FAST)
    assert report.downloaded == ["Jog"] and [name for name, _ in server.requests] == ["Jog.zip"]
    assert_complete(benchmark, root, ["Jog-1", "Jog-2"])
    # aliases, folder names and case variants name the same folder
    report = download_benchmark(benchmark, root, sequences=["jogger", "JOG_2", "Jog"], **FAST)
    assert report.skipped == ["Jog"] and len(server.requests) == 1


def test_bad_calls_raise_before_any_request(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    with pytest.raises(ConfigError, match="Nope"):
        download_benchmark(benchmark, tmp_path / "data", sequences=["Alpha", "Nope"], **FAST)
    with pytest.raises(ConfigError, match="folder"):
        download_benchmark(benchmark, tmp_path / "data", url_template="http://127.0.0.1/x.zip", **FAST)
    with pytest.raises(ConfigError, match="64 hex digits"):
        download_benchmark(benchmark, tmp_path / "data", checksums={"Alpha": 1234}, **FAST)
    assert server.requests == []


def test_fetch_reports_http_errors(tmp_path, server):
    with pytest.raises(DatasetError, match="404"):
        fetch(server.url_template.format(folder="Nothing"), tmp_path / "Nothing.zip", backoff=0.0)
    assert not (tmp_path / "Nothing.zip").exists() and not (tmp_path / "Nothing.zip.part").exists()


def test_cli_download_then_datasets_reports_it_complete(tmp_path, server):
    from click.testing import CliRunner

    from rasbench.cli import main

    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    result = CliRunner().invoke(main, ["download", str(benchmark.path), "--root", str(root), "-q"])
    assert result.exit_code == 0, result.output
    assert_complete(benchmark, root)
    server.files["Car3.zip"] = b"not a zip"
    (root / "Car3" / "img" / "0006.jpg").unlink()
    result = CliRunner().invoke(main, ["download", str(benchmark.path), "--root", str(root), "-q"])
    assert result.exit_code == 1 and "Car3" in result.output


# --- VOT: description.json with md5 checksums --------------------------------------

def vot_server_files():
    """description.json and two tiny VOT sequences; URLs relative to the description:
    annotations under sequences/, the color channel under <name>/."""
    import json

    files, entries = {}, []
    for name, n in (("ants", 3), ("bag", 4)):
        anno = build_zip({"groundtruth.txt": "".join("1,1,5,1,5,5,1,5\n" for _ in range(n)).encode(),
                          "occlusion.tag": b"0\n1\n"})
        color = build_zip({f"{k:08d}.jpg": tiny_jpeg() for k in range(1, n + 1)})
        files[f"sequences/{name}.zip"] = anno
        files[f"{name}/color.zip"] = color
        entries.append({"name": name, "fps": 30,
                        "annotations": {"url": f"sequences/{name}.zip", "checksum": hashlib.md5(anno).hexdigest(),
                                        "uid": f"uid-{name}"},
                        "channels": {"color": {"url": f"{name}/color.zip", "pattern": "%08d.jpg",
                                               "checksum": hashlib.md5(color).hexdigest()}}})
    files["description.json"] = json.dumps({"name": "tiny", "sequences": entries}).encode()
    return files


def test_vot_description_download_verifies_md5_and_writes_the_layout(tmp_path):
    import shutil

    from rasbench.datasets.vot import load_native as load_vot

    with ArchiveServer(vot_server_files()) as server:
        url = server.url_template.replace("{folder}.zip", "description.json")
        (tmp_path / "vot.yaml").write_text(
            "name: tinyvot\nformat: vot\ntags: [occlusion]\nsequences: [ants, bag]\n"
            f"experiments: {{baseline: {{protocol: baseline}}}}\ndownload: {{description: '{url}'}}\n")
        bench = load_benchmark(str(tmp_path / "vot.yaml"))
        root = tmp_path / "vot"
        report = download_benchmark(bench, root, progress=False, backoff=0.0)
        assert report.ok and report.downloaded == ["ants", "bag"], report.summary()
        ds = load_vot("tinyvot", root, bench.sequences, ("occlusion",))
        assert len(ds["bag"]) == 4 and ds["bag"].tags["occlusion"].tolist() == [False, True, False, False]
        assert "channels.color=color/%08d.jpg" in (root / "ants" / "sequence").read_text()
        assert (root / "list.txt").read_text() == "ants\nbag\n"
        server.requests.clear()
        assert download_benchmark(bench, root, progress=False).skipped == ["ants", "bag"]
        assert server.requests == []
        # a corrupted archive fails its md5 check: reported, nothing half-installed
        shutil.rmtree(root / "bag")
        server.files["bag/color.zip"] = server.files["bag/color.zip"][:-1] + b"!"
        report = download_benchmark(bench, root, progress=False, backoff=0.0)
        assert not report.ok and "md5 mismatch" in report.failed["bag"]
        assert not (root / "bag").exists()


def vot_benchmark(tmp_path, server):
    url = server.url_template.replace("{folder}.zip", "description.json")
    (tmp_path / "vot.yaml").write_text(
        "name: tinyvot\nformat: vot\ntags: [occlusion]\nsequences: [ants, bag]\n"
        f"experiments: {{baseline: {{protocol: baseline}}}}\ndownload: {{description: '{url}'}}\n")
    return load_benchmark(str(tmp_path / "vot.yaml"))


def hostile_description(files: dict, change) -> dict:
    """``files`` with ``change(entry)`` applied to bag's description entry."""
    import json

    description = json.loads(files["description.json"])
    change(next(e for e in description["sequences"] if e["name"] == "bag"))
    return {**files, "description.json": json.dumps(description).encode()}


def _add_channel(name):
    def change(entry):
        entry["channels"][name] = dict(entry["channels"]["color"])
    return change


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(entry):
        target = entry
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


@pytest.mark.parametrize("change, named", [
    (lambda victim: _add_channel("../../../victim"), "channel"),
    (lambda victim: _add_channel(str(victim)), "channel"),
    (lambda victim: _set("annotations", "uid", "uid-bag\nchannels.color=../../etc/%08d.jpg"), "uid"),
    (lambda victim: _set("channels", "color", "pattern", "../../etc/%08d.jpg"), "pattern"),
    (lambda victim: _set("channels", "color", "pattern", "%08d.jpg\nname=x"), "pattern"),
    (lambda victim: _set("fps", "30\nchannels.color=../../etc/%08d.jpg"), "fps"),
    (lambda victim: _set("channels", "color", "url", f"file://{victim}/local.zip"), "URL"),
])
def test_vot_names_from_the_server_cannot_reach_outside_root(tmp_path, change, named):
    files = vot_server_files()
    victim = tmp_path / "victim"  # what a hostile description aims at, outside --root
    victim.mkdir()
    (victim / "00000001.jpg").write_bytes(b"precious")
    (victim / "local.zip").write_bytes(files["bag/color.zip"])  # a local file the server names
    with ArchiveServer(hostile_description(files, change(victim))) as server:
        bench = vot_benchmark(tmp_path, server)
        root = tmp_path / "vot"
        report = download_benchmark(bench, root, progress=False, backoff=0.0)
    assert report.downloaded == ["ants"] and report.failed.keys() == {"bag"}, report.summary()
    assert named in report.failed["bag"]
    assert (victim / "00000001.jpg").read_bytes() == b"precious"
    assert not (root / "bag").exists() and not (root / PARTIAL_DIR).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim", "vot", "vot.yaml"]


def zip_with_symlink(files: dict[str, bytes], link: str, target: str) -> bytes:
    import io
    import stat
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        info = zipfile.ZipInfo(link)
        info.create_system = 3  # unix: the mode bits in external_attr count
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
    return buffer.getvalue()


def test_symlink_members_are_refused(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    files = {"Alpha/" + name: data for name, data in sequence_files("Alpha").items()}
    server.files["Alpha.zip"] = zip_with_symlink(files, "Alpha/img/link", "/etc/passwd")
    report = download_benchmark(benchmark, root, sequences=["Alpha"], **FAST)
    assert "symbolic link" in report.failed["Alpha"] and "Alpha/img/link" in report.failed["Alpha"]
    assert not (root / "Alpha").exists() and not (root / PARTIAL_DIR).exists()


@pytest.mark.parametrize("evil", ["Alpha/img/bad\nname.jpg", "C:evil.txt", "Alpha\\..\\..\\evil.txt", "Alpha//x"])
def test_member_names_must_be_plain_components(tmp_path, server, evil):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    files = {"Alpha/" + name: data for name, data in sequence_files("Alpha").items()}
    server.files["Alpha.zip"] = build_zip({**files, evil: b"owned"})
    report = download_benchmark(benchmark, root, sequences=["Alpha"], **FAST)
    assert "unsafe member" in report.failed["Alpha"] and repr(evil) in report.failed["Alpha"]
    assert not list(tmp_path.rglob("*evil*")) and not (root / "Alpha").exists()


def test_macos_metadata_members_are_left_out(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    files = {"Alpha/" + name: data for name, data in sequence_files("Alpha").items()}
    server.files["Alpha.zip"] = build_zip({**files, "__MACOSX/Alpha/img/._0001.jpg": b"meta",
                                           "Alpha/.DS_Store": b"meta"})
    report = download_benchmark(benchmark, root, sequences=["Alpha"], **FAST)
    assert report.ok, report.summary()
    assert sorted(p.name for p in (root / "Alpha").iterdir()) == ["groundtruth_rect.txt", "img"]


# --- zip bombs ------------------------------------------------------------------------

def deflated_zip(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    files = {"Alpha/" + name: data for name, data in sequence_files("Alpha").items()}
    bomb = deflated_zip({**files, "Alpha/zeros.bin": bytes(8 << 20)})  # 8 MiB of zeros in ~8 KiB
    assert len(bomb) < 40_000
    server.files["Alpha.zip"] = bomb
    report = download_benchmark(benchmark, root, sequences=["Alpha"], **FAST)
    reason = report.failed["Alpha"]
    unpacked = sum(map(len, files.values())) + (8 << 20)
    assert "Alpha.zip" in reason and "zip bomb" in reason and "--max-unpack-ratio" in reason
    assert f"declares {unpacked} unpacked bytes, more than the limit of {100 * len(bomb)}" in reason
    assert not (root / "Alpha").exists() and not (root / PARTIAL_DIR).exists()
    # a higher ratio lets it through; the absolute cap still holds
    report = download_benchmark(benchmark, root, sequences=["Alpha"], unpack=UnpackLimits(max_ratio=2000), **FAST)
    assert report.ok, report.summary()
    server.requests.clear()
    (root / "Alpha" / "img" / "0001.jpg").unlink()
    report = download_benchmark(benchmark, root, sequences=["Alpha"],
                                unpack=UnpackLimits(max_ratio=2000, max_bytes=1 << 20), **FAST)
    assert "more than the limit of 1048576" in report.failed["Alpha"]


def test_declared_sizes_that_lie_do_not_get_past_the_limit(tmp_path):
    import struct

    from rasbench.datasets.download import safe_extract
    from rasbench.errors import DatasetError as Error

    bomb = bytearray(deflated_zip({"zeros.bin": bytes(4 << 20)}))
    central = bomb.index(b"PK\x01\x02")
    struct.pack_into("<I", bomb, central + 24, 10)  # uncompressed size in the central directory: 10 bytes
    archive = tmp_path / "liar.zip"
    archive.write_bytes(bytes(bomb))
    with pytest.raises(Error, match="liar.zip") as info:
        safe_extract(archive, tmp_path / "out", UnpackLimits(max_ratio=1000))
    assert "zeros.bin" in str(info.value)
    assert (tmp_path / "out" / "zeros.bin").stat().st_size <= 10


def test_member_count_is_bounded(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    report = download_benchmark(benchmark, tmp_path / "data", sequences=["Alpha"],
                                unpack=UnpackLimits(max_members=3), **FAST)
    assert "5 members, more than the limit of 3" in report.failed["Alpha"]


def test_a_download_larger_than_the_cap_is_refused(tmp_path, server):
    dest = tmp_path / "Alpha.zip"
    with pytest.raises(DatasetError, match="announces .* bytes, more than the limit of 100"):
        fetch(server.url_template.format(folder="Alpha"), dest, max_bytes=100, backoff=0.0)
    assert not dest.exists() and not dest.with_name("Alpha.zip.part").exists()
    assert len(server.requests) == 1  # not retried


# --- servers that never finish ----------------------------------------------------------

def test_a_trickle_below_the_minimum_rate_is_abandoned(tmp_path, server, monkeypatch):
    monkeypatch.setattr(download, "RATE_WINDOW", 0.3)
    server.faults["Alpha.zip"] = [("trickle", 0.02), ("trickle", 0.02)]  # ~50 B/s, twice
    dest = tmp_path / "Alpha.zip"
    started = time.monotonic()
    with pytest.raises(DatasetError, match=r"gave up after 2 attempts: .* B/s over the last 0 s, below the "
                                           r"minimum of 1000 B/s \(--min-rate\)"):
        fetch(server.url_template.format(folder="Alpha"), dest, min_rate=1000, retries=1, backoff=0.0)
    assert time.monotonic() - started < 3
    part = dest.with_name("Alpha.zip.part")
    assert 0 < part.stat().st_size < len(server.files["Alpha.zip"])  # kept: the next run resumes it
    first, second = server.requests_for("Alpha.zip")
    assert first is None and second.startswith("bytes=") and second != "bytes=0-"  # the retry resumed


def test_the_deadline_bounds_all_attempts_together(tmp_path, server):
    server.faults["Alpha.zip"] = [("trickle", 0.02)] * 5
    dest = tmp_path / "Alpha.zip"
    started = time.monotonic()
    with pytest.raises(DatasetError, match=r"not fetched within the deadline of 0.5 s \(stopped at byte \d+\); "
                                           r"the next run resumes it"):
        fetch(server.url_template.format(folder="Alpha"), dest, min_rate=0, deadline=0.5, retries=3, backoff=0.0)
    assert 0.5 <= time.monotonic() - started < 2
    assert len(server.requests_for("Alpha.zip")) == 1


# --- failures that must clear, and two downloads at once ----------------------------------

def test_an_archive_that_fails_to_unpack_with_an_os_error_is_fetched_afresh(tmp_path, server):
    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    good = server.files["Alpha.zip"]
    files = {"Alpha/" + name: data for name, data in sequence_files("Alpha").items()}
    server.files["Alpha.zip"] = build_zip({"Alpha/img": b"a file where a folder must go", **files})
    report = download_benchmark(benchmark, root, sequences=["Alpha"], **FAST)
    assert "Alpha" in report.failed and "Alpha/img" in report.failed["Alpha"]
    assert not (root / PARTIAL_DIR).exists()  # the archive is not kept to fail again
    server.files["Alpha.zip"] = good
    report = download_benchmark(benchmark, root, sequences=["Alpha"], **FAST)
    assert report.ok and len(server.requests_for("Alpha.zip")) == 2
    assert_complete(benchmark, root, ["Alpha"])


def test_two_downloads_into_one_root_install_each_folder_once(tmp_path, server, caplog):
    import threading

    benchmark = make_benchmark(tmp_path, server.url_template)
    root = tmp_path / "data"
    server.faults["Alpha.zip"] = [("delay", 0.5)]  # the first download holds Alpha for a while
    reports = {}

    def run(key):
        reports[key] = download_benchmark(benchmark, root, sequences=["Alpha"], **FAST)
    first = threading.Thread(target=run, args=("first",))
    first.start()
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    run("second")  # waits for the first, then finds Alpha complete
    first.join()
    assert reports["first"].downloaded == ["Alpha"] and reports["first"].ok
    assert reports["second"].skipped == ["Alpha"] and reports["second"].ok
    assert len(server.requests_for("Alpha.zip")) == 1
    assert "Alpha is being installed by another download" in caplog.text
    assert_complete(benchmark, root, ["Alpha"])
    assert sorted(p.name for p in root.iterdir()) == ["Alpha"]  # no lock file or .download/ left


def test_the_install_lock_survives_its_file_being_removed(tmp_path):
    """A waiter whose lock file was removed by the holder locks the path afresh."""
    import threading

    partial = tmp_path / PARTIAL_DIR
    inside, order = threading.Event(), []

    def second():
        inside.wait()
        with download._install_lock(partial, "Alpha"):
            order.append("second in")
            assert (partial / "Alpha.lock").exists()
        order.append("second out")
    thread = threading.Thread(target=second)
    thread.start()
    with download._install_lock(partial, "Alpha"):
        inside.set()
        time.sleep(0.2)
        order.append("first out")
    thread.join()
    assert order == ["first out", "second in", "second out"] and not (partial / "Alpha.lock").exists()


# --- the command line -------------------------------------------------------------------

@pytest.mark.parametrize("option, value, expected", [
    ("--timeout", "0", "--timeout must be a number more than 0, got '0'"),
    ("--timeout", "nan", "--timeout must be a number more than 0, got 'nan'"),
    ("--min-rate", "-1", "--min-rate must be a number at least 0, got '-1'"),
    ("--deadline", "soon", "--deadline must be a number more than 0, got 'soon'"),
    ("--max-unpacked", "lots", "--max-unpacked must be a size such as 4G, 500M or 1048576 (bytes), got 'lots'"),
    ("--max-unpacked", "0", "--max-unpacked must be a size such as 4G, 500M or 1048576 (bytes), got '0'"),
    ("--max-unpack-ratio", "inf", "--max-unpack-ratio must be a number more than 0, got 'inf'"),
])
def test_cli_download_limits_are_validated(tmp_path, server, option, value, expected):
    from conftest import invoke

    benchmark = make_benchmark(tmp_path, server.url_template)
    result = invoke("download", benchmark.path, "--root", tmp_path / "data", option, value)
    assert (result.exit_code, result.output) == (2, f"error: {expected}\n")
    assert server.requests == [] and not (tmp_path / "data").exists()


def test_cli_download_options_reach_the_downloader(tmp_path, monkeypatch):
    from conftest import invoke

    calls = []

    def record(bench, root, **options):
        calls.append(options)
        return download.DownloadReport(Path(root))
    monkeypatch.setattr(download, "download_benchmark", record)
    (tmp_path / "b.yaml").write_text("name: b\nformat: otb\nsequences: {}\nexperiments: {ope: {protocol: ope}}\n")
    assert invoke("download", tmp_path / "b.yaml", "--root", tmp_path, "-q").exit_code == 0
    defaults = calls.pop()
    assert (defaults["timeout"], defaults["min_rate"], defaults["deadline"], defaults["unpack"]) == \
        (download.DEFAULT_TIMEOUT, download.DEFAULT_MIN_RATE, None, UnpackLimits())  # the library's defaults
    monkeypatch.setenv("RASBENCH_MAX_UNPACK_RATIO", "7")
    assert invoke("download", tmp_path / "b.yaml", "--root", tmp_path, "-q", "--timeout", "2.5", "--min-rate", "0",
                  "--deadline", "600", "--max-unpacked", "1.5G").exit_code == 0
    given = calls.pop()
    assert (given["timeout"], given["min_rate"], given["deadline"], given["unpack"]) == \
        (2.5, 0.0, 600.0, UnpackLimits(max_ratio=7.0, max_bytes=3 << 29))


@pytest.mark.parametrize("archive", ["sequences/bag.zip", "bag/color.zip"])
def test_vot_archives_are_extracted_as_safely_as_otb_ones(tmp_path, archive):
    import json

    files = vot_server_files()
    with zipfile.ZipFile(io.BytesIO(files[archive])) as original:
        members = {name: original.read(name) for name in original.namelist()}
    files[archive] = zip_with_symlink({**members, "../../../evil.txt": b"owned"}, "link", "/etc/passwd")
    description = json.loads(files["description.json"])
    entry = next(e for e in description["sequences"] if e["name"] == "bag")
    item = entry["annotations"] if archive.startswith("sequences/") else entry["channels"]["color"]
    item["checksum"] = hashlib.md5(files[archive]).hexdigest()
    files["description.json"] = json.dumps(description).encode()
    with ArchiveServer(files) as server:
        report = download_benchmark(vot_benchmark(tmp_path, server), tmp_path / "vot", progress=False, backoff=0.0)
    assert report.downloaded == ["ants"] and "unsafe member '../../../evil.txt'" in report.failed["bag"]
    assert not list(tmp_path.rglob("evil.txt")) and not (tmp_path / "vot" / "bag").exists()
    kept = [p.name for p in (tmp_path / "vot" / PARTIAL_DIR).glob("*")]  # the bad archive is gone, a good one stays
    assert kept == ([] if archive.startswith("sequences/") else ["bag.annotations.zip"])
