"""Frames for a tracker: decoded ahead of it on background threads."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .sequence import Sequence

_DECODERS: ThreadPoolExecutor | None = None  # one pool of decoding threads per process, created on first use


def _decoders() -> ThreadPoolExecutor:
    global _DECODERS
    if _DECODERS is None:
        _DECODERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rasbench-decode")
    return _DECODERS


class FrameReader:
    """Decodes the next frames ahead of the tracker on background threads.

    A fast tracker should not wait for JPEG decoding (OpenCV releases the GIL while
    decoding, so two decoding threads overlap with each other and with the tracker).
    Reads are usually sequential; a jump (a VOT re-initialisation, a real-time skip)
    drops the read-ahead and starts again from the requested frame. ``as_path``: hand
    out the frames' file paths instead (trackers that read images themselves).
    """

    def __init__(self, seq: Sequence, as_path: bool, ahead: int = 6):
        self.seq, self.as_path, self.ahead = seq, as_path, ahead
        self._pending: dict[int, object] = {}  # row -> future

    def __call__(self, row: int):
        """Frame ``row`` (0-based): an RGB uint8 (H, W, 3) array, or its path."""
        if self.as_path:
            return self.seq.frame(row, as_path=True)
        if row not in self._pending:
            self.close()
        pool = _decoders()
        for ahead in range(row, min(row + self.ahead, len(self.seq))):
            if ahead not in self._pending:
                self._pending[ahead] = pool.submit(self.seq.frame, ahead)
        return self._pending.pop(row).result()

    def close(self) -> None:
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
