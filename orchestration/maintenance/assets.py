"""Maintenance as assets: each materialization records what it did, so the history of every
compaction, expiry and vacuum is visible in Dagster next to the tables it touched.

The work itself lives in `ingest.maintenance` (shared with `acme lake`); these assets only decide
when and with which retention, and never change the data's meaning (compaction is dataChange=false,
so it does not count as "new raw data" for automation).
"""

from typing import Final

import dagster as dg
from dagster import AssetExecutionContext

from ingest import maintenance
from orchestration.environment import OrchestrationEnvironment
from orchestration.raw.assets import DEAD_LETTERS_KEY, RAW_EVENTS_KEY
from orchestration.resources import LakehouseResource

GROUP = "maintenance"
COMPACTION_KEY = dg.AssetKey([GROUP, "delta_compaction"])
RETENTION_KEY = dg.AssetKey([GROUP, "delta_retention"])
VACUUM_KEY = dg.AssetKey([GROUP, "delta_vacuum"])
# Rows kept, in days, for the tables that are not the event-sourcing log (raw events are kept).
RETENTION_DAYS: Final[dict[str, int]] = {"dead_letters": 90, "live": 14}


def build_maintenance_assets(environment: OrchestrationEnvironment) -> list[dg.AssetsDefinition]:
    """Compaction, retention and vacuum of the ingest tables."""
    retry = environment.retry_policy()

    @dg.asset(
        key=COMPACTION_KEY,
        group_name=GROUP,
        deps=[RAW_EVENTS_KEY, DEAD_LETTERS_KEY],
        retry_policy=retry,
        kinds={"deltalake"},
        description="Bin-packs the small files micro-batch commits leave in each ingest table.",
    )
    def delta_compaction(
        context: AssetExecutionContext, lakehouse: LakehouseResource
    ) -> dg.MaterializeResult[None]:
        metadata: dict[str, int] = {}
        for name in maintenance.TABLES:
            metrics = maintenance.compact(lakehouse.lake, name)
            metadata[f"{name}_files_removed"] = int(metrics.get("numFilesRemoved", 0))
            metadata[f"{name}_files_added"] = int(metrics.get("numFilesAdded", 0))
        context.log.info("compaction: %s", metadata)
        return dg.MaterializeResult(metadata=metadata)

    @dg.asset(
        key=RETENTION_KEY,
        group_name=GROUP,
        deps=[DEAD_LETTERS_KEY],
        retry_policy=retry,
        kinds={"deltalake"},
        description="Deletes dead letters and live metrics past their retention "
        f"({RETENTION_DAYS}); raw events are the event-sourcing log and are kept.",
    )
    def delta_retention(lakehouse: LakehouseResource) -> dg.MaterializeResult[None]:
        deleted = {
            f"{name}_rows_deleted": maintenance.expire(lakehouse.lake, name, keep_days=days)
            for name, days in RETENTION_DAYS.items()
        }
        return dg.MaterializeResult(metadata=deleted)

    @dg.asset(
        key=VACUUM_KEY,
        group_name=GROUP,
        deps=[delta_compaction, delta_retention],
        retry_policy=retry,
        kinds={"deltalake"},
        description="Deletes files no longer referenced (after compaction and retention), older "
        "than the vacuum retention that protects readers on older snapshots.",
    )
    def delta_vacuum(lakehouse: LakehouseResource) -> dg.MaterializeResult[None]:
        deleted = {
            f"{name}_files_deleted": len(maintenance.vacuum(lakehouse.lake, name))
            for name in maintenance.TABLES
        }
        return dg.MaterializeResult(metadata=deleted)

    return [delta_compaction, delta_retention, delta_vacuum]


compaction_job = dg.define_asset_job(
    name="daily_compaction",
    selection=dg.AssetSelection.assets(COMPACTION_KEY),
    description="Compacts the ingest tables.",
)
weekly_maintenance_job = dg.define_asset_job(
    name="weekly_maintenance",
    selection=dg.AssetSelection.groups(GROUP),
    description="Compaction, retention and vacuum of the ingest tables.",
)


def build_maintenance_schedules(
    environment: OrchestrationEnvironment,
) -> list[dg.ScheduleDefinition]:
    """Daily compaction at 02:00 UTC, full maintenance on Sundays at 03:00 UTC."""
    return [
        environment.utc_schedule(compaction_job, "0 2 * * *"),
        environment.utc_schedule(weekly_maintenance_job, "0 3 * * 0"),
    ]
