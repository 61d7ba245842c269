"""`acme simulate` writes files with the truth beside them, and refuses bad options clearly."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from acme.cli import main


def test_simulate_to_jsonl_writes_every_context_and_the_truth(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "--seed",
            "3",
            "--days",
            "2",
            "--customers",
            "200",
            "--products",
            "60",
            "--to",
            "jsonl",
            "--out",
            str(out),
            "--quiet",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    truth = json.loads((out / "truth.json").read_text())
    assert summary["messages"] == truth["messages"]
    lines = sum(len(p.read_bytes().splitlines()) for p in out.glob("*.jsonl"))
    assert lines == truth["messages"]
    assert len(list(out.glob("*.jsonl"))) == 11


def test_simulate_refuses_a_bad_config_with_what_to_fix(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["simulate", "--days", "0", "--to", "jsonl", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "days must be >= 1" in result.output
    result = CliRunner().invoke(main, ["simulate", "--to", "parquet"])
    assert result.exit_code == 2
    assert "--to parquet needs --out DIR" in result.output
