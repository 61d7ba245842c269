"""Apply the desired state of the YAML bundles to a Superset server through its REST API.

Idempotent by construction: every object is found by its natural key (database name, dataset
schema + table, chart and dashboard by a UUID derived from its name, role, username, RLS rule
name), compared field by field with what the bundle declares, and written only when it differs.
A second run therefore reports everything as unchanged, and editing a bundle updates exactly the
objects it touches. Objects the bundles do not declare are left alone (Superset stays usable for
self-service charts next to the managed ones, which are marked `is_managed_externally`).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from typing import Any

from acme_superset.bundles import DesiredState
from acme_superset.client import SupersetAPIError, SupersetClient
from acme_superset.layout import dashboard_metadata, position_json
from acme_superset.query_context import query_context

logger = logging.getLogger(__name__)
# Stable identities: the same chart or dashboard name always maps to the same UUID.
NAMESPACE = uuid.UUID("5f0c7a52-9d0e-4b8e-9a61-0a5e1d6c2f00")


def _optional_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def stable_uuid(kind: str, name: str) -> str:
    """The UUID of a managed object of `kind` called `name`."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


class ProvisionError(ValueError):
    """What the server holds contradicts the bundles (a dataset column nobody described); the
    message says what to fix."""


class Provisioner:
    """Applies one `DesiredState`; `changes` counts what was created, updated or left unchanged."""

    def __init__(self, client: SupersetClient, state: DesiredState) -> None:
        self.api = client
        self.state = state
        self.changes: Counter[str] = Counter()
        self.database_ids: dict[str, int] = {}
        self.dataset_ids: dict[str, int] = {}
        self.chart_ids: dict[str, int] = {}
        self.dashboard_ids: dict[str, int] = {}
        self.role_ids: dict[str, int] = {}

    def apply(self) -> dict[str, int]:
        """Apply every section in dependency order; return the change counts."""
        for database in self.state["databases"]:
            self._database(database)
        for dataset in self.state["datasets"]:
            self._dataset(dataset)
        # Roles exist before dashboards so dashboards can be granted to them (DASHBOARD_RBAC).
        for role in self.state["roles"]:
            self._role_exists(role["name"])
        for dashboard in self.state["dashboards"]:
            self._dashboard_exists(dashboard)
        for chart in self.state["charts"]:
            self._chart(chart)
        for dashboard in self.state["dashboards"]:
            self._dashboard(dashboard)
        for role in self.state["roles"]:
            self._role_permissions(role)
        for user in self.state["users"]:
            self._user(user)
        for rule in self.state["row_level_security"]:
            self._rls(rule)
        return dict(self.changes)

    def _record(self, kind: str, name: str, action: str) -> None:
        self.changes[action] += 1
        if action != "unchanged":
            logger.info("%s %s %s", action, kind, name)

    # --- databases --------------------------------------------------------------------------
    def _database(self, spec: dict[str, Any]) -> None:
        name = spec["name"]
        desired = {
            "database_name": name,
            "sqlalchemy_uri": spec["sqlalchemy_uri"],
            "expose_in_sqllab": spec.get("expose_in_sqllab", True),
            "allow_dml": False,
            "allow_run_async": False,
            "allow_file_upload": False,
            "cache_timeout": spec.get("cache_timeout"),
            "extra": json.dumps(spec.get("extra", {}), sort_keys=True),
        }
        found = self.api.request(
            "GET",
            "/api/v1/database/",
            params={"q": f"(filters:!((col:database_name,opr:eq,value:'{name}')))"},
        )["result"]
        if not found:
            created = self.api.request("POST", "/api/v1/database/", json=desired)
            self.database_ids[name] = created["id"]
            self._record("database", name, "created")
            return
        database_id = found[0]["id"]
        self.database_ids[name] = database_id
        current = self.api.request("GET", f"/api/v1/database/{database_id}/connection")["result"]
        current_uri = current.get("sqlalchemy_uri")
        differs = any(
            current.get(key) != value
            for key, value in desired.items()
            if key not in {"sqlalchemy_uri", "extra"}
        )
        differs |= json.loads(current.get("extra") or "{}") != json.loads(desired["extra"])
        differs |= current_uri != desired["sqlalchemy_uri"]
        if differs:
            self.api.request("PUT", f"/api/v1/database/{database_id}", json=desired)
            self._record("database", name, "updated")
        else:
            self._record("database", name, "unchanged")

    # --- datasets ---------------------------------------------------------------------------
    def _dataset(self, spec: dict[str, Any]) -> None:
        name = spec["name"]
        database_id = self.database_ids[spec.get("database", "Lakehouse")]
        schema = spec.get("schema")
        found = self.api.request(
            "GET",
            "/api/v1/dataset/",
            params={
                "q": f"(filters:!((col:table_name,opr:eq,value:'{name}'),"
                f"(col:database,opr:rel_o_m,value:{database_id})))"
            },
        )["result"]
        found = [row for row in found if row.get("schema") == schema]
        created = False
        if found:
            dataset_id = found[0]["id"]
        else:
            body: dict[str, Any] = {"database": database_id, "schema": schema, "table_name": name}
            if spec.get("sql"):
                body["sql"] = spec["sql"]
            dataset_id = self.api.request("POST", "/api/v1/dataset/", json=body)["id"]
            created = True
        self.dataset_ids[name] = dataset_id
        current = self.api.request("GET", f"/api/v1/dataset/{dataset_id}")["result"]

        update: dict[str, Any] = {}
        if (current.get("sql") or None) != (spec.get("sql") or None):
            update["sql"] = spec.get("sql")
        for key, default in (
            ("description", None),
            ("main_dttm_col", None),
            ("cache_timeout", None),
        ):
            if current.get(key) != spec.get(key, default):
                update[key] = spec.get(key, default)
        if not current.get("is_managed_externally"):
            update["is_managed_externally"] = True
        existing = {m["metric_name"]: m for m in current.get("metrics", [])}
        wanted = [
            {
                "metric_name": m["name"],
                "expression": m["expression"],
                "verbose_name": m.get("label"),
                "d3format": m.get("format"),
                "description": m.get("description"),
                "metric_type": None,
            }
            for m in spec.get("metrics", [])
        ]
        if any(
            m["metric_name"] not in existing
            or any(
                existing[m["metric_name"]].get(k) != m[k]
                for k in ("expression", "verbose_name", "d3format", "description")
            )
            for m in wanted
        ) or set(existing) - {m["metric_name"] for m in wanted}:
            update["metrics"] = [
                {
                    **m,
                    **(
                        {"id": existing[m["metric_name"]]["id"]}
                        if m["metric_name"] in existing
                        else {}
                    ),
                }
                for m in wanted
            ]
        if update:
            self.api.request(
                "PUT", f"/api/v1/dataset/{dataset_id}?override_columns=false", json=update
            )
        if "sql" in update or self._columns_stale(current, spec):
            # Column metadata follows the table (or the virtual dataset's SQL) after changes.
            self.api.request("PUT", f"/api/v1/dataset/{dataset_id}/refresh")
            update["columns"] = True
        if self._apply_columns(dataset_id, spec):
            update["columns"] = True
        self._record(
            "dataset", name, "created" if created else "updated" if update else "unchanged"
        )

    def _columns_stale(self, current: dict[str, Any], spec: dict[str, Any]) -> bool:
        """True when the declared columns are not all known to Superset yet."""
        known = {column["column_name"] for column in current.get("columns", [])}
        return bool(set(spec.get("required_columns", [])) - known)

    def _apply_columns(self, dataset_id: int, spec: dict[str, Any]) -> bool:
        """Mark the declared columns temporal (Superset cannot always infer it from DuckDB) and
        give every column its label and description (a mart's from dbt, the others from the
        bundle); refuse a column that has none. Return True when something had to change."""
        temporal = set(spec.get("temporal_columns", []))
        docs = spec.get("column_docs", {})
        current = self.api.request("GET", f"/api/v1/dataset/{dataset_id}")["result"]
        columns = current.get("columns", [])
        undescribed = sorted(c["column_name"] for c in columns if c["column_name"] not in docs)
        if undescribed:
            raise ProvisionError(
                f"dataset {spec['name']}: columns {undescribed} have no label and description; "
                "describe a mart's columns in its dbt YAML (then `acme warehouse metrics`), "
                "the others under the dataset's `columns` in the bundle"
            )

        def desired(column: dict[str, Any]) -> dict[str, Any]:
            doc = docs[column["column_name"]]
            return {
                "is_dttm": column["column_name"] in temporal,
                "verbose_name": doc["label"],
                "description": doc["description"],
            }

        if all(
            bool(c.get("is_dttm")) == desired(c)["is_dttm"]
            and all(c.get(key) == value for key, value in desired(c).items() if key != "is_dttm")
            for c in columns
        ):
            return False
        self.api.request(
            "PUT",
            f"/api/v1/dataset/{dataset_id}?override_columns=false",
            json={
                "columns": [
                    {
                        "id": c["id"],
                        "column_name": c["column_name"],
                        "type": c.get("type"),
                        "filterable": True,
                        "groupby": True,
                        **desired(c),
                    }
                    for c in columns
                ]
            },
        )
        return True

    # --- charts -----------------------------------------------------------------------------
    def _chart(self, spec: dict[str, Any]) -> None:
        name = spec["name"]
        dataset_id = self.dataset_ids[spec["dataset"]]
        params = {
            **spec["params"],
            "viz_type": spec["viz_type"],
            "datasource": f"{dataset_id}__table",
        }
        dashboards = [
            self.dashboard_ids[d["title"]]
            for d in self.state["dashboards"]
            if any(cell.get("chart") == name for row in d["rows"] for cell in row)
        ]
        desired = {
            "slice_name": name,
            "description": spec.get("description"),
            "viz_type": spec["viz_type"],
            "params": json.dumps(params, sort_keys=True),
            "query_context": json.dumps(query_context(dataset_id, params), sort_keys=True),
            "cache_timeout": spec.get("cache_timeout"),
            "datasource_id": dataset_id,
            "datasource_type": "table",
            "dashboards": sorted(dashboards),
            "is_managed_externally": True,
        }
        chart_uuid = stable_uuid("chart", name)
        found = self.api.request(
            "GET",
            "/api/v1/chart/",
            params={"q": f"(filters:!((col:uuid,opr:eq,value:'{chart_uuid}')))"},
        )["result"]
        if not found:
            created = self.api.request(
                "POST", "/api/v1/chart/", json={**desired, "uuid": chart_uuid}
            )
            self.chart_ids[name] = created["id"]
            self._record("chart", name, "created")
            return
        chart_id = found[0]["id"]
        self.chart_ids[name] = chart_id
        current = self.api.request("GET", f"/api/v1/chart/{chart_id}")["result"]
        current_view = {
            "slice_name": current.get("slice_name"),
            "description": current.get("description"),
            "viz_type": current.get("viz_type"),
            "params": json.dumps(json.loads(current.get("params") or "{}"), sort_keys=True),
            "query_context": json.dumps(
                json.loads(current.get("query_context") or "{}"), sort_keys=True
            ),
            # The show endpoint returns the timeout as a string.
            "cache_timeout": _optional_int(current.get("cache_timeout")),
            # The dataset is encoded in params["datasource"], compared above.
            "datasource_id": dataset_id,
            "datasource_type": "table",
            "dashboards": sorted(d["id"] for d in current.get("dashboards", [])),
            "is_managed_externally": current.get("is_managed_externally"),
        }
        if current_view != desired:
            logger.debug(
                "chart %s differs in %s",
                name,
                sorted(k for k in desired if current_view.get(k) != desired[k]),
            )
            self.api.request("PUT", f"/api/v1/chart/{chart_id}", json=desired)
            self._record("chart", name, "updated")
        else:
            self._record("chart", name, "unchanged")

    # --- dashboards -------------------------------------------------------------------------
    def _find_dashboard(self, title: str) -> dict[str, Any] | None:
        dashboard_uuid = stable_uuid("dashboard", title)
        found = self.api.request(
            "GET",
            "/api/v1/dashboard/",
            params={"q": f"(filters:!((col:uuid,opr:eq,value:'{dashboard_uuid}')))"},
        )["result"]
        return found[0] if found else None

    def _dashboard_exists(self, spec: dict[str, Any]) -> None:
        """Create an empty dashboard the first time, so charts can be attached to it."""
        title = spec["title"]
        found = self._find_dashboard(title)
        if found:
            self.dashboard_ids[title] = found["id"]
            return
        created = self.api.request(
            "POST",
            "/api/v1/dashboard/",
            json={
                "dashboard_title": title,
                "slug": spec["slug"],
                "uuid": stable_uuid("dashboard", title),
                "published": True,
                "is_managed_externally": True,
            },
        )
        self.dashboard_ids[title] = created["id"]
        self.changes["created"] += 1
        logger.info("created dashboard %s", title)

    def _dashboard(self, spec: dict[str, Any]) -> None:
        title = spec["title"]
        dashboard_id = self.dashboard_ids[title]
        charts = {
            name: (self.chart_ids[name], stable_uuid("chart", name)) for name in self.chart_ids
        }
        position = position_json(title, spec["rows"], charts)
        metadata = dashboard_metadata(spec, self.dataset_ids, self.chart_ids)
        desired = {
            "dashboard_title": title,
            "slug": spec["slug"],
            "css": spec.get("css", ""),
            "published": True,
            "position_json": json.dumps(position, sort_keys=True),
            "json_metadata": json.dumps(metadata, sort_keys=True),
            "roles": sorted(self.role_ids[r] for r in spec.get("roles", [])),
            "is_managed_externally": True,
        }
        current = self.api.request("GET", f"/api/v1/dashboard/{dashboard_id}")["result"]
        current_metadata = json.loads(current.get("json_metadata") or "{}")
        same = (
            current.get("dashboard_title") == title
            and current.get("slug") == spec["slug"]
            and (current.get("css") or "") == desired["css"]
            and current.get("published") is True
            and json.loads(current.get("position_json") or "{}") == position
            and all(current_metadata.get(k) == v for k, v in metadata.items())
            and sorted(r["id"] for r in current.get("roles", [])) == desired["roles"]
            and current.get("is_managed_externally") is True
        )
        if same:
            self._record("dashboard", title, "unchanged")
            return
        self.api.request("PUT", f"/api/v1/dashboard/{dashboard_id}", json=desired)
        self._record("dashboard", title, "updated")

    # --- roles, users, row-level security ---------------------------------------------------
    def _role_exists(self, name: str) -> int:
        if name in self.role_ids:
            return self.role_ids[name]
        roles = {r["name"]: r["id"] for r in self.api.list_all("security/roles")}
        if name not in roles:
            roles[name] = self.api.request("POST", "/api/v1/security/roles/", json={"name": name})[
                "id"
            ]
            self._record("role", name, "created")
        self.role_ids.update(roles)
        return roles[name]

    def _permission_index(self) -> dict[str, int]:
        """`"<permission> on <view menu>"` -> permission-view id, for every known permission."""
        index: dict[str, int] = {}
        for row in self.api.list_all("security/permissions-resources"):
            index[f"{row['permission']['name']} on {row['view_menu']['name']}"] = row["id"]
        return index

    def _role_permissions(self, spec: dict[str, Any]) -> None:
        name = spec["name"]
        role_id = self._role_exists(name)
        index = self._permission_index()
        wanted: set[int] = set()
        for base in spec.get("copy_from", []):
            base_id = self._role_exists(base)
            for row in self.api.request("GET", f"/api/v1/security/roles/{base_id}/permissions/")[
                "result"
            ]:
                wanted.add(row["id"])
        for label in spec.get("exclude", []):
            wanted.discard(index.get(label, -1))
        for label in spec.get("permissions", []):
            if label not in index:
                raise SupersetAPIError(f"role {name}: unknown permission {label!r}")
            wanted.add(index[label])
        for dataset in spec.get("datasets", []):
            wanted.add(self._dataset_permission(index, dataset))
        for schema in spec.get("schemas", []):
            matches = [
                pid
                for label, pid in index.items()
                if label.startswith("schema_access on ") and label.endswith(f".[{schema}]")
            ]
            if not matches:
                raise SupersetAPIError(
                    f"role {name}: no schema permission for schema {schema!r} yet"
                )
            wanted.update(matches)
        current = {
            row["id"]
            for row in self.api.request("GET", f"/api/v1/security/roles/{role_id}/permissions/")[
                "result"
            ]
        }
        if current == wanted:
            self._record("role", name, "unchanged")
            return
        self.api.request(
            "POST",
            f"/api/v1/security/roles/{role_id}/permissions",
            json={"permission_view_menu_ids": sorted(wanted)},
        )
        self._record("role", name, "updated")

    def _dataset_permission(self, index: dict[str, int], dataset: str) -> int:
        dataset_id = self.dataset_ids[dataset]
        matches = [
            pid
            for label, pid in index.items()
            if label.startswith("datasource_access on ") and label.endswith(f"(id:{dataset_id})")
        ]
        if not matches:
            raise SupersetAPIError(f"no datasource_access permission for dataset {dataset!r}")
        return matches[0]

    def _user(self, spec: dict[str, Any]) -> None:
        username = spec["username"]
        role_ids = sorted(self._role_exists(r) for r in spec["roles"])
        found = self.api.request(
            "GET",
            "/api/v1/security/users/",
            params={"q": f"(filters:!((col:username,opr:eq,value:'{username}')))"},
        )["result"]
        profile = {
            "first_name": spec.get("first_name", username),
            "last_name": spec.get("last_name", "(ACME)"),
            "email": spec["email"],
            "active": spec.get("active", True),
        }
        if not found:
            self.api.request(
                "POST",
                "/api/v1/security/users/",
                json={
                    **profile,
                    "username": username,
                    "password": spec["password"],
                    "roles": role_ids,
                },
            )
            self._record("user", username, "created")
            return
        user = self.api.request("GET", f"/api/v1/security/users/{found[0]['id']}")["result"]
        current = {
            "first_name": user.get("first_name"),
            "last_name": user.get("last_name"),
            "email": user.get("email"),
            "active": user.get("active"),
        }
        current_roles = sorted(r["id"] for r in user.get("roles", []))
        if current == profile and current_roles == role_ids:
            self._record("user", username, "unchanged")
            return
        self.api.request(
            "PUT", f"/api/v1/security/users/{found[0]['id']}", json={**profile, "roles": role_ids}
        )
        self._record("user", username, "updated")

    def _rls(self, spec: dict[str, Any]) -> None:
        name = spec["name"]
        desired = {
            "name": name,
            "description": spec.get("description", ""),
            "filter_type": spec.get("filter_type", "Regular"),
            "tables": sorted(self.dataset_ids[d] for d in spec["datasets"]),
            "roles": sorted(self._role_exists(r) for r in spec["roles"]),
            "group_key": spec.get("group_key", ""),
            "clause": spec["clause"],
        }
        rules = {r["name"]: r for r in self.api.list_all("rowlevelsecurity")}
        if name not in rules:
            self.api.request("POST", "/api/v1/rowlevelsecurity/", json=desired)
            self._record("row level security rule", name, "created")
            return
        rule = rules[name]
        current = {
            "name": rule["name"],
            "description": rule.get("description") or "",
            "filter_type": rule.get("filter_type"),
            "tables": sorted(t["id"] for t in rule.get("tables", [])),
            "roles": sorted(r["id"] for r in rule.get("roles", [])),
            "group_key": rule.get("group_key") or "",
            "clause": rule.get("clause"),
        }
        if current == desired:
            self._record("row level security rule", name, "unchanged")
            return
        self.api.request("PUT", f"/api/v1/rowlevelsecurity/{rule['id']}", json=desired)
        self._record("row level security rule", name, "updated")
