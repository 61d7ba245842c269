"""Every dbt model as a Dagster asset and every dbt test as an asset check (dagster-dbt).

The manifest is never committed: it is parsed when the definitions load if it is missing (a clean
clone, CI, `dagster job execute`) and on every reload under `dagster dev` (`prepare_if_dev`).
"""

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from opentelemetry import trace

from acme.lake_layout import LAKE_PATHS
from acme.settings import Settings
from acme.telemetry.dbt import record_run_results
from acme.telemetry.tracing import child_environment, configure_tracing
from acme.warehouse.dbt import DBT_PROFILES_DIR, DBT_PROJECT_DIR, dbt_environment
from orchestration.automation import MART_FRESHNESS, WAREHOUSE_CONDITION
from orchestration.environment import OrchestrationEnvironment
from orchestration.raw.assets import RAW_EVENTS_KEY
from orchestration.resources import LakehouseResource

# What every context's source reads (its `external_location` ends the lake root with this path).
RAW_EVENTS_LOCATION = "/" + LAKE_PATHS["raw_events"]

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROFILES_DIR,
    # A target folder of Dagster's own: `acme warehouse` runs must not overwrite our manifest.
    target_path="target/dagster",
    prepare_project_cli_args=["parse", "--quiet"],
)


def manifest_is_stale() -> bool:
    """True when there is no manifest or a project file changed after it was parsed."""
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    parsed_at = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml"] + [
        path
        for folder in ("models", "macros", "seeds", "snapshots", "tests")
        for path in (DBT_PROJECT_DIR / folder).rglob("*")
        if path.is_file()
    ]
    return any(path.stat().st_mtime > parsed_at for path in sources)


def prepare_manifest() -> None:
    """`dbt parse` when the manifest is missing or stale, and on every load under `dagster dev`."""
    if manifest_is_stale():
        dbt_project.preparer.prepare(dbt_project)
    else:
        dbt_project.prepare_if_dev()


class AcmeDbtTranslator(DagsterDbtTranslator):
    """Maps the per-context dbt sources onto the one raw events asset, groups models by layer,
    and gives every model the warehouse automation condition (and marts a freshness policy)."""

    def __init__(self) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True, enable_duplicate_source_asset_keys=True
            )
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        location = str(dbt_resource_props.get("meta", {}).get("external_location", ""))
        if dbt_resource_props["resource_type"] == "source" and RAW_EVENTS_LOCATION in location:
            return RAW_EVENTS_KEY
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_of(dbt_resource_props)

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition[Any] | None:
        return WAREHOUSE_CONDITION

    def get_asset_spec(
        self,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "model" and layer_of(props) == "marts":
            return spec.replace_attributes(freshness_policy=MART_FRESHNESS)
        return spec


def layer_of(dbt_resource_props: Mapping[str, Any]) -> str:
    """The project folder a model lives in (staging, intermediate, marts, restricted)."""
    fqn = dbt_resource_props.get("fqn", [])
    return str(fqn[1]) if len(fqn) > 2 else "warehouse"


tracer = trace.get_tracer(__name__)


@contextmanager
def dbt_env(settings: Settings, extra: Mapping[str, str]) -> Iterator[None]:
    """Expose the settings' `ACME_*` paths, and `extra` (the trace context), to the dbt process
    about to start.

    dagster-dbt hands dbt a copy of `os.environ`, and profiles.yml reads its paths through
    `env_var()`; steps run one per process (or one at a time in process), so the swap is safe.
    """
    saved = dict(os.environ)
    os.environ.update({**dbt_environment(settings), **extra})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def build_dbt_assets(environment: OrchestrationEnvironment) -> dg.AssetsDefinition:
    """The dbt models of the project as one multi-asset that runs `dbt build` on a selection."""
    prepare_manifest()

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=AcmeDbtTranslator(),
        retry_policy=environment.retry_policy(),
        name="acme_dbt_models",
    )
    def acme_dbt_models(
        context: AssetExecutionContext, dbt: DbtCliResource, lakehouse: LakehouseResource
    ) -> Iterator[Any]:
        settings = lakehouse.settings()
        configure_tracing("dagster", settings)
        settings.duckdb_build_path.parent.mkdir(parents=True, exist_ok=True)
        # Not the current span: Dagster resumes this generator between events, so the span is
        # handed to dbt and the node spans explicitly.
        span = tracer.start_span("dbt build", attributes={"dagster.run_id": context.run_id})
        invocation = None
        try:
            with dbt_env(settings, child_environment(trace.set_span_in_context(span))):
                invocation = dbt.cli(["build"], context=context)
            yield from invocation.stream()
        except Exception as error:
            span.record_exception(error)
            span.set_status(trace.StatusCode.ERROR, str(error))
            raise
        finally:
            if invocation is not None and (invocation.target_path / "run_results.json").exists():
                run_results = json.loads((invocation.target_path / "run_results.json").read_text())
                record_run_results(span, run_results)
            span.end()

    return acme_dbt_models


def mart_keys(dbt_models: dg.AssetsDefinition) -> list[dg.AssetKey]:
    """The asset keys of the mart models (what readers query and the serving copy publishes)."""
    return [key for key in dbt_models.keys if dbt_models.group_names_by_key[key] == "marts"]


def dbt_resource() -> DbtCliResource:
    """The dbt CLI resource on the project."""
    return DbtCliResource(project_dir=dbt_project)
