"""The writer knows nothing of Kafka and the consumer nothing of Delta (the one-module-per-concern layout of ingest/)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [("ingest.consumer", "deltalake"), ("ingest.writer", "kafka"), ("ingest.tables", "kafka")],
)
def test_a_module_does_not_load_the_other_sides_client(module: str, forbidden: str) -> None:
    probe = f"import sys, {module}; print({forbidden!r} in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "False"
