"""Shared core of the ACME lakehouse: settings, bounded contexts, event contracts, Kafka plumbing,
the warehouse commands, and the `acme` CLI that gathers every package's commands."""
