"""The US retail calendar the simulated traffic follows: hours of the day, weekdays, the yearly
wave and the holidays (whose names the warehouse's date dimension carries too)."""

from __future__ import annotations

import math
from datetime import date, timedelta

from simulator.config import SimulationConfig

HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 10, 11, 10, 9, 9, 9, 10, 12, 14, 15, 13, 9, 5)
WEEKDAY_FACTOR = (0.95, 0.97, 0.98, 1.0, 1.05, 1.12, 1.1)  # Monday .. Sunday


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    if n > 0:
        return first + timedelta(days=offset + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def holidays(year: int) -> dict[date, tuple[str, float]]:
    """US retail calendar: holiday -> (name, traffic factor)."""
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    return {
        date(year, 1, 1): ("New Year's Day", 0.7),
        _nth_weekday(year, 2, 0, 3): ("Presidents' Day", 1.15),
        date(year, 2, 14) - timedelta(days=2): ("Valentine's rush", 1.2),
        _nth_weekday(year, 5, 0, -1): ("Memorial Day", 1.25),
        date(year, 7, 4): ("Independence Day", 0.85),
        _nth_weekday(year, 9, 0, 1): ("Labor Day", 1.2),
        thanksgiving: ("Thanksgiving", 0.9),
        thanksgiving + timedelta(days=1): ("Black Friday", 2.6),
        thanksgiving + timedelta(days=4): ("Cyber Monday", 2.3),
        date(year, 12, 24): ("Christmas Eve", 0.8),
        date(year, 12, 25): ("Christmas Day", 0.6),
    }


def day_factor(day: date) -> float:
    """Traffic multiplier: weekly pattern x yearly wave (peak Nov-Dec, trough Feb) x holidays."""
    yearly = 1 + 0.18 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 350) / 365)
    holiday = holidays(day.year).get(day)
    return WEEKDAY_FACTOR[day.weekday()] * yearly * (holiday[1] if holiday else 1.0)


def holiday_names(config: SimulationConfig) -> dict[str, str]:
    """Holidays inside the run's window (date -> name), for the truth manifest."""
    start = config.start.date()
    found = {}
    for offset in range(config.days):
        day = start + timedelta(days=offset)
        holiday = holidays(day.year).get(day)
        if holiday:
            found[day.isoformat()] = holiday[0]
    return found
