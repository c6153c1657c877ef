"""OpenCV's trackers behind the rasbench contract.

``opencv-python`` ships MIL (and DaSiamRPN, Nano, Vit, which need model files passed as
parameters); an ``opencv-contrib-python`` install adds KCF, CSRT and others. Any of them
is ``--tracker opencv:NAME``; MIL is also registered as ``mil``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

# The smallest side of the box handed to OpenCV, in pixels (see OpenCVTracker).
MIN_SIDE = 5


def scheme(kind: str) -> Callable[..., OpenCVTracker]:
    """opencv:KCF, any cv2.Tracker<NAME> the installed OpenCV has.

    The ``opencv`` entry of the ``rasbench.schemes`` group: ``kind`` -> a factory taking
    the tracker parameters (fields of ``cv2.Tracker<kind>_Params``).
    """
    def make(**params) -> OpenCVTracker:
        return OpenCVTracker(kind, **params)

    return make


class OpenCVTracker:
    """Wraps ``cv2.Tracker<kind>``. Keyword parameters set fields of ``cv2.Tracker<kind>_Params``.

    An initial box narrower or lower than ``MIN_SIDE`` (5) pixels is widened about its
    centre to 5 pixels (and moved inside the image where it would stick out) before OpenCV
    sees it: MIL draws random Haar features until one of at least 9 pixels fits strictly
    inside the box, and loops forever when none can (4 x 4, 3 x 5, 2 x 10, any 1-pixel
    side); with 5-pixel sides one always fits. The boxes it reports are then that size.
    """

    deterministic = False

    def __init__(self, kind: str, **params):
        import cv2

        self.kind = kind
        self.name = f"opencv-{kind.lower()}"
        factory = (getattr(cv2, f"Tracker{kind}_create", None)
                   or getattr(getattr(cv2, f"Tracker{kind}", None), "create", None))
        if factory is None:
            available = sorted(n[len("Tracker"):-len("_create")] for n in dir(cv2)
                               if n.startswith("Tracker") and n.endswith("_create"))
            raise ValueError(f"OpenCV {cv2.__version__} has no Tracker{kind}; available: {', '.join(available)}")
        self._factory = factory
        self._params = None
        if params:
            params_cls = getattr(cv2, f"Tracker{kind}_Params")
            self._params = params_cls()
            for key, value in params.items():
                if not hasattr(self._params, key):
                    raise ValueError(f"cv2.Tracker{kind}_Params has no field {key!r}")
                setattr(self._params, key, value)
        self._tracker = None
        self._box = None

    def init(self, image: np.ndarray, box) -> None:
        import cv2

        self._tracker = self._factory(self._params) if self._params is not None else self._factory()
        self._tracker.init(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), _opencv_rect(box, image.shape))
        self._box = np.array(box, dtype=np.float64)

    def update(self, image: np.ndarray):
        import cv2

        ok, rect = self._tracker.update(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if ok:
            self._box = np.array(rect, dtype=np.float64)
        # On a reported loss keep the last box: OpenCV returns garbage then.
        return self._box


def _opencv_rect(box, image_shape) -> tuple[int, int, int, int]:
    """The integer rectangle OpenCV is given for ``box``, sides at least ``MIN_SIDE``."""
    x, y, w, h = (float(v) for v in box)
    rect = [int(round(x)), int(round(y)), int(round(w)), int(round(h))]
    for i, limit in ((0, image_shape[1]), (1, image_shape[0])):
        if rect[i + 2] < MIN_SIDE:
            start = (x, y)[i] + ((w, h)[i] - MIN_SIDE) / 2  # widened about the centre
            rect[i], rect[i + 2] = min(max(int(round(start)), 0), max(limit - MIN_SIDE, 0)), MIN_SIDE
    return tuple(rect)


class MILTracker(OpenCVTracker):
    """Multiple Instance Learning tracker (Babenko et al., CVPR 2009), OpenCV's version."""

    def __init__(self, **params):
        super().__init__("MIL", **params)
        self.name = "mil"
