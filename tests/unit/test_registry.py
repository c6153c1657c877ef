"""Finding trackers: registered names, families, module:Class, file.py:Class."""
import hashlib
import importlib.metadata
import subprocess
import sys

import numpy as np
import pytest

from rasbench.errors import TrackerError
from rasbench.registry import registered_trackers, resolve
from rasbench.tracker import Prediction, as_prediction


def test_builtin_trackers_are_entry_points():
    names = registered_trackers()
    assert names["identity"] == "rasbench_trackers.identity:IdentityTracker"
    assert "mil" in names
    tracker = resolve("identity").create()
    tracker.init(np.zeros((4, 4, 3), np.uint8), [1, 2, 3, 4])
    assert list(tracker.update(None)) == [1, 2, 3, 4]


def test_module_class_and_parameters():
    spec = resolve("fake_trackers:Drift", {"step": 2.5})
    assert spec.default_name == "drift" and spec.create().step == 2.5
    with pytest.raises(TrackerError, match="cannot create tracker"):
        resolve("fake_trackers:Drift", {"speed": 1}).create()


def test_file_path_spec(tmp_path):
    path = tmp_path / "mytracker.py"
    path.write_text("class Still:\n    def init(self, image, box): self.b = box\n"
                    "    def update(self, image): return self.b\n")
    spec = resolve(f"{path}:Still")
    assert spec.default_name == "Still" and spec.create().update is not None


def test_unknown_names_explain_the_choices():
    with pytest.raises(TrackerError, match="Registered trackers: .*identity"):
        resolve("nosuchtracker")
    with pytest.raises(TrackerError, match="cannot import"):
        resolve("no_such_module_xyz:Tracker")
    with pytest.raises(TrackerError, match="no attribute"):
        resolve("fake_trackers:Nope")
    with pytest.raises(TrackerError, match="has no init"):
        resolve("collections:OrderedDict").create()


def test_opencv_family():
    mil = resolve("mil").create()
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    mil.init(frame, [40.0, 30.0, 30.0, 30.0])
    box = mil.update(frame)
    assert len(box) == 4 and np.all(np.isfinite(box))
    with pytest.raises(TrackerError, match="cannot create tracker 'opencv:NoSuchTracker'.*ValueError.*available"):
        resolve("opencv:NoSuchTracker").create()


def test_prediction_forms():
    assert as_prediction([1, 2, 3, 4]).box.tolist() == [1, 2, 3, 4]
    p = as_prediction({"box": (1, 2, 3, 4), "polygon": [0, 0, 1, 0, 1, 1], "confidence": 0.9})
    assert p.confidence == 0.9 and p.polygon.size == 6
    assert as_prediction(Prediction(np.array([1, 2, 3, 4]))).polygon is None
    with pytest.raises(ValueError, match="5 numbers"):
        as_prediction([1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="None"):
        as_prediction(None)


def test_code_fingerprints(tmp_path):
    import click

    from rasbench.fingerprint import code_fingerprint

    assert code_fingerprint(click.Command) == f"click {importlib.metadata.version('click')}"  # a regular install
    own = resolve("mil").code  # rasbench's own trackers: a hash of their folder's sources, which a version is not
    assert own.startswith("sha256:") and own == resolve("opencv:MIL").code
    path = tmp_path / "mine.py"
    path.write_text("class Still:\n    def init(self, image, box): self.b = box\n"
                    "    def update(self, image): return self.b\n")
    digest = hashlib.sha256(b"mine.py\0" + path.read_bytes() + b"\0").hexdigest()[:16]
    assert resolve(f"{path}:Still").code == f"sha256:{digest}"  # a file.py:Class tracker: that file


def test_opencv_tiny_initial_boxes_are_widened_not_hung():
    """OpenCV's MIL loops forever on boxes with a side of 4 px or less (4 x 4, 3 x 5,
    2 x 10, 1 x anything); the wrapper widens them to 5 px about their centre."""
    script = ("import numpy as np\n"
              "from rasbench.registry import resolve\n"
              "frame = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)\n"
              "for box in ([40, 30, 1, 1], [40, 30, 3, 3], [40, 30, 4, 4], [40, 30, 2, 10], [159.6, 119.6, .4, .4]):\n"
              "    tracker = resolve('mil').create()\n"
              "    tracker.init(frame, box)\n"
              "    print(*tracker.update(frame)[2:])\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:5] == ["5.0 5.0", "5.0 5.0", "5.0 5.0", "5.0 10.0", "5.0 5.0"]
    from rasbench_trackers.opencv import _opencv_rect

    assert _opencv_rect([40, 30, 3, 20], (120, 160, 3)) == (39, 30, 5, 20)  # widened about its centre
    assert _opencv_rect([159.6, 119.6, 0.4, 0.4], (120, 160, 3)) == (155, 115, 5, 5)  # and kept inside the image
    assert _opencv_rect([10.4, 20.6, 30.2, 40.5], (120, 160, 3)) == (10, 21, 30, 40)  # others as before
