"""A local HTTP server for download tests: serves in-memory files on 127.0.0.1 with
Range support and scripted misbehaviour; plus tiny archive builders."""
from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np


def tiny_jpeg() -> bytes:
    ok, encoded = cv2.imencode(".jpg", np.full((8, 8, 3), 128, np.uint8))
    assert ok
    return encoded.tobytes()


def gt_lines(count: int) -> bytes:
    return "".join(f"{1 + k},2,3,4\n" for k in range(count)).encode()


def build_zip(files: dict[str, bytes], prefix: str = "") -> bytes:
    """Stored (uncompressed) members, so flipping a data byte gives a CRC error, not a zlib one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(prefix + name, data)
    return buffer.getvalue()


class ArchiveServer:
    """Serves ``files`` with Range support; ``faults[name]`` lists misbehaviours, used once each.

    Faults: ``("cut", n)`` sends the headers and only ``n`` bytes of the body, then
    closes; ``("status", code)`` answers with that error; ``("ignore-range",)`` answers
    200 with the whole file even to a Range request; ``("trickle", seconds)`` sends the
    body one byte at a time, ``seconds`` apart, until the client goes; ``("delay", seconds)``
    waits that long before answering.
    """

    def __init__(self, files: dict[str, bytes]):
        self.files = dict(files)
        self.faults: dict[str, list[tuple]] = {}
        self.requests: list[tuple[str, str | None]] = []  # (file name, Range header)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)

    @property
    def url_template(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{{folder}}.zip"

    def requests_for(self, name: str) -> list[str | None]:
        return [rng for file, rng in self.requests if file == name]

    def __enter__(self) -> ArchiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.lstrip("/")
                requested_range = self.headers.get("Range")
                server.requests.append((name, requested_range))
                pending = server.faults.get(name) or []
                fault = pending.pop(0) if pending else ("none",)
                data = server.files.get(name)
                if fault[0] == "delay":
                    time.sleep(fault[1])
                if fault[0] == "status":
                    return self.send_error(fault[1])
                if data is None:
                    return self.send_error(404)
                start = 0
                if requested_range and fault[0] != "ignore-range":
                    start = int(re.fullmatch(r"bytes=(\d+)-", requested_range).group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        return self.end_headers()
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if fault[0] != "trickle":
                    return self.wfile.write(body[:fault[1]] if fault[0] == "cut" else body)
                for k in range(len(body)):
                    try:
                        self.wfile.write(body[k:k + 1])
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return
                    time.sleep(fault[1])

            def log_message(self, *args):  # keep pytest output clean
                pass

        return Handler


