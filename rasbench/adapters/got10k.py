"""A rasbench tracker inside got10k's experiments: ``ExperimentOTB(...).run(to_got10k(tracker))``.

The other direction, a got10k tracker inside rasbench, is :mod:`rasbench.adapters.from_got10k`
(a module of its own: the registry uses it, and :func:`to_got10k` uses the registry).

Boxes pass through unchanged: got10k hands trackers the dataset's own coordinates
(OTB's 1-based values), while rasbench's default run convention converts OTB ground
truth to 0-based before a tracker sees it; ``rasbench run --convention got10k`` hands
trackers got10k's numbers, so a wrapped got10k tracker follows the same trajectory as
in got10k.
"""
from __future__ import annotations

import numpy as np


def to_got10k(tracker, name: str | None = None):
    """Wrap a rasbench tracker (object or registry spec string) as a got10k Tracker."""
    from ..errors import optional_dependency

    with optional_dependency("rasbench.adapters.got10k"):
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
