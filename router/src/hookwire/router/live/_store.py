"""The live config: revisions of one key in a NATS KV bucket, with their history.

``hookwire apply`` stores a checked config as a new revision; routers and supervisors
follow the key (``_follower.py``; what a revision switches: ``_switch.py``). A revision
holds the YAML text itself and the folder its relative paths resolve against, so any
host with the same layout rebuilds exactly the config that was checked.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from hookwire.router.config._load import Config, config_from_text
from hookwire.router.errors import ConfigError, LiveConfigError, Problem
from hookwire.schemas import subjects

#: Revisions the bucket keeps (JetStream's maximum for a KV bucket).
HISTORY = 64


class ConfigRecord(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="hookwire.v1.config"
):
    """One revision of the live config, as stored in the bucket (JSON).

    New fields get defaults and are appended (the wire's evolution rules).
    """

    #: the config file's YAML, as checked
    text: str
    #: absolute path of the file it came from: names it in errors, and the data and
    #: venv folders of a config resolve beside it
    file: str
    #: absolute folder the config's relative ``plugin_dirs`` resolve against
    base_dir: str
    #: sha256 of ``text`` (hex)
    sha256: str
    #: when it was stored (ISO 8601, UTC)
    applied_at: str
    #: user@host that stored it
    applied_by: str
    #: ``apply``, ``rollback`` or ``up`` (``hookwire up`` storing its own config)
    action: str = "apply"
    #: for a rollback: the revision whose config this one restores
    rollback_of: int | None = None
    #: what the person applying it said (``hookwire apply -m``)
    message: str = ""


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(ConfigRecord).decode


def encode_record(record: ConfigRecord) -> bytes:
    return _encode(record)


def decode_record(data: bytes) -> ConfigRecord:
    try:
        return _decode(data)
    except msgspec.MsgspecError as exc:
        raise LiveConfigError(f"not a hookwire config revision: {exc}") from None


def who() -> str:
    """``user@host`` of this process."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def same_config(a: ConfigRecord, b: ConfigRecord) -> bool:
    """Whether two records configure the same: the same text read from the same folder."""
    return (a.sha256, a.base_dir) == (b.sha256, b.base_dir)


def new_record(
    text: str,
    file: str | Path,
    base_dir: str | Path,
    *,
    action: str = "apply",
    rollback_of: int | None = None,
    message: str = "",
) -> ConfigRecord:
    return ConfigRecord(
        text=text,
        file=str(file),
        base_dir=str(base_dir),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        applied_at=datetime.now(UTC).isoformat(timespec="seconds"),
        applied_by=who(),
        action=action,
        rollback_of=rollback_of,
        message=message,
    )


def read_config_file(
    path: str | Path, *, action: str = "apply", message: str = ""
) -> tuple[ConfigRecord, Config]:
    """The record ``hookwire apply`` would store for the file at ``path``, and its config
    as it loads from that record (what every follower will rebuild). Raises ConfigError."""
    file = Path(path).resolve()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError([Problem(str(path), (), f"cannot read file: {reason}")]) from None
    record = new_record(text, file, file.parent, action=action, message=message)
    return record, load_record(record)


def load_record(record: ConfigRecord) -> Config:
    """The config a revision holds, loaded here (plugin folders read on this host)."""
    return config_from_text(record.text, record.file, Path(record.base_dir))


#: How often ``history`` asks again when nats-py's watcher ends before its entries.
HISTORY_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Revision:
    """A stored revision: its number (the stream sequence) and what it holds."""

    revision: int
    record: ConfigRecord


def js_replicas() -> int:
    """``$HOOKWIRE_JS_REPLICAS``: copies of each stream and bucket hookwire creates."""
    text = os.environ.get("HOOKWIRE_JS_REPLICAS", "1")
    try:
        value = int(text)
    except ValueError:
        raise LiveConfigError(f"HOOKWIRE_JS_REPLICAS={text!r}: expected 1 to 5") from None
    if not 1 <= value <= 5:
        raise LiveConfigError(f"HOOKWIRE_JS_REPLICAS={value}: JetStream allows 1 to 5")
    return value


class ConfigStore:
    """The live config bucket. ``await ConfigStore.open(nc)``; every call may raise
    LiveConfigError."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    @classmethod
    async def open(
        cls, nc: Client, *, create: bool = True, replicas: int | None = None
    ) -> ConfigStore:
        """The bucket, made (history of ``HISTORY``) when missing and ``create`` is true.

        ``replicas``: copies JetStream keeps of a new bucket (3 on a 3-node cluster, so
        the live config survives a node); default ``$HOOKWIRE_JS_REPLICAS``, else 1.
        """
        js = nc.jetstream()
        try:
            try:
                return cls(await js.key_value(subjects.CONFIG_BUCKET))
            except nats.js.errors.BucketNotFoundError:
                if not create:
                    raise LiveConfigError(
                        "no config has been applied on this NATS yet (hookwire apply FILE)"
                    ) from None
            kv = await js.create_key_value(
                bucket=subjects.CONFIG_BUCKET,
                history=HISTORY,
                replicas=replicas or js_replicas(),
                description="hookwire live config (hookwire apply, rollback)",
            )
        except (nats.errors.NoRespondersError, nats.js.errors.ServiceUnavailableError):
            raise LiveConfigError(
                "JetStream is not enabled on this NATS server (start it with -js): "
                "the live config needs it"
            ) from None
        except (TimeoutError, nats.errors.TimeoutError):
            raise LiveConfigError("JetStream did not answer (is it enabled?)") from None
        return cls(kv)

    async def put(self, record: ConfigRecord) -> int:
        """Store ``record`` as the new live config; its revision."""
        return await self.kv.put(subjects.CONFIG_KEY, encode_record(record))

    async def put_if_changed(self, record: ConfigRecord) -> tuple[int, bool]:
        """Store ``record`` unless the live config is the same (:func:`same_config`):
        the live revision and whether a new one was stored."""
        current = await self.current()
        if current is not None and same_config(current.record, record):
            return current.revision, False
        return await self.put(record), True

    async def current(self) -> Revision | None:
        """The live config, or None if none was applied."""
        try:
            entry = await self.kv.get(subjects.CONFIG_KEY)
        except nats.js.errors.KeyNotFoundError:
            return None
        assert entry.value is not None and entry.revision is not None
        return Revision(entry.revision, decode_record(entry.value))

    async def get(self, revision: int) -> Revision:
        """Revision ``revision``; LiveConfigError when the bucket no longer holds it."""
        try:
            entry = await self.kv.get(subjects.CONFIG_KEY, revision=revision)
        except nats.js.errors.KeyNotFoundError:
            raise LiveConfigError(
                f"revision {revision} is not in the history "
                f"(it keeps the last {HISTORY}; see hookwire config history)"
            ) from None
        assert entry.value is not None
        return Revision(revision, decode_record(entry.value))

    async def history(self) -> list[Revision]:
        """Every revision kept, oldest first (deletions left out).

        nats-py's ``history`` can answer "no keys" for a key that has values: its watcher
        marks the end of the history when the server has nothing pending but the client
        has not yet counted what is already on its way (seen under load). So "no keys"
        is believed only when the key has no current value; otherwise it asks again.
        """
        for _ in range(HISTORY_ATTEMPTS):
            try:
                entries = await self.kv.history(subjects.CONFIG_KEY)
                break
            except nats.js.errors.NoKeysError:
                if await self.current() is None:
                    return []
        else:
            raise LiveConfigError(
                f"the config history could not be read ({HISTORY_ATTEMPTS} attempts "
                "ended empty while the key has a value); try again"
            )
        return [
            Revision(e.revision, decode_record(e.value))
            for e in entries
            if e.operation not in (KV_DEL, KV_PURGE) and e.value and e.revision is not None
        ]

    async def watch(self) -> KeyValue.KeyWatcher:
        """Updates of the key: its current value first (or None when it has none)."""
        return await self.kv.watch(subjects.CONFIG_KEY)
