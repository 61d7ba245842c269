"""Deterministic ids and timestamps: every id comes from the run's seeded RNG, never uuid4(), and
every time from the simulated clock, never now(), so a seed reproduces a run byte for byte."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

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
    """Formats simulated epoch milliseconds as ISO 8601 UTC text, caching the date part per day."""

    __slots__ = ("_days",)

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
        hour, minute = divmod(minutes, 60)
        return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"

    def date(self, ms: int) -> str:
        return self.iso(ms)[:10]


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def money(cents: int) -> str:
    """Cents as the contract's decimal text with exactly two places (amounts are never negative)."""
    return f"{cents // 100}.{cents % 100:02d}"
