"""What every hookwire process on NATS shares: connecting, serving, logging.

Needs the ``client`` extra of hookwire-schemas (nats-py).
"""

from hookwire.client import Requests

from ._connect import SignalQueue, connect, subscribed, wait_for_signal
from ._heartbeat import start_heartbeat
from ._logging import configure_logging, reset_logging
from ._micro import Endpoint, ErrorReply, ErrorResponse, Handler, Service

__all__ = [
    "Endpoint",
    "ErrorReply",
    "ErrorResponse",
    "Handler",
    "Requests",
    "Service",
    "SignalQueue",
    "configure_logging",
    "connect",
    "reset_logging",
    "start_heartbeat",
    "subscribed",
    "wait_for_signal",
]
