"""The raw lake as Dagster sees it: Delta tables fed by the long-running ingester, observed."""
