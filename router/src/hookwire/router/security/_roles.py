"""The roles on the bus and exactly what each may publish and subscribe to.

The permissions are NATS's own (a user JWT's ``pub``/``sub``/``resp``): the server
enforces them, so a client cannot do more than its role whatever code it runs.
Replies travel as responses (``resp``): a role may answer the requests it received,
and reads replies only on its own inbox prefix ``_INBOX.<role>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hookwire.schemas import subjects

__all__ = ["ROLES", "Permissions", "inbox_prefix", "permissions", "worker_role"]

#: Fixed roles; a worker's role is ``worker-<plugin>`` (``worker_role``).
ROLES = ("gateway", "router", "supervisor", "operator", "observer", "recorder")

_BUCKET = subjects.CONFIG_BUCKET
_STREAM = f"KV_{_BUCKET}"
#: Reading the live config: bucket info, direct gets, and (ordered) watch consumers.
_CONFIG_READ = (
    "$JS.API.INFO",
    f"$JS.API.STREAM.INFO.{_STREAM}",
    f"$JS.API.STREAM.MSG.GET.{_STREAM}",
    f"$JS.API.DIRECT.GET.{_STREAM}",
    f"$JS.API.DIRECT.GET.{_STREAM}.>",
    f"$JS.API.CONSUMER.CREATE.{_STREAM}",
    f"$JS.API.CONSUMER.CREATE.{_STREAM}.>",
    f"$JS.API.CONSUMER.INFO.{_STREAM}.>",
    f"$JS.API.CONSUMER.DELETE.{_STREAM}.>",
)
#: Writing it: create the bucket, put revisions.
_CONFIG_WRITE = (
    f"$JS.API.STREAM.CREATE.{_STREAM}",
    f"$JS.API.STREAM.UPDATE.{_STREAM}",
    f"$KV.{_BUCKET}.>",
)
#: Durable fire_and_forget and recording (JetStream streams the router makes and feeds).
_FF = subjects.FF_STREAM
_STREAMS_WRITE = (
    f"$JS.API.STREAM.*.{_FF}",
    f"$JS.API.STREAM.*.{subjects.FF_DEAD_STREAM}",
    f"$JS.API.STREAM.*.{subjects.RECORD_STREAM}",
    f"$JS.API.CONSUMER.*.{_FF}",
    f"$JS.API.CONSUMER.*.{_FF}.>",
    f"$JS.API.CONSUMER.DURABLE.CREATE.{_FF}.*",
    f"{subjects.FF_PREFIX}.>",
    f"{subjects.RECORD_PREFIX}.>",
)


_REC = subjects.RECORD_STREAM
#: ``hookwire record export|import|tail``: read the record stream (ephemeral pull
#: consumers), store records in it (acknowledged), follow it live.
_RECORD_USE = (
    "$JS.API.INFO",
    f"$JS.API.STREAM.INFO.{_REC}",
    f"$JS.API.CONSUMER.*.{_REC}",
    f"$JS.API.CONSUMER.*.{_REC}.>",
    f"$JS.API.CONSUMER.MSG.NEXT.{_REC}.*",
    f"$JS.ACK.{_REC}.>",
    f"{subjects.RECORD_PREFIX}.>",
)


def _ff_worker(plugin: str) -> tuple[str, ...]:
    """A worker pulling its plugin's durable fire_and_forget calls, and dead-lettering."""
    return (
        f"$JS.API.CONSUMER.LIST.{_FF}",
        f"$JS.API.CONSUMER.INFO.{_FF}.*",
        f"$JS.API.CONSUMER.MSG.NEXT.{_FF}.*",
        f"$JS.ACK.{_FF}.>",
        f"{subjects.FF_DEAD_PREFIX}.{plugin}.>",
    )


#: Asking micro services for PING, INFO, STATS.
_SRV_ASK = (subjects.MICRO_ALL,)
_REGISTRY_ASK = (subjects.REGISTRY_ALL,)


def worker_role(plugin: str) -> str:
    """The role of the workers of ``plugin``: they serve only its subjects."""
    return f"worker-{plugin}"


def inbox_prefix(role: str) -> str:
    """Reply inboxes of ``role``: nobody else may read them."""
    return subjects.inbox_prefix(role)


_serve_micro = subjects.micro_control
_queue = subjects.queue_permission


@dataclass(frozen=True)
class Permissions:
    """What one role may publish (``pub``) and subscribe to (``sub``, ``subject queue``
    for a queue-group-only subscription); ``responses``: may answer requests it got."""

    pub: tuple[str, ...]
    sub: tuple[str, ...]
    responses: bool = False
    inbox: str | None = field(default=None)

    def jwt_claims(self) -> dict[str, Any]:
        """The ``pub``/``sub``/``resp`` part of a user JWT."""
        subs = (*self.sub, f"{self.inbox}.>") if self.inbox else self.sub
        claims: dict[str, Any] = {
            # an empty allow list means "anything" to NATS: deny all instead
            "pub": {"allow": list(self.pub)} if self.pub else {"deny": [">"]},
            "sub": {"allow": list(subs)} if subs else {"deny": [">"]},
        }
        if self.responses:
            # several micro services may share a connection and answer one $SRV request
            claims["resp"] = {"max": 16, "ttl": 0}
        return claims


def permissions(role: str) -> Permissions:
    """The permissions of ``role`` (a fixed role, or ``worker-<plugin>``)."""
    if role.startswith("worker-"):
        plugin = role.removeprefix("worker-")
        return Permissions(
            # its own state bucket (Plugin.key_value), nobody else's
            pub=(*_ff_worker(plugin), *subjects.plugin_bucket_subjects(plugin)),
            sub=(
                _queue(subjects.plugin_wildcard(plugin), subjects.worker_queue(plugin)),
                *_serve_micro(subjects.worker_service(plugin)),
                # a router asking which calls the plugin's workers hold (a worker died)
                subjects.worker_inflight(plugin),
            ),
            responses=True,
            inbox=inbox_prefix(role),
        )
    inbox = inbox_prefix(role)
    if role == "gateway":
        return Permissions(pub=(subjects.HOOK_ALL,), sub=(), inbox=inbox)
    if role == "router":
        return Permissions(
            pub=(
                subjects.PLUGIN_ALL,
                *_CONFIG_READ,
                *_SRV_ASK,
                *_STREAMS_WRITE,
                subjects.worker_inflight("*"),  # which calls a dead worker's pool still holds
            ),
            sub=(
                _queue(subjects.hook_wildcard(), subjects.ROUTER_QUEUE),
                subjects.worker_exited("*"),  # a supervisor saw a worker die
                _queue(subjects.REGISTRY_WILDCARD, subjects.REGISTRY_SERVICE),
                *_serve_micro(subjects.ROUTER_SERVICE),
                *_serve_micro(subjects.REGISTRY_SERVICE),
            ),
            responses=True,
            inbox=inbox,
        )
    if role == "supervisor":
        return Permissions(
            # _SRV_ASK: the health check PINGs each worker's micro endpoint
            pub=(*_CONFIG_READ, *_SRV_ASK, subjects.worker_exited("*")),
            sub=(
                _queue(subjects.SUPERVISOR_STATUS, subjects.SUPERVISOR_QUEUE),
                *_serve_micro(subjects.SUPERVISOR_SERVICE),
            ),
            responses=True,
            inbox=inbox,
        )
    if role == "operator":
        return Permissions(
            pub=(*_CONFIG_READ, *_CONFIG_WRITE, *_SRV_ASK, subjects.SUPERVISOR_STATUS),
            sub=(),
            responses=True,
            inbox=inbox,
        )
    if role == "observer":
        return Permissions(
            pub=(*_CONFIG_READ, *_SRV_ASK, subjects.SUPERVISOR_STATUS, *_REGISTRY_ASK),
            sub=(),
            responses=True,
            inbox=inbox,
        )
    if role == "recorder":
        return Permissions(pub=_RECORD_USE, sub=(f"{subjects.RECORD_PREFIX}.>",), inbox=inbox)
    raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)}, worker-<plugin>)")
