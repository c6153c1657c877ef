"""TraX in pure Python (rasbench.trax): wire format, both roles against the reference
implementation (the vot-trax package, i.e. libtrax), runs through the runner, faults.

Everything runs on pipes or 127.0.0.1. The reference package is only ever imported
here, never by rasbench itself.
"""
from __future__ import annotations

import configparser
import dataclasses
import gc
import io
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import TESTS

from rasbench.cli import main as rasbench_cli
from rasbench.datasets import open_dataset
from rasbench.errors import TrackerError
from rasbench.registry import resolve
from rasbench.results.otb import read_boxes
from rasbench.runner import run_experiment
from rasbench.trax import (
    Hello,
    Message,
    MessageParser,
    Region,
    TraxDeclaration,
    TraxTracker,
    encode_message,
    find_declaration,
    image_argument,
    load_registry,
    parse_image,
    parse_message,
    parse_region,
    registry_files,
    serve,
    trackers_ini_entry,
)

FIXTURES = TESTS / "trax_fixtures"
PY = sys.executable
RAW = f"{shlex.quote(PY)} {shlex.quote(str(FIXTURES / 'raw_tracker.py'))}"
OUR_SERVER = f"{shlex.quote(PY)} -m rasbench trax"


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------

def _children() -> dict[int, str] | None:
    """This process's child processes: pid -> state ('Z' for a zombie); None when that cannot be told."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        return {c.pid: ("Z" if c.status() == psutil.STATUS_ZOMBIE else "R") for c in psutil.Process().children()}
    if not Path("/proc/self/stat").exists():
        return None
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == os.getpid():
                found[int(entry)] = state
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is alive (a zombie is not)."""
    if not Path("/proc/self/stat").exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture(autouse=True)
def no_leftover_processes():
    """Every test must leave no child process behind, running or zombie (checked with psutil or /proc)."""
    before = _children()
    yield
    if before is None:
        return
    gc.collect()  # trackers dropped by the test close their processes when collected
    deadline = time.monotonic() + 3
    while True:
        left = {pid: state for pid, state in _children().items() if pid not in before}
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not left, f"child processes left behind (pid: state): {left}"


@pytest.fixture
def declare(tmp_path, monkeypatch):
    """Write a trackers.ini and point $RASBENCH_TRAX_REGISTRY at it."""
    def write(text: str) -> Path:
        path = tmp_path / "registry" / "trackers.ini"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        monkeypatch.setenv("RASBENCH_TRAX_REGISTRY", str(path))
        return path
    return write


def _our_server_section(name: str, spec: str, extra: str = "") -> str:
    return (f"[{name}]\nlabel = {name} via rasbench trax\nprotocol = trax\n"
            f"command = {OUR_SERVER} --tracker {spec} {extra}\nenv_PYTHONPATH = {TESTS}\n")


def _run(bench, root, results, tracker, experiment="ope", params=None, **kwargs):
    dataset = open_dataset(bench, root=root, sequences=kwargs.pop("sequences", None))
    return run_experiment(bench, experiment, dataset, resolve(tracker, params or {}), results, progress=False, **kwargs)


@pytest.fixture
def frames(tmp_path):
    """Five small frames (a bright box moving right) in a folder whose name has a space and a quote."""
    folder = tmp_path / 'frames "x" y'
    folder.mkdir()
    paths = []
    for k in range(5):
        image = np.full((48, 64, 3), 30, np.uint8)
        image[10:30, 5 + 3 * k: 21 + 3 * k] = (200, 180, 60)
        path = folder / f"{k + 1:08d}.jpg"
        cv2.imwrite(str(path), image)
        paths.append(str(path))
    return paths


def _reference_client():
    trax = pytest.importorskip("trax")
    if not hasattr(trax, "Server"):  # another package called trax (Google's) is installed
        pytest.skip("the installed `trax` is not vot-trax")
    from trax.client import Client
    from trax.image import FileImage
    from trax.region import Polygon, Rectangle
    return Client, FileImage, Polygon, Rectangle


# --------------------------------------------------------------------------------------
# wire format
# --------------------------------------------------------------------------------------

TRICKY = ["plain", "with space", 'a "quoted" word', "back\\slash", "trailing\\", "new\nline", "x=1", "=lead",
          "file:///p/a=b.jpg", "tab\tand unicode ä€", ""]


def test_encoding_is_libtrax_style_and_round_trips():
    line = encode_message("state", ["1.0,2.0,3.0,4.0"], {"confidence": "0.5"})
    assert line == b'@@TRAX:state "1.0,2.0,3.0,4.0" "confidence=0.5" \n'
    assert encode_message("quit") == b"@@TRAX:quit \n"
    props = {"trax.reason": 'he said "no" \\ twice\nthen left', "key.with_dots": "a=b=c", "e": ""}
    line = encode_message("initialize", TRICKY, props)
    assert line.count(b"\n") == 1  # newlines inside arguments are escaped
    assert MessageParser().feed(line) == [Message("initialize", TRICKY, props)]
    with pytest.raises(ValueError, match="cannot name a TraX property"):
        encode_message("state", [], {"bad key": "x"})
    with pytest.raises(ValueError, match="cannot name a TraX property"):
        encode_message("state", [], {"k" * 65: "x"})


@pytest.mark.parametrize("line, expected", [
    # libtrax's own output (quoted tokens, properties, trailing space)
    ('@@TRAX:hello "trax.version=4" "trax.region=rectangle;" "trax.name=ref tracker" ',
     Message("hello", [], {"trax.version": "4", "trax.region": "rectangle;", "trax.name": "ref tracker"})),
    # unquoted tokens and escapes in them, extra spaces, type in capitals, the old name status
    ("@@TRAX:STATUS  1,2,3,4   confidence=0.5 un\\ quoted\\\"x", Message("state", ["1,2,3,4", 'un quoted"x'],
                                                                           {"confidence": "0.5"})),
    ('@@TRAX:frame "file:///a b/c.jpg"', Message("frame", ["file:///a b/c.jpg"])),
    ("@@TRAX:quit", Message("quit")),
    ('@@TRAX:initialize', Message("initialize")),
    # an '=' after an invalid key is part of an argument; an escaped '=' never splits
    ('@@TRAX:frame "data:image/png;abc=" "a.b_c=d" "x\\=y" "" ',
     Message("frame", ["data:image/png;abc=", "x=y", ""], {"a.b_c": "d"})),
    ('@@TRAX:state "=v"', Message("state", [], {"": "v"})),  # libtrax accepts an empty key
    ("@@TRAX:state \"1,2,3,4\"\r", Message("state", ["1,2,3,4"])),  # CRLF line ends
])
def test_reader_accepts_every_form_libtrax_reads(line, expected):
    assert MessageParser().feed(line.encode() + b"\n") == [expected]


@pytest.mark.parametrize("line", [
    "@@TRAX:state\"1,2,3,4\"",  # no space after the type
    '@@TRAX:state "1,2,3,4"x',  # a closing quote glued to the next token
    "@@TRAX:bogus 1 2",  # unknown type
    "@@TRAX:state 1,2,3,4\\",  # escape before the line end
    "@@TRAX:",  # nothing
])
def test_malformed_protocol_lines_are_ignored_and_noted(line):
    noted = []
    parser = MessageParser(on_other=noted.append)
    assert parser.feed(line.encode() + b"\n@@TRAX:quit\n") == [Message("quit")]
    assert len(noted) == 1 and "malformed" in noted[0]


def test_other_output_is_ignored_and_messages_survive_any_chunking():
    stream = (b"Loading model...\n  progress 50%\r\x00\xff binary\n"
              b"@@TRAX:state \"1.5,2,3,4\" \"c=1\" \nnot @@TRAX:quit\n"
              b"  @@TRAX:quit\n@@TRAX:frame \"multi\nline\" \"p=q\nr\"\n@@TRAX:quit")
    noted = []
    parser = MessageParser(on_other=noted.append)
    messages = []
    for k in range(len(stream)):  # one byte at a time
        messages += parser.feed(stream[k:k + 1])
    messages += parser.finish()  # the last line has no newline
    assert messages == [Message("state", ["1.5,2,3,4"], {"c": "1"}), Message("frame", ["multi\nline"], {"p": "q\nr"}),
                        Message("quit")]
    assert noted[:2] == ["Loading model...", "  progress 50%\r\x00\udcff binary"]
    assert "not @@TRAX:quit" in noted and "  @@TRAX:quit" in noted


def test_overlong_lines_are_dropped_not_buffered_forever():
    noted = []
    parser = MessageParser(on_other=noted.append, max_message_bytes=1000)
    assert parser.feed(b"x" * 5000) == [] and parser.feed(b"y" * 5000) == []
    assert parser.feed(b"zzz\n@@TRAX:quit\n") == [Message("quit")]
    assert len(noted) == 1 and "longer than 1000 bytes" in noted[0]


def test_parse_message_signals_an_open_quote():
    from rasbench.trax.wire import _Incomplete
    with pytest.raises(_Incomplete):
        parse_message('@@TRAX:frame "still open')
    assert parse_message("no prefix") is None


def test_regions():
    assert parse_region("137.0000,458.0000,39.0000,95.0000") == Region("rectangle", (137.0, 458.0, 39.0, 95.0))
    polygon = parse_region("1,2, 5,2, 5,9, 1,9.5")
    assert polygon.kind == "polygon" and list(polygon.to_box()) == [1, 2, 4, 7.5]  # min/max, no +1
    assert parse_region("poly:1,2,3,4,5,6").kind == "polygon" and parse_region("rect:1,2,3,4").kind == "rectangle"
    assert parse_region("0") == Region("special", (0,)) and np.isnan(parse_region("-1").to_box()).all()
    assert np.isnan(parse_region("nan,nan,nan,nan").to_box()).all()
    mask = parse_region("mask:10,20,4,2,1,2,3")  # alternating runs from background; the rest is background
    assert mask.mask.astype(int).tolist() == [[0, 1, 1, 0], [0, 0, 0, 0]]
    assert list(mask.to_box()) == [11, 20, 2, 1]  # pixel bounds, +1 (libtrax)
    assert mask.encode() == "mask:10,20,4,2,1,2"  # a trailing background run is implied
    full = Region.from_mask(np.ones((2, 3)), 1, 1)
    assert full.encode() == "mask:1,1,3,2,0,6" and parse_region(full.encode()).mask.all()
    box = [0.1, 1 / 3, 1e-7, 12345.678901234]
    assert list(parse_region(Region.rectangle(box).encode()).values) == box  # exact round trip
    for bad, reason in [("", "empty"), ("1,2,3", "no TraX region has 3 numbers"), ("1,2,x,4", "not a number"),
                        ("1,2,3,4,5,6,7", "no TraX region has 7 numbers"), ("mask:1,2,3", "mask"),
                        ("mask:0,0,2,2,1.5", "mask")]:
        with pytest.raises(ValueError, match=reason):
            parse_region(bad)


@pytest.mark.parametrize("text, frame_size, reason", [
    ("mask:0,0,100000,100000,1,2", None, "100000x100000 is more pixels than any frame has"),
    ("mask:0,0,100000,100000,1,2", (640, 480), "100000x100000 is more pixels than any frame has"),
    ("mask:60,0,8,8,1", (64, 48), "8x8 at (60, 0) does not fit in its 64x48 frame"),
    ("mask:-1,0,4,4,1", (64, 48), "4x4 at (-1, 0) does not fit in its 64x48 frame"),
    ("mask:0,0,4,2,1,2,9", None, "its run lengths cover 12 pixels, more than its 4x2"),
    ("mask:0,0,4,2,1,1e300", None, "run lengths cover"),
    ("mask:nan,0,4,2,1", None, "needs mask:x,y,w,h"),
])
def test_a_mask_cannot_be_larger_than_its_frame(text, frame_size, reason):
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=re.escape(reason)):
            parse_region(text, frame_size)
        assert tracemalloc.get_traced_memory()[1] < 1 << 20  # nothing the size of the declared mask
    finally:
        tracemalloc.stop()
    fits = parse_region("mask:60,40,4,8,1,2", (64, 48))
    assert list(fits.to_box()) == [61, 40, 2, 1] and fits.mask.shape == (8, 4)


def test_images():
    assert parse_image("file:///data/a b.jpg") == parse_image("/data/a b.jpg")  # legacy bare path
    assert parse_image("file:/data/x.jpg").data == "/data/x.jpg"
    assert parse_image("image:2;2;rgb;AAAA").kind == "memory" and parse_image("data:image/png;AAA").kind == "buffer"
    assert parse_image("http://host/x.jpg") == parse_image("http://host/x.jpg") and \
        parse_image("http://host/x.jpg").kind == "url"
    assert image_argument("rel/x.jpg") == "file://" + os.path.abspath("rel/x.jpg")


def test_hello_properties():
    hello = Hello.from_properties({"trax.version": "4", "trax.region": "polygon;rectangle;", "trax.image": "path;",
                                   "trax.channels": "color;", "trax.multiobject": "1", "vot": "python"})
    assert hello.regions == ("rectangle", "polygon") and hello.multiobject and hello.custom == {"vot": "python"}
    assert Hello.from_properties(hello.properties()) == hello
    legacy = Hello.from_properties({"trax.channels": "depth;"})  # version 1: no channels
    assert legacy.version == 1 and legacy.channels == ("color",) and legacy.regions == ("rectangle",)
    assert Hello.from_properties({"trax.version": "x"}).version == 1


# --------------------------------------------------------------------------------------
# server (in-process streams)
# --------------------------------------------------------------------------------------

def _serve(tracker, lines, **options):
    out = io.BytesIO()
    status = serve(tracker, stdin=io.BytesIO("".join(line + "\n" for line in lines).encode()), stdout=out, **options)
    return status, MessageParser().feed(out.getvalue())


def _line(kind, *args, **properties):
    return encode_message(kind, args, properties).decode().rstrip("\n")


def test_server_speaks_version_4_and_the_legacy_form(frames, tmp_path):
    from fake_trackers import Recorder

    plain = tmp_path / "plain.jpg"
    plain.write_bytes(Path(frames[1]).read_bytes())
    lines = [_line("initialize", "1,2,3,4"), _line("frame", image_argument(frames[0]), note="x"),
             f"@@TRAX:frame {plain}",  # a legacy bare path, unquoted
             _line("initialize"), _line("initialize", "poly:5,6,9,6,9,8,5,8"), _line("frame", frames[2]),
             _line("initialize", frames[3], "7,8,9,10"),  # versions 1-3
             _line("frame", frames[4]), _line("quit")]
    Recorder.init_boxes.clear()
    status, replies = _serve(Recorder(), lines)
    assert status == 0
    hello = Hello.from_properties(replies[0].properties)
    assert (hello.version, hello.name, hello.regions, hello.images, hello.channels) == \
        (4, "recorder", ("rectangle",), ("path",), ("color",))
    assert [m.type for m in replies] == ["hello"] + ["state"] * 5
    assert replies[1].args == ["1.0,2.0,3.0,4.0"] and replies[2].properties == {"confidence": "0.5"}
    assert replies[3].args == ["5.0,6.0,4.0,2.0"]  # a polygon becomes its min/max box (w = max - min)
    assert [list(b) for b in Recorder.init_boxes] == [[1, 2, 3, 4], [5, 6, 4, 2], [7, 8, 9, 10]]
    status, replies = _serve(Recorder(), lines[:2], version=3, name="custom")
    assert status == 0 and replies[0].properties["trax.version"] == "3"
    assert replies[0].properties["trax.name"] == "custom"


def test_server_reports_polygons_and_confidence_when_asked(frames):
    sys.path.insert(0, str(FIXTURES))
    try:
        from fixture_trackers import PathEcho, PolygonDrift
    finally:
        sys.path.remove(str(FIXTURES))
    lines = [_line("initialize", "1,2,10,20"), _line("frame", frames[0]), _line("frame", frames[1])]
    _, replies = _serve(PolygonDrift(), lines, region="polygon")
    assert replies[0].properties["trax.region"] == "rectangle;polygon;"
    assert parse_region(replies[2].args[0]).values == (2.0, 12.0, 7.0, 2.0, 12.0, 12.0, 7.0, 22.0)
    assert replies[2].properties == {"confidence": "0.25"}
    _, replies = _serve(PolygonDrift(), lines)  # rectangle server: the box
    assert replies[2].args == ["2.0,2.0,10.0,20.0"]
    _, replies = _serve(PathEcho(), lines)  # a path tracker gets the path, not pixels
    assert float(replies[2].properties["confidence"]) == len(frames[1])


@pytest.mark.parametrize("lines, reason", [
    (['@@TRAX:frame "/x.jpg"'], "frame before initialize"),
    (['@@TRAX:initialize "1,2,3"'], "no TraX region has 3 numbers"),
    (['@@TRAX:initialize "1,2,3,4"', '@@TRAX:initialize "1,2,3,4"', '@@TRAX:frame "/x.jpg"'], "follows one"),
    (['@@TRAX:initialize "0"', '@@TRAX:frame "/x.jpg"'], "special region"),
    (['@@TRAX:initialize "1,2,3,4"', '@@TRAX:frame "data:image/png;AAAA"'], "file paths only"),
    (['@@TRAX:initialize "1,2,3,4"', '@@TRAX:frame "/no/such/frame.jpg"'], "image file is missing"),
    (['@@TRAX:state "1,2,3,4"'], "unexpected state"),
])
def test_server_quits_with_a_reason_on_bad_requests(lines, reason, capsys):
    from fake_trackers import Recorder

    status, replies = _serve(Recorder(), lines)
    assert status == 1 and replies[-1].type == "quit" and reason in replies[-1].properties["trax.reason"]
    assert reason in capsys.readouterr().err


@pytest.mark.parametrize("path_tracker", [False, True])
@pytest.mark.parametrize("region, reason", [
    ("mask:60,0,8,8,1", "mask region: 8x8 at (60, 0) does not fit in its 64x48 frame"),
    ("mask:0,0,100000,100000,1", "more pixels than any frame has"),
])
def test_server_bounds_a_mask_by_its_frame(frames, region, reason, path_tracker, capsys):
    from fake_trackers import Recorder

    sys.path.insert(0, str(FIXTURES))
    try:
        from fixture_trackers import PathEcho
    finally:
        sys.path.remove(str(FIXTURES))
    tracker = PathEcho() if path_tracker else Recorder()
    for lines in ([_line("initialize", region), _line("frame", frames[0])],  # version 4
                  [_line("initialize", frames[0], region)]):  # versions 1-3
        status, replies = _serve(tracker, lines)
        assert status == 1 and reason in replies[-1].properties["trax.reason"]
    status, replies = _serve(tracker, [_line("initialize", "mask:10,20,4,2,1,2"), _line("frame", frames[0])])
    assert status == 0 and replies[1].args == ["11.0,20.0,2.0,1.0"]


def test_server_ends_quietly_when_the_client_goes_away():
    from fake_trackers import Recorder

    assert _serve(Recorder(), ['@@TRAX:initialize "1,2,3,4"'])[0] == 0


# --------------------------------------------------------------------------------------
# our server <-> the reference client
# --------------------------------------------------------------------------------------

def _start_our_server(args, *, env_extra=None, stdout=subprocess.PIPE):
    env = dict(os.environ, PYTHONPATH=str(TESTS), **(env_extra or {}))
    proc = subprocess.Popen([PY, "-m", "rasbench", "trax", *args], stdin=subprocess.PIPE, stdout=stdout,
                            stderr=subprocess.PIPE, env=env, bufsize=0)
    watchdog = threading.Timer(30, proc.kill)  # the reference client has no timeout of its own on pipes
    watchdog.start()
    return proc, watchdog


@pytest.mark.parametrize("version", [4, 3])
def test_our_server_with_the_reference_client(version, frames):
    Client, FileImage, Polygon, Rectangle = _reference_client()
    spec = f"{FIXTURES / 'fixture_trackers.py'}:PolygonDrift"
    name = 'odd "name" \\ here'
    proc, watchdog = _start_our_server(["--tracker", spec, "--region", "polygon", "--trax-version", str(version),
                                        "--name", name])
    try:
        client = Client(stream=(proc.stdin.fileno(), proc.stdout.fileno()), log=lambda text: None)
        assert client.tracker_name == name and sorted(client.region_formats) == ["polygon", "rectangle"]
        objects, _ = client.initialize({"color": FileImage.create(frames[0])}, [(Rectangle.create(1, 2, 10, 20), {})],
                                       {"k": "v"})
        assert objects[0][0].bounds() == (1, 2, 10, 20)
        objects, _ = client.frame({"color": FileImage.create(frames[1])}, {}, [])
        region, properties = objects[0]
        assert list(region) == [(2, 12), (7, 2), (12, 12), (7, 22)] and properties == {"confidence": "0.25"}
        # re-initialise the same process from a polygon (v4: an empty initialize first)
        polygon = Polygon.create([(5, 6), (15, 6), (15, 16), (5, 16.5)])
        objects, _ = client.initialize({"color": FileImage.create(frames[2])}, [(polygon, {})], {})
        objects, _ = client.frame({"color": FileImage.create(frames[3])}, {}, [])
        assert list(objects[0][0])[0] == (6, 6 + 10.5 / 2)  # the box it was given: 5, 6, 10, 10.5
        client.quit()
        assert proc.wait(10) == 0
    finally:
        watchdog.cancel()
        proc.kill()
        proc.wait()
        proc.stdin.close(), proc.stdout.close(), proc.stderr.close()


@pytest.mark.parametrize("spec, use_socket, error", [
    ("fake_trackers:Recorder", True, None),
    ("fixture_trackers.py:Chatty", False, None),  # prints to stdout (no newline): kept off the protocol stream
    ("fixture_trackers.py:Explodes", False, "RuntimeError: exploded on purpose")])
def test_reference_client_over_a_socket_chatty_trackers_and_tracker_errors(spec, use_socket, error, frames):
    Client, FileImage, Polygon, Rectangle = _reference_client()
    spec = spec.replace("fixture_trackers.py", str(FIXTURES / "fixture_trackers.py"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    env = {"TRAX_SOCKET": str(listener.getsockname()[1])} if use_socket else {}
    proc, watchdog = _start_our_server(["--tracker", spec], env_extra=env)
    try:
        if use_socket:
            client = Client(stream=listener.fileno(), timeout=20, log=lambda text: None)
        else:
            client = Client(stream=(proc.stdin.fileno(), proc.stdout.fileno()), log=lambda text: None)
        objects, _ = client.initialize({"color": FileImage.create(frames[0])},
                                       [(Rectangle.create(1.5, 2.25, 10, 20), {})], {})
        try:
            for path in frames[1:]:
                objects, _ = client.frame({"color": FileImage.create(path)}, {}, [])
                assert objects[0][0].bounds() == (1.5, 2.25, 10, 20)
        except Exception as exc:  # trax.TraxException
            assert error and error in str(exc)
            assert proc.wait(10) == 1 and error.encode() in proc.stderr.read()
        else:
            assert error is None
            client.quit()
            assert proc.wait(10) == 0
    finally:
        watchdog.cancel()
        listener.close()
        proc.kill()
        proc.wait()
        proc.stdin.close(), proc.stdout.close(), proc.stderr.close()


def test_server_cannot_build_the_tracker():
    proc = subprocess.run([PY, "-m", "rasbench", "trax", "--tracker", "nosuchtracker"], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30)
    assert proc.returncode == 2 and "unknown tracker 'nosuchtracker'" in proc.stderr and "@@TRAX" not in proc.stdout


# --------------------------------------------------------------------------------------
# our client <-> the reference server
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("region, use_socket", [("rectangle", False), ("polygon", False), ("rectangle", True)])
def test_our_client_with_a_reference_server(region, use_socket, frames):
    _reference_client()
    declaration = TraxDeclaration("ref", "trax", f"{RAW.split()[0]} {FIXTURES / 'ref_tracker.py'} {region}",
                                  socket=use_socket)
    note = 'a "quoted" \\ value\nwith a newline'
    with TraxTracker(declaration, timeout=20, arg_note=note) as tracker:
        info = tracker.describe()
        assert info["trax_version"] == 4 and info["trax_name"] == "ref tracker"
        assert info["trax_custom"] == {"ref.note": 'quote " backslash \\ end'}
        tracker.init(frames[0], [1.5, 2.25, 10, 20])
        prediction = tracker.update(frames[1])
        assert prediction.confidence == 0.75
        if region == "polygon":  # a polygon-only tracker gets libtrax's corners x .. x + w - 1
            assert list(prediction.polygon) == [2.5, 2.25, 11.5, 2.25, 11.5, 21.25, 2.5, 21.25]
            assert list(prediction.box) == [2.5, 2.25, 9, 19]
        else:
            assert list(prediction.box) == [2.5, 2.25, 10, 20] and prediction.polygon is None
        pid = tracker._holder.process.proc.pid
        tracker.init(frames[2], [3, 4, 5, 6])  # the same process, re-initialised
        prediction = tracker.update(frames[3])
        assert tracker._holder.process.proc.pid == pid and prediction.box[0] == 4


def test_wire_details_survive_both_implementations(frames):
    """Our writer -> libtrax's reader -> libtrax's writer -> our reader, with awkward text."""
    _reference_client()
    declaration = TraxDeclaration("ref", "trax", f"{RAW.split()[0]} {FIXTURES / 'ref_tracker.py'}")
    note = 'a "quoted" \\ value\nwith a newline, = and x=y'
    with TraxTracker(declaration, timeout=20, arg_note=note, arg_x="1") as tracker:
        tracker.init(frames[0], [1, 2, 3, 4])
        process = tracker._holder.process
        message, _ = process.request(encode_message("frame", [image_argument(frames[1])]), 10, "a frame", "state")
        assert message.properties["echo.path"] == frames[1]  # spaces and quotes in the path
        assert message.properties["echo.note"] == note and message.properties["echo.x"] == "1"
        assert int(message.properties["pid"]) == process.proc.pid


def test_libtrax_cannot_read_non_ascii(frames):
    """A known libtrax limitation, pinned so the documentation stays true: it reads any byte
    >= 0x80 as the end of the stream, so a non-ASCII path or property breaks the session
    with a libtrax tracker (rasbench's own reader and server handle UTF-8)."""
    _reference_client()
    declaration = TraxDeclaration("ref", "trax", f"{RAW.split()[0]} {FIXTURES / 'ref_tracker.py'}")
    tracker = TraxTracker(declaration, timeout=20, arg_note="caf\u00e9")
    with pytest.raises(TrackerError, match="quit .*reason: Exception when waiting for command: Protocol error"):
        tracker.init(frames[0], [1, 2, 3, 4])  # libtrax cut the frame message at the 'é' ...
        tracker.update(frames[1])  # ... and took the rest for a broken message


# --------------------------------------------------------------------------------------
# our client <-> our server, through the runner
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("socket_mode", [False, True])
def test_trax_run_equals_in_process_run_otb_ope(socket_mode, tiny_otb, tmp_path, declare):
    bench, root = tiny_otb
    declare(_our_server_section("brightbox", "fake_trackers:BrightBox") + f"socket = {socket_mode}\n")
    local = _run(bench, root, tmp_path / "res", "fake_trackers:BrightBox")
    remote = _run(bench, root, tmp_path / "res", "trax:brightbox")
    assert local.ok and remote.ok and remote.completed == 2
    folder = tmp_path / "res" / "tiny"
    for seq in ("Alpha", "Beta"):
        assert (folder / "trax-brightbox/ope" / f"{seq}.txt").read_bytes() == \
            (folder / "brightbox/ope" / f"{seq}.txt").read_bytes()
    manifest = json.loads((folder / "trax-brightbox/ope/manifest.json").read_text())
    assert manifest["tracker_spec"] == "trax:brightbox" and manifest["tracker_info"]["trax_name"] == "brightbox"
    assert manifest["tracker_info"]["trax_family"] == "rasbench"
    times = np.loadtxt(folder / "trax-brightbox/ope/times/Alpha_time.txt")
    assert len(times) == 30 and (times > 0).all()


@pytest.fixture
def tiny_vot(tmp_path):
    """Two short VOT-layout sequences (polygon ground truth, color/ frames) and their benchmark."""
    import yaml

    from rasbench.config.benchmarks import load_benchmark

    data = tmp_path / "vot"
    for name, n, (x0, y0), (dx, dy) in (("alpha", 30, (5, 5), (1, 0.5)), ("beta", 25, (40, 20), (-0.5, 0.3))):
        (data / name / "color").mkdir(parents=True)
        lines = []
        for k in range(n):
            x, y = x0 + dx * k, y0 + dy * k
            image = np.full((48, 64, 3), 30 + 5 * k, np.uint8)
            image[int(y):int(y) + 10, int(x):int(x) + 12] = 220
            cv2.imwrite(str(data / name / "color" / f"{k + 1:08d}.jpg"), image)
            lines.append(f"{x},{y},{x + 12},{y},{x + 12},{y + 10},{x},{y + 10}")
        (data / name / "groundtruth.txt").write_text("\n".join(lines) + "\n")
    definition = tmp_path / "tinyvot.yaml"
    definition.write_text(yaml.safe_dump({
        "name": "tinyvot", "title": "tiny VOT test benchmark", "sequences": ["alpha", "beta"],
        "base": os.path.relpath(TESTS.parent / "experiments" / "vot" / "common.yaml", tmp_path),
        "experiments": {"baseline": {"protocol": "baseline", "repetitions": 15, "skip_initialize": 5,
                                     "burnin": 10, "failure_overlap": 0}}}))
    bench = load_benchmark(str(definition))
    return bench, open_dataset(bench, root=data, experiment="baseline")


def test_trax_run_equals_in_process_run_vot_baseline(tiny_vot, tmp_path, declare):
    """Resets re-initialise the same process; the trajectories (codes and regions) match byte for byte."""
    bench, dataset = tiny_vot
    spec = f"{FIXTURES / 'fixture_trackers.py'}:PixelLose"
    declare(_our_server_section("pixellose", spec, "-p after=8") + "meta_deterministic = true\n")
    local = run_experiment(bench, "baseline", dataset, resolve(spec, {"after": 8}), tmp_path / "res", progress=False)
    remote = run_experiment(bench, "baseline", dataset, resolve("trax:pixellose"), tmp_path / "res", progress=False)
    assert local.ok and remote.ok and local.completed == remote.completed == 2  # one repetition: deterministic
    folder = tmp_path / "res" / "tinyvot"
    for seq in ("alpha", "beta"):
        ours = (folder / "pixellose/baseline" / seq / f"{seq}_001.txt").read_text()
        assert ours.count("\n2\n") >= 2  # failures, hence re-initialisations, happened
        assert (folder / "trax-pixellose/baseline" / seq / f"{seq}_001.txt").read_text() == ours


def test_trax_predictions_are_bit_identical(frames, declare):
    """Full precision, not just the 3 decimals of result files: boxes cross the wire exactly."""
    from fake_trackers import Drift

    declare(_our_server_section("drift", "fake_trackers:Drift", "-p step=0.1"))
    local = Drift(step=0.1)
    local.init(cv2.imread(frames[0])[..., ::-1], [0.1, 1 / 3, 7.7, 2 ** 0.5])
    with resolve("trax:drift").create() as remote:
        remote.init(frames[0], [0.1, 1 / 3, 7.7, 2 ** 0.5])
        for path in frames[1:] * 3:
            assert list(remote.update(path).box) == list(local.update(None))


def test_one_process_serves_every_sequence_and_restart_is_honoured(frames, tmp_path, declare):
    _reference_client()
    section = f"[ref]\nprotocol = trax\ncommand = {RAW.split()[0]} {FIXTURES / 'ref_tracker.py'}\n"
    declare(section + "[ref_restart]\nprotocol = trax\n" + section.split("\n", 2)[2] + "restart = true\n")
    for name, same in (("ref", True), ("ref_restart", False)):
        with resolve(f"trax:{name}").create() as tracker:
            pids = []
            for start in (0, 2):
                tracker.init(frames[start], [1, 2, 3, 4])
                tracker.update(frames[start + 1])
                pids.append(tracker._holder.process.proc.pid)
            assert (pids[0] == pids[1]) is same


# --------------------------------------------------------------------------------------
# faults: the unit fails with the tracker's story, the run goes on, nothing is left behind
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode, expected", [
    ("exit", ["closed the protocol stream", "exit status 3", "| fatal: simulated crash"]),
    ("hang", ["sent no answer to a frame within the per-frame timeout (1 s)", "killed by rasbench",
              "-p timeout=SECONDS", "| raw_tracker: hanging, child"]),
    ("garbage", ["sent an invalid region: no TraX region has 3 numbers (4: rectangle", "protocol error",
                 "killed by rasbench", "| progress: some text a tracker prints"]),
    ("quit", ["quit instead of answering frame (reason: model diverged)"]),
    ("double", ["answered a frame with 2 messages (state, state) (protocol error: one answer per request)",
                "killed by rasbench"]),
])
def test_faulty_tracker_fails_its_sequence_and_the_run_goes_on(mode, expected, tiny_otb, tmp_path, declare):
    bench, root = tiny_otb
    declare(f"[raw-{mode}]\nprotocol = trax\ncommand = {RAW} {mode}\ntimeout = 20\n")
    params = {"frame_timeout": 1} if mode == "hang" else {}
    started = time.monotonic()
    summary = _run(bench, root, tmp_path / "res", f"trax:raw-{mode}", params=params)
    assert time.monotonic() - started < 15
    assert [(f.sequence, f.frame) for f in summary.failures] == [("Alpha", 4)]  # its third frame update
    assert summary.completed == 1
    folder = tmp_path / "res" / "tiny" / f"trax-raw-{mode}" / "ope"
    record = json.loads((folder / "Alpha.error.json").read_text())
    assert record["frame"] == 4 and "raw-" + mode in record["error"]
    for text in expected:
        assert text in record["error"], record["error"]
    assert "| raw_tracker: frame 3 of" in record["error"] or mode == "hang"
    assert not (folder / "Alpha.txt").exists()
    assert len(read_boxes(folder / "Beta.txt")) == 22  # the next sequence ran, in a new process
    if mode == "hang":  # what the hung tracker started went with it
        child = int(re.search(r"hanging, child (\d+)", record["error"]).group(1))
        deadline = time.monotonic() + 2
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _running(child)


@pytest.mark.parametrize("command, phase, expected", [
    ("/no/such/tracker --flag", "start-up", ["could not be started (/no/such/tracker:", "no process was started"]),
    (f"{RAW} startup-crash", "start-up", ["closed the protocol stream", "exit status 7",
                                         "| raw_tracker: cannot load model weights"]),
    (f"{RAW} startup-hang", "start-up", ["sent no hello within the start-up timeout (0.5 s)", "killed by rasbench",
                                        "It wrote nothing to stderr"]),
])
def test_start_up_failures(command, phase, expected, frames):
    tracker = TraxTracker(TraxDeclaration("bad", "trax", command), startup_timeout=0.5)
    with pytest.raises(TrackerError) as info:
        tracker.init(frames[0], [1, 2, 3, 4])
    assert f"'bad' failed during {phase}" in str(info.value)
    for text in expected:
        assert text in str(info.value)
    assert tracker._holder.process is None


@pytest.mark.parametrize("mode, fail_at, expected", [
    ("stray", 1, "sent 1 message (state) that no request asked for, before a frame was sent (protocol error"),
    ("hello", 2, "answered frame with a hello message (protocol error)"),
    ("two-hellos", 9, "sent 1 message (hello) that no request asked for, before initialize was sent"),
    ("idle-quit", 1, "quit while no answer was due (reason: tired); exit status 0"),
])
def test_every_message_out_of_turn_fails_the_session(mode, fail_at, expected, tmp_path):
    """One answer per request: a message at any other point would pair later answers with the wrong frames."""
    alpha = tmp_path / "Alpha"  # raw_tracker never opens the frames
    tracker = TraxTracker(TraxDeclaration("raw", "trax", f"{RAW} {mode} {fail_at}"), timeout=20)
    with pytest.raises(TrackerError) as info:
        tracker.init(str(alpha / "1.jpg"), [1, 2, 3, 4])
        for k in range(2, 5):
            time.sleep(0.5 if mode == "stray" else 0)  # the unasked state comes 0.3 s after an answer
            tracker.update(str(alpha / f"{k}.jpg"))
    assert expected in str(info.value)
    assert tracker._holder.process is None


@pytest.mark.parametrize("mask, expected", [
    ("mask:0,0,100000,100000,1,2", "sent an invalid region: mask region 'mask:0,0,100000,100000,1,2': "
                                   "100000x100000 is more pixels than any frame has"),
    ("mask:60,0,8,8,1", "8x8 at (60, 0) does not fit in its 64x48 frame (protocol error)"),
    ("mask:10,20,4,2,1,2", None),
])
def test_client_bounds_a_mask_by_its_frame(mask, expected, tmp_path):
    alpha = tmp_path / "Alpha"
    alpha.mkdir()
    for k in (1, 2):
        cv2.imwrite(str(alpha / f"{k}.jpg"), np.zeros((48, 64, 3), np.uint8))
    with TraxTracker(TraxDeclaration("raw", "trax", f"{RAW} mask 1 {mask}"), timeout=20) as tracker:
        tracker.init(str(alpha / "1.jpg"), [1, 2, 3, 4])
        if expected is None:
            assert list(tracker.update(str(alpha / "2.jpg")).box) == [11, 20, 2, 1]
            return
        with pytest.raises(TrackerError) as info:
            tracker.update(str(alpha / "2.jpg"))
    assert expected in str(info.value)


def test_start_up_failure_in_a_run_fails_each_unit_quickly(tiny_otb, tmp_path, declare):
    bench, root = tiny_otb
    declare("[missing]\nprotocol = trax\ncommand = /no/such/tracker\n")
    summary = _run(bench, root, tmp_path / "res", "trax:missing")
    assert [f.sequence for f in summary.failures] == ["Alpha", "Beta"]
    assert all("could not be started" in f.message for f in summary.failures)
    manifest = json.loads((tmp_path / "res/tiny/trax-missing/ope/manifest.json").read_text())
    assert "could not be started" in manifest["tracker_info"]["start_error"]


def test_interrupt_mid_frame_kills_the_process(frames, monkeypatch):
    tracker = TraxTracker(TraxDeclaration("raw", "trax", f"{RAW} hang 1"), timeout=20)
    alpha = Path(frames[0]).parent.parent / "Alpha"
    alpha.mkdir()
    tracker.init(str(alpha / "00000001.jpg"), [1, 2, 3, 4])  # raw_tracker never opens the file
    pid = tracker._holder.process.proc.pid
    import select as select_module

    real_select = select_module.select
    calls = []

    def interrupted(*args):  # Ctrl-C while waiting for the answer (once, as a user would)
        calls.append(args)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real_select(*args)
    monkeypatch.setattr(select_module, "select", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tracker.update(str(alpha / "00000002.jpg"))
    assert tracker._holder.process is None and not _running(pid)
    with pytest.raises(TrackerError, match="before a successful init"):
        tracker.update(str(alpha / "00000003.jpg"))


def test_a_tracker_that_died_while_idle_is_restarted_by_the_next_init(tmp_path, caplog):
    alpha, beta = tmp_path / "Alpha", tmp_path / "Beta"  # raw_tracker never opens the frames
    with TraxTracker(TraxDeclaration("raw", "trax", f"{RAW} leave 2"), timeout=20) as tracker:
        tracker.init(str(alpha / "1.jpg"), [1, 2, 3, 4])
        tracker.update(str(alpha / "2.jpg"))
        first = tracker._holder.process.proc.pid
        tracker.update(str(alpha / "3.jpg"))  # answered; then it exits
        time.sleep(0.2)
        tracker.init(str(beta / "1.jpg"), [5, 6, 7, 8])
        assert list(tracker.update(str(beta / "2.jpg")).box) == [5, 6, 7, 8]
        assert tracker._holder.process.proc.pid != first
    assert "exited between sequences (exit status 0)" in caplog.text


def test_unknown_parameters_and_bad_timeouts():
    declaration = TraxDeclaration("x", "trax", "true")
    with pytest.raises(TrackerError, match="unknown parameter 'speed'.*frame_timeout"):
        TraxTracker(declaration, speed=2)
    with pytest.raises(TrackerError, match="positive number of seconds"):
        TraxTracker(declaration, timeout=0)
    tracker = TraxTracker(dataclasses.replace(declaration, timeout=12), init_timeout=3, arg_model="big")
    assert (tracker.startup_timeout, tracker.init_timeout, tracker.frame_timeout) == (12, 3, 12)
    assert tracker.properties == {"model": "big"} and tracker.input == "path" and tracker.name == "trax-x"
    with pytest.raises(TypeError, match="file paths"):
        tracker.init(np.zeros((4, 4, 3), np.uint8), [1, 2, 3, 4])


# --------------------------------------------------------------------------------------
# registry files (the VOT toolkit's trackers.ini)
# --------------------------------------------------------------------------------------

def test_registry_search_order(tmp_path, monkeypatch):
    first, second = tmp_path / "a.ini", tmp_path / "b" / "trackers.ini"
    second.parent.mkdir()
    first.write_text("[one]\nprotocol = trax\ncommand = first\n")
    second.write_text("[one]\nprotocol = trax\ncommand = second\n[two]\nprotocol = trax\ncommand = two\n")
    cwd, config = tmp_path / "cwd", tmp_path / "config"
    (config / "rasbench").mkdir(parents=True)
    cwd.mkdir()
    (cwd / "trackers.ini").write_text("[three]\nprotocol = trax\ncommand = cwd\n[two]\nprotocol = trax\ncommand = x\n")
    (config / "rasbench" / "trackers.ini").write_text("[three]\nprotocol = trax\ncommand = home\n"
                                                      "[four]\nprotocol = trax\ncommand = home\n")
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("RASBENCH_TRAX_REGISTRY", os.pathsep.join([str(first), str(second.parent)]))
    assert registry_files()[:3] == [first, second, second.parent / "trackers.yaml"]
    assert [find_declaration(n).command for n in ("one", "two", "three", "four")] == ["first", "two", "cwd", "home"]
    with pytest.raises(TrackerError, match=r"no TraX tracker 'five'.*a\.ini \(one\).*RASBENCH_TRAX_REGISTRY"):
        find_declaration("five")
    with pytest.raises(TrackerError, match="no TraX tracker 'five'"):
        resolve("trax:five")  # an unknown name fails when the spec is resolved
    assert resolve("trax:one").default_name == "trax-one"


def test_declarations_as_the_vot_toolkit_reads_them(tmp_path, monkeypatch):
    monkeypatch.setenv("MYHOME", "/opt/me")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/usr/local/lib")
    path = tmp_path / "trackers.ini"
    path.write_text(
        "[ncc]\nlabel = NCC\nprotocol = traxpython\ncommand = ncc_tracker\npaths = src:/abs/lib\n"
        "env_CUDA_VISIBLE_DEVICES = 1\nenv_Home_Dir = $MYHOME/x\narg_Model = big\nmeta_deterministic = yes\n"
        "timeout = 90\nsocket = true\nlinkpaths = native\n\n"
        "[script]\nprotocol = traxpython\ncommand = import run; run.main(\"a\")\npaths = src\n"
        "python = /usr/bin/python3\n\n"
        "[native]\nprotocol = trax\ncommand = \"/opt/my tracker/bin\" --size 100%% -v\nrestart = 1\n\n"
        "[bad id!]\nprotocol = trax\ncommand = x\n\n[matlab]\nprotocol = traxmatlab\ncommand = t\n")
    with pytest.raises(TrackerError, match="protocol 'traxmatlab' is not one rasbench can run"):
        load_registry(path)
    path.write_text(path.read_text().split("[matlab]")[0])
    declarations = load_registry(path)
    assert sorted(declarations) == ["native", "ncc", "script"]  # [bad id!] skipped, as the toolkit does
    ncc = declarations["ncc"]
    assert ncc.argv() == [PY, "-m", "ncc_tracker"] and ncc.label == "NCC" and ncc.timeout == 90 and ncc.socket
    assert ncc.paths == [str(tmp_path / "src"), "/abs/lib"] and ncc.arguments == {"model": "big"}
    env = ncc.environment()
    assert env["CUDA_VISIBLE_DEVICES"] == "1" and env["HOME_DIR"] == "/opt/me/x" and env["TRAX"] == "1"
    assert env["PYTHONPATH"].split(os.pathsep)[:2] == ncc.paths and env["PYTHONUNBUFFERED"] == "1"
    assert env["LD_LIBRARY_PATH"] == os.pathsep.join([str(tmp_path / "native"), "/usr/local/lib"])
    assert TraxTracker(ncc).deterministic and TraxTracker(ncc).frame_timeout == 90
    script = declarations["script"]
    assert script.argv() == ["/usr/bin/python3", "-c", f"import sys; sys.path.insert(0, {str(tmp_path / 'src')!r}); "
                                                      "import run; run.main(\"a\")"]
    native = declarations["native"]
    assert native.argv() == ["/opt/my tracker/bin", "--size", "100%", "-v"] and native.restart
    assert "TRAX_SOCKET" not in native.environment({"TRAX_SOCKET": "9090", "PATH": "/bin"})
    path.write_text("[empty]\nprotocol = trax\n")
    with pytest.raises(TrackerError, match="no `command =` line"):
        load_registry(path)
    path.write_text("[dup]\ncommand = a\n[dup]\ncommand = b\n")
    with pytest.raises(TrackerError, match="cannot read this TraX registry"):
        load_registry(path)
    vot_tracker = pytest.importorskip("vot.tracker")  # the toolkit agrees on what the file holds
    path.write_text("[ncc]\nprotocol = traxpython\ncommand = ncc_tracker\nenv_X = 1\narg_Model = big\n")
    toolkit = vot_tracker.Registry([str(tmp_path)])["ncc"]
    assert (toolkit.protocol, toolkit._command, toolkit._arguments, toolkit._envvars) == \
        ("traxpython", "ncc_tracker", {"model": "big"}, {"X": "1"})


def test_yaml_registry(tmp_path):
    path = tmp_path / "trackers.yaml"
    path.write_text("mine:\n  protocol: trax\n  command: run --fast\n  env:\n    A: b\n  timeout: 5\n")
    declaration = load_registry(path)["mine"]
    assert declaration.argv() == ["run", "--fast"] and declaration.env == {"A": "b"} and declaration.timeout == 5


# --------------------------------------------------------------------------------------
# rasbench trax --print-config
# --------------------------------------------------------------------------------------

def _trax_cli(*args) -> tuple[int, str, str]:
    """``rasbench trax ARGS`` in this process: (exit status, stdout, stderr)."""
    result = CliRunner().invoke(rasbench_cli, ["trax", *args])
    return result.exit_code, result.stdout, result.stderr


def test_print_config_is_a_working_trackers_ini(tmp_path, frames, monkeypatch):
    status, text, _ = _trax_cli("--print-config", "--tracker", "fake_trackers:Drift", "-p", "step=0.5",
                                "--name", "drift_rb")
    assert status == 0
    config = configparser.ConfigParser()
    config.read_string(text)
    section = config["drift_rb"]
    argv = shlex.split(section["command"])
    assert argv[:6] == [os.path.abspath(PY), "-m", "rasbench", "trax", "--tracker", "fake_trackers:Drift"]
    assert argv[6:] == ["-p", "step=0.5"] and section["protocol"] == "trax"
    assert section["env_pythonpath"].split(os.pathsep)[0] == str(TESTS)  # fake_trackers lives in tests/
    # The VOT toolkit reads it the same way (configparser with interpolation, shlex).
    (tmp_path / "trackers.ini").write_text(text)
    vot_tracker = pytest.importorskip("vot.tracker")
    toolkit = vot_tracker.Registry([str(tmp_path)])["drift_rb"]
    assert toolkit.protocol == "trax" and shlex.split(toolkit._command) == argv
    # And it runs as written.
    declaration = load_registry(tmp_path / "trackers.ini")["drift_rb"]
    with TraxTracker(declaration, timeout=30) as tracker:
        tracker.init(frames[0], [1, 2, 3, 4])
        assert list(tracker.update(frames[1]).box) == [1.5, 2, 3, 4]


def test_print_config_variants(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.pt").write_text("weights")
    (tmp_path / "mine.py").write_text("class T:\n    def __init__(self, **kw): pass\n"
                                      "    def init(self, i, b): pass\n    def update(self, i): return [0] * 4\n")
    status, text, _ = _trax_cli("--print-config", "-t", "mine.py:T", "--weights", "model.pt", "--region", "polygon",
                                "-p", "cfg=model.pt", "-p", "note=100% sure", "-p", "flag=yes")
    assert status == 0
    config = configparser.ConfigParser()
    config.read_string(text)
    argv = shlex.split(config["rasbench_mine_py_T"]["command"])
    assert argv[5] == f"{tmp_path / 'mine.py'}:T"  # relative paths made absolute
    assert argv[6:] == ["-p", f"cfg={tmp_path / 'model.pt'}", "-p", "note=100% sure", "-p", "flag=true",
                        "-p", f"weights={tmp_path / 'model.pt'}", "--region", "polygon"]  # % read back from %%
    status, text, _ = _trax_cli("--print-config")  # every registered tracker
    assert status == 0
    config = configparser.ConfigParser()
    config.read_string(text)
    assert {"rasbench_identity", "rasbench_mil"} <= set(config.sections())
    assert "env_pythonpath" not in config["rasbench_identity"]
    status, _, err = _trax_cli()
    assert status == 2 and "error: --tracker is required" in err
    status, text, _ = _trax_cli("--help")
    assert status == 0 and "--print-config" in text
    status, _, err = _trax_cli("-t", "identity", "-p", "novalue")
    assert status == 2 and "KEY=VALUE" in err
    status, _, err = _trax_cli("--print-config", "-t", "identity", "--name", "bad name")
    assert status == 2 and "error: 'bad name' cannot name a VOT tracker" in err
    status, _, err = _trax_cli("-t", "identity", "--trax-version", "5")
    assert status == 2 and "5 is not a TraX version (1 to 4)" in err


def test_a_parameter_that_is_not_yaml_is_one_error_line():
    status, _, err = _trax_cli("--print-config", "-t", "identity", "-p", "size=[1, 2")
    assert status == 2 and "Traceback" not in err
    assert err.startswith("error: invalid value for --param: 'size=[1, 2': the value is not valid YAML (line 1, "
                          "column 6: expected ',' or ']'") and err.count("\n") == 1
    with pytest.raises(ValueError, match="cannot name a VOT tracker"):
        trackers_ini_entry("identity", identifier="bad name")
