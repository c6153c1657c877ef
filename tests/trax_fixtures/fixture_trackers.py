"""Trackers served by `rasbench trax` in the tests (spec: path/to/fixture_trackers.py:Name)."""
import numpy as np

from rasbench.tracker import Prediction


class PolygonDrift:
    """Moves right one pixel per frame; reports a rotated-looking polygon and a confidence."""

    name = "polygondrift"
    deterministic = True

    def init(self, image, box):
        self.box = np.asarray(box, float).copy()
        self.shape = image.shape

    def update(self, image):
        assert image.shape == self.shape
        self.box[0] += 1
        x, y, w, h = self.box
        polygon = [x, y + h / 2, x + w / 2, y, x + w, y + h / 2, x + w / 2, y + h]
        return Prediction(self.box.copy(), np.array(polygon), 0.25)


class PathEcho:
    """Takes frame paths (input = "path") and reports its box with the path length as confidence."""

    name = "pathecho"
    input = "path"

    def init(self, image, box):
        assert isinstance(image, str)
        self.box = np.asarray(box, float)

    def update(self, image):
        return {"box": self.box, "confidence": float(len(image))}


class Explodes:
    """Raises on the second update: the server must say quit with the reason."""

    name = "explodes"

    def init(self, image, box):
        self.box, self.count = box, 0

    def update(self, image):
        self.count += 1
        if self.count == 2:
            raise RuntimeError("exploded on purpose")
        return self.box


class Chatty:
    """Prints to stdout while tracking: the server must keep that off the protocol stream."""

    name = "chatty"

    def __init__(self):
        print("chatty: constructed", end="")  # no newline, on purpose

    def init(self, image, box):
        print("chatty: init", end="", flush=True)
        self.box = box

    def update(self, image):
        import os
        os.write(1, b"chatty: raw write to fd 1 without newline ")
        return self.box


class PixelLose:
    """Deterministic, looks at pixels, and fails on purpose: drifts by the frame's mean
    brightness (mod 3) and jumps far away after ``after`` updates (a certain VOT failure)."""

    name = "pixellose"
    deterministic = True

    def __init__(self, after=8):
        self.after = after

    def init(self, image, box):
        self.box = np.asarray(box, float).copy()
        self.count = 0

    def update(self, image):
        self.count += 1
        if self.count >= self.after:
            return [-1000.0, -1000.0, 5.0, 5.0]
        self.box[:2] += float(image.mean()) % 3 - 1
        return self.box.copy()
