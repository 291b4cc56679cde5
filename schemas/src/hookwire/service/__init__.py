"""What every hookwire process on NATS shares: connecting, serving, logging.

Needs the ``client`` extra of hookwire-schemas (nats-py).
"""

from hookwire.client import NatsAuth, NatsAuthError, NatsConnectError, Requests, redact_url

from ._connect import SignalQueue, connect, subscribed, wait_for_signal
from ._heartbeat import start_heartbeat
from ._logging import configure_logging, reset_logging
from ._micro import Endpoint, ErrorReply, ErrorResponse, Handler, Service
from ._options import AUTH_FIELDS, add_auth_arguments, auth_from_args

__all__ = [
    "AUTH_FIELDS",
    "Endpoint",
    "ErrorReply",
    "ErrorResponse",
    "Handler",
    "NatsAuth",
    "NatsAuthError",
    "NatsConnectError",
    "Requests",
    "Service",
    "SignalQueue",
    "add_auth_arguments",
    "auth_from_args",
    "configure_logging",
    "connect",
    "redact_url",
    "reset_logging",
    "start_heartbeat",
    "subscribed",
    "wait_for_signal",
]
