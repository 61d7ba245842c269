"""A block of one region's serialized events in time order, as columns: what an engine hands on.

A block is a few numpy arrays and two byte strings instead of one Python object per event, so a
worker process pickles it (and the merging process unpickles it) at memory speed, and the merging
process can lay it out as Arrow arrays without copying (see simulator.run).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from acme.contexts import BOUNDED_CONTEXTS

CONTEXT_CODE = {context: code for code, context in enumerate(BOUNDED_CONTEXTS)}
"""Bounded context -> its position in BOUNDED_CONTEXTS, the code a block stores per event."""

Emitted = tuple[int, int, bytes, bytes]
"""One valid event as the engine records it: (time_ms, context code, key, value). A plain tuple,
one per event; a stable sort by time keeps emission order among events of the same instant."""

TIME = itemgetter(0)
BLOCK_EVENTS = 50_000
"""Events per block at most: big enough that per-block costs vanish, small enough to stream."""


class Block(NamedTuple):
    """Events in (time, emission order). `keys` and `values` are the events' bytes back to back,
    each value followed by a newline (a JSONL line as it is: values never hold a raw newline);
    event i is `values[value_offsets[i]:value_offsets[i + 1]]` (Arrow binary layout)."""

    times: np.ndarray  # int64 epoch ms
    contexts: np.ndarray  # uint8 CONTEXT_CODE
    keys: bytes
    key_offsets: np.ndarray  # int32, len(times) + 1
    values: bytes
    value_offsets: np.ndarray  # int32, len(times) + 1

    @classmethod
    def of(cls, events: Sequence[Emitted]) -> Block:
        """The block of `events` (already in time order)."""
        if not events:
            empty = np.zeros(0, dtype=np.int64)
            zero = np.zeros(1, dtype=np.int32)
            return cls(empty, empty.astype(np.uint8), b"", zero, b"", zero)
        times, contexts, keys, values = zip(*events, strict=True)
        return cls(
            np.array(times, dtype=np.int64),
            np.array(contexts, dtype=np.uint8),
            b"".join(keys),
            offsets(keys),
            b"".join(values),
            offsets(values),
        )


def offsets(parts: Sequence[bytes]) -> np.ndarray:
    """Where each of `parts` starts when laid end to end, and where the last one ends."""
    # int32 as in Arrow's binary type: a block holds at most a chunk of events (well under 2 GiB).
    offsets = np.zeros(len(parts) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, parts), dtype=np.int32, count=len(parts)), out=offsets[1:])
    return offsets
