"""Data-subject requests: export everything held about a customer (docs/decisions/privacy.md)."""
