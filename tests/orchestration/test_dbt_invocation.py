"""Dagster's dbt runs and `acme warehouse` runs use the same project, profile and environment
(docs/decisions/dbt-invocation.md)."""

from __future__ import annotations

import os
from pathlib import Path

from acme.settings import Settings
from acme.warehouse.dbt import DBT_PROFILES_DIR, DBT_PROJECT_DIR, dbt_environment
from orchestration.warehouse.dbt import dbt_env, dbt_resource


def test_dagster_runs_dbt_on_the_same_project_and_profile() -> None:
    resource = dbt_resource()
    assert Path(resource.project_dir) == DBT_PROJECT_DIR
    assert Path(str(resource.profiles_dir)) == DBT_PROFILES_DIR


def test_dagster_runs_dbt_with_the_settings_environment_then_restores_its_own(
    tmp_path: Path,
) -> None:
    settings = Settings(lake_root=tmp_path / "lake", _env_file=None)  # type: ignore[call-arg]
    trace_context = {"TRACEPARENT": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    expected = {**dbt_environment(settings), **trace_context}
    before = dict(os.environ)
    assert any(before.get(name) != value for name, value in expected.items())
    with dbt_env(settings, trace_context):
        assert {name: os.environ.get(name) for name in expected} == expected
    assert dict(os.environ) == before
