"""The serving copy: publishes the built marts to read-only readers (Superset) atomically."""

import dagster as dg

from acme.warehouse.publish import publish
from orchestration.automation import WAREHOUSE_CONDITION
from orchestration.environment import OrchestrationEnvironment
from orchestration.resources import LakehouseResource

SERVING_KEY = dg.AssetKey(["serving", "warehouse"])


def build_serving_asset(
    environment: OrchestrationEnvironment, marts: list[dg.AssetKey]
) -> dg.AssetsDefinition:
    """The publish step, downstream of every mart (and behind their blocking checks)."""

    @dg.asset(
        key=SERVING_KEY,
        deps=marts,
        group_name="serving",
        kinds={"duckdb"},
        automation_condition=WAREHOUSE_CONDITION,
        retry_policy=environment.retry_policy(),
        description="The marts, copied from the build database into an immutable release and "
        "exposed at ACME_DUCKDB_SERVING_PATH with an atomic symlink swap (acme.warehouse.publish).",
    )
    def serving_warehouse(lakehouse: LakehouseResource) -> dg.MaterializeResult[None]:
        release = publish(lakehouse.settings())
        return dg.MaterializeResult(
            metadata={
                "release": dg.MetadataValue.path(str(release)),
                "serving_path": dg.MetadataValue.path(lakehouse.duckdb_serving_path),
            }
        )

    return serving_warehouse
