"""The cache entry format: what goes in comes out, bit for bit; anything damaged is refused."""
import numpy as np
import pytest

from rasbench import arraypack

ARRAYS = {"boxes": np.arange(12.0).reshape(3, 4) / 7, "flags": np.array([True, False, True]),
          "empty": np.zeros((0, 4)), "text": np.array("héllo"), "ints": np.array([1, -2], dtype=np.int32),
          "bytes": np.array([255], np.uint8), "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
          "scalar": np.float64(np.nan), "big": np.random.default_rng(0).standard_normal((1000, 21))}


def test_what_goes_in_comes_out(tmp_path):
    path = tmp_path / "entry.arrays"
    path.write_bytes(arraypack.pack_arrays({"keys": [["a.txt", [1, 2]]]}, ARRAYS))
    head, arrays = arraypack.read_arrays(path)
    assert head == {"keys": [["a.txt", [1, 2]]]} and list(arrays) == list(ARRAYS)
    for name, want in ARRAYS.items():
        got, want = arrays[name], np.asarray(want)
        assert got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes(), name
        assert got.flags.writeable and got.ctypes.data % 8 == 0  # aligned for every stored dtype


@pytest.mark.parametrize("array", [np.array([object()]), np.zeros(2, dtype=[("a", "f8")])], ids=["object", "struct"])
def test_nothing_but_plain_data_is_stored(array):
    with pytest.raises(ValueError, match="cannot be stored"):
        arraypack.pack_arrays({}, {"a": array})


@pytest.mark.parametrize("damage", [
    lambda d: b"", lambda d: d[:23], lambda d: d[:-1], lambda d: d + b"\0", lambda d: bytes(len(d)),
    lambda d: d[:len(d) // 2] + bytes(len(d) - len(d) // 2),  # what a power loss can leave of an unsynced file
    lambda d: d[:-100] + bytes([d[-100] ^ 0x10]) + d[-99:],  # one bit of the data
    lambda d: b"RBARRAY0" + d[8:],
], ids=["empty", "short", "torn", "longer", "zeros", "zero-tail", "one-bit", "other-magic"])
def test_a_damaged_entry_is_refused(damage):
    data = bytes(arraypack.pack_arrays({"k": 1}, ARRAYS))
    with pytest.raises(ValueError):
        arraypack.unpack_arrays(bytearray(damage(data)))


def test_a_forged_table_cannot_reach_outside_the_file():
    """A file whose CRC is right but whose table points past its end or asks for objects."""
    import json
    import zlib

    def forged(table):
        meta = json.dumps({"head": None, "arrays": table}).encode()
        body = len(meta).to_bytes(8, "little") + meta + bytes(64)
        return bytearray(arraypack.MAGIC + len(body).to_bytes(8, "little") + zlib.crc32(body).to_bytes(8, "little")
                         + body)

    for table in ([["a", "<f8", [1000], 0]], [["a", "|O", [1], 0]], [["a", "<f8", [-1], 0]], [["a", "<f8", [1], -64]],
                  [["a", "<f8", [1.5], 0]], [["a", "not a dtype", [1], 0]], "junk"):
        with pytest.raises(ValueError):
            arraypack.unpack_arrays(forged(table))
