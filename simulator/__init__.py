"""The ACME world simulator: deterministic, causally consistent domain events plus the truth.

Public interface (see docs/decisions/event-simulator.md):
`SimulationConfig`, `simulate(config, workers=1) -> SimulationRun` (`.events` or `.batches`, then
`.truth`), `SimulatedEvent`, and the sinks `produce_to_kafka`, `write_jsonl`, `write_parquet`.
"""

import importlib
from typing import TYPE_CHECKING, Any

from simulator.config import ConfigError, SimulationConfig

if TYPE_CHECKING:
    from simulator.run import SimulatedEvent, SimulationRun, simulate
    from simulator.sinks import produce_to_kafka, write_jsonl, write_parquet

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

# Loaded on first use: the run and the sinks pull in pyarrow and kafka-python, which the
# simulator's worker processes (they import simulator.regions, hence this package) never
# need; skipping them keeps a worker's start-up short.
_LAZY = {
    "SimulatedEvent": "run",
    "SimulationRun": "run",
    "simulate": "run",
    "produce_to_kafka": "sinks",
    "write_jsonl": "sinks",
    "write_parquet": "sinks",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"simulator.{module}"), name)
