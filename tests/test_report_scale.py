"""Reports at scale (issue 18): the fast paths give exactly what the slow ones give, and
every cache lets go of what changed."""
import numpy as np
import pytest

from rasbench.datasets.textio import _BULK_MIN_BYTES, parse_rows, read_many
from rasbench.errors import DatasetError


def _tricky_numbers(rng, count):
    """Decimal strings where a sloppy parser rounds differently from float(): 17
    significant digits, halfway cases, long fractions, signs, no leading digit."""
    pool = [repr(float(v)) for v in rng.uniform(-1e4, 1e4, count)]
    pool += [f"{v:.25f}" for v in rng.uniform(0, 1, count)]
    pool += ["0.1", "-.5", "+3", "2.", "9007199254740993", "0.30000000000000004", "1.00000000000000011102230246251565"]
    return [pool[i] for i in rng.integers(0, len(pool), count)]


def test_bulk_reader_gives_the_doubles_of_float(tmp_path):
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
])
def test_bulk_reader_refuses_what_the_line_parser_refuses(tmp_path, bad, message):
    """A bad file among big clean ones: the one-pass parse must not accept it (loadtxt
    skips blank lines and knows comments), the line parser names the line."""
    clean = "\n".join(["12.5,13.25,40,50"] * 20000)
    paths = [tmp_path / f"clean{i}.txt" for i in range(2)] + [tmp_path / "bad.txt"]
    for p in paths[:2]:
        p.write_text(clean)
    paths[2].write_text(bad)
    got = read_many(paths, 4)
    assert [g.shape for g in got[:2]] == [(20000, 4)] * 2
    assert isinstance(got[2], DatasetError) and message in str(got[2])
    with pytest.raises(DatasetError, match=message):
        parse_rows(bad, 4, paths[2])
