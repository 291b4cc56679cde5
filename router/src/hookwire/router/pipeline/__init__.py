"""The router service: events from NATS through their resolved plugins, phase by phase."""
