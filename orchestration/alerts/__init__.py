"""Alerting: the channels (e-mail, webhook), the resource that fans an alert out, the sensors."""
