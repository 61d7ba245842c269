"""Deterministic ids and timestamps: every id comes from the run's seeded RNG, never uuid4(), and
every time from the simulated clock, never now(), so a seed reproduces a run byte for byte."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import numpy as np

_T = TypeVar("_T")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_MS = 86_400_000
MINUTE_MS = 60_000


class Ids:
    """Random version-4 UUID text drawn from a seeded generator.

    Ids are made in batches of `_BATCH` from one `randbytes` call and formatted by numpy as one
    block of text: per id that is a list pop instead of 128-bit integer arithmetic and string
    slicing (about a fifth of the cost; every event needs at least one id)."""

    __slots__ = ("_pool", "_rng")

    _BATCH = 512
    # Output column of each of the 32 hex digits in "8-4-4-4-12" text; the hyphens go between.
    _DIGIT_COLUMNS = np.array([c for c in range(36) if c not in (8, 13, 18, 23)], dtype=np.intp)
    _HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._pool: list[str] = []

    def uuid(self) -> str:
        pool = self._pool
        if not pool:
            self._refill(pool)
        return pool.pop()

    def _refill(self, pool: list[str]) -> None:
        n = self._BATCH
        raw = np.frombuffer(self._rng.randbytes(16 * n), dtype=np.uint8).reshape(n, 16)
        # RFC 4122: version 4 in the high nibble of byte 6, variant 10xx in byte 8.
        raw = raw.copy()
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
        digits = np.empty((n, 32), dtype=np.uint8)
        digits[:, 0::2] = self._HEX[raw >> 4]
        digits[:, 1::2] = self._HEX[raw & 0x0F]
        text = np.full((n, 36), ord("-"), dtype=np.uint8)
        text[:, self._DIGIT_COLUMNS] = digits
        block = text.tobytes().decode("ascii")
        # Reversed, so pop() hands the ids out in the order they were drawn.
        pool.extend([block[i : i + 36] for i in range(36 * (n - 1), -1, -36)])


class Clock:
    """Formats simulated epoch milliseconds as ISO 8601 UTC text from precomputed pieces: the date
    per day (cached), "HH:MM:" per minute of the day and "SS.mmmZ" per millisecond of the minute
    (a 60,000-entry table), so formatting, which is on every event's path, is three lookups and
    one concatenation."""

    __slots__ = ("_days",)

    _MINUTES = tuple(f"{m // 60:02d}:{m % 60:02d}:" for m in range(1440))
    _TAILS = tuple(f"{s:02d}.{m:03d}Z" for s in range(60) for m in range(1000))

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def iso(self, ms: int) -> str:
        day, rest = divmod(ms, DAY_MS)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")
            self._days[day] = prefix
        minute, tail = divmod(rest, MINUTE_MS)
        return prefix + self._MINUTES[minute] + self._TAILS[tail]

    def date(self, ms: int) -> str:
        return self.iso(ms)[:10]


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def money(cents: int) -> str:
    """Cents as the contract's decimal text with exactly two places (amounts are never negative)."""
    return f"{cents // 100}.{cents % 100:02d}"


class FastRandom(random.Random):
    """`random.Random` with the integer and choice helpers rebuilt on one C-level `random()` call.

    The stdlib versions are pure Python with rejection sampling (~1 us each) and dominate the
    simulator's profile; `int(random() * n)` is as deterministic and its bias (< n / 2**53) is far
    below anything a simulated shop could show. Weighted choices cache their cumulative weights
    per weight tuple.
    """

    _cumulative: dict[tuple[float, ...], tuple[list[float], float]]

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self._cumulative = {}

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: Sequence[_T]) -> _T:  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def choices(  # type: ignore[override]
        self,
        population: Sequence[_T],
        weights: Sequence[float] | None = None,
        *,
        cum_weights: Sequence[float] | None = None,
        k: int = 1,
    ) -> list[_T]:
        if weights is None and cum_weights is None:
            n = len(population)
            return [population[int(self.random() * n)] for _ in range(k)]
        if cum_weights is None:
            assert weights is not None
            key = tuple(weights)
            cached = self._cumulative.get(key)
            if cached is None:
                cumulative = list(itertools.accumulate(key))
                cached = (cumulative, cumulative[-1])
                self._cumulative[key] = cached
            cumulative, total = cached
        else:
            cumulative, total = list(cum_weights), cum_weights[-1]
        last = len(population) - 1
        return [
            population[min(bisect.bisect_right(cumulative, self.random() * total), last)]
            for _ in range(k)
        ]
