"""The identity tracker: reports the initial box on every frame.

A floor for every metric and the cheapest possible tracker, so runs with it measure
the toolkit's own overhead.
"""
import numpy as np


class IdentityTracker:
    name = "identity"
    deterministic = True

    def init(self, image, box):
        self.box = np.array(box, dtype=np.float64)

    def update(self, image):
        return self.box
