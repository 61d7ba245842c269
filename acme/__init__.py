"""Shared core of the ACME lakehouse: settings, the `acme` CLI, Kafka plumbing, contracts, simulator."""
