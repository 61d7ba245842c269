"""Resources every domain shares: where the lakehouse lives (built from `Settings`)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr, SecretStr

from acme.settings import Settings


class LakehouseResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The lake and warehouse paths of one deployment; assets ask it for a `Settings`."""

    lake_root: str
    duckdb_build_path: str
    duckdb_serving_path: str
    dagster_home: str
    pii_salt: str
    _settings: Settings | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings) -> LakehouseResource:
        """The resource for these settings."""
        return cls(
            lake_root=str(settings.lake_root),
            duckdb_build_path=str(settings.duckdb_build_path),
            duckdb_serving_path=str(settings.duckdb_serving_path),
            dagster_home=str(settings.dagster_home),
            pii_salt=settings.pii_salt.get_secret_value(),
        )

    def settings(self) -> Settings:
        """A `Settings` for the components (dbt runner, publish, ingest maintenance)."""
        if self._settings is None:
            self._settings = Settings(
                lake_root=Path(self.lake_root),
                duckdb_build_path=Path(self.duckdb_build_path),
                duckdb_serving_path=Path(self.duckdb_serving_path),
                dagster_home=Path(self.dagster_home),
                pii_salt=SecretStr(self.pii_salt),
            )
        return self._settings

    @property
    def lake(self) -> Path:
        """The lake root."""
        return Path(self.lake_root)

    @property
    def gx_root(self) -> Path:
        """The Great Expectations project (suites, results, Data Docs) under the Dagster home."""
        return Path(self.dagster_home) / "great_expectations"
