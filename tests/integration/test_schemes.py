"""Tracker schemes (``SCHEME:ARG`` specs) come from the ``rasbench.schemes`` entry points."""
import numpy as np
import pytest
from click.testing import CliRunner

from rasbench.cli import main as rasbench_cli
from rasbench.errors import TrackerError
from rasbench.registry import registered_schemes, resolve

SCHEME_MODULE = '''
class Echo:
    def __init__(self, word, **params):
        self.word, self.params = word, params

    def init(self, image, box):
        self.box = box

    def update(self, image):
        return self.box


def scheme(word):
    """echo:WORD, a tracker that remembers WORD (test only)."""
    def make(**params):
        return Echo(word, **params)
    return make
'''


@pytest.fixture
def installed_distribution(tmp_path, monkeypatch):
    """A distribution installed for this test only: it registers ``echo`` and ``broken`` schemes."""
    (tmp_path / "echo_scheme.py").write_text(SCHEME_MODULE)
    info = tmp_path / "rasbench_test_schemes-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rasbench-test-schemes\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[rasbench.schemes]\necho = echo_scheme:scheme\n"
                                           "broken = no_such_module_for_rasbench:scheme\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_builtin_schemes_are_entry_points():
    schemes = registered_schemes()
    assert schemes["opencv"] == "rasbench_trackers.opencv:scheme"
    assert schemes["trax"] == "rasbench.trax.client:scheme"
    spec = resolve("opencv:MIL", {})
    assert spec.default_name == "opencv-mil" and type(spec.create()).__name__ == "OpenCVTracker"


def test_a_scheme_from_another_distribution(installed_distribution):
    assert registered_schemes()["echo"] == "echo_scheme:scheme"
    spec = resolve("echo:Hello", {"size": 3})
    assert spec.default_name == "echo-hello"
    tracker = spec.create()
    assert tracker.word == "Hello" and tracker.params == {"size": 3}
    tracker.init(np.zeros((4, 4, 3), np.uint8), [1, 2, 3, 4])
    assert tracker.update(None) == [1, 2, 3, 4]
    with pytest.raises(TrackerError, match=r"tracker scheme 'broken' \(no_such_module_for_rasbench:scheme\) failed "
                                           "to load: No module named 'no_such_module_for_rasbench'"):
        resolve("broken:x")
    listing = CliRunner().invoke(rasbench_cli, ["trackers"])
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert "echo:NAME        echo:WORD, a tracker that remembers WORD (test only)." in lines
    assert "opencv:NAME      opencv:KCF, any cv2.Tracker<NAME> the installed OpenCV has." in lines
    assert "trax:NAME        trax:NAME, an external TraX tracker declared in a trackers.ini." in lines
    assert any(line.startswith("broken:NAME      no_such_module_for_rasbench:scheme (fails to load: ")
               for line in lines)


def test_unknown_schemes_list_the_registered_ones(installed_distribution):
    with pytest.raises(TrackerError, match=r"cannot import 'opencvv' for tracker 'opencvv:KCF': .*\(nor is 'opencvv' "
                                           r"a registered tracker scheme: broken, echo, opencv, trax\)"):
        resolve("opencvv:KCF")
    with pytest.raises(TrackerError, match="schemes: broken:NAME, echo:NAME, opencv:NAME, trax:NAME; or give"):
        resolve("nosuchtracker")
    with pytest.raises(TrackerError, match=r"cannot import 'no.such.module' for tracker 'no.such.module:T': "
                                           r"No module named 'no'\Z"):  # a module path: no scheme hint
        resolve("no.such.module:T")
