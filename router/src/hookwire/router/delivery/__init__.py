"""Durable fire_and_forget: JetStream streams, a durable consumer per plugin instance,
and the router's acknowledged publish. Workers consume (hookwire.workers)."""

from hookwire.router.delivery._publish import Deliveries
from hookwire.router.delivery._streams import ensure_ff_consumers, ff_instances

__all__ = [
    "Deliveries",
    "ensure_ff_consumers",
    "ff_instances",
]
