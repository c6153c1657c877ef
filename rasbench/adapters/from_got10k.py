"""A ``got10k.trackers.Tracker`` inside rasbench (the registry wraps such objects automatically).

Frames become PIL images, as got10k gives them; boxes pass through unchanged (the one-pixel
difference that can make near image borders is explained in :mod:`rasbench.adapters.got10k`).
"""
from __future__ import annotations

import numpy as np


class FromGot10k:
    """A got10k tracker behind the rasbench contract."""

    def __init__(self, tracker):
        self.inner = tracker
        self.name = tracker.name
        self.deterministic = bool(getattr(tracker, "is_deterministic", False))

    def init(self, image: np.ndarray, box) -> None:
        from PIL import Image

        self.inner.init(Image.fromarray(image), np.asarray(box, dtype=np.float64))

    def update(self, image: np.ndarray):
        from PIL import Image

        return self.inner.update(Image.fromarray(image))
