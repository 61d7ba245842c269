"""The ACME world simulator: deterministic, causally consistent domain events plus the truth.

Public interface (see docs/decisions/event-simulator.md):
`SimulationConfig`, `simulate(config, workers=1) -> SimulationRun` (`.events`, then `.truth`),
`SimulatedEvent`, and the sinks `produce_to_kafka`, `write_jsonl`, `write_parquet`.
"""

from typing import Any

from acme.simulator.config import ConfigError, SimulationConfig
from acme.simulator.run import SimulatedEvent, SimulationRun, simulate

__all__ = [
    "ConfigError",
    "SimulatedEvent",
    "SimulationConfig",
    "SimulationRun",
    "produce_to_kafka",
    "simulate",
    "write_jsonl",
    "write_parquet",
]

_SINKS = {"produce_to_kafka", "write_jsonl", "write_parquet"}


def __getattr__(name: str) -> Any:
    # The sinks pull in kafka-python and pyarrow; loading them on first use keeps the simulator's
    # worker processes, which only generate, quick to start.
    if name in _SINKS:
        from acme.simulator import sinks

        return getattr(sinks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
