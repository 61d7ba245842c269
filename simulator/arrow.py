"""Arrow arrays from numpy arrays and byte strings, built from their buffers.

`pa.array()` would do the same, but its first call imports pandas (to check whether it was given
a pandas object): half a second to a second and a half of start-up in every process that writes
a batch, for a library the simulator never uses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from simulator.block import offsets


def numbers(values: np.ndarray, type_: pa.DataType) -> pa.Array:
    """A numeric numpy array as the Arrow array of `type_` (the same width), without copying."""
    data = np.ascontiguousarray(values)
    return pa.Array.from_buffers(type_, len(data), [None, pa.py_buffer(data)])


def bools(values: np.ndarray) -> pa.BooleanArray:
    bits = np.packbits(values.astype(np.bool_, copy=False), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def binary(data: bytes, ends: np.ndarray) -> pa.BinaryArray:
    """Items back to back in `data`, item i at `data[ends[i]:ends[i + 1]]`, without copying."""
    buffers = [None, pa.py_buffer(ends), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.binary(), len(ends) - 1, buffers)


def binaries(items: Sequence[bytes]) -> pa.BinaryArray:
    return binary(b"".join(items), offsets(items))


def strings(items: Sequence[str | None]) -> pa.StringArray:
    """Text items, None as null."""
    encoded = [b"" if item is None else item.encode() for item in items]
    present = np.fromiter((item is not None for item in items), dtype=np.bool_, count=len(items))
    bits = np.packbits(present, bitorder="little")
    buffers = [pa.py_buffer(bits), pa.py_buffer(offsets(encoded)), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(items), buffers)
