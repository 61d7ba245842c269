"""The roles' access matrix, asserted through Superset's REST API for every provisioned user."""

from __future__ import annotations

import pytest

from tests.superset.conftest import SupersetServer, api_session
from tests.superset.dashboard_page import with_phone_layouts

pytestmark = pytest.mark.superset


ALL_DASHBOARDS = with_phone_layouts("executive-live", "sales-revenue", "operations", "data-quality")
# user: (SQL Lab on marts, SQL Lab on restricted PII, builds charts, lists datasets,
#        administers users, dashboards visible)
MATRIX = {
    "admin": (True, True, True, True, True, ALL_DASHBOARDS),
    "analyst": (True, False, True, True, False, ALL_DASHBOARDS),
    "viewer": (False, False, False, False, False, ALL_DASHBOARDS),
    "manager_ca": (
        False,
        False,
        False,
        False,
        False,
        with_phone_layouts("executive-live", "sales-revenue"),
    ),
    "svc_api": (False, False, False, False, False, ALL_DASHBOARDS),
}


def _database_id(server: SupersetServer) -> int:
    admin = api_session(server, "admin")
    found = admin.get_json(
        "/api/v1/database/?q=(filters:!((col:database_name,opr:eq,value:Lakehouse)))"
    )
    return int(found["result"][0]["id"])


@pytest.mark.parametrize("user", sorted(MATRIX))
def test_access_matrix(superset_server: SupersetServer, user: str) -> None:
    sql_marts, sql_pii, builds_charts, lists_datasets, admin_users, dashboards = MATRIX[user]
    api = api_session(superset_server, user)
    database_id = _database_id(superset_server)

    def sql_lab(sql: str) -> bool:
        response = api.call(
            "POST",
            "/api/v1/sqllab/execute/",
            json={"database_id": database_id, "sql": sql, "runAsync": False},
        )
        return response.status_code == 200 and response.json()["status"] == "success"

    assert sql_lab("select count(*) from marts.fct_orders") is sql_marts
    assert sql_lab("select email from restricted.pii_customers") is sql_pii
    chart_permissions = api.get_json("/api/v1/chart/_info?q=(keys:!(permissions))")["permissions"]
    assert ("can_write" in chart_permissions) is builds_charts
    datasets = api.call("GET", "/api/v1/dataset/?q=(page_size:100)")
    assert (datasets.status_code == 200 and datasets.json()["count"] > 0) is lists_datasets
    assert (api.call("GET", "/api/v1/security/users/").status_code == 200) is admin_users
    visible = {d["slug"] for d in api.get_json("/api/v1/dashboard/?q=(page_size:100)")["result"]}
    assert visible == dashboards


def test_analyst_sees_only_the_marts_schema(superset_server: SupersetServer) -> None:
    api = api_session(superset_server, "analyst")
    datasets = api.get_json("/api/v1/dataset/?q=(page_size:100)")["result"]
    assert datasets
    assert {d["schema"] for d in datasets} == {"marts"}


def test_viewer_cannot_create_a_chart(superset_server: SupersetServer) -> None:
    api = api_session(superset_server, "viewer")
    response = api.call(
        "POST",
        "/api/v1/chart/",
        json={
            "slice_name": "x",
            "viz_type": "table",
            "datasource_id": 1,
            "datasource_type": "table",
        },
    )
    assert response.status_code in {401, 403}
