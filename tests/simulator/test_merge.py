"""The merge of the regions' block streams: (event time, region, emission order), whatever the
block boundaries, including a millisecond that continues into a region's next block."""

from __future__ import annotations

import itertools
import random

from simulator.block import Block, Emitted
from simulator.run import _merge, _Part


def _lines(part: _Part) -> list[bytes]:
    lines = part.lines.to_pylist()
    order = range(len(lines)) if part.line_order is None else part.line_order.tolist()
    return [lines[i] for i in order]


def _region(region: int, times: list[int], cuts: list[int]) -> tuple[list[Emitted], list[Block]]:
    events: list[Emitted] = [
        (t, (region + n) % 11, f"r{region}-k{n}".encode(), f"r{region}-e{n}\n".encode())
        for n, t in enumerate(times)
    ]
    bounds = [0, *cuts, len(events)]
    return events, [Block.of(events[a:b]) for a, b in itertools.pairwise(bounds)]


def test_merged_order_is_time_then_region_then_emission_order_across_block_boundaries() -> None:
    rng = random.Random(3)
    for _ in range(40):
        regions = [sorted(rng.randint(0, 30) for _ in range(rng.randint(0, 25))) for _ in range(3)]
        expected: list[tuple[int, int, int, bytes, bytes]] = []
        streams = []
        for region, times in enumerate(regions):
            cuts = sorted(rng.sample(range(len(times) + 1), k=min(3, len(times) + 1)))
            events, blocks = _region(region, times, cuts)
            expected += [(t, region, n, key, line) for n, (t, _, key, line) in enumerate(events)]
            streams.append(iter(blocks))
        parts = list(_merge(streams))
        got_keys = [k for p in parts for k in p.keys.to_pylist()]
        got_lines = [line for p in parts for line in _lines(p)]
        got_times = [t for p in parts for t in p.times.tolist()]
        expected.sort()
        assert got_keys == [e[3] for e in expected]
        assert got_lines == [e[4] for e in expected]
        assert got_times == [e[0] for e in expected]
