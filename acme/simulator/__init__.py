"""The ACME world simulator: deterministic, causally consistent domain events plus the truth.

Public interface (see docs/decisions/event-simulator.md):
`SimulationConfig`, `simulate(config) -> SimulationRun` (`.events`, then `.truth`),
`SimulatedEvent`, `produce_to_kafka`, `write_jsonl`, `write_parquet`.
"""

from acme.simulator.config import ConfigError, SimulationConfig
from acme.simulator.run import SimulatedEvent, SimulationRun, simulate

__all__ = [
    "ConfigError",
    "SimulatedEvent",
    "SimulationConfig",
    "SimulationRun",
    "simulate",
]
