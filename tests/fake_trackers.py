"""Small trackers with known behaviour, importable as ``fake_trackers:Name`` in tests."""
import sys
import time

import numpy as np


class BrightBox:
    """Finds the bright box the test sequences draw: a near-perfect tracker from pixels."""

    name = "brightbox"
    deterministic = True

    def init(self, image, box):
        self.box = np.asarray(box, float)

    def update(self, image):
        mask = image.astype(int).sum(axis=2) > 300
        ys, xs = np.nonzero(mask)
        if len(xs) == 0:
            return self.box
        self.box = np.array([xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1], float)
        return self.box


class Recorder:
    """Remembers every init box it was given (class attribute, shared by instances)."""

    name = "recorder"
    init_boxes = []

    def init(self, image, box):
        Recorder.init_boxes.append(np.asarray(box, float).copy())
        self.box = np.asarray(box, float)

    def update(self, image):
        return {"box": self.box, "confidence": 0.5}


class PolygonRecorder(Recorder):
    """A :class:`Recorder` that asks for VOT polygons (``takes_polygon``): remembers what init got."""

    name = "polygonrecorder"
    deterministic = True
    takes_polygon = True
    init_boxes = []

    def init(self, image, region):
        PolygonRecorder.init_boxes.append(np.asarray(region, float).copy())
        self.box = np.array([10.0, 10.0, 20.0, 20.0])


class Announcer:
    """Writes ``<init>`` to stderr when a sequence starts (to see what the progress bar showed then)."""

    name = "announcer"

    def init(self, image, box):
        sys.stderr.write("<init>")
        self.box = np.asarray(box, float)

    def update(self, image):
        return self.box


class Faulty:
    """Raises on the ``fail_at``-th update of the sequence whose first frame is ``fail_on_width`` wide."""

    name = "faulty"

    def __init__(self, fail_at=5, fail_on_height=None):
        self.fail_at = fail_at
        self.fail_on_height = fail_on_height

    def init(self, image, box):
        self.box = np.asarray(box, float)
        self.count = 0
        self.armed = self.fail_on_height is None or image.shape[0] == self.fail_on_height

    def update(self, image):
        self.count += 1
        if self.armed and self.count == self.fail_at:
            raise RuntimeError("simulated crash")
        return self.box


class BadBoxes:
    """Returns NaN at update 3, a negative width at update 5, otherwise the initial box."""

    name = "badboxes"

    def init(self, image, box):
        self.box = np.asarray(box, float)
        self.count = 0

    def update(self, image):
        self.count += 1
        if self.count == 3:
            return [np.nan] * 4
        if self.count == 5:
            return [self.box[0], self.box[1], -4.0, self.box[3]]
        return self.box


class Drift:
    """Moves its box by ``step`` pixels right per frame (a parameterised tracker)."""

    name = "drift"
    deterministic = True

    def __init__(self, step=1.0):
        self.step = float(step)

    def init(self, image, box):
        self.box = np.asarray(box, float).copy()

    def update(self, image):
        self.box[0] += self.step
        return self.box


class Weighted(Drift):
    """:class:`Drift` that names a weights file and reports its digest, as trackers with weights do."""

    name = "weighted"

    def __init__(self, weights, step=1.0):
        super().__init__(step)
        import hashlib

        with open(weights, "rb") as handle:
            self.weights_sha256 = hashlib.sha256(handle.read()).hexdigest()

    def describe(self):
        return {"weights_sha256": self.weights_sha256}


class EdgeWalker:
    """Steps right while the pixel left of its box (middle row) is bright. Which pixel that
    is depends on the origin of the box it was handed, so its whole trajectory does."""

    name = "edgewalker"
    deterministic = True

    def init(self, image, box):
        self.box = np.asarray(box, float).copy()

    def update(self, image):
        x, y, w, h = self.box
        if image[int(y + h / 2), int(x) - 1].astype(int).sum() > 300:
            self.box[0] += 1
        return self.box.copy()


class NotABox:
    name = "notabox"

    def init(self, image, box):
        pass

    def update(self, image):
        return "left a bit"


class Interrupted:
    """Simulates Ctrl-C (or a kill) in the middle of the second sequence it sees."""

    name = "interrupted"
    sequences_seen = 0

    def init(self, image, box):
        Interrupted.sequences_seen += 1
        self.box = np.asarray(box, float)
        self.count = 0

    def update(self, image):
        self.count += 1
        if Interrupted.sequences_seen == 2 and self.count == 10:
            raise KeyboardInterrupt
        return self.box


class PathReader:
    """Reads frames itself (``input = "path"``), like an external process would."""

    name = "pathreader"
    input = "path"
    paths = []

    def init(self, image, box):
        PathReader.paths.append(image)
        self.box = box

    def update(self, image):
        PathReader.paths.append(image)
        return self.box


class LoseAfter:
    """Follows nothing: after ``after`` updates it jumps far away (a certain VOT failure)."""

    name = "loseafter"
    deterministic = True

    def __init__(self, after=10):
        self.after = after

    def init(self, image, box):
        self.box = np.asarray(box, float)
        self.count = 0

    def update(self, image):
        self.count += 1
        if self.count >= self.after:
            return [-1000.0, -1000.0, 5.0, 5.0]
        return self.box


class FakeClock:
    """A ``perf_counter`` that only :class:`Sleeper` (with ``fake_clock``) moves: tests put it in
    place of the protocol's clock, so latencies are exact whatever the machine's load."""

    seconds = 0.0

    @classmethod
    def perf_counter(cls) -> float:
        return cls.seconds


class Sleeper:
    """Reports its initial box after sleeping ``seconds`` per frame (for the real-time clock);
    with ``fake_clock`` it moves :class:`FakeClock` by ``seconds`` instead."""

    name = "sleeper"
    deterministic = True

    def __init__(self, seconds=0.12, fake_clock=False):
        self.seconds = seconds
        self.fake_clock = fake_clock

    def init(self, image, box):
        self.box = np.asarray(box, float)

    def update(self, image):
        if self.fake_clock:
            FakeClock.seconds += self.seconds
        else:
            time.sleep(self.seconds)
        return self.box


class Jitter:
    """Stochastic: a random offset each frame (VOT repeats it)."""

    name = "jitter"

    def init(self, image, box):
        self.box = np.asarray(box, float)
        self.rng = np.random.default_rng()

    def update(self, image):
        return self.box + np.r_[self.rng.normal(0, 0.5, 2), 0, 0]


class Hang:
    """Hangs forever on the ``at``-th update of sequences whose frames are ``height`` tall."""

    name = "hang"
    deterministic = True

    def __init__(self, at=3, height=48):
        self.at, self.height = at, height

    def init(self, image, box):
        self.box, self.count, self.armed = np.asarray(box, float), 0, image.shape[0] == self.height

    def update(self, image):
        self.count += 1
        while self.armed and self.count == self.at:
            time.sleep(1)
        return self.box


class Suicide:
    """Kills its own process with SIGKILL (what the out-of-memory killer does) on one sequence."""

    name = "suicide"
    deterministic = True

    def __init__(self, height=48):
        self.height = height

    def init(self, image, box):
        self.box, self.armed = np.asarray(box, float), image.shape[0] == self.height

    def update(self, image):
        import os
        import signal

        if self.armed:
            os.kill(os.getpid(), signal.SIGKILL)
        return self.box


class Greedy:
    """Raises MemoryError, as a tracker that cannot allocate would."""

    name = "greedy"

    def init(self, image, box):
        self.box = box

    def update(self, image):
        raise MemoryError("cannot allocate 40 GiB")


class EnvProbe:
    """Appends the CUDA_VISIBLE_DEVICES it sees to ``log`` on every init. With ``wait_for``
    N, each init then waits (up to 60 s) until the log holds N different values: a barrier,
    so that a worker that is ready first cannot run every unit before the others start."""

    name = "envprobe"
    deterministic = True

    def __init__(self, log, wait_for=0):
        self.log = log
        self.wait_for = int(wait_for)

    def init(self, image, box):
        import os
        import time

        with open(self.log, "a") as f:
            f.write(os.environ.get("CUDA_VISIBLE_DEVICES", "-") + "\n")
        deadline = time.monotonic() + 60
        while len(set(open(self.log).read().split())) < self.wait_for and time.monotonic() < deadline:
            time.sleep(0.02)
        self.box = box

    def update(self, image):
        return self.box


class FileLimit:
    """In worker processes, limits the size of any file written to ``size`` bytes
    (RLIMIT_FSIZE): the results folder fills up after the manifest is written."""

    name = "filelimit"
    deterministic = True

    def __init__(self, size=64):
        import multiprocessing
        import resource

        if multiprocessing.parent_process() is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    def init(self, image, box):
        self.box = box

    def update(self, image):
        return self.box


class Slow(Sleeper):
    """The identity tracker at ``seconds`` per frame (for kill-and-resume tests)."""

    name = "slow"

    def __init__(self, seconds=0.01):
        super().__init__(seconds)
