"""Deterministic ids and timestamps: every id comes from the run's seeded RNG, never uuid4(), and
every time from the simulated clock, never now(), so a seed reproduces a run byte for byte."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

_T = TypeVar("_T")

_VERSION_4 = (0xFFFFFFFFFFFF0FFF3FFFFFFFFFFFFFFF, 0x00000000000040008000000000000000)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_MS = 86_400_000


class Ids:
    """Random version-4 UUID text drawn from a seeded generator."""

    __slots__ = ("_bits",)

    def __init__(self, rng: random.Random) -> None:
        self._bits = rng.getrandbits

    def uuid(self) -> str:
        h = "%032x" % (self._bits(128) & _VERSION_4[0] | _VERSION_4[1])
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Clock:
    """Formats simulated epoch milliseconds as ISO 8601 UTC text from precomputed pieces (the date
    per day, "HH:MM:" per minute of day, ":SS" and ".mmmZ"): formatting is on every event's path."""

    __slots__ = ("_days",)

    _MINUTES = tuple(f"{m // 60:02d}:{m % 60:02d}:" for m in range(1440))
    _SECONDS = tuple(f"{s:02d}" for s in range(60))
    _MILLIS = tuple(f".{m:03d}Z" for m in range(1000))

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def iso(self, ms: int) -> str:
        day, rest = divmod(ms, DAY_MS)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")
            self._days[day] = prefix
        seconds, millis = divmod(rest, 1000)
        minutes, second = divmod(seconds, 60)
        return prefix + self._MINUTES[minutes] + self._SECONDS[second] + self._MILLIS[millis]

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
