"""Every NATS subject and queue group hookwire uses, built in one place.

These names are a public contract: gateways in any language publish to
``hookwire.hook.<hook>`` and workers serve ``hookwire.plugin.<plugin>.<hook>``.
"""

from __future__ import annotations

PREFIX = "hookwire"
HOOK_PREFIX = f"{PREFIX}.hook"
PLUGIN_PREFIX = f"{PREFIX}.plugin"

#: Queue group shared by every router process: any router may take any event.
ROUTER_QUEUE = f"{PREFIX}-routers"
#: NATS micro service name of the routers (``$SRV.STATS.hookwire-router``).
ROUTER_SERVICE = f"{PREFIX}-router"


def hook_subject(hook: str) -> str:
    """Subject a gateway publishes a ``hook`` event to (request-reply)."""
    return f"{HOOK_PREFIX}.{hook}"


def hook_wildcard() -> str:
    """Subject that matches every hook event."""
    return f"{HOOK_PREFIX}.*"


def plugin_subject(plugin: str, hook: str) -> str:
    """Subject the router calls for one plugin on one hook."""
    return f"{PLUGIN_PREFIX}.{plugin}.{hook}"


def plugin_wildcard(plugin: str) -> str:
    """Subject a worker subscribes to for every hook of its plugin."""
    return f"{PLUGIN_PREFIX}.{plugin}.*"


def worker_queue(plugin: str) -> str:
    """Queue group of one plugin's worker pool."""
    return f"{PREFIX}-plugin-{plugin}"


def hook_from_subject(subject: str) -> str:
    """The hook name at the end of a hook or plugin subject."""
    return subject.rsplit(".", 1)[-1]


#: Subject each supervisor answers with the state of its worker pools (a PoolsStatus).
SUPERVISOR_STATUS = f"{PREFIX}.supervisor.status"
#: NATS micro service name of the supervisors.
SUPERVISOR_SERVICE = f"{PREFIX}-supervisor"
#: The supervisors' status endpoint has no queue group: every supervisor answers, so
#: ``hookwire status`` lists the pools of all of them.
SUPERVISOR_QUEUE = ""


def worker_exited(plugin: str) -> str:
    """Where a supervisor announces that a worker of ``plugin`` exited (``*``: any)."""
    return f"{PREFIX}.worker.exited.{plugin}"


def worker_inflight(plugin: str) -> str:
    """Every worker of ``plugin`` answers here with the reply subjects it is serving."""
    return f"{PREFIX}.worker.inflight.{plugin}"


def worker_service(plugin: str) -> str:
    """NATS micro service name of one plugin's workers."""
    return f"{PREFIX}-plugin-{plugin}"


#: JetStream key-value bucket of the live config (``hookwire apply``), with its history.
CONFIG_BUCKET = "hookwire-config"

#: Key of the live config in ``CONFIG_BUCKET``: each revision is a new value of it.
CONFIG_KEY = "config"


def plugin_bucket(plugin: str) -> str:
    """JetStream key-value bucket that holds one plugin's shared state (``Plugin.key_value``).

    Every worker of the plugin, on any host, reads and writes it: a rate limiter keeps
    its counters there, so its limit holds across the whole pool. A NATS role for the
    plugin's workers grants ``plugin_bucket_subjects(plugin)``.
    """
    return f"{PREFIX}-state-{plugin}"


def plugin_bucket_subjects(plugin: str) -> tuple[str, ...]:
    """What a worker of ``plugin`` publishes to for its bucket (create, read, write).

    ``$JS.API.STREAM.INFO``/``CREATE`` of the bucket's stream ``KV_<bucket>``, its
    direct gets, and the bucket's keys ``$KV.<bucket>.>``; replies come on ``_INBOX.>``.
    """
    stream = f"KV_{plugin_bucket(plugin)}"
    return (
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.STREAM.CREATE.{stream}",
        f"$JS.API.DIRECT.GET.{stream}.>",
        f"$JS.API.STREAM.MSG.GET.{stream}",
        f"$KV.{plugin_bucket(plugin)}.>",
    )


#: Micro service name (and queue group) of the plugin registry every router serves.
REGISTRY_SERVICE = f"{PREFIX}-registry"
REGISTRY_PREFIX = f"{PREFIX}.registry"
#: Registry endpoints (request-reply, JSON): every plugin (with filters), one by name,
#: and a relevance-ranked search.
REGISTRY_LIST = f"{REGISTRY_PREFIX}.list"
REGISTRY_GET = f"{REGISTRY_PREFIX}.get"
REGISTRY_SEARCH = f"{REGISTRY_PREFIX}.search"


# -- durable fire_and_forget (JetStream) ---------------------------------------------

#: JetStream stream holding fire_and_forget calls until a worker acknowledges them
#: (work-queue retention: an acknowledged call is removed).
FF_STREAM = "HOOKWIRE_FF"
FF_PREFIX = f"{PREFIX}.ff"
#: Stream of the calls that failed ``max_deliver`` times (dead letters), kept for people.
FF_DEAD_STREAM = "HOOKWIRE_FF_DEAD"
FF_DEAD_PREFIX = f"{PREFIX}.ffdead"


def _token(instance: str) -> str:
    """An instance id as one subject token and a consumer name (``#`` and ``.`` replaced)."""
    return instance.replace("#", "-").replace(".", "_").replace(" ", "_")


def ff_subject(plugin: str, instance: str, hook: str) -> str:
    """Subject a fire_and_forget call of one instance is stored under."""
    return f"{FF_PREFIX}.{plugin}.{_token(instance)}.{hook}"


def ff_instance_filter(plugin: str, instance: str) -> str:
    """Filter subject of one instance's durable consumer."""
    return f"{FF_PREFIX}.{plugin}.{_token(instance)}.*"


def ff_plugin_prefix(plugin: str) -> str:
    """What every consumer filter of ``plugin``'s instances starts with."""
    return f"{FF_PREFIX}.{plugin}."


def ff_consumer(plugin: str, instance: str) -> str:
    """Durable consumer name of one instance (shared by every worker of its pool)."""
    return f"ff_{plugin}_{_token(instance)}"


def ff_dead_subject(plugin: str, instance: str, hook: str) -> str:
    """Where a call goes after its last failed delivery."""
    return f"{FF_DEAD_PREFIX}.{plugin}.{_token(instance)}.{hook}"


# -- recording ------------------------------------------------------------------------

#: JetStream stream of recorded decisions (``plugin_settings.record``).
RECORD_STREAM = "HOOKWIRE_RECORD"
RECORD_PREFIX = f"{PREFIX}.record"


def record_subject(hook: str) -> str:
    """Subject one recorded decision of ``hook`` is published to."""
    return f"{RECORD_PREFIX}.{hook}"


def record_wildcard(hook: str | None = None) -> str:
    """Every recorded decision (of one hook, if given)."""
    return record_subject(hook) if hook else f"{RECORD_PREFIX}.*"


def ff_dead_for(subject: str) -> str:
    """The dead-letter subject of a call stored under ``subject`` (an ``ff_subject``)."""
    return FF_DEAD_PREFIX + subject[len(FF_PREFIX) :]


# -- permissions (hookwire security): what each role may publish and subscribe to ------

#: Every hook subject and every plugin subject, as NATS permission wildcards.
HOOK_ALL = f"{HOOK_PREFIX}.>"
PLUGIN_ALL = f"{PLUGIN_PREFIX}.>"
REGISTRY_ALL = f"{REGISTRY_PREFIX}.>"
REGISTRY_WILDCARD = f"{REGISTRY_PREFIX}.*"
#: Every NATS micro control subject (asking services for PING, INFO, STATS).
MICRO_ALL = "$SRV.>"


def micro_control(service: str) -> tuple[str, ...]:
    """The ``$SRV`` subjects a micro service named ``service`` answers: each verb for
    every service, for its name, and for one instance of it."""
    verbs = ("$SRV.PING", "$SRV.INFO", "$SRV.STATS")
    return (*verbs, f"$SRV.*.{service}", f"$SRV.*.{service}.*")


def queue_permission(subject: str, queue: str) -> str:
    """A subscribe permission that holds only in queue group ``queue``; ``queue`` empty
    (no queue group, as ``SUPERVISOR_QUEUE``): the plain subject."""
    return f"{subject} {queue}" if queue else subject


def inbox_prefix(role: str) -> str:
    """The reply inboxes of ``role``: ``_INBOX.<role>``, readable by that role only."""
    return f"_INBOX.{role}"
