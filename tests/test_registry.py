"""Finding trackers: registered names, families, module:Class, file.py:Class."""
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
    path.write_text("class Still:\n    def init(self, image, box): self.b = box\n    def update(self, image): return self.b\n")
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
