"""An external TraX tracker as a rasbench tracker (the client role): ``--tracker trax:NAME``.

:class:`TraxTracker` starts the process a :class:`~rasbench.trax.registry.TraxDeclaration`
names, talks TraX to it over pipes or a socket under start-up, initialisation and
per-frame timeouts, and turns every fault (crash, hang, protocol violation, a message out
of turn) into a :class:`~rasbench.errors.TrackerError` with the process's exit status and
the tail of its output. :func:`scheme` is the ``trax`` entry of ``rasbench.schemes``.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import TrackerError
from ..text import plural
from .registry import DEFAULT_TIMEOUT, TraxDeclaration, find_declaration, positive_seconds, to_logical
from .wire import (
    Hello,
    Message,
    MessageParser,
    Region,
    encode_message,
    image_argument,
    is_valid_key,
    parse_region,
    shorten,
)

log = logging.getLogger(__name__)

TAIL_LINES = 20  # lines of a failed tracker's output quoted in the error

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
        self._tail.append(shorten(line, 400))

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
                    return positive_seconds(value, what)
            return DEFAULT_TIMEOUT

        self.startup_timeout = pick(startup_timeout, "startup_timeout")
        self.init_timeout = pick(init_timeout, "init_timeout")
        self.frame_timeout = pick(frame_timeout, "frame_timeout")
        self.declaration = replace(
            declaration,
            restart=declaration.restart if restart is None else to_logical(restart),
            socket=declaration.socket if socket is None else to_logical(socket))
        self.deterministic = to_logical(meta.get("deterministic", False) if deterministic is None else deterministic)
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

    def __enter__(self) -> TraxTracker:
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
        from ..tracker import Prediction

        if message.type == "quit":
            raise _quit_failure(message, f"instead of answering {request}")
        if message.type != "state":
            raise _SessionFailure(f"answered {request} with a {message.type} message (protocol error)")
        if len(message.args) != 1:
            raise _SessionFailure(f"sent a state message with {len(message.args)} arguments; one region expected "
                                  "(protocol error)")
        text, frame_size = message.args[0], None
        if text.startswith("mask:"):  # a mask is bounded by its frame; every frame of a sequence has one size
            from ..datasets.images import image_size

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
        command = shorten(declaration.command, 160)
        tail = process.tail()
        message = (f"TraX tracker {declaration.identifier!r} failed during {phase}: it {failure}; "
                   f"{process.exit_description()}. Command: {command}")
        if failure.timed_out:
            message += " (raise the limit with -p timeout=SECONDS, -p startup_timeout/init_timeout/frame_timeout, " \
                       "or `timeout =` in its trackers.ini section)"
        if tail:
            message += (f"\nLast {plural(len(tail), 'line')} of its output:\n"
                        + "\n".join(f"  | {line}" for line in tail))
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


def scheme(name: str) -> Callable[..., TraxTracker]:
    """trax:NAME, an external TraX tracker declared in a trackers.ini.

    The ``trax`` entry of the ``rasbench.schemes`` group: returns a factory of
    :class:`TraxTracker` for the declaration of ``name``. The declaration is looked up now
    (see :func:`~rasbench.trax.registry.registry_files`), so an unknown name is an error
    when the spec is resolved; the factory takes the tracker parameters.
    """
    declaration = find_declaration(name)

    def make(**params) -> TraxTracker:
        return TraxTracker(declaration, **params)

    make.name = f"trax-{name}".lower()
    make.external = True  # another program: its code is not ours to fingerprint
    return make
