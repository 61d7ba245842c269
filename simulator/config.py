"""What a simulation run looks like: size, window, noise. One frozen object, validated up front."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime


class ConfigError(ValueError):
    """A simulation setting is out of range; the message says which and what is allowed."""


@dataclass(frozen=True)
class SimulationConfig:
    """Parameters of one deterministic run: the same config always yields the same bytes.

    `customers` is the population at the start (it grows by sign-ups during the run); daily traffic
    is roughly `customers * visit_rate` sessions plus anonymous visitors, about 8 events each.
    Small for tests (`customers=300, days=2` gives a few thousand events); tens of millions of
    events need e.g. `customers=400_000, days=30`.
    """

    seed: int = 42
    start_date: date = date(2026, 3, 2)
    days: int = 7
    customers: int = 2_000
    products: int = 600
    warehouses: int = 4
    # Fulfilment regions: each owns every `regions`-th warehouse and the customers those serve,
    # and is simulated by its own engine (process), see docs/decisions/event-simulator.md.
    regions: int = 2
    visit_rate: float = 0.12
    anonymous_share: float = 0.3
    bad_share: float = 0.0
    duplicate_share: float = 0.0
    incidents: bool = True
    # Live mode starts the world at a wall-clock instant instead of midnight of start_date.
    start_at: datetime | None = None

    def __post_init__(self) -> None:
        checks = [
            (self.days >= 1, "days must be >= 1"),
            (self.customers >= 10, "customers must be >= 10"),
            (self.products >= 20, "products must be >= 20"),
            (1 <= self.warehouses <= 6, "warehouses must be between 1 and 6"),
            (1 <= self.regions <= self.warehouses, "regions must be between 1 and warehouses"),
            (0 < self.visit_rate <= 1, "visit_rate must be in (0, 1]"),
            (0 <= self.anonymous_share < 1, "anonymous_share must be in [0, 1)"),
            (0 <= self.bad_share <= 0.5, "bad_share must be in [0, 0.5]"),
            (0 <= self.duplicate_share <= 0.5, "duplicate_share must be in [0, 0.5]"),
            (2000 <= self.start_date.year <= 2090, "start_date must be in 2000..2090"),
            (
                self.start_at is None or self.start_at.tzinfo is not None,
                "start_at must be timezone-aware",
            ),
        ]
        problems = [message for ok, message in checks if not ok]
        if problems:
            raise ConfigError("invalid simulation config: " + "; ".join(problems))

    @property
    def start(self) -> datetime:
        """First instant of the simulated window (UTC)."""
        if self.start_at is not None:
            return self.start_at.astimezone(UTC)
        return datetime(
            self.start_date.year, self.start_date.month, self.start_date.day, tzinfo=UTC
        )
