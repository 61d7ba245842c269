"""Same seed, same bytes: in memory, in JSONL files and in Parquet files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from simulator import ConfigError, SimulationConfig, simulate
from simulator.sinks import write_jsonl, write_parquet

SMALL = SimulationConfig(seed=11, days=3, customers=400, bad_share=0.03, duplicate_share=0.02)


def _digest(config: SimulationConfig) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for message in simulate(config).events:
        digest.update(message.context.encode() + b"\0" + message.key + b"\0" + message.value)
        count += 1
    return count, digest.hexdigest()


def test_same_seed_gives_identical_messages_and_another_seed_does_not() -> None:
    first = _digest(SMALL)
    assert first == _digest(SMALL)
    other = SimulationConfig(seed=12, days=3, customers=400, bad_share=0.03, duplicate_share=0.02)
    assert _digest(other)[1] != first[1]


def test_worker_processes_give_the_same_bytes_and_truth_as_one_process() -> None:
    config = SimulationConfig(seed=21, days=3, customers=600, regions=2, bad_share=0.02)
    single, parallel = simulate(config, workers=1), simulate(config, workers=2)
    assert [m.value for m in single.events] == [m.value for m in parallel.events]
    assert single.truth == parallel.truth


def test_noise_never_changes_the_valid_events() -> None:
    clean = simulate(SimulationConfig(seed=11, days=3, customers=400))
    noisy = simulate(SMALL)
    clean_values = [m.value for m in clean.events]
    noisy_values = [m.value for m in noisy.events if m.is_valid and not m.is_duplicate]
    assert clean_values == noisy_values
    assert clean.truth["revenue_by_day"] == noisy.truth["revenue_by_day"]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


def test_files_are_byte_identical_across_runs(tmp_path: Path) -> None:
    write_jsonl(simulate(SMALL), tmp_path / "a")
    write_jsonl(simulate(SMALL), tmp_path / "b")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert "truth.json" in _tree(tmp_path / "a")
    write_parquet(simulate(SMALL), tmp_path / "pa")
    write_parquet(simulate(SMALL), tmp_path / "pb")
    assert _tree(tmp_path / "pa") == _tree(tmp_path / "pb")


def test_events_and_truth_are_read_once_in_order() -> None:
    run = simulate(SimulationConfig(seed=1, days=1, customers=50))
    with pytest.raises(RuntimeError, match="exhaust"):
        _ = run.truth
    events = run.events
    with pytest.raises(RuntimeError, match="once"):
        _ = run.events
    assert sum(1 for _ in events) == run.truth["messages"]


def test_bad_config_fails_fast_with_what_to_fix() -> None:
    with pytest.raises(ConfigError, match="days must be >= 1"):
        SimulationConfig(days=0)
    with pytest.raises(ConfigError, match="bad_share"):
        SimulationConfig(bad_share=0.9)


def test_live_pacing_releases_each_message_at_its_event_time() -> None:
    import time

    from simulator import SimulatedEvent
    from simulator.sinks import paced

    now_ms = int(time.time() * 1000)
    due = [now_ms - 60_000, now_ms + 300, now_ms + 600]  # one from the past, two ahead
    messages = [SimulatedEvent("orders", b"k", b"{}", True, None, False, t) for t in due]
    released = []
    for message in paced(iter(messages)):
        released.append(time.time() * 1000)
        assert released[-1] >= message.event_time_ms - 5
    assert released[0] - now_ms < 200  # the past goes out at once
