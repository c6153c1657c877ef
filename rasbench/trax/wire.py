"""The TraX wire format: messages, regions, images and the handshake, read and written as
libtrax does.

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
"""
from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..text import plural

PREFIX = "@@TRAX:"
PROTOCOL_VERSION = 4  # libtrax's current version (include/trax.h)
MESSAGE_TYPES = ("hello", "initialize", "frame", "state", "quit")
_TYPE_ALIASES = {"status": "state"}  # libtrax still reads the old name
REGION_FORMATS = ("rectangle", "polygon", "mask")
IMAGE_FORMATS = ("path", "url", "memory", "buffer")
CHANNELS = ("color", "depth", "ir")

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
            start_of_line = shorten(buffer[:120].decode("utf-8", "replace"))
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
            self._on_other(f"[TraX message with an unterminated quote ignored] {shorten(self._pending)}")
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
                self._on_other(f"[overlong TraX message dropped] {shorten(text)}")
            else:
                self._pending = text
            return
        if message is None:
            self._on_other(f"[malformed TraX message ignored] {shorten(text)}")
        else:
            out.append(message)


def shorten(text: str, limit: int = 200) -> str:
    """``text`` on one line and at most ``limit`` characters (plus "..."), for logs and errors."""
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + "..."


# --------------------------------------------------------------------------------------
# Regions and images
# --------------------------------------------------------------------------------------

_URI_SCHEME = re.compile(r"([a-z+.\-]{0,15}):")  # libtrax: up to 16 characters incl. ':'
_REGION_PREFIXES = {"rect": "rectangle", "rectangle": "rectangle", "poly": "polygon", "polygon": "polygon",
                    "mask": "mask", "special": "special"}


def format_number(value: float) -> str:
    """A number as a region or property value."""
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
    def rectangle(cls, box) -> Region:
        return cls("rectangle", tuple(float(v) for v in np.asarray(box, dtype=np.float64).reshape(4)))

    @classmethod
    def polygon(cls, points) -> Region:
        values = tuple(float(v) for v in np.asarray(points, dtype=np.float64).reshape(-1))
        if len(values) < 6 or len(values) % 2:
            raise ValueError(f"a polygon needs an even number (>= 6) of coordinates, got {len(values)}")
        return cls("polygon", values)

    @classmethod
    def from_mask(cls, mask, x: int = 0, y: int = 0) -> Region:
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
        return ",".join(format_number(v) for v in self.values)


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
        raise ValueError(f"region {shorten(text, 80)!r} holds something that is not a number") from None
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
    raise ValueError(f"no TraX region has {plural(n, 'number')} (4: rectangle, even >= 6: polygon, 1: special code)")


def _parse_mask(numbers: list[float], text: str, frame_size: tuple[int, int] | None) -> Region:
    if len(numbers) < 4 or not all(np.isfinite(v) and float(v).is_integer() for v in numbers) \
            or min(numbers[2:]) < 0:
        raise ValueError(f"mask region {shorten(text, 80)!r} needs mask:x,y,w,h followed by run lengths "
                         "(integers, sizes and runs non-negative)")
    x, y, w, h = (int(v) for v in numbers[:4])
    problem = mask_problem((x, y, w, h), frame_size)
    covered = math.fsum(numbers[4:])
    if problem is None and covered > w * h:
        problem = f"its run lengths cover {covered:.0f} pixels, more than its {w}x{h}"
    if problem:
        raise ValueError(f"mask region {shorten(text, 80)!r}: {problem}")
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
    def from_properties(cls, properties: Mapping[str, str]) -> Hello:
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

