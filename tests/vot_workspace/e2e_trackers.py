"""Cheap trackers for the vot-toolkit end-to-end test (tests/integration/test_vot_toolkit_e2e.py),
given to rasbench as ``path/to/e2e_trackers.py:Name`` (``rasbench run`` and ``rasbench
trax``), so nothing needs to be on ``sys.path``."""
import itertools
import zlib
from pathlib import Path

import cv2
import numpy as np


class TemplateMatch:
    """Normalised cross-correlation of the first frame's patch in a window around the last
    position, fixed size: follows the textured synthetic targets, loses them when they
    turn, are occluded or leave the view, so a VOT baseline sees failures and resets.
    Deterministic, about 1 ms a frame."""

    name = "templatematch"
    deterministic = True

    def __init__(self, search=24):
        self.search = int(search)

    @staticmethod
    def _gray(image):
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)

    def init(self, image, box):
        gray = self._gray(image)
        height, width = gray.shape
        x, y, w, h = (float(v) for v in box)
        x0, y0 = int(np.clip(round(x), 0, width - 2)), int(np.clip(round(y), 0, height - 2))
        x1, y1 = int(np.clip(round(x + w), x0 + 2, width)), int(np.clip(round(y + h), y0 + 2, height))
        self.template = gray[y0:y1, x0:x1].copy()
        self.box = np.array([x, y, w, h])
        self.offset = np.array([x - x0, y - y0])  # box corner relative to the template's corner
        self.corner = np.array([x0, y0], float)

    def update(self, image):
        gray = self._gray(image)
        height, width = gray.shape
        th, tw = self.template.shape
        left = int(np.clip(self.corner[0] - self.search, 0, max(width - tw, 0)))
        top = int(np.clip(self.corner[1] - self.search, 0, max(height - th, 0)))
        window = gray[top:min(height, top + th + 2 * self.search), left:min(width, left + tw + 2 * self.search)]
        if window.shape[0] >= th and window.shape[1] >= tw:
            score = cv2.matchTemplate(window, self.template, cv2.TM_CCOEFF_NORMED)
            _, _, _, (dx, dy) = cv2.minMaxLoc(score)
            self.corner = np.array([left + dx, top + dy], float)
        self.box[:2] = self.corner + self.offset
        return self.box.copy()


_GROUND_TRUTH = {}


def _ground_truth(folder: Path) -> np.ndarray:
    """(N, 8) polygons of a VOT sequence folder (rectangles as their four corners)."""
    key = str(folder)
    if key not in _GROUND_TRUTH:
        rows = []
        for line in (folder / "groundtruth.txt").read_text(encoding="utf-8").splitlines():
            v = [float(t) for t in line.strip().split(",")]
            if len(v) == 4:
                x, y, w, h = v
                v = [x, y, x + w, y, x + w, y + h, x, y + h]
            rows.append(v[:8])
        _GROUND_TRUTH[key] = np.array(rows)
    return _GROUND_TRUTH[key]


class NoisyOracle:
    """Reads the ground truth of the sequence it is shown (frames come as paths,
    ``<seq>/color/%08d.jpg``) and reports it with Gaussian noise; at any frame it may lose
    the target for good (probability ``hazard`` per frame) and report a box far outside
    the image, a certain VOT failure. No image is decoded, so it costs next to nothing.

    Sequences named in ``stochastic`` draw a fresh seed at every initialisation (VOT then
    runs all its repetitions there); elsewhere the seed depends only on the sequence and
    the frame of initialisation, so repetitions are identical and rasbench stops after
    three. On sequences named in ``steady`` it never loses the target (whole-sequence EAO
    fragments). Odd frames are reported as polygons too (8 values in the result file)."""

    name = "noisyoracle"
    input = "path"
    deterministic = False
    _seeds = itertools.count(1000)

    def __init__(self, noise=1.5, hazard=0.01, stochastic=(), steady=(), polygons=True):
        self.noise = float(noise)
        self.hazard = float(hazard)
        self.stochastic = set(stochastic or ())
        self.steady = set(steady or ())
        self.polygons = bool(polygons)

    def init(self, image, box):
        path = Path(image)
        folder = path.parent.parent
        self.gt = _ground_truth(folder)
        if folder.name in self.stochastic:
            seed = next(self._seeds)
        else:
            seed = zlib.crc32(folder.name.encode()) + int(path.stem)
        self.rng = np.random.default_rng(seed)
        self.risk = 0.0 if folder.name in self.steady else self.hazard
        self.lost = False

    def update(self, image):
        index = int(Path(image).stem) - 1
        if not self.lost and self.rng.random() < self.risk:
            self.lost = True
        if self.lost:
            return [-500.0, -500.0, 20.0, 20.0]
        poly = self.gt[index] + self.rng.normal(0.0, self.noise, 8)
        xs, ys = poly[0::2], poly[1::2]
        box = [xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min()]
        if self.polygons and index % 2:
            return {"box": box, "polygon": poly}
        return box
