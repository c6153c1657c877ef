"""TraX, the VOT toolkits' tracker protocol, in pure Python: server and client.

Nothing here loads the native ``libtrax`` (the most common TraX complaint is that
library failing to load) or imports the ``trax`` package; the tests use that package
only as the reference to talk to.

Protocol (trax ``docs/protocol.rst``, ``src/message.c``, ``src/trax.c``, ``src/region.c``)
------------------------------------------------------------------------------------------
* One message per line, ``@@TRAX:<type>`` then space-separated arguments. Any other
  line is not a message and is ignored, so a tracker may print freely.
* An argument is quoted (``"..."`` with ``\\"``, ``\\\\`` and ``\\n`` escapes; a quoted
  argument may even span lines) or unquoted. ``key=value`` with a key of up to 64
  characters from ``[A-Za-z0-9._]`` is a property, anything else an argument. Writers
  quote every argument (as libtrax does) and escape an ``=`` that would otherwise make
  an argument look like a property.
* ``hello`` (tracker to client: ``trax.version``, ``trax.region``, ``trax.image``,
  ``trax.channels``, ``trax.name``, ...), ``initialize``, ``frame``, ``state``
  (``status`` is an old alias) and ``quit`` (either side; ``trax.reason``).
* Versions 1-3 initialise with ``initialize IMAGE REGION``; version 4 (libtrax's
  current one) with ``initialize REGION`` per object followed by ``frame IMAGE``, an
  empty ``initialize`` first when the tracker already tracks something.
* Regions: ``x,y,w,h``; ``x1,y1,...,xn,yn`` (n >= 3); ``mask:x,y,w,h,r0,r1,...``
  (alternating run lengths, background first); one number = a special code.
  Images: ``file://<absolute path>`` (a bare path is the legacy form).
* Transport: the tracker's stdin/stdout, or a TCP connection the tracker opens to
  127.0.0.1 on the port in ``$TRAX_SOCKET`` (``$TRAX_IN``/``$TRAX_OUT`` name file
  descriptors).

Deliberate differences from libtrax, all lenient: a trailing ``\\r`` is dropped (CRLF
output works); a malformed ``@@TRAX:`` line is ignored as a whole (libtrax can leak its
arguments into the next message); region numbers must be numbers (libtrax's ``atof``
reads garbage as 0); a rectangle with NaN stays a NaN rectangle (libtrax makes it a
special region); an empty mask is accepted. Text is UTF-8 here, but libtrax (4.0.2)
reads any byte >= 0x80 as the end of its input, so a non-ASCII frame path or property
breaks a session with a libtrax tracker or with the VOT toolkit as client: keep data in
ASCII paths.

Two rules keep a misbehaving peer from doing harm: a mask region must fit its frame (and
its run lengths its declared size), so no region allocates more than a frame; and the
client fails the session on any message that arrives when no answer is due (a second
``state`` for one frame), as the protocol cannot match answers to requests and every
later answer would belong to the frame before.

Coordinates
-----------
Regions cross the protocol unchanged. VOT regions are 0-based, like the boxes of the
rasbench tracker contract, so nothing is shifted here; OTB's 1-based ground truth is
shifted by rasbench's dataset layer before it reaches any tracker. Server side, an
initial polygon becomes its min/max box (w = max - min, no +1, as the VOT toolkits and
libtrax do) and a mask its pixel bounding box (+1, as libtrax does).

Roles
-----
* :func:`serve` drives any rasbench tracker over TraX (``rasbench trax --tracker NAME``,
  :func:`main`); :func:`trackers_ini_entry` writes the ``trackers.ini`` section for a
  VOT workspace (``--print-config``).
* :class:`TraxTracker` is a rasbench tracker backed by an external TraX process declared
  in a ``trackers.ini`` registry (``--tracker trax:NAME``, :func:`trax_factory`).
"""
from __future__ import annotations

import argparse
import configparser
import contextlib
import json
import logging
import math
import os
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import weakref
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from .errors import RasbenchError, TrackerError

log = logging.getLogger("rasbench.trax")

PREFIX = "@@TRAX:"
PROTOCOL_VERSION = 4  # libtrax's current version (include/trax.h)
MESSAGE_TYPES = ("hello", "initialize", "frame", "state", "quit")
_TYPE_ALIASES = {"status": "state"}  # libtrax still reads the old name
REGION_FORMATS = ("rectangle", "polygon", "mask")
IMAGE_FORMATS = ("path", "url", "memory", "buffer")
CHANNELS = ("color", "depth", "ir")

DEFAULT_TIMEOUT = 30.0  # seconds; the VOT toolkit's default
TAIL_LINES = 20  # lines of a failed tracker's output quoted in the error
REGISTRY_ENV = "RASBENCH_TRAX_REGISTRY"
_MAX_MESSAGE_BYTES = 16 << 20  # a longer line is dropped (masks of big frames fit easily)
MAX_MASK_PIXELS = 1 << 26  # 67 Mpx, more than any frame (8K is 33 Mpx): bounds a mask whose frame is not known


# --------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------

_VALID_KEY = re.compile(r"[A-Za-z0-9._]{0,64}\Z")
_TYPE = re.compile(r"([A-Za-z0-9]*)(?: |\Z)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\[^\n])*)"')
_QUOTED_OPEN = re.compile(r'(?:[^"\\]|\\[^\n])*')
_UNQUOTED = re.compile(r'(?:[^ "\\\n]|\\[^\n])(?:[^ \\\n]|\\[^\n])*')


@dataclass
class Message:
    """One protocol message: its type, positional arguments and properties."""

    type: str
    args: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        return encode_message(self.type, self.args, self.properties)


class _Incomplete(Exception):
    """A quoted argument is still open at the end of the text (it continues on the next line)."""


def is_valid_key(key: str) -> bool:
    """Whether ``key`` can name a property (up to 64 of ``A-Z a-z 0-9 . _``; libtrax accepts '')."""
    return _VALID_KEY.match(key) is not None


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_argument(text: str) -> str:
    escaped = _escape(text)
    cut = text.find("=")
    if cut >= 0 and is_valid_key(text[:cut]):
        # Unescaped, the reader would take this argument for a property; the key part
        # has no characters that need escaping, so the first '=' sits at the same index.
        escaped = escaped[:cut] + "\\=" + escaped[cut + 1:]
    return escaped


def encode_message(kind: str, args: Sequence[str] = (), properties: Mapping[str, Any] | None = None) -> bytes:
    """One message line as libtrax writes it: every token quoted and followed by a space."""
    kind = kind.lower()
    if kind not in MESSAGE_TYPES:
        raise ValueError(f"unknown TraX message type {kind!r}")
    parts = [PREFIX, kind, " "]
    for arg in args:
        parts += ['"', _escape_argument(str(arg)), '" ']
    for key, value in (properties or {}).items():
        key = str(key)
        if not is_valid_key(key):
            raise ValueError(f"{key!r} cannot name a TraX property (up to 64 of A-Z a-z 0-9 . _)")
        parts += ['"', key, "=", _escape(str(value)), '" ']
    parts.append("\n")
    return "".join(parts).encode("utf-8", "surrogateescape")


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), raw, flags=re.S)


def _add_token(raw: str, args: list[str], properties: dict[str, str]) -> None:
    """Classify one token's raw text (escapes still in) as an argument or a property."""
    if "\\" not in raw:
        key, sep, value = raw.partition("=")
        if sep and is_valid_key(key):
            properties[key] = value
        else:
            args.append(raw)
        return
    # Only the first unescaped '=' can split a key off, and only when everything before
    # it (escapes decoded) is a valid key: libtrax's parser state machine, condensed.
    for match in re.finditer(r"\\.|=", raw, flags=re.S):
        if match.group() == "=":
            key = _unescape(raw[:match.start()])
            if is_valid_key(key):
                properties[key] = _unescape(raw[match.end():])
                return
            break
    args.append(_unescape(raw))


def parse_message(text: str) -> Message | None:
    """Parse one logical message (no final newline); None when ``text`` is not a valid message.

    Raises :class:`_Incomplete` when a quoted argument is still open at the end, i.e. the
    message continues on the next line.
    """
    if not text.startswith(PREFIX):
        return None
    match = _TYPE.match(text, len(PREFIX))
    if match is None:
        return None
    kind = match.group(1).lower()
    kind = _TYPE_ALIASES.get(kind, kind)
    if kind not in MESSAGE_TYPES:
        return None
    args: list[str] = []
    properties: dict[str, str] = {}
    pos, end = match.end(), len(text)
    while True:
        while pos < end and text[pos] in " \r":
            pos += 1
        if pos >= end:
            return Message(kind, args, properties)
        if text[pos] == '"':
            token = _QUOTED.match(text, pos)
            if token is None:
                if _QUOTED_OPEN.match(text, pos + 1).end() == end:
                    raise _Incomplete
                return None  # an escape right before a line end: libtrax drops the message
            raw = token.group(1)
        else:
            token = _UNQUOTED.match(text, pos)
            if token is None:
                return None
            raw = token.group(0)
        pos = token.end()
        if pos < end and text[pos] != " ":
            return None  # e.g. a closing quote glued to the next token
        _add_token(raw, args, properties)


class MessageParser:
    """Bytes in, messages out: splits a stream into lines and parses the protocol lines.

    ``on_other(line)`` receives every line that is not a message (a tracker's own
    output), and a note for each malformed ``@@TRAX:`` line, which is otherwise ignored.
    """

    def __init__(self, on_other: Callable[[str], None] | None = None, max_message_bytes: int = _MAX_MESSAGE_BYTES):
        self._buffer = bytearray()
        self._pending: str | None = None  # a message whose quoted argument continues
        self._skipping = False  # inside an overlong line, dropped up to its newline
        self._on_other = on_other or (lambda line: None)
        self._max = max_message_bytes

    def feed(self, data: bytes) -> list[Message]:
        out: list[Message] = []
        buffer = self._buffer
        buffer += data
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            line = bytes(buffer[start:end])
            start = end + 1
            if self._skipping:
                self._skipping = False
            else:
                self._line(line, out)
        del buffer[:start]
        if self._skipping:  # still inside an overlong line
            buffer.clear()
        elif len(buffer) > self._max:
            start_of_line = _shorten(buffer[:120].decode("utf-8", "replace"))
            self._on_other(f"[a line longer than {self._max} bytes was dropped] {start_of_line}")
            buffer.clear()
            self._pending = None
            self._skipping = True
        return out

    def finish(self) -> list[Message]:
        """End of stream: a last line without its newline still counts."""
        out: list[Message] = []
        if self._buffer and not self._skipping:
            self._line(bytes(self._buffer), out)
        self._buffer.clear()
        if self._pending is not None:
            self._on_other(f"[TraX message with an unterminated quote ignored] {_shorten(self._pending)}")
            self._pending = None
        return out

    def _line(self, raw: bytes, out: list[Message]) -> None:
        text = raw.decode("utf-8", "surrogateescape")
        if text.endswith("\r"):
            text = text[:-1]
        if self._pending is not None:
            text = self._pending + "\n" + text
            self._pending = None
        elif not text.startswith(PREFIX):
            self._on_other(text)
            return
        try:
            message = parse_message(text)
        except _Incomplete:
            if len(text) > self._max:
                self._on_other(f"[overlong TraX message dropped] {_shorten(text)}")
            else:
                self._pending = text
            return
        if message is None:
            self._on_other(f"[malformed TraX message ignored] {_shorten(text)}")
        else:
            out.append(message)


def _shorten(text: str, limit: int = 200) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + "..."


# --------------------------------------------------------------------------------------
# Regions and images
# --------------------------------------------------------------------------------------

_URI_SCHEME = re.compile(r"([a-z+.\-]{0,15}):")  # libtrax: up to 16 characters incl. ':'
_REGION_PREFIXES = {"rect": "rectangle", "rectangle": "rectangle", "poly": "polygon", "polygon": "polygon",
                    "mask": "mask", "special": "special"}


def _number(value: float) -> str:
    # Shortest text that reads back to the same double: boxes survive a round trip
    # exactly (libtrax writes %.4f of a float32, which is what its readers get anyway).
    return repr(float(value))


@dataclass(frozen=True)
class Region:
    """A TraX region.

    ``kind`` is ``rectangle`` (values x, y, w, h), ``polygon`` (x1, y1, ..., xn, yn),
    ``mask`` (values x, y, w, h of the mask's placement; ``mask`` a bool (h, w) array)
    or ``special`` (values: the code).
    """

    kind: str
    values: tuple = ()
    mask: Any = None

    @classmethod
    def rectangle(cls, box) -> "Region":
        return cls("rectangle", tuple(float(v) for v in np.asarray(box, dtype=np.float64).reshape(4)))

    @classmethod
    def polygon(cls, points) -> "Region":
        values = tuple(float(v) for v in np.asarray(points, dtype=np.float64).reshape(-1))
        if len(values) < 6 or len(values) % 2:
            raise ValueError(f"a polygon needs an even number (>= 6) of coordinates, got {len(values)}")
        return cls("polygon", values)

    @classmethod
    def from_mask(cls, mask, x: int = 0, y: int = 0) -> "Region":
        mask = np.asarray(mask).astype(bool)
        return cls("mask", (int(x), int(y), int(mask.shape[1]), int(mask.shape[0])), mask)

    def to_box(self) -> np.ndarray:
        """[x, y, w, h]: a polygon's min/max box (no +1), a mask's pixel bounds (+1); NaN for specials."""
        if self.kind == "rectangle":
            return np.array(self.values, dtype=np.float64)
        if self.kind == "polygon":
            xs, ys = np.array(self.values[0::2]), np.array(self.values[1::2])
            return np.array([xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min()], dtype=np.float64)
        if self.kind == "mask":
            rows, cols = np.nonzero(self.mask)
            if rows.size == 0:
                return np.full(4, np.nan)
            x, y = self.values[:2]
            return np.array([x + cols.min(), y + rows.min(), cols.max() - cols.min() + 1, rows.max() - rows.min() + 1],
                            dtype=np.float64)
        return np.full(4, np.nan)

    def encode(self) -> str:
        if self.kind == "special":
            return str(int(self.values[0]))
        if self.kind == "mask":
            x, y, w, h = self.values
            flat = np.asarray(self.mask, dtype=bool).reshape(-1)
            parts = [f"mask:{x},{y},{w},{h}"]
            if flat.size:
                bounds = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
                runs = np.diff(np.concatenate(([0], bounds, [flat.size]))).tolist()
                if flat[0]:
                    runs.insert(0, 0)  # runs start with background
                if len(runs) % 2:
                    runs.pop()  # as libtrax: a trailing background run is implied
                parts += [str(r) for r in runs]
            return ",".join(parts)
        return ",".join(_number(v) for v in self.values)


def parse_region(text: str, frame_size: tuple[int, int] | None = None) -> Region:
    """Read a region argument; ValueError with the reason when it is not one.

    A mask must fit its frame, ``frame_size`` (width, height), when that is given, and
    :data:`MAX_MASK_PIXELS` always; its run lengths must not cover more than its declared
    size. So a region never makes the reader allocate more than its frame.
    """
    kind = None
    body = text
    match = _URI_SCHEME.match(text)
    if match:
        kind = _REGION_PREFIXES.get(match.group(1))
        body = text[match.end():]
    if not body.strip():
        raise ValueError("empty region")
    try:
        numbers = [float(v) for v in body.split(",")]
    except ValueError:
        raise ValueError(f"region {_shorten(text, 80)!r} holds something that is not a number") from None
    n = len(numbers)
    if kind == "mask":
        return _parse_mask(numbers, text, frame_size)
    if kind is None:
        kind = {1: "special", 4: "rectangle"}.get(n, "polygon" if n >= 6 and n % 2 == 0 else None)
    if kind == "special" and n == 1:
        return Region("special", (int(numbers[0]),))
    if kind == "rectangle" and n == 4:
        return Region("rectangle", tuple(numbers))
    if kind == "polygon" and n >= 6 and n % 2 == 0:
        return Region("polygon", tuple(numbers))
    raise ValueError(f"{n} number(s) make no TraX region (4: rectangle, even >= 6: polygon, 1: special code)")


def _parse_mask(numbers: list[float], text: str, frame_size: tuple[int, int] | None) -> Region:
    if len(numbers) < 4 or not all(np.isfinite(v) and float(v).is_integer() for v in numbers) \
            or min(numbers[2:]) < 0:
        raise ValueError(f"mask region {_shorten(text, 80)!r} needs mask:x,y,w,h followed by run lengths "
                         "(integers, sizes and runs non-negative)")
    x, y, w, h = (int(v) for v in numbers[:4])
    problem = mask_problem((x, y, w, h), frame_size)
    covered = math.fsum(numbers[4:])
    if problem is None and covered > w * h:
        problem = f"its run lengths cover {covered:.0f} pixels, more than its {w}x{h}"
    if problem:
        raise ValueError(f"mask region {_shorten(text, 80)!r}: {problem}")
    runs = np.array(numbers[4:], dtype=np.int64)
    foreground = np.repeat(np.arange(runs.size) % 2 == 1, runs)  # runs alternate, background first
    flat = np.zeros(w * h, dtype=bool)
    flat[:foreground.size] = foreground
    return Region("mask", (x, y, w, h), flat.reshape(h, w))


def mask_problem(placement: Sequence[int], frame_size: tuple[int, int] | None) -> str | None:
    """Why a mask of ``placement`` (x, y, w, h) cannot be in a frame of ``frame_size`` (width,
    height; None: not known yet), or None when it can."""
    x, y, w, h = placement
    if w * h > MAX_MASK_PIXELS:
        return f"{w}x{h} is more pixels than any frame has (at most {MAX_MASK_PIXELS})"
    if frame_size is not None:
        width, height = frame_size
        if x < 0 or y < 0 or x + w > width or y + h > height:
            return f"{w}x{h} at ({x}, {y}) does not fit in its {width}x{height} frame"
    return None


@dataclass(frozen=True)
class Image:
    """An image argument: ``kind`` path, url, memory (``image:...``) or buffer (``data:...``)."""

    kind: str
    data: str


def parse_image(text: str) -> Image:
    match = _URI_SCHEME.match(text)
    if match is None:
        return Image("path", text)  # the legacy form: a bare path
    scheme, rest = match.group(1), text[match.end():]
    if scheme == "file":
        return Image("path", rest[2:] if rest.startswith("//") else rest)
    if scheme == "image":
        return Image("memory", rest)
    if scheme == "data":
        return Image("buffer", rest)
    return Image("url", text)


def image_argument(path) -> str:
    """The ``file://`` argument for a frame (absolute: trackers run in their own folder)."""
    return "file://" + os.path.abspath(os.fspath(path))


# --------------------------------------------------------------------------------------
# Handshake
# --------------------------------------------------------------------------------------

def _int_property(value: str | None, default: int) -> int:
    try:
        return int(float(value))  # libtrax: (int) strtod, the whole string must be a number
    except (TypeError, ValueError, OverflowError):
        return default


def _format_list(value: str | None, known: Sequence[str]) -> tuple[str, ...]:
    names = [v.strip() for v in (value or "").split(";")]
    return tuple(n for n in known if n in names)


@dataclass
class Hello:
    """What a tracker announces in its ``hello``."""

    version: int = 1
    regions: tuple = ("rectangle",)
    images: tuple = ("path",)
    channels: tuple = ("color",)
    name: str = ""
    description: str = ""
    family: str = ""
    multiobject: bool = False
    custom: dict = field(default_factory=dict)

    @classmethod
    def from_properties(cls, properties: Mapping[str, str]) -> "Hello":
        version = _int_property(properties.get("trax.version"), 1)
        channels = ("color",)
        if version >= 2:  # channels exist from version 2 on
            channels = _format_list(properties.get("trax.channels"), CHANNELS) or ("color",)
        return cls(
            version=version,
            regions=_format_list(properties.get("trax.region"), REGION_FORMATS) or ("rectangle",),
            images=_format_list(properties.get("trax.image"), IMAGE_FORMATS) or ("path",),
            channels=channels,
            name=properties.get("trax.name", ""),
            description=properties.get("trax.description", ""),
            family=properties.get("trax.family", ""),
            multiobject=version > 3 and _int_property(properties.get("trax.multiobject"), 0) != 0,
            custom={k: v for k, v in properties.items() if not k.startswith("trax.")},
        )

    def properties(self) -> dict[str, str]:
        props = {"trax.version": str(self.version), "trax.name": self.name, "trax.family": self.family}
        if self.description:
            props["trax.description"] = self.description
        props["trax.region"] = "".join(f"{r};" for r in self.regions)
        props["trax.image"] = "".join(f"{i};" for i in self.images)
        props["trax.channels"] = "".join(f"{c};" for c in self.channels)
        if self.version >= 4 and self.multiobject:
            props["trax.multiobject"] = "1"
        props.update(self.custom)
        return props


# --------------------------------------------------------------------------------------
# Server: a rasbench tracker behind TraX
# --------------------------------------------------------------------------------------

class _ProtocolViolation(Exception):
    """The client sent something the protocol does not allow here."""


@dataclass
class _Transport:
    recv: Callable[[], bytes]  # blocking; b"" at end of stream
    send: Callable[[bytes], None]


def _fd_writer(fd: int) -> Callable[[bytes], None]:
    def send(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    return send


def _stream_reader(stream) -> Callable[[], bytes]:
    if isinstance(stream, int):
        return lambda: os.read(stream, 65536)
    if isinstance(stream, socket.socket):
        return lambda: stream.recv(65536)
    stream = getattr(stream, "buffer", stream)  # a text stream: use its bytes
    read1 = getattr(stream, "read1", None)
    return (lambda: read1(65536)) if read1 else (lambda: stream.read(65536))


def _stream_writer(stream) -> Callable[[bytes], None]:
    if isinstance(stream, int):
        return _fd_writer(stream)
    if isinstance(stream, socket.socket):
        return stream.sendall
    stream = getattr(stream, "buffer", stream)

    def send(data: bytes) -> None:
        stream.write(data)
        stream.flush()
    return send


def _connect(port: int, patience: float = 60.0) -> socket.socket:
    """Connect to the client's TraX port, retrying while it is not listening yet (as libtrax does)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            break
        except OSError as exc:
            if time.monotonic() > deadline:
                raise OSError(f"cannot connect to the TraX client on 127.0.0.1:{port}: {exc}") from exc
            time.sleep(0.05)
    conn.settimeout(None)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one small message per frame
    return conn


@contextlib.contextmanager
def _server_transport(stdin=None, stdout=None) -> Iterator[_Transport]:
    """The server's end: given streams, else ``$TRAX_SOCKET``, ``$TRAX_IN``/``$TRAX_OUT``, else stdio."""
    if stdin is not None or stdout is not None:
        if stdin is None or stdout is None:
            raise ValueError("give both stdin and stdout, or neither")
        yield _Transport(_stream_reader(stdin), _stream_writer(stdout))
        return
    port = os.environ.get("TRAX_SOCKET")
    if port:
        conn = _connect(int(port))
        try:
            yield _Transport(_stream_reader(conn), conn.sendall)
        finally:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        return
    if os.environ.get("TRAX_IN") or os.environ.get("TRAX_OUT"):
        fd_in = int(os.environ.get("TRAX_IN") or 0)
        fd_out = int(os.environ.get("TRAX_OUT") or 1)
        yield _Transport(_stream_reader(fd_in), _fd_writer(fd_out))
        return
    with _protected_stdio() as transport:
        yield transport


@contextlib.contextmanager
def _protected_stdio() -> Iterator[_Transport]:
    """Keep stdin/stdout for the protocol alone.

    The protocol gets private copies of file descriptors 0 and 1; fd 1 then points at
    stderr and fd 0 at /dev/null, so whatever the tracker (or a native library under
    it) prints ends up on stderr and cannot split a protocol line.
    """
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    saved_stdout, sys.stdout = sys.stdout, sys.stderr
    try:
        yield _Transport(_stream_reader(proto_in), _fd_writer(proto_out))
    finally:  # put things back (it matters only when serve() is called inside a larger program)
        sys.stdout = saved_stdout
        os.dup2(proto_in, 0)
        os.dup2(proto_out, 1)
        os.close(proto_in)
        os.close(proto_out)


class _ServerSession:
    """One client conversation: hello, then initialize/frame requests until quit or end of stream."""

    def __init__(self, tracker, transport: _Transport, region: str, version: int, name: str | None,
                 description: str = ""):
        from .tracker import tracker_name, wants_paths

        if region not in ("rectangle", "polygon"):
            raise ValueError(f"region must be 'rectangle' or 'polygon', not {region!r}")
        if not 1 <= int(version) <= PROTOCOL_VERSION:
            raise ValueError(f"TraX version must be 1..{PROTOCOL_VERSION}, not {version!r}")
        self.tracker = tracker
        self.transport = transport
        self.polygons = region == "polygon"
        self.hello = Hello(
            version=int(version),
            # A polygon server takes rectangles too, so a client never has to convert them.
            regions=("rectangle", "polygon") if self.polygons else ("rectangle",),
            images=("path",), channels=("color",),
            name=name or tracker_name(tracker), description=description, family="rasbench")
        self.as_path = wants_paths(tracker)
        self._parser = MessageParser()
        self._queue: deque[Message] = deque()
        self._eof = False

    def run(self) -> int:
        self.transport.send(encode_message("hello", [], self.hello.properties()))
        pending: list[Region] = []  # version 4: objects announced, waiting for their frame
        initialized = False
        while True:
            message = self._receive()
            if message is None or message.type == "quit":
                return 0  # end of stream counts as quit: the client has gone
            try:
                reply = None
                if message.type == "initialize":
                    if not message.args:  # v4: forget the objects tracked so far
                        pending, initialized = [], False
                    elif len(message.args) == 1:  # v4: one object; its frame follows
                        pending.append(self._region(message.args[0]))
                    elif len(message.args) == 2:  # v1-3: image and region
                        reply = self._initialize(message.args[0], self._region(message.args[1]))
                        pending, initialized = [], True
                    else:
                        raise _ProtocolViolation(f"initialize with {len(message.args)} arguments")
                elif message.type == "frame":
                    if len(message.args) != 1:
                        raise _ProtocolViolation(f"frame with {len(message.args)} image arguments (this tracker "
                                                 "announced one channel, color)")
                    if pending:
                        if len(pending) > 1:
                            raise _ProtocolViolation(f"{len(pending)} objects given; this tracker follows one")
                        reply = self._initialize(message.args[0], pending[0])
                        pending, initialized = [], True
                    elif initialized:
                        reply = self._update(message.args[0])
                    else:
                        raise _ProtocolViolation("frame before initialize")
                else:
                    raise _ProtocolViolation(f"unexpected {message.type} message from the client")
            except _ProtocolViolation as exc:
                print(f"rasbench trax: protocol error: {exc}", file=sys.stderr)
                self._quit(f"protocol error: {exc}")
                return 1
            except Exception as exc:  # the tracker (or its image) failed: report, then stop
                traceback.print_exc(file=sys.stderr)
                self._quit(f"{type(exc).__name__}: {exc}")
                return 1
            if reply is not None:
                try:
                    self.transport.send(reply)
                except OSError as exc:
                    print(f"rasbench trax: the client went away ({exc})", file=sys.stderr)
                    return 1

    def _receive(self) -> Message | None:
        while not self._queue:
            if self._eof:
                return None
            data = self.transport.recv()
            if data:
                self._queue.extend(self._parser.feed(data))
            else:
                self._eof = True
                self._queue.extend(self._parser.finish())
        return self._queue.popleft()

    @staticmethod
    def _region(text: str) -> Region:
        try:
            return parse_region(text)
        except ValueError as exc:
            raise _ProtocolViolation(str(exc)) from None

    def _image(self, text: str):
        from .datasets.images import read_rgb

        image = parse_image(text)
        if image.kind != "path":
            raise _ProtocolViolation(f"image sent as {image.kind}; this tracker announced file paths only")
        return image.data if self.as_path else read_rgb(Path(image.data))

    def _initialize(self, image_text: str, region: Region) -> bytes:
        if region.kind == "special":
            raise _ProtocolViolation(f"cannot initialise from the special region {region.encode()}")
        image = self._image(image_text)
        if region.kind == "mask":  # parsed before its frame was known: only MAX_MASK_PIXELS bounded it
            from .datasets.vot import image_size

            size = image_size(Path(image)) if self.as_path else (image.shape[1], image.shape[0])
            problem = mask_problem(region.values, size)
            if problem:
                raise _ProtocolViolation(f"mask region: {problem}")
        box = region.to_box()
        self.tracker.init(image, box)
        if region.kind == "rectangle" or (region.kind == "polygon" and self.polygons):
            answer = region
        else:
            answer = Region.rectangle(box)
        return encode_message("state", [answer.encode()])

    def _update(self, image_text: str) -> bytes:
        from .tracker import as_prediction

        prediction = as_prediction(self.tracker.update(self._image(image_text)))
        if self.polygons and prediction.polygon is not None:
            region = Region.polygon(prediction.polygon)
        else:
            region = Region.rectangle(prediction.box)
        properties = {} if prediction.confidence is None else {"confidence": _number(prediction.confidence)}
        return encode_message("state", [region.encode()], properties)

    def _quit(self, reason: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.transport.send(encode_message("quit", [], {"trax.reason": reason}))


def serve(tracker, *, stdin=None, stdout=None, region: str = "rectangle", version: int = PROTOCOL_VERSION,
          name: str | None = None, description: str = "") -> int:
    """Serve ``tracker`` (any rasbench tracker) to one TraX client; returns an exit status.

    ``stdin``/``stdout``: the streams to talk over (binary or text file objects, file
    descriptors or one socket given twice). Without them the server talks where libtrax
    servers do: a TCP connection to 127.0.0.1:``$TRAX_SOCKET`` when that is set, the
    descriptors in ``$TRAX_IN``/``$TRAX_OUT``, else stdin/stdout (kept for the protocol
    alone; see :func:`_protected_stdio`).

    ``region``: ``"rectangle"`` announces rectangles and always reports the box;
    ``"polygon"`` announces rectangles and polygons (a polygon initial region becomes its
    min/max box for the tracker) and reports the tracker's polygon when it gives one.
    A ``confidence`` property accompanies each state when the tracker gives one.
    ``version``: the TraX version announced (1-4); either initialisation form is accepted.

    Returns 0 after ``quit`` or the end of the stream, 1 after a protocol error or a
    tracker exception (the client gets ``quit`` with ``trax.reason``; the traceback goes
    to stderr).
    """
    with _server_transport(stdin, stdout) as transport:
        return _ServerSession(tracker, transport, region, version, name, description).run()


def run_server(tracker_spec: str, params: Mapping[str, Any] | None = None, *, region: str = "rectangle",
               version: int = PROTOCOL_VERSION, name: str | None = None) -> int:
    """``rasbench trax --tracker SPEC``: build the tracker as ``rasbench run`` would and serve it.

    The protocol streams are set up before the tracker is built, so nothing printed while
    it loads can reach the client. Returns the exit status (2: the tracker could not be
    built; the reason is on stderr, where the VOT toolkit's log shows it).
    """
    from .registry import resolve

    with _server_transport() as transport:
        try:
            tracker = resolve(tracker_spec, dict(params or {})).create()
        except RasbenchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return _ServerSession(tracker, transport, region, version, name).run()


def _config_value(value: Any) -> str:
    """A ``-p`` value as text that reads back (as YAML) to the same value."""
    import yaml

    if isinstance(value, str):
        return value if yaml.safe_load(value) == value else json.dumps(value)
    return json.dumps(value)


def _absolute_if_local(value: Any) -> Any:
    # The VOT toolkit starts trackers in a temporary folder: relative paths would break.
    if isinstance(value, str) and value and not os.path.isabs(value) and os.path.exists(value):
        return os.path.abspath(value)
    return value


def _spec_for_config(spec: str) -> tuple[str, str | None]:
    """(spec with an absolute file path, a folder to put on PYTHONPATH or None)."""
    import importlib.util

    from .registry import SCHEMES, registered_trackers

    module, sep, attr = spec.partition(":")
    if not sep or spec in registered_trackers() or module in SCHEMES:
        return spec, None
    if module.endswith(".py"):
        return f"{os.path.abspath(module)}:{attr}", None
    try:
        found = importlib.util.find_spec(module.split(".")[0])
    except (ImportError, ValueError):
        found = None
    origin = getattr(found, "origin", None)
    if not origin or origin in ("built-in", "frozen"):
        return spec, None
    top = Path(origin).resolve().parent
    if Path(origin).name == "__init__.py":
        top = top.parent
    installed = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
    if any(base in top.parents or base == top for base in installed):
        return spec, None
    return spec, str(top)  # importable here only through the current folder or PYTHONPATH


def trackers_ini_entry(tracker: str | None = None, params: Mapping[str, Any] | None = None, *,
                       identifier: str | None = None, region: str = "rectangle",
                       version: int = PROTOCOL_VERSION, python: str | None = None) -> str:
    """The ``trackers.ini`` section(s) a VOT workspace needs to run rasbench trackers over TraX.

    Without ``tracker``: one section per registered tracker. The command starts
    ``<python> -m rasbench trax --tracker SPEC`` with absolute paths (the toolkit runs it in
    a temporary folder); ``%`` is doubled for configparser.
    """
    from .registry import registered_trackers

    if tracker is None:
        return "\n".join(trackers_ini_entry(name, params, region=region, version=version, python=python)
                         for name in sorted(registered_trackers()))
    spec, pythonpath = _spec_for_config(tracker)
    section = identifier or "rasbench_" + (re.sub(r"[^A-Za-z0-9_-]+", "_", tracker).strip("_") or "tracker")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", section):
        raise ValueError(f"{section!r} cannot name a VOT tracker (letters, digits, - and _ only)")
    argv = [os.path.abspath(python or sys.executable), "-m", "rasbench", "trax", "--tracker", spec]
    for key, value in (params or {}).items():
        argv += ["-p", f"{key}={_config_value(_absolute_if_local(value))}"]
    if region != "rectangle":
        argv += ["--region", region]
    if version != PROTOCOL_VERSION:
        argv += ["--trax-version", str(version)]
    lines = [
        f"[{section}]",
        f"# rasbench tracker {tracker!r} served over TraX (written by `rasbench trax --print-config`).",
        "# Paste into the trackers.ini of a VOT workspace. The toolkit starts the command in a",
        "# temporary folder, so every path is absolute. Environment variables for the tracker go on",
        "# env_NAME = value lines (e.g. env_CUDA_VISIBLE_DEVICES = 0); vot-toolkit 0.9.0 sets",
        "# LD_LIBRARY_PATH to its `linkpaths` (empty without them), so add env_LD_LIBRARY_PATH = ...",
        "# if the tracker needs one. Write % as %% in any value (configparser).",
        f"label = rasbench {tracker}".replace("%", "%%"),
        "protocol = trax",
        "command = " + shlex.join(argv).replace("%", "%%"),
    ]
    if pythonpath:
        existing = os.environ.get("PYTHONPATH")
        value = os.pathsep.join([pythonpath] + ([existing] if existing else []))
        lines.append(f"env_PYTHONPATH = {value}".replace("%", "%%"))
    lines.append(f"# timeout = {int(DEFAULT_TIMEOUT)}")
    return "\n".join(lines) + "\n"


def _parse_params(pairs: Sequence[str]) -> dict:
    import yaml

    params = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected KEY=VALUE, got {pair!r}")
        params[key.strip()] = yaml.safe_load(value)
    return params


def main(argv: Sequence[str] | None = None) -> int:
    """``rasbench trax ...`` as a function: parse ``argv`` (without the program name), return the exit status."""
    parser = argparse.ArgumentParser(
        prog="rasbench trax",
        description="Serve a rasbench tracker over the TraX protocol (for the VOT toolkit), or print the "
                    "trackers.ini section that runs it.")
    parser.add_argument("--tracker", "-t", help="Registered name, SCHEME:ARG, module:Class or file.py:Class.")
    parser.add_argument("--param", "-p", dest="params", action="append", default=[], metavar="KEY=VALUE",
                        help="Tracker constructor argument (value read as YAML); repeatable.")
    parser.add_argument("--weights", help="Shorthand for -p weights=PATH (made absolute).")
    parser.add_argument("--region", choices=("rectangle", "polygon"), default="rectangle",
                        help="Regions announced: rectangle, or polygon (also reports the tracker's polygons).")
    parser.add_argument("--trax-version", type=int, choices=range(1, PROTOCOL_VERSION + 1),
                        default=PROTOCOL_VERSION, help="TraX version announced (default %(default)s).")
    parser.add_argument("--name", help="trax.name announced; with --print-config the section name.")
    parser.add_argument("--print-config", action="store_true",
                        help="Print the trackers.ini section(s) instead of serving (all registered trackers "
                             "without --tracker).")
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, or a usage error argparse already reported
        return int(exc.code or 0)
    try:
        params = _parse_params(args.params)
        if args.weights:
            params["weights"] = os.path.abspath(os.path.expanduser(args.weights))
        if args.print_config:
            sys.stdout.write(trackers_ini_entry(args.tracker, params, identifier=args.name, region=args.region,
                                                version=args.trax_version))
            return 0
        if not args.tracker:
            print("error: --tracker is required (or --print-config)", file=sys.stderr)
            return 2
        return run_server(args.tracker, params, region=args.region, version=args.trax_version, name=args.name)
    except (RasbenchError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


# --------------------------------------------------------------------------------------
# Registry: trackers.ini declarations (the VOT toolkit's format)
# --------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[a-zA-Z0-9_-]+\Z")  # vot.tracker.VALID_IDENTIFIER
_MODULE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_.]*\Z")  # vot.tracker.adapters: run as python -m
_KNOWN_KEYS = {"label", "protocol", "command", "paths", "linkpaths", "timeout", "socket", "restart", "python",
               "version", "tags", "storage", "env", "arguments", "metadata"}
SUPPORTED_PROTOCOLS = ("trax", "traxpython")


def _logical(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "t", "y", "yes")  # vot.utilities.to_logical
    return bool(value)


def _seconds(value: Any, what: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not seconds > 0:
        raise TrackerError(f"{what} must be a positive number of seconds, not {value!r}")
    return seconds


def _path_list(value: Any, root: Path) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(os.pathsep)
    return [os.path.normpath(os.path.join(root, os.path.expanduser(str(p).strip()))) for p in items if str(p).strip()]


@dataclass
class TraxDeclaration:
    """One ``[id]`` section of a trackers.ini (see vot-toolkit ``vot/tracker/__init__.py``).

    ``command``: for ``trax`` a command line (split like a POSIX shell); for
    ``traxpython`` a module name (run as ``python -m``) or Python statements (run with
    ``python -c`` after putting ``paths`` on ``sys.path``). ``paths`` and ``linkpaths``
    are relative to the registry file; ``env_NAME`` sets ``NAME`` (``$VARS`` expanded),
    ``arg_NAME`` becomes the TraX property ``NAME`` sent with every initialisation
    (vot-toolkit 0.9.0 parses but does not send them), ``meta_*`` is free metadata
    (rasbench reads ``meta_deterministic`` and ``meta_startup_timeout`` /
    ``meta_init_timeout`` / ``meta_frame_timeout``, which the toolkit ignores).
    """

    identifier: str
    protocol: str
    command: str
    source: Path | None = None
    label: str = ""
    paths: list = field(default_factory=list)
    linkpaths: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    arguments: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    timeout: float | None = None
    socket: bool = False
    restart: bool = False
    python: str | None = None

    def __post_init__(self):
        self.label = self.label or self.identifier

    @classmethod
    def from_mapping(cls, identifier: str, values: Mapping[str, Any], source: Path | None = None) -> "TraxDeclaration":
        where = f"{source}, [{identifier}]" if source else f"[{identifier}]"
        root = Path(source).resolve().parent if source else Path.cwd()
        entries = {str(k).lower(): v for k, v in values.items()}
        env, arguments, metadata = {}, {}, {}
        for key, value in list(entries.items()):
            for prefix, target in (("env_", env), ("arg_", arguments), ("meta_", metadata)):
                if key.startswith(prefix) and len(key) > len(prefix):
                    name = key[len(prefix):]
                    target[name.upper() if prefix == "env_" else name] = (
                        os.path.expandvars(str(value)) if prefix == "env_" else str(value))
                    del entries[key]
        for key, target in (("env", env), ("arguments", arguments), ("metadata", metadata)):
            if isinstance(entries.get(key), Mapping):  # the YAML registry's nested form
                target.update({str(k): str(v) for k, v in entries[key].items()})
        unknown = sorted(set(entries) - _KNOWN_KEYS)
        if unknown:
            log.warning("%s: ignoring unknown key(s) %s", where, ", ".join(unknown))
        command = entries.get("command")
        if not command or not str(command).strip():
            raise TrackerError(f"{where}: no `command =` line (a TraX tracker needs the command that starts it)")
        protocol = str(entries.get("protocol") or "").strip().lower()
        if protocol not in SUPPORTED_PROTOCOLS:
            raise TrackerError(f"{where}: protocol {protocol or '(none)'!r} is not one rasbench can run "
                               f"(supported: {', '.join(SUPPORTED_PROTOCOLS)})")
        timeout = entries.get("timeout")
        return cls(
            identifier=identifier, protocol=protocol, command=str(command).strip(),
            source=Path(source).resolve() if source else None,
            label=str(entries.get("label") or identifier),
            paths=_path_list(entries.get("paths"), root), linkpaths=_path_list(entries.get("linkpaths"), root),
            env={k: v for k, v in env.items()}, arguments=arguments, metadata=metadata,
            timeout=None if timeout in (None, "") else _seconds(timeout, f"{where}: timeout"),
            socket=_logical(entries.get("socket", False)), restart=_logical(entries.get("restart", False)),
            python=str(entries["python"]) if entries.get("python") else None,
        )

    def argv(self) -> list[str]:
        """The process's argument vector."""
        if self.protocol == "traxpython":
            interpreter = self.python or sys.executable
            if _MODULE_NAME.match(self.command):
                return [interpreter, "-m", self.command]
            imports = "".join(f"sys.path.insert(0, {p!r}); " for p in reversed(self.paths))
            return [interpreter, "-c", f"import sys; {imports}{self.command}"]
        if os.name == "nt":
            return shlex.split(self.command, posix=False)
        return shlex.split(self.command)

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The process's environment: ours, then ``env_*``, ``TRAX=1``, link and Python paths."""
        env = dict(os.environ if base is None else base)
        for name in ("TRAX_SOCKET", "TRAX_IN", "TRAX_OUT"):  # ours, if rasbench is itself a TraX tracker
            env.pop(name, None)
        env.update(self.env)
        env["TRAX"] = "1"
        if self.linkpaths:
            # Prepended, not replaced: vot-toolkit 0.9.0 replaces LD_LIBRARY_PATH here.
            var = "PATH" if os.name == "nt" else "LD_LIBRARY_PATH"
            env[var] = os.pathsep.join(self.linkpaths + ([env[var]] if env.get(var) else []))
        if self.protocol == "traxpython":
            existing = env.get("PYTHONPATH")
            if self.paths:
                env["PYTHONPATH"] = os.pathsep.join(self.paths + ([existing] if existing else []))
            env["PYTHONUNBUFFERED"] = "1"
        return env


def registry_files() -> list[Path]:
    """Where ``trax:NAME`` is looked up, in order.

    Each entry of ``$RASBENCH_TRAX_REGISTRY`` (os.pathsep-separated; a folder means its
    ``trackers.ini`` and ``trackers.yaml``), then ``./trackers.ini``, then
    ``~/.config/rasbench/trackers.ini`` (``$XDG_CONFIG_HOME`` when set).
    """
    files: list[Path] = []
    for entry in os.environ.get(REGISTRY_ENV, "").split(os.pathsep):
        if entry.strip():
            path = Path(entry.strip()).expanduser()
            files += [path / "trackers.ini", path / "trackers.yaml"] if path.is_dir() else [path]
    files.append(Path.cwd() / "trackers.ini")
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    files.append(config_home / "rasbench" / "trackers.ini")
    unique: list[Path] = []
    for path in files:
        if path.absolute() not in [p.absolute() for p in unique]:
            unique.append(path)
    return unique


def _registry_sections(path: Path) -> dict[str, Mapping[str, Any]]:
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            with open(path, encoding="utf-8") as fp:
                data = yaml.load(fp, Loader=yaml.BaseLoader) or {}  # the toolkit's loader: all strings
            if not isinstance(data, Mapping):
                raise TrackerError(f"{path}: a TraX registry must map tracker names to their settings")
            return {str(k): v for k, v in data.items() if isinstance(v, Mapping)}
        config = configparser.ConfigParser()  # as vot-toolkit: keys lower-cased, % interpolation
        with open(path, encoding="utf-8") as fp:
            config.read_file(fp)
        return {name: dict(config[name]) for name in config.sections()}
    except (configparser.Error, OSError, UnicodeDecodeError) as exc:
        raise TrackerError(f"{path}: cannot read this TraX registry: {exc}") from exc
    except Exception as exc:  # YAML syntax errors and the like
        if isinstance(exc, TrackerError):
            raise
        raise TrackerError(f"{path}: cannot read this TraX registry: {exc}") from exc


def load_registry(path) -> dict[str, TraxDeclaration]:
    """Every valid declaration in one registry file (identifiers as the VOT toolkit allows them)."""
    path = Path(path)
    declarations = {}
    for name, values in _registry_sections(path).items():
        if not _IDENTIFIER.match(name):
            log.warning("%s: [%s] is not a valid tracker identifier (letters, digits, - and _); skipped", path, name)
            continue
        declarations[name] = TraxDeclaration.from_mapping(name, values, path)
    return declarations


def find_declaration(name: str, files: Sequence[Path] | None = None) -> TraxDeclaration:
    """The first declaration of ``name`` in the registry files (:func:`registry_files` by default)."""
    files = registry_files() if files is None else [Path(f) for f in files]
    seen: dict[str, list[str]] = {}
    for path in files:
        if not path.is_file():
            continue
        sections = _registry_sections(path)
        if name in sections:
            if not _IDENTIFIER.match(name):
                raise TrackerError(f"{path}: [{name}] is not a valid tracker identifier (letters, digits, - and _)")
            return TraxDeclaration.from_mapping(name, sections[name], path)
        seen[str(path)] = sorted(sections)
    searched = "; ".join(f"{p} ({', '.join(seen[str(p)]) or 'no trackers'})" if str(p) in seen else f"{p} (absent)"
                         for p in files)
    raise TrackerError(f"no TraX tracker {name!r} is declared. Searched: {searched}. Declare it in a trackers.ini "
                       f"section [{name}] with protocol and command lines, or point ${REGISTRY_ENV} at the file")


# --------------------------------------------------------------------------------------
# Client: an external TraX tracker as a rasbench tracker
# --------------------------------------------------------------------------------------

class _SessionFailure(Exception):
    """Internal: the conversation with a tracker process broke; the text says how.

    ``timed_out``: it did not answer in time; ``closed``: its end of the conversation
    closed (it is probably exiting, so its own exit status is worth waiting for).
    """

    def __init__(self, message: str, timed_out: bool = False, closed: bool = False):
        super().__init__(message)
        self.timed_out = timed_out
        self.closed = closed


def _quit_failure(message: Message, when: str) -> _SessionFailure:
    reason = message.properties.get("trax.reason")
    return _SessionFailure(f"quit {when}" + (f" (reason: {reason})" if reason else " without giving a reason"),
                           closed=True)


def _listing(messages: Sequence[Message]) -> str:
    """``2 messages (state, state)``."""
    return f"{len(messages)} message{'s' if len(messages) > 1 else ''} ({', '.join(m.type for m in messages)})"


class _TraxProcess:
    """One tracker process and its TraX session, seen from the client.

    The process gets its own session (process group), so ending it ends everything it
    started; it is always reaped. Its stderr (and, in socket mode, its stdout) is read
    whenever we wait for it and the last lines are kept for error messages.
    """

    def __init__(self, declaration: TraxDeclaration, tail_lines: int = TAIL_LINES):
        self.declaration = declaration
        self.proc: subprocess.Popen | None = None
        self.hello: Hello | None = None
        self.objects = 0  # objects the tracker currently follows (v4 bookkeeping)
        self.returncode: int | None = None
        self.killed = False  # we ended it while it was still running
        self._tail: deque[str] = deque(maxlen=tail_lines)
        self._partial: dict[int, bytes] = {}
        self._log_fds: list[int] = []
        self._messages: deque[Message] = deque()
        self._parser = MessageParser(on_other=self._note)
        self._protocol_fd: int | None = None
        self._conn: socket.socket | None = None
        self._listener: socket.socket | None = None
        self._stdin_fd: int | None = None
        self._eof = False
        self._workdir: str | None = None

    # -- start and handshake -----------------------------------------------------------

    def start(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        declaration = self.declaration
        argv = declaration.argv()
        env = declaration.environment()
        # Like the VOT toolkit: a fresh temporary working folder per process.
        self._workdir = tempfile.mkdtemp(prefix="rasbench-trax-")
        if declaration.socket:
            self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._listener.bind(("127.0.0.1", 0))
            self._listener.listen(1)
            env["TRAX_SOCKET"] = str(self._listener.getsockname()[1])
        options: dict[str, Any] = {}
        if os.name == "nt":
            options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            options["start_new_session"] = True
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         cwd=self._workdir, env=env, bufsize=0, close_fds=True, **options)
        except (OSError, ValueError) as exc:
            self._release()
            raise _SessionFailure(f"could not be started ({argv[0] if argv else declaration.command}: "
                                  f"{getattr(exc, 'strerror', None) or exc})") from exc
        self._stdin_fd = self.proc.stdin.fileno()
        os.set_blocking(self._stdin_fd, False)  # writes wait in select(), under the deadline
        if declaration.socket:
            self._log_fds = [self.proc.stdout.fileno(), self.proc.stderr.fileno()]
            self._accept(deadline, timeout)
        else:
            self._protocol_fd = self.proc.stdout.fileno()
            self._log_fds = [self.proc.stderr.fileno()]
        message = self.receive(deadline, f"hello within the start-up timeout ({timeout:g} s)")
        if message.type != "hello":
            raise _SessionFailure(f"began with a {message.type} message instead of hello")
        hello = Hello.from_properties(message.properties)
        if "path" not in hello.images:
            raise _SessionFailure(f"takes images as {', '.join(hello.images)} only; rasbench sends file paths")
        if set(hello.channels) != {"color"}:
            raise _SessionFailure(f"wants the channels {', '.join(hello.channels)}; rasbench has color images only")
        if not set(hello.regions) & {"rectangle", "polygon", "mask"}:
            raise _SessionFailure("announced no region format rasbench can send")
        self.hello = hello

    def _accept(self, deadline: float, timeout: float) -> None:
        listener = self._listener
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _SessionFailure(f"did not connect to TRAX_SOCKET={listener.getsockname()[1]} within the "
                                      f"start-up timeout ({timeout:g} s)", timed_out=True)
            ready, _, _ = select.select([listener] + self._log_fds, [], [], remaining)
            if listener in ready:
                conn, _ = listener.accept()
                break
            for fd in ready:
                self._drain_log(fd)
            if not self._log_fds and self._leader_status() is not None:
                raise _SessionFailure("exited before connecting to its TraX socket", closed=True)
        listener.close()
        self._listener = None
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.setblocking(False)
        self._conn = conn
        self._protocol_fd = conn.fileno()

    # -- messages ----------------------------------------------------------------------

    def send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        fd = self._protocol_fd if self._conn is not None else self._stdin_fd
        while view:
            try:
                written = self._conn.send(view) if self._conn is not None else os.write(fd, view)
                view = view[written:]
                continue
            except (BlockingIOError, InterruptedError):
                pass
            except OSError as exc:  # EPIPE, ECONNRESET: the tracker is gone
                raise _SessionFailure(f"stopped reading its input ({exc.strerror or exc})", closed=True) from None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _SessionFailure("did not read its input before the timeout", timed_out=True)
            ready, _, _ = select.select(self._log_fds, [fd], [], remaining)
            for log_fd in ready:
                self._drain_log(log_fd)

    def receive(self, deadline: float, expecting: str) -> Message:
        """The next message, reading the tracker's output until ``deadline``."""
        while not self._messages:
            if self._eof:
                raise _SessionFailure("closed the protocol stream (it exited or closed its stdout)", closed=True)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _SessionFailure(f"sent no {expecting}", timed_out=True)
            ready, _, _ = select.select([self._protocol_fd] + self._log_fds, [], [], remaining)
            for fd in ready:
                if fd == self._protocol_fd:
                    self._drain_protocol()
                else:
                    self._drain_log(fd)
        return self._messages.popleft()

    def request(self, payload: bytes, timeout: float, what: str, expecting: str) -> tuple[Message, float]:
        """Send ``payload`` (a ``what`` request), return its one answer and the seconds from the
        end of the write to it (the VOT toolkits' TraX time).

        The protocol has one answer per request and no way to match an answer to its
        request, so a message that arrives while none is due (a second ``state`` for one
        frame, say) would shift every later answer by one: it fails the session instead,
        whether it comes with the answer or by the next request.
        """
        early = self._unrequested()
        if early and early[-1].type == "quit":  # it ended the session while idle
            raise _quit_failure(early[-1], "while no answer was due")
        if early:
            raise _SessionFailure(f"sent {_listing(early)} that no request asked for, before {what} was sent "
                                  "(protocol error: one answer per request)")
        deadline = time.monotonic() + timeout
        self.send(payload, deadline)
        start = time.perf_counter()
        message = self.receive(deadline, expecting)
        elapsed = time.perf_counter() - start
        extra = self._unrequested()
        if [m.type for m in extra] == ["quit"]:  # a good answer, then the end: the next request reports it
            self._messages.extend(extra)
        elif extra and message.type != "quit":
            raise _SessionFailure(f"answered {what} with {_listing([message] + extra)} (protocol error: one answer "
                                  "per request)")
        return message, elapsed

    def _unrequested(self) -> list[Message]:
        """Take the messages that have arrived beyond those asked for (reading what is there, not waiting)."""
        while not self._eof and select.select([self._protocol_fd], [], [], 0)[0]:
            self._drain_protocol()
        extra = list(self._messages)
        self._messages.clear()
        return extra

    def _drain_protocol(self) -> None:
        try:
            data = self._conn.recv(65536) if self._conn is not None else os.read(self._protocol_fd, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            self._messages.extend(self._parser.feed(data))
        else:
            self._eof = True
            self._messages.extend(self._parser.finish())

    def _drain_log(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            if fd in self._log_fds:
                self._log_fds.remove(fd)
            rest = self._partial.pop(fd, b"")
            if rest:
                self._note(rest.decode("utf-8", "replace"))
            return
        lines = (self._partial.pop(fd, b"") + data).split(b"\n")
        for line in lines[:-1]:
            self._note(line.decode("utf-8", "replace").rstrip("\r"))
        if lines[-1]:
            self._partial[fd] = lines[-1][-4096:]

    def _note(self, line: str) -> None:
        self._tail.append(_shorten(line, 400))

    def tail(self) -> list[str]:
        lines = list(self._tail)
        lines += [p.decode("utf-8", "replace") for p in self._partial.values() if p]
        return lines

    # -- ending ------------------------------------------------------------------------

    def _leader_status(self) -> int | None:
        """The process's exit status once it has exited, without reaping it.

        Leaving it unreaped keeps its process-group id reserved, so signalling the group
        afterwards cannot hit an unrelated process.
        """
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return None if proc is None else proc.returncode
        if not hasattr(os, "waitid"):
            return proc.poll()
        try:
            info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return proc.poll()
        if info is None or info.si_pid == 0:
            return None
        if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED):
            return -info.si_status
        return info.si_status

    def _signal_group(self, sig: int) -> None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        if self._leader_status() is None:
            self.killed = True
        if os.name == "nt":
            with contextlib.suppress(OSError):
                proc.kill() if sig == getattr(signal, "SIGKILL", None) else proc.terminate()
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    def _wait_for_exit(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while self._leader_status() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._log_fds:  # keep reading its output meanwhile, so it cannot block on a full pipe
                ready, _, _ = select.select(self._log_fds, [], [], min(remaining, 0.05))
                for fd in ready:
                    self._drain_log(fd)
            else:
                time.sleep(min(remaining, 0.01))
        return True

    def kill(self, grace: float = 0.0) -> None:
        """End the process group now (after ``grace`` seconds for it to exit by itself), reap, clean up."""
        if self.proc is None:
            self._release()
            return
        if grace > 0:
            self._wait_for_exit(grace)
        self._signal_group(getattr(signal, "SIGKILL", signal.SIGTERM))
        self._finish()

    def close(self, grace: float = 2.0) -> None:
        """Say quit, give the tracker ``grace`` seconds to exit, then end whatever is left."""
        if self.proc is None:
            self._release()
            return
        if self._leader_status() is None and not self._eof:
            with contextlib.suppress(_SessionFailure, OSError):
                self.send(encode_message("quit"), time.monotonic() + 1.0)
        self._close_input()
        if not self._wait_for_exit(grace):
            self._signal_group(signal.SIGTERM)
            self._wait_for_exit(1.0)
        self._signal_group(getattr(signal, "SIGKILL", signal.SIGTERM))  # stragglers in its group
        self._finish()

    def _close_input(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.shutdown(socket.SHUT_WR)
        if self.proc is not None and self.proc.stdin and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def _finish(self) -> None:
        proc = self.proc
        try:
            # Collect what it wrote last (the pipes close once the group is gone).
            deadline = time.monotonic() + 0.5
            while self._log_fds and time.monotonic() < deadline:
                ready, _, _ = select.select(self._log_fds, [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    break
                for fd in ready:
                    self._drain_log(fd)
        finally:  # even when interrupted again: reap, so no zombie is left
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # cannot happen after SIGKILL, short of a kernel stall
                proc.kill()
                proc.wait()
            self.returncode = proc.returncode
            self._release()

    def _release(self) -> None:
        for closable in (self._conn, self._listener):
            if closable is not None:
                with contextlib.suppress(OSError):
                    closable.close()
        self._conn = self._listener = None
        if self.proc is not None:
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        self._log_fds = []
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None and self._leader_status() is None

    def exit_description(self) -> str:
        code = self.returncode
        if self.proc is None:
            return "no process was started"
        if code is None:
            return "still running"
        if self.killed:
            return "killed by rasbench"
        if code >= 0:
            return f"exit status {code}"
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"


class _ProcessHolder:
    """Owns the current process; the tracker's finalizer closes it (no reference back to the tracker)."""

    def __init__(self):
        self.process: _TraxProcess | None = None

    def close(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.close()


def _frame_path(image) -> str:
    if isinstance(image, (str, os.PathLike)):
        return os.path.abspath(os.fspath(image))
    raise TypeError("TraxTracker sends frame file paths to its process (input = 'path'); it was given "
                    f"{type(image).__name__} instead of a path")


class TraxTracker:
    """A rasbench tracker that runs an external TraX tracker process.

    Built from a :class:`TraxDeclaration` (``--tracker trax:NAME``); receives frame paths
    (``input = "path"``) and sends them as ``file://`` URLs. Boxes go out and come back
    unchanged, in the 0-based coordinates of the rasbench contract. A state polygon is
    returned as the prediction's polygon with its min/max box; a ``confidence`` property
    becomes the prediction's confidence; a special region becomes a NaN box.

    One process serves every sequence (re-initialised; restarted before each
    initialisation when the declaration says ``restart = true`` or the tracker runs under
    the VOT ``vot.py`` wrapper, as the toolkit does). When anything goes wrong (start-up,
    crash, timeout, protocol violation) the process group is killed and reaped and a
    :class:`TrackerError` says what happened, with the process's exit status and the last
    lines of its stderr; the next ``init`` starts a new process.

    Parameters (``-p key=value``): ``timeout`` (seconds, all three phases),
    ``startup_timeout`` (start to hello), ``init_timeout``, ``frame_timeout``; defaults
    from the declaration's ``timeout`` (and ``meta_*_timeout``), else 30 s.
    ``deterministic``, ``restart``, ``socket`` override the declaration; ``arg_NAME=value``
    adds TraX properties sent with every initialisation.
    """

    input = "path"

    def __init__(self, declaration: TraxDeclaration, *, timeout=None, startup_timeout=None, init_timeout=None,
                 frame_timeout=None, deterministic=None, restart=None, socket=None, **extra):
        properties = dict(declaration.arguments)
        for key, value in extra.items():
            if key.startswith("arg_") and len(key) > 4:
                properties[key[4:].lower()] = value if isinstance(value, str) else json.dumps(value)
            else:
                raise TrackerError(f"unknown parameter {key!r} for TraX tracker {declaration.identifier!r}; valid: "
                                   "timeout, startup_timeout, init_timeout, frame_timeout, deterministic, restart, "
                                   "socket, arg_NAME")
        for key in properties:
            if not is_valid_key(key):
                raise TrackerError(f"{key!r} cannot name a TraX property (up to 64 of A-Z a-z 0-9 . _)")
        meta = declaration.metadata

        def pick(specific, name):
            for value, what in ((specific, name), (timeout, "timeout"), (meta.get(name), f"meta_{name}"),
                                (declaration.timeout, "timeout")):
                if value is not None and value != "":
                    return _seconds(value, what)
            return DEFAULT_TIMEOUT

        self.startup_timeout = pick(startup_timeout, "startup_timeout")
        self.init_timeout = pick(init_timeout, "init_timeout")
        self.frame_timeout = pick(frame_timeout, "frame_timeout")
        self.declaration = replace(
            declaration,
            restart=declaration.restart if restart is None else _logical(restart),
            socket=declaration.socket if socket is None else _logical(socket))
        self.deterministic = _logical(meta.get("deterministic", False) if deterministic is None else deterministic)
        self.name = f"trax-{declaration.identifier}".lower()
        self.properties = properties
        self.last_elapsed: float | None = None  # the TraX time of the last answer (see _TraxProcess.request)
        self._holder = _ProcessHolder()
        self._finalizer = weakref.finalize(self, self._holder.close)
        self._deferred: TrackerError | None = None
        self._initialized = False
        self._frame_size: tuple[int, int] | None = None  # (width, height) of this sequence's frames, once read

    def __repr__(self) -> str:
        return f"TraxTracker({self.declaration.identifier!r}, command={self.declaration.command!r})"

    # -- the tracker contract ----------------------------------------------------------

    def start(self) -> None:
        """Start the process and read its hello (``init`` does this when needed)."""
        if self._holder.process is not None:
            return
        process = _TraxProcess(self.declaration)
        self._holder.process = process
        try:
            process.start(self.startup_timeout)
        except _SessionFailure as failure:
            raise self._failed(failure, "start-up") from None
        except BaseException:
            self._abandon()
            raise

    def init(self, image, box) -> None:
        path = _frame_path(image)
        box = np.asarray(box, dtype=np.float64).reshape(4)
        if self._deferred is not None:  # describe() could not start it: that is this unit's failure
            error, self._deferred = self._deferred, None
            raise error
        process = self._holder.process
        if process is not None and not process.running:  # it died while idle: start afresh
            self._abandon()
            log.warning("TraX tracker %r exited between sequences (%s); starting it again",
                        self.declaration.identifier, process.exit_description())
        elif process is not None and process.objects and (
                self.declaration.restart or "vot" in process.hello.custom):
            self._holder.close()  # a restart per initialisation, as the VOT toolkit does
        self._initialized = False
        self.start()
        process = self._holder.process
        self._frame_size = None
        try:
            message, self.last_elapsed = process.request(
                self._initialize_payload(process, path, box), self.init_timeout, "initialize",
                f"answer to initialize within the initialisation timeout ({self.init_timeout:g} s)")
            self._prediction(message, "initialize", path)
        except _SessionFailure as failure:
            raise self._failed(failure, "initialisation") from None
        except BaseException:
            self._abandon()
            raise
        process.objects = 1
        self._initialized = True

    def update(self, image):
        path = _frame_path(image)
        process = self._holder.process
        if process is None or not self._initialized:
            raise TrackerError(f"TraX tracker {self.declaration.identifier!r}: update() before a successful init()")
        try:
            message, self.last_elapsed = process.request(
                encode_message("frame", [image_argument(path)]), self.frame_timeout, "a frame",
                f"answer to a frame within the per-frame timeout ({self.frame_timeout:g} s)")
            prediction = self._prediction(message, "frame", path)
        except _SessionFailure as failure:
            raise self._failed(failure, "a frame") from None
        except BaseException:
            self._abandon()
            raise
        return prediction

    def close(self) -> None:
        """Quit the tracker process (also done when the tracker is garbage-collected and at exit)."""
        self._initialized = False
        self._holder.close()

    def __enter__(self) -> "TraxTracker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> dict:
        """What the manifest records. Starts the process so its hello can be recorded (and so
        the first initialisation is not timed with the start-up)."""
        declaration = self.declaration
        info: dict[str, Any] = {"protocol": f"trax ({declaration.protocol})", "trax_tracker": declaration.identifier,
                                "label": declaration.label, "command": declaration.command,
                                "registry": str(declaration.source) if declaration.source else None}
        try:
            self.start()
        except TrackerError as exc:
            self._deferred = exc
            info["start_error"] = str(exc)
            return info
        hello = self._holder.process.hello
        info.update({"trax_version": hello.version, "trax_name": hello.name, "trax_family": hello.family,
                     "trax_regions": list(hello.regions), "trax_custom": dict(hello.custom)})
        return info

    # -- internals ---------------------------------------------------------------------

    def _initialize_payload(self, process: _TraxProcess, path: str, box: np.ndarray) -> bytes:
        hello = process.hello
        if "rectangle" in hello.regions:
            region = Region.rectangle(box)
        elif "polygon" in hello.regions:
            # libtrax's rectangle -> polygon conversion: corners x .. x + w - 1
            x, y, w, h = box
            region = Region.polygon([x, y, x + w - 1, y, x + w - 1, y + h - 1, x, y + h - 1])
        else:  # masks only: libtrax fills the truncated rectangle
            x, y, w, h = (int(v) for v in box)
            region = Region.from_mask(np.ones((max(h, 0), max(w, 0)), bool), x, y)
        image = image_argument(path)
        if hello.version >= 4:
            payload = encode_message("initialize") if process.objects else b""  # forget the previous object
            return payload + encode_message("initialize", [region.encode()]) + encode_message(
                "frame", [image], self.properties)
        return encode_message("initialize", [image, region.encode()], self.properties)

    def _prediction(self, message: Message, request: str, path: str):
        from .tracker import Prediction

        if message.type == "quit":
            raise _quit_failure(message, f"instead of answering {request}")
        if message.type != "state":
            raise _SessionFailure(f"answered {request} with a {message.type} message (protocol error)")
        if len(message.args) != 1:
            raise _SessionFailure(f"sent a state message with {len(message.args)} arguments; one region expected "
                                  "(protocol error)")
        text, frame_size = message.args[0], None
        if text.startswith("mask:"):  # a mask is bounded by its frame; every frame of a sequence has one size
            from .datasets.vot import image_size

            self._frame_size = frame_size = self._frame_size or image_size(Path(path))
        try:
            region = parse_region(text, frame_size)
        except ValueError as exc:
            raise _SessionFailure(f"sent an invalid region: {exc} (protocol error)") from None
        confidence = None
        if "confidence" in message.properties:
            with contextlib.suppress(ValueError):
                confidence = float(message.properties["confidence"])
        polygon = np.array(region.values, dtype=np.float64) if region.kind == "polygon" else None
        return Prediction(region.to_box(), polygon, confidence)

    def _failed(self, failure: _SessionFailure, phase: str) -> TrackerError:
        """End the process after ``failure`` and describe it all in one error."""
        process = self._holder.process
        self._holder.process = None
        self._initialized = False
        # A tracker that closed its stream is probably exiting: give it a moment so its
        # own exit status is reported rather than our kill.
        process.kill(grace=1.0 if failure.closed else 0.0)
        declaration = self.declaration
        command = _shorten(declaration.command, 160)
        tail = process.tail()
        message = (f"TraX tracker {declaration.identifier!r} failed during {phase}: it {failure}; "
                   f"{process.exit_description()}. Command: {command}")
        if failure.timed_out:
            message += " (raise the limit with -p timeout=SECONDS, -p startup_timeout/init_timeout/frame_timeout, " \
                       "or `timeout =` in its trackers.ini section)"
        if tail:
            message += f"\nLast {len(tail)} line(s) of its output:\n" + "\n".join(f"  | {line}" for line in tail)
        else:
            message += "\nIt wrote nothing to stderr."
        return TrackerError(message)

    def _abandon(self) -> None:
        # An interrupt (Ctrl-C) or an unexpected error mid-conversation: the session
        # is out of step, so the process must go.
        process, self._holder.process = self._holder.process, None
        self._initialized = False
        if process is not None:
            process.kill()


def trax_factory(name: str) -> Callable[..., TraxTracker]:
    """The ``trax`` scheme: ``trax:NAME`` -> a factory of :class:`TraxTracker` for that declaration.

    The declaration is looked up now (see :func:`registry_files`), so an unknown name is
    an error when the spec is resolved; the factory takes the tracker parameters.
    """
    declaration = find_declaration(name)

    def make(**params) -> TraxTracker:
        return TraxTracker(declaration, **params)

    make.name = f"trax-{name}".lower()
    return make


if __name__ == "__main__":  # python -m rasbench.trax ... (the same as `rasbench trax ...`)
    sys.exit(main())
