"""A rasbench tracker behind TraX (the server role): ``rasbench trax --tracker SPEC``.

:func:`serve` answers one TraX client (the VOT toolkit, say) with any rasbench tracker,
over given streams or where libtrax servers talk: ``$TRAX_SOCKET``, ``$TRAX_IN`` /
``$TRAX_OUT``, else stdin/stdout kept for the protocol alone. :func:`run_server` builds
the tracker from a spec first, as ``rasbench run`` does.
"""
from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
import traceback
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import RasbenchError
from ..registry import resolve
from .wire import (
    PROTOCOL_VERSION,
    Hello,
    Message,
    MessageParser,
    Region,
    encode_message,
    format_number,
    mask_problem,
    parse_image,
    parse_region,
)


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
        from ..tracker import takes_polygon, tracker_name, wants_paths

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
        self.takes_polygon = takes_polygon(tracker)
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
        from ..datasets.images import read_rgb

        image = parse_image(text)
        if image.kind != "path":
            raise _ProtocolViolation(f"image sent as {image.kind}; this tracker announced file paths only")
        return image.data if self.as_path else read_rgb(Path(image.data))

    def _initialize(self, image_text: str, region: Region) -> bytes:
        if region.kind == "special":
            raise _ProtocolViolation(f"cannot initialise from the special region {region.encode()}")
        image = self._image(image_text)
        if region.kind == "mask":  # parsed before its frame was known: only MAX_MASK_PIXELS bounded it
            from ..datasets.images import image_size

            size = image_size(Path(image)) if self.as_path else (image.shape[1], image.shape[0])
            problem = mask_problem(region.values, size)
            if problem:
                raise _ProtocolViolation(f"mask region: {problem}")
        box = region.to_box()
        # a tracker that takes polygons chooses its own box from one
        initial = np.array(region.values, dtype=np.float64) if region.kind == "polygon" and self.takes_polygon else box
        self.tracker.init(image, initial)
        if region.kind == "rectangle" or (region.kind == "polygon" and self.polygons):
            answer = region
        else:
            answer = Region.rectangle(box)
        return encode_message("state", [answer.encode()])

    def _update(self, image_text: str) -> bytes:
        from ..tracker import as_prediction

        prediction = as_prediction(self.tracker.update(self._image(image_text)))
        if self.polygons and prediction.polygon is not None:
            region = Region.polygon(prediction.polygon)
        else:
            region = Region.rectangle(prediction.box)
        properties = {} if prediction.confidence is None else {"confidence": format_number(prediction.confidence)}
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
    with _server_transport() as transport:
        try:
            tracker = resolve(tracker_spec, dict(params or {})).create()
        except (RasbenchError, ValueError) as exc:  # ValueError: a tracker rejecting its parameters (OpenCV's)
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return _ServerSession(tracker, transport, region, version, name).run()

