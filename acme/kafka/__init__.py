"""Kafka plumbing shared by the simulator and the ingester: client settings, topics, local broker."""
