"""Run a Great Expectations (GX Core 1.x) suite on a pandas DataFrame and turn the outcome into a
Dagster `AssetCheckResult`.

dagster-ge only supports GX < 1.0, and GX 1.x's SQL datasource fails on duckdb-engine, so checks
load their data into pandas themselves and validate it through GX's pandas datasource. Results are
kept twice: in Dagster's check history (the returned metadata) and as GX Data Docs in a file-backed
GX project under the Dagster home (see docs/decisions/data-quality-checks.md).
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
import pandas as pd

if TYPE_CHECKING:
    from great_expectations.expectations.expectation import Expectation

log = logging.getLogger(__name__)

DATASOURCE = "acme"


@dataclass(frozen=True)
class ExpectationOutcome:
    """The verdict of one expectation, flattened for Dagster metadata."""

    expectation: str
    column: str | None
    success: bool
    observed: Any

    def describe(self) -> str:
        """One line a person can act on, e.g. `expect_column_values_to_not_be_null(event_id)`."""
        target = f"({self.column})" if self.column else ""
        return f"{self.expectation}{target}: observed {self.observed}"


@dataclass(frozen=True)
class SuiteOutcome:
    """The verdict of one suite run."""

    suite: str
    success: bool
    row_count: int
    outcomes: tuple[ExpectationOutcome, ...]
    data_docs: Path

    @property
    def failures(self) -> list[ExpectationOutcome]:
        """The expectations that did not hold."""
        return [outcome for outcome in self.outcomes if not outcome.success]

    def to_check_result(
        self, severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR
    ) -> dg.AssetCheckResult:
        """The Dagster check result: passed iff every expectation held."""
        return dg.AssetCheckResult(
            passed=self.success,
            severity=severity,
            description=(
                f"GX suite {self.suite}: all {len(self.outcomes)} expectations held"
                if self.success
                else f"GX suite {self.suite}: {len(self.failures)} of {len(self.outcomes)} "
                "expectations failed"
            ),
            metadata={
                "rows_validated": self.row_count,
                "expectations": len(self.outcomes),
                "failed_expectations": dg.MetadataValue.json(
                    [outcome.describe() for outcome in self.failures]
                ),
                "data_docs": dg.MetadataValue.path(str(self.data_docs)),
            },
        )


@contextmanager
def _exclusive(gx_root: Path) -> Iterator[None]:
    """GX's file stores are not safe for concurrent writers; checks in parallel steps take turns."""
    gx_root.mkdir(parents=True, exist_ok=True)
    with (gx_root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _jsonable(value: Any) -> Any:
    """GX reports numpy scalars; Dagster metadata wants plain JSON values."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value[:10]]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in list(value.items())[:10]}
    return value


def validate_dataframe(
    gx_root: Path, suite_name: str, expectations: Sequence[Expectation], frame: pd.DataFrame
) -> SuiteOutcome:
    """Validate `frame` against a suite (created or replaced from `expectations`), update the
    Data Docs, and return the outcome."""
    import great_expectations as gx

    with _exclusive(gx_root):
        context = gx.get_context(mode="file", project_root_dir=str(gx_root))
        datasource = context.data_sources.add_or_update_pandas(name=DATASOURCE)
        asset = next(
            (asset for asset in datasource.assets if asset.name == suite_name), None
        ) or datasource.add_dataframe_asset(name=suite_name)
        batch = next(
            (b for b in asset.batch_definitions if b.name == "whole"), None
        ) or asset.add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=suite_name, expectations=list(expectations))
        )
        validation = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=suite_name,
                validation_definitions=[validation],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
            )
        )
        result = checkpoint.run(batch_parameters={"dataframe": frame})
    outcomes = tuple(
        ExpectationOutcome(
            expectation=str(item.expectation_config.type),
            column=item.expectation_config.kwargs.get("column"),
            success=bool(item.success),
            observed=_jsonable(
                item.result.get("observed_value", item.result.get("unexpected_count"))
            ),
        )
        for run in result.run_results.values()
        for item in run.results
        if item.expectation_config is not None
    )
    docs = gx_root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    outcome = SuiteOutcome(
        suite=suite_name,
        success=bool(result.success),
        row_count=len(frame),
        outcomes=outcomes,
        data_docs=docs,
    )
    log.info(
        "GX suite validated",
        extra={"suite": suite_name, "success": outcome.success, "rows": len(frame)},
    )
    return outcome
