"""The maintenance domain's Definitions: compaction, retention and vacuum of the ingest tables."""

import dagster as dg

from orchestration.environment import OrchestrationEnvironment
from orchestration.maintenance.assets import (
    build_maintenance_assets,
    build_maintenance_schedules,
    compaction_job,
    weekly_maintenance_job,
)


def maintenance_definitions(environment: OrchestrationEnvironment) -> dg.Definitions:
    return dg.Definitions(
        assets=build_maintenance_assets(environment),
        jobs=[compaction_job, weekly_maintenance_job],
        schedules=build_maintenance_schedules(environment),
    )
