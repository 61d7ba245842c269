"""The warehouse domain's Definitions: every dbt model and test, the serving copy, the custom
checks of the marts, and the dbt resource they run with."""

import dagster as dg

from orchestration.environment import OrchestrationEnvironment
from orchestration.warehouse.checks import (
    fct_orders_gx_suite,
    live_metrics_reconcile_with_fct_orders,
)
from orchestration.warehouse.dbt import build_dbt_assets, dbt_resource, mart_keys
from orchestration.warehouse.serving import build_serving_asset


def warehouse_definitions(environment: OrchestrationEnvironment) -> dg.Definitions:
    dbt_models = build_dbt_assets(environment)
    return dg.Definitions(
        assets=[dbt_models, build_serving_asset(environment, mart_keys(dbt_models))],
        asset_checks=[fct_orders_gx_suite, live_metrics_reconcile_with_fct_orders],
        resources={"dbt": dbt_resource()},
    )
