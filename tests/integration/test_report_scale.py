"""Reports at scale (issue 18): the fast paths give exactly what the slow ones give, and
every cache lets go of what changed."""
import numpy as np
import pytest

from rasbench.datasets import textio
from rasbench.datasets.textio import _BULK_MIN_BYTES, parse_plain, parse_rows, read_many, read_rows
from rasbench.errors import DatasetError


@pytest.fixture(params=["compiled", "numpy"])
def parser(request, monkeypatch):
    """Each test of the fast paths runs with rasbench's compiled parser (where the install
    built it) and with numpy's reader (where it did not)."""
    if request.param == "compiled" and textio._COMPILED is None:
        pytest.skip("rasbench._textparse is not built here (no C compiler at install)")
    if request.param == "numpy":
        monkeypatch.setattr(textio, "_COMPILED", None)
    return request.param


def _tricky_numbers(rng, count):
    """Decimal strings where a sloppy parser rounds differently from float(): 17
    significant digits, halfway cases, long fractions, signs, no leading digit."""
    pool = [repr(float(v)) for v in rng.uniform(-1e4, 1e4, count)]
    pool += [f"{v:.25f}" for v in rng.uniform(0, 1, count)]
    pool += ["0.1", "-.5", "+3", "2.", "9007199254740993", "0.30000000000000004", "1.00000000000000011102230246251565"]
    return [pool[i] for i in rng.integers(0, len(pool), count)]


def test_bulk_reader_gives_the_doubles_of_float(tmp_path, parser):
    rng = np.random.default_rng(18)
    paths, expected = [], []
    for i in range(12):
        tokens = _tricky_numbers(rng, 4 * 2000)
        sep = (",", "\t", " ", ", ")[i % 4]
        lines = [sep.join(tokens[j:j + 4]) for j in range(0, len(tokens), 4)]
        path = tmp_path / f"run{i}.txt"
        path.write_text("\n".join(lines) + "\n\n")  # trailing blank lines are fine
        paths.append(path)
        expected.append(np.array([[float(t) for t in line.replace(",", " ").split()] for line in lines]))
    assert sum(p.stat().st_size for p in paths) >= _BULK_MIN_BYTES  # the one-pass parse is taken
    for got, want in zip(read_many(paths, 4), expected):
        assert got.dtype == np.float64 and np.array_equal(got, want)


@pytest.mark.parametrize("bad, message", [
    ("1,2,3,4\n\n1,2,3,4", "empty line"),
    ("1,2,3,4\n,,,\n1,2,3,4", "empty line"),
    ("1,2,3,4\n1,2,3\n1,2,3,4", "expected 4 values"),
    ("1,2,3,4\n1,2,3,4,5\n1,2,3,4", "expected 4 values"),
    ("1,2,3,4\n1,2,#3,4\n1,2,3,4", "not a number"),
    (b"1,2,3,4\n1,2\xa03,4\n1,2,3,4", "not text"),  # latin-1 NBSP: loadtxt reads it as a space
    # line breaks to str.splitlines, spaces to loadtxt
    *[(b"1,2,3,4\n1,2" + bytes([c]) + b"3,4\n1,2,3,4", "expected 4 values") for c in (0x0b, 0x0c, 0x1c, 0x1d, 0x1e)],
])
def test_bulk_reader_refuses_what_the_line_parser_refuses(tmp_path, bad, message, parser):
    """A bad file among big clean ones: the one-pass parse must not accept it (loadtxt
    skips blank lines, knows comments and reads other bytes as spaces), the line parser
    names the line."""
    clean = "\n".join(["12.5,13.25,40,50"] * 20000)
    paths = [tmp_path / f"clean{i}.txt" for i in range(2)] + [tmp_path / "bad.txt"]
    for p in paths[:2]:
        p.write_text(clean)
    paths[2].write_bytes(bad if isinstance(bad, bytes) else bad.encode())
    got = read_many(paths, 4)
    assert [g.shape for g in got[:2]] == [(20000, 4)] * 2
    assert isinstance(got[2], DatasetError) and message in str(got[2])
    if isinstance(bad, str):
        with pytest.raises(DatasetError, match=message):
            parse_rows(bad, 4, paths[2])
    with pytest.raises(DatasetError, match=message):
        read_rows(paths[2], 4)


@pytest.mark.parametrize("text", [
    "1,2,3,4\r\n5,6,7,8\r\n",  # Windows line ends: the line parser's, not the fast paths'
    "nan,NaN,-nan,+inf\n-Infinity,1e3,1E-400,1e400\n",  # what float() reads beyond decimals
    "1\t2 ,3;4\n,5,,6,7,8,\n",  # runs of separators, separators at both ends
    "0.1,-0,+.5,5.\n" + ",".join(["9" * 30 + ".5", "0." + "0" * 30 + "1", "1" * 63, "1.0" + "0" * 60]) + "\n",
])
def test_every_reader_gives_the_same_rows(tmp_path, text, parser):
    """Files the fast paths refuse or pass on to Python's conversion: every path gives the
    doubles of float() for each token, NaN's sign included."""
    path = tmp_path / "run.txt"
    path.write_bytes(text.encode())
    want = np.array([[float(t) for t in line.replace(",", " ").replace(";", " ").split()]
                     for line in text.strip().splitlines()])
    for got in (read_rows(path, 4), read_many([path] * 40000, 4)[-1]):
        assert got.shape == want.shape and got.tobytes() == want.tobytes()


def test_compiled_parser_gives_the_doubles_of_float_token_by_token():
    """200,000 random tokens of every kind the compiled parser takes itself or hands to
    Python: bit for bit what float() gives; whatever it refuses, float() refuses or the
    token is one it leaves to the line parser (a long non-decimal)."""
    if textio._COMPILED is None:
        pytest.skip("rasbench._textparse is not built here (no C compiler at install)")
    rng = np.random.default_rng(2018)
    digits = np.array(list("0123456789"))

    def run(k):
        return "".join(rng.choice(digits, k))

    makers = [
        lambda: f"{rng.uniform(-1e5, 1e5):.{rng.integers(0, 8)}f}",
        lambda: repr(float(rng.uniform(-1e3, 1e3))),
        lambda: repr(float(rng.standard_normal() * 10.0 ** rng.integers(-30, 30))),  # exponents
        lambda: str(int(rng.integers(-2**62, 2**62))),
        lambda: rng.choice(["", "+", "-"]) + run(rng.integers(0, 25)) + "." + run(rng.integers(0, 25)),
        lambda: "0." + "0" * int(rng.integers(15, 30)) + run(rng.integers(1, 8)),
        lambda: str(int(rng.integers(2**53 - 5, 2**53 + 5))) + rng.choice(["", ".0", ".5", ".25"]),
        lambda: rng.choice(["nan", "-nan", "inf", "-inf", "Infinity", "1e", "e5", "1.2.3", "--1", "+", ".", "1+",
                            "0x1p3", "1_0", "nanx", "infinit", "1e+", "1.5E-3", "-0", "+0.0", ".e1"]),
    ]
    tokens = [makers[i]() for i in rng.integers(0, len(makers), 200000)]
    for token in tokens:
        got = textio._COMPILED(token.encode(), 1)
        try:
            want = float(token)
        except ValueError:
            assert got is None, token
            continue
        if got is not None:
            assert np.float64(want).tobytes() == bytes(got), token
        else:
            assert "_" in token, token  # float() reads 1_0; the line parser takes it


def test_every_reader_gives_the_same_error(tmp_path, parser):
    """A cut-off UTF-8 character before trailing whitespace: the same message from read_rows
    and read_many, whichever parser is built (numpy's path once stripped the whitespace first,
    and the decoder then said "unexpected end of data")."""
    path = tmp_path / "run.txt"
    path.write_bytes(b"1,2,3,4\n1,2,3,\xc3 \n")
    with pytest.raises(DatasetError) as raised:
        read_rows(path, 4)
    many = read_many([path] * 20000, 4)[-1]
    assert "invalid continuation byte at byte 14" in str(raised.value) and str(many) == str(raised.value)


def test_compiled_parser_allocates_no_more_than_the_text_could_hold():
    if textio._COMPILED is None:
        pytest.skip("rasbench._textparse is not built here (no C compiler at install)")
    assert parse_plain(b"\n" * 1000 + b"1", 2 ** 40) is None  # was a MemoryError (8 TB per line asked for)
    assert parse_plain(b"1,2\n3,4", 2).tolist() == [[1, 2], [3, 4]]


def test_a_build_of_another_version_is_not_used(monkeypatch):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "rasbench._textparse", types.SimpleNamespace(VERSION=0, parse_rows=None))
    assert textio._compiled_parser() is None
    monkeypatch.setitem(sys.modules, "rasbench._textparse", None)  # not built: ImportError
    assert textio._compiled_parser() is None
    monkeypatch.setattr(textio, "_COMPILED", None)
    assert parse_plain(b"1,2,3,4", 4) is None


@pytest.mark.parametrize("text, rows", [
    (b"1,2\n3,4", [[1, 2], [3, 4]]), (b"1,2\n3,4\n", [[1, 2], [3, 4]]),
    (b"1,2\n3,4 \t\r\n\x0b\x0c\n", [[1, 2], [3, 4]]),
    (b"", None), (b" \n\n", None), (b"1,2\n\n3,4", None), (b"1,2\r\n3,4", None), (b"1,2,3", None), (b"1", None)])
def test_compiled_parser_rows_and_refusals(text, rows):
    """Trailing whitespace is what bytes.rstrip() strips; what is refused (None) goes to the
    line parser, which reads Windows line ends and names a blank line or a wrong width."""
    if textio._COMPILED is None:
        pytest.skip("rasbench._textparse is not built here (no C compiler at install)")
    got = parse_plain(text, 2)
    if rows is None:
        assert got is None
    else:
        assert got.flags.writeable and got.dtype == np.float64 and got.tolist() == rows


def _write_copy(tmp_path, boxes: dict):
    """``boxes`` ({sequence: rows}) as a pysot JSON and as an anno/ folder."""
    import json

    path = tmp_path / "small.json"
    path.write_text(json.dumps({n: {"video_dir": n, "init_rect": rows[0], "gt_rect": rows, "attr": [],
                                    "img_names": [f"{n}/img/{i:04d}.jpg" for i in range(1, len(rows) + 1)]}
                                for n, rows in boxes.items()}))
    anno = tmp_path / "anno"
    anno.mkdir(exist_ok=True)
    for n, rows in boxes.items():
        (anno / f"{n}.txt").write_text("".join(",".join(map(str, r)) + "\n" for r in rows))
    return path, anno


@pytest.mark.parametrize("source", ["json", "anno"])
def test_annotation_cache_serves_the_same_dataset_and_lets_go_of_changed_files(tmp_path, shared_data, source):
    import json
    import os

    from rasbench.config.benchmarks import load_benchmark
    from rasbench.datasets import open_dataset
    from rasbench.paths import cache_dir

    names = ["Basketball", "Biker", "Bird1"]
    data = json.loads((shared_data / "otb/annotations/OTB100.json").read_text())
    boxes = {n: data[n]["gt_rect"] for n in names}
    json_path, anno = _write_copy(tmp_path, boxes)
    path = json_path if source == "json" else anno
    bench = load_benchmark("otb2015")

    def load():
        return open_dataset(bench, annotations=path, images=False, sequences=names)

    def entries():
        return set((cache_dir() / "annotations").glob("*.arrays"))

    before = entries()
    first = load()
    assert len(entries() - before) == 1
    again = load()  # from the cache
    for n in names:
        a, b = first[n], again[n]
        assert np.array_equal(a.groundtruth, b.groundtruth) and a.groundtruth.dtype == b.groundtruth.dtype
        assert (a.first_frame, a.attributes, a.init_omit, a.origin, a.source, a.image_size) == \
               (b.first_frame, b.attributes, b.init_omit, b.origin, b.source, b.image_size)
    assert (again.source, again.missing, list(again)) == (first.source, first.missing, list(first))

    # one box moved by a digit (same file size), the modification time put back: a file
    # written anew has a new inode, and that tells
    target = json_path if source == "json" else anno / "Biker.txt"
    st = target.stat()
    x = boxes["Biker"][5][0]
    boxes["Biker"][5][0] = x + 100 if 100 <= x < 899 else x - 100 if x >= 200 else x
    assert boxes["Biker"][5][0] != x
    moved = tmp_path / "moved"
    moved.mkdir()
    _write_copy(moved, boxes)
    os.replace(moved / ("small.json" if source == "json" else "anno/Biker.txt"), target)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert target.stat().st_size == st.st_size and target.stat().st_ino != st.st_ino
    changed = load()
    assert changed["Biker"].groundtruth[5, 0] == boxes["Biker"][5][0]
    assert np.array_equal(changed["Basketball"].groundtruth, first["Basketball"].groundtruth)
    assert len(entries() - before) == 2


def test_vot_score_cache_gives_the_same_report_and_lets_go_of_a_changed_run(tmp_path, monkeypatch):
    from report_fixtures import run_vot_trackers, tiny_vot

    from rasbench.datasets import open_dataset
    from rasbench.evaluation import evaluate
    from rasbench.evaluation import vot as scoring
    from rasbench.reports.text import to_json
    from rasbench.results.discovery import find_tracker_dirs

    bench, root = tiny_vot(tmp_path)
    folder = run_vot_trackers(bench, root, tmp_path / "results", experiments=("baseline", "unsupervised"))
    dataset = open_dataset(bench, root=root, images=False, experiment="baseline")
    measured = []
    real_measure = scoring._measure
    monkeypatch.setattr(scoring, "_measure", lambda *a: measured.append(a[0].name) or real_measure(*a))

    def report(exp, cache=True):
        return to_json(evaluate(bench, exp, dataset, find_tracker_dirs([folder], bench.name, exp), cache=cache))

    fresh = {exp: report(exp, cache=False) for exp in ("baseline", "unsupervised")}
    for exp in fresh:
        assert report(exp) == fresh[exp]  # computed, then saved
        measured.clear()
        assert report(exp) == fresh[exp] and measured == []  # served from the cache

    # identity's first baseline run of alpha, one box moved: that tracker is measured again
    run = next((folder / "identity" / "baseline" / "alpha").glob("*_001.txt"))
    lines = run.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if line.count(",") == 3 and i > 1)
    x, rest = lines[row].split(",", 1)
    lines[row] = f"{float(x) + 7:g},{rest}"
    run.write_text("\n".join(lines) + "\n")
    changed = report("baseline")
    assert measured == ["identity"]
    assert changed == report("baseline", cache=False) and changed != fresh["baseline"]


def test_parallel_build_writes_the_serial_files_renders_each_plot_once_and_never_imports_torch(otb, tmp_path):
    """``-f html,latex`` in one build: every plot drawn once for both formats, the same
    bytes whatever ``--workers``; a second build reuses everything; torch stays out."""
    import json
    import os
    import subprocess
    import sys

    from conftest import TESTS

    bench, root, folder = otb
    out = {n: tmp_path / f"out{n}" for n in (1, 2)}
    code = (
        "import sys, json, time\n"
        "from click.testing import CliRunner\n"
        "from rasbench.cli import main\n"
        "from rasbench.plots import style\n"
        "drawn = []\n"
        "real = style.save\n"
        "style.save = lambda fig, stem, formats=('png', 'pdf'): drawn.append(list(formats)) or real(fig, stem,\n"
        "                                                                                             formats)\n"
        "args = ['report', sys.argv[1], '--results', sys.argv[2], '--root', sys.argv[3], '-e', 'ope,tre',\n"
        "        '-f', 'html,latex', '-o', sys.argv[4], '--workers', sys.argv[5], '-q']\n"
        "r = CliRunner().invoke(main, args)\n"
        "assert r.exit_code == 0, r.output\n"
        "started = time.perf_counter()\n"
        "again = CliRunner().invoke(main, args[:-1])\n"
        "assert again.exit_code == 0, again.output\n"
        "print(json.dumps({'drawn': drawn, 'torch': sorted(m for m in sys.modules if m.split('.')[0] == 'torch'),\n"
        "                  'second': again.output, 'seconds': time.perf_counter() - started}))\n")
    runs = {}
    for n, target in out.items():
        done = subprocess.run([sys.executable, "-c", code, str(bench.path), str(folder.parent), str(root), str(target),
                               str(n)], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONPATH": str(TESTS)})
        runs[n] = json.loads(done.stdout.strip().splitlines()[-1])
    assert runs[1]["torch"] == runs[2]["torch"] == []
    # serial: save() runs in this process, once per plot with both formats
    assert runs[1]["drawn"] and all(formats == ["png", "pdf"] for formats in runs[1]["drawn"])
    assert "0 outputs built" in runs[1]["second"] and runs[1]["seconds"] < 5
    files = {n: sorted(p.relative_to(t).as_posix() for p in t.rglob("*") if p.is_file() and "lock" not in p.name)
             for n, t in out.items()}
    assert files[1] == files[2] and any(f.endswith(".pdf") for f in files[1])
    import re

    def content(path):  # the page says when it was generated
        return re.sub(rb"generated [0-9: -]+", b"", path.read_bytes())

    for name in files[1]:
        if not name.endswith(".rasbench-report.json"):
            assert content(out[1] / name) == content(out[2] / name), name


def test_annotation_cache_keeps_absent_flags(tmp_path, monkeypatch):
    """LaSOT's absent frames decide its scores: a cached copy must give them back."""
    from rasbench.datasets import cache
    from rasbench.datasets.sequence import Dataset, Sequence

    monkeypatch.setenv("RASBENCH_CACHE", str(tmp_path / "cache"))
    absent = np.array([False, True, True, False])
    seq = Sequence(name="cat-1", groundtruth=np.ones((4, 4)), absent=absent)
    entry = tmp_path / "entry.arrays"
    cache._save(entry, Dataset("lasot", [seq], "copy", None, {}))
    again = cache._load(entry)["cat-1"]
    assert again.absent is not None and again.absent.tolist() == absent.tolist()
