"""got10k <-> rasbench tracker adapters.

* :class:`FromGot10k` runs a ``got10k.trackers.Tracker`` inside rasbench (the registry
  wraps such objects automatically): frames become PIL images, as got10k gives them.
* :func:`to_got10k` runs a rasbench tracker inside got10k's experiments
  (``ExperimentOTB(...).run(to_got10k(tracker))``).

Boxes pass through unchanged: got10k hands trackers the dataset's own coordinates
(OTB's 1-based values), while rasbench's default run convention converts OTB ground
truth to 0-based before a tracker sees it; ``rasbench run --convention got10k`` hands
trackers got10k's numbers, so a wrapped got10k tracker follows the same trajectory as
in got10k.
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


def to_got10k(tracker, name: str | None = None):
    """Wrap a rasbench tracker (object or registry spec string) as a got10k Tracker."""
    from got10k.trackers import Tracker as Got10kTracker

    if isinstance(tracker, str):
        from ..registry import resolve

        tracker = resolve(tracker).create()

    class RasbenchTracker(Got10kTracker):
        def __init__(self):
            super().__init__(name=name or getattr(tracker, "name", type(tracker).__name__),
                             is_deterministic=bool(getattr(tracker, "deterministic", False)))
            self.inner = tracker

        def init(self, image, box):
            self.inner.init(np.asarray(image.convert("RGB")), np.asarray(box, dtype=np.float64))

        def update(self, image):
            from ..tracker import as_prediction

            return as_prediction(self.inner.update(np.asarray(image.convert("RGB")))).box

    return RasbenchTracker()
