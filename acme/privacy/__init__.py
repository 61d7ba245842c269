"""Data-subject requests: export or erase everything held about a customer (docs/decisions/privacy.md)."""
