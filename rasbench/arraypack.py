"""Named numpy arrays and a JSON head in one file: the format of every rasbench cache entry.

    magic (8 bytes) | body length (8, little-endian) | CRC-32 of the body (8) | body
    body = head length (8) | head (UTF-8 JSON) | zero padding | array bytes, each at a multiple of 64

The head is ``{"head": <the caller's JSON-able facts>, "arrays": [[name, dtype, shape,
offset], ...]}``; every array is stored C-ordered at ``offset`` bytes from the start of the
array section. Only plain numbers, booleans and fixed-width text are stored (nothing is
pickled, nothing is executed on reading).

A cache entry is written without fsync (:func:`~rasbench.paths.atomic_write_bytes`), so
after a power loss it may be empty, torn, or hold zeros where data was: the length and the
CRC catch all three, and :func:`unpack_arrays` raises ValueError, which every cache takes for a
miss. Why not ``.npz``: a zip archive with a header and a CRC per member costs, for
LaSOT's 280-sequence annotation entry (840 arrays, 22 MB), 77-160 ms to write and
43-90 ms to read; this format one copy and one CRC each way.
"""
from __future__ import annotations

import json
import os
import zlib

import numpy as np

MAGIC = b"RBARRAY1"
ALIGN = 64
_KINDS = "biufSU"  # bool, signed, unsigned, float, bytes, text: plain data only


def _storable(dtype: np.dtype) -> bool:
    return dtype.kind in _KINDS and dtype.fields is None


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def pack_arrays(head, arrays: dict[str, np.ndarray]) -> bytearray:
    """The file bytes of ``head`` (JSON-able) and ``arrays`` ({name: array}); ValueError
    for an array of another kind than numbers, booleans or fixed-width text."""
    table, placed, offset = [], [], 0
    for name, array in arrays.items():
        array = np.asarray(array, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
        if not _storable(array.dtype):
            raise ValueError(f"array {name!r} of dtype {array.dtype} cannot be stored")
        table.append([name, array.dtype.str, list(array.shape), offset])
        placed.append((offset, array))
        offset = _aligned(offset + array.nbytes)
    meta = json.dumps({"head": head, "arrays": table}).encode()
    start = _aligned(8 + len(meta))
    out = bytearray(24 + start + offset)  # filled in place: no copy of the arrays but this one
    body = memoryview(out)[24:]
    body[:8] = len(meta).to_bytes(8, "little")
    body[8:8 + len(meta)] = meta
    for at, array in placed:
        if array.nbytes:
            np.frombuffer(body, np.uint8, array.nbytes, start + at)[:] = array.reshape(-1).view(np.uint8)
    out[:24] = MAGIC + len(body).to_bytes(8, "little") + zlib.crc32(body).to_bytes(8, "little")
    return out


def unpack_arrays(data: bytearray) -> tuple[object, dict[str, np.ndarray]]:
    """(head, {name: array}) of :func:`pack_arrays`'s bytes; the arrays are views of ``data``
    (writable when it is a bytearray). ValueError for anything else."""
    try:
        return _unpack(memoryview(data))
    except (TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise ValueError(f"not a rasbench array file: {exc!r}") from None


def _unpack(data: memoryview):
    if len(data) < 24 or data[:8] != MAGIC:
        raise ValueError("not a rasbench array file")
    size = int.from_bytes(data[8:16], "little")
    body = data[24:]
    if size != len(body) or zlib.crc32(body) != int.from_bytes(data[16:24], "little"):
        raise ValueError("a damaged rasbench array file (length or CRC)")
    length = int.from_bytes(body[:8], "little")
    meta = json.loads(bytes(body[8:8 + length]))
    start = _aligned(8 + length)
    arrays = {}
    for name, dtype, shape, offset in meta["arrays"]:
        dtype = np.dtype(dtype)
        if not _storable(dtype) or not all(type(n) is int and n >= 0 for n in shape):
            raise ValueError(f"array {name!r}: dtype {dtype} or shape {shape} not allowed")
        count = int(np.prod(shape, dtype=np.int64))
        at = start + int(offset)
        if offset < 0 or at + count * dtype.itemsize > len(body):
            raise ValueError(f"array {name!r} runs past the end of the file")
        arrays[name] = np.frombuffer(body, dtype, count, at).reshape(tuple(shape))
    return meta["head"], arrays


def read_arrays(path) -> tuple[object, dict[str, np.ndarray]]:
    """:func:`unpack_arrays` of a file's bytes, read into one writable buffer; OSError or ValueError."""
    with open(path, "rb", buffering=0) as f:
        data = bytearray(os.fstat(f.fileno()).st_size)
        view, filled = memoryview(data), 0
        while filled < len(data):
            got = f.readinto(view[filled:])
            if not got:  # the file shrank: the length check below refuses it
                break
            filled += got
    return unpack_arrays(data[:filled] if filled < len(data) else data)
