"""The admin JSON API against a running ``hookwire up`` (the demo plugins)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from hookwire.router.admin._auth import Tokens, verdict

from ._up import Up, write_config

pytestmark = pytest.mark.integration


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(0.1)


def hookwire_json(*args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "hookwire.router.cli", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


# -- the registry -------------------------------------------------------------------------


def test_registry_lists_what_the_cli_lists(up: Up) -> None:
    status, body = up.call("GET", "/admin/plugins/registry")
    assert status == 200
    cli = hookwire_json("plugins", "list", "--nats", up.nats, "--data-dir", up.data_dir)
    assert [p["name"] for p in body["plugins"]] == [p["name"] for p in cli["plugins"]]


def test_registry_filters_by_maturity(up: Up) -> None:
    _, everything = up.call("GET", "/admin/plugins/registry")
    levels = {p["maturity"] for p in everything["plugins"]}
    assert len(levels) > 1, "the demo plugins should span maturities for this test to mean much"
    status, body = up.call("GET", "/admin/plugins/registry?maturity=stable")
    assert status == 200
    assert body["plugins"] and {p["maturity"] for p in body["plugins"]} == {"stable"}
    status, body = up.call("GET", "/admin/plugins/registry?maturity=golden")
    assert status == 422 and "golden" in body["error"]


def test_registry_search_ranks_as_hookwire_plugins_search(up: Up) -> None:
    status, body = up.call("GET", "/admin/plugins/registry?q=pii")
    assert status == 200
    cli = hookwire_json("plugins", "search", "pii", "--nats", up.nats, "--data-dir", up.data_dir)
    assert [p["name"] for p in body["plugins"]] == [h["plugin"]["name"] for h in cli["hits"]]
    assert body["plugins"][0]["name"].startswith("pii_")
    assert body["hits"][0]["score"] > 0


def test_plugin_detail_has_schema_defaults_and_quality(up: Up) -> None:
    status, body = up.call("GET", "/admin/plugins/registry/pii_masker")
    assert status == 200
    assert body["summary"]["name"] == "pii_masker"
    assert "properties" in body["config_schema"]
    assert body["config_defaults"]["mask"] == "[REDACTED]"
    assert body["quality"]["source"] in ("measured", "manifest", "none")
    status, body = up.call("GET", "/admin/plugins/registry/nope")
    assert status == 404 and "nope" in body["error"]


# -- rules, explain, status ---------------------------------------------------------------


def test_rules_are_the_live_configs(up: Up) -> None:
    status, body = up.call("GET", "/admin/rules")
    assert status == 200
    first = body["rules"][0]
    assert first["entities"] == ["tool"] and first["score"] == 50
    assert [p["plugin"] for p in first["plugins"]] == [
        "rate_limiter",
        "cedar_policy",
        "arg_size_guard",
        "deny_list",
        "schema_guard",
        "content_moderation",
        "pii_filter",
        "audit_logger",
    ]


def test_explain_answers_as_hookwire_explain_json(up: Up) -> None:
    event = {"hook": "tool_pre_invoke", "entity_type": "tool", "name": "send_email"}
    status, body = up.call("POST", "/admin/explain", json.dumps(event).encode())
    assert status == 200
    cli = hookwire_json(
        "explain",
        "--config",
        str(up.config),
        "--hook",
        "tool_pre_invoke",
        "--entity-type",
        "tool",
        "--name",
        "send_email",
    )
    body.pop("revision")
    assert body == cli


def test_explain_refuses_a_bad_event_with_its_reason(up: Up) -> None:
    status, body = up.call("POST", "/admin/explain", b'{"hook": "x", "entity_type": "planet"}')
    assert status == 422 and "planet" in body["error"]
    status, body = up.call("POST", "/admin/explain", b"{not json")
    assert status == 422 and "the event" in body["error"]
    # as hookwire explain: an unknown hook is named with the closest known one
    status, body = up.call("POST", "/admin/explain", b'{"hook": "tool_pre_invok"}')
    assert status == 422 and "did you mean tool_pre_invoke?" in body["error"], body
    # the entity comes from the hook, and needs a name
    status, body = up.call("POST", "/admin/explain", b'{"hook": "tool_pre_invoke"}')
    assert status == 422 and "required for a tool entity" in body["error"], body


def test_explain_infers_the_entity_from_the_hook_as_the_cli_does(up: Up) -> None:
    event = {"hook": "tool_pre_invoke", "payload": {"name": "send_email", "args": {}}}
    status, body = up.call("POST", "/admin/explain", json.dumps(event).encode())
    assert status == 200, body
    cli = hookwire_json(
        "explain",
        "--config",
        str(up.config),
        "--hook",
        "tool_pre_invoke",
        "--payload",
        json.dumps(event["payload"]),
    )
    body.pop("revision")
    assert body == cli


def test_status_shows_routers_pools_and_workers(up: Up) -> None:
    status, body = up.call("GET", "/admin/status")
    assert status == 200
    assert {p["plugin"] for p in body["pools"]} == {
        "rate_limiter",
        "cedar_policy",
        "arg_size_guard",
        "deny_list",
        "schema_guard",
        "content_moderation",
        "pii_filter",
        "audit_logger",
    }
    assert all(p["alive"] == p["workers"] for p in body["pools"])
    assert len(body["routers"]) == 1 and body["routers"][0]["revision"] is not None
    assert {w["plugin"] for w in body["workers"]} >= {"pii_filter"}


def test_openapi_document_names_every_endpoint(up: Up) -> None:
    status, body = up.call("GET", "/admin/openapi.json")
    assert status == 200 and body["openapi"].startswith("3.")
    assert set(body["paths"]) == {
        "/admin/plugins/registry",
        "/admin/plugins/registry/{name}",
        "/admin/rules",
        "/admin/explain",
        "/admin/status",
        "/admin/config/history",
        "/admin/config/diff",
        "/admin/config/{rev}",
        "/admin/config",
        "/admin/config/rollback",
    }
    assert "PluginDetail" in body["components"]["schemas"]


# -- writing ------------------------------------------------------------------------------


def test_writes_without_a_token_get_401_and_a_wrong_one_403(up: Up) -> None:
    for path in ("/admin/config", "/admin/config/rollback", "/admin/explain"):
        status, body = up.call("POST", path, b"not: [valid", token=None)
        assert status == 401, (path, body)
        status, body = up.call("POST", path, b"not: [valid", token="guess")
        assert status == 403, (path, body)


def test_the_token_is_checked_before_the_body_is_read(up: Up) -> None:
    """A POST announcing 100 MB and sending none of it is refused at once: the service
    answers from the headers alone (a handler reading the body would wait for it)."""
    where = urlsplit(up.admin)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(
            b"POST /admin/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\n"
            b"Content-Length: 100000000\r\n\r\n"
        )
        answer = sock.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 401"), answer


def test_apply_diff_and_rollback_and_the_routers_follow(up: Up, tmp_path: Any) -> None:
    _, before = up.call("GET", "/admin/config/history")
    live = before["revisions"][-1]["revision"]
    text = write_config(tmp_path, pii_priority=1).read_text()

    status, body = up.call(
        "POST",
        "/admin/config?message=pii+first",
        text.encode(),
        content_type="application/yaml",
    )
    assert status == 200, body
    applied = body["revision"]
    assert applied > live

    def router_on(rev: int) -> bool:
        routers = up.call("GET", "/admin/status")[1]["routers"]
        return bool(routers) and all(r["revision"] == rev for r in routers)

    wait_for(lambda: router_on(applied), f"the router running revision {applied}")
    _, rules = up.call("GET", "/admin/rules")
    assert rules["revision"] == applied
    assert rules["rules"][0]["plugins"][0]["plugin"] == "pii_filter"

    _, history = up.call("GET", "/admin/config/history")
    newest = history["revisions"][-1]
    assert (newest["revision"], newest["message"], newest["live"]) == (applied, "pii first", True)
    assert "admin" in newest["applied_by"]
    status, diff = up.call("GET", f"/admin/config/diff?from={live}&to={applied}")
    assert status == 200 and "+      - {name: pii_filter, priority: 1}" in diff["diff"]
    status, one = up.call("GET", f"/admin/config/{applied}")
    assert status == 200 and one["text"] == text

    status, body = up.call(
        "POST", "/admin/config/rollback", json.dumps({"revision": live}).encode()
    )
    assert status == 200, body
    assert body["rollback_of"] == live
    wait_for(lambda: router_on(body["revision"]), "the router following the rollback")
    _, rules = up.call("GET", "/admin/rules")
    assert rules["rules"][0]["plugins"][0]["plugin"] == "rate_limiter"


def test_the_live_config_again_is_unchanged_and_no_rollback_to_it(up: Up) -> None:
    """As hookwire apply and rollback: the same config is not stored twice (same_config)."""
    _, before = up.call("GET", "/admin/config/history")
    live = before["revisions"][-1]["revision"]
    _, one = up.call("GET", f"/admin/config/{live}")
    status, body = up.call(
        "POST", "/admin/config", one["text"].encode(), content_type="application/yaml"
    )
    assert status == 200 and body["stored"] is False and body["revision"] == live, body
    same = [
        r["revision"]
        for r in before["revisions"][:-1]
        if (r["sha256"], r["base_dir"]) == (one["sha256"], one["base_dir"])
    ]
    for rev in same:  # an earlier revision with the live config's content: refused
        status, body = up.call(
            "POST", "/admin/config/rollback", json.dumps({"revision": rev}).encode()
        )
        assert status == 409 and "unchanged" in body["error"], body
    _, after = up.call("GET", "/admin/config/history")
    assert after == before


def test_a_config_with_problems_is_refused_and_nothing_is_stored(up: Up) -> None:
    _, before = up.call("GET", "/admin/config/history")
    bad = b"plugins:\n  no_such_plugin: {}\nroutes: []\n"
    status, body = up.call("POST", "/admin/config", bad, content_type="application/yaml")
    assert status == 422 and body["problems"], body
    _, after = up.call("GET", "/admin/config/history")
    assert after == before


def test_unknown_revisions_and_bad_numbers_are_named(up: Up) -> None:
    status, body = up.call("GET", "/admin/config/999")
    assert status == 404 and "999" in body["error"]
    status, body = up.call("GET", "/admin/config/diff?from=1&to=x")
    assert status == 422 and "to" in body["error"]
    status, body = up.call("POST", "/admin/config/rollback", b'{"revision": 0}')
    assert status == 422


# -- the read token -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "method", "headers", "expected"),
    [
        (Tokens("w"), "GET", {}, None),
        (Tokens("w", "r"), "GET", {}, 401),
        (Tokens("w", "r"), "GET", {b"authorization": b"Bearer r"}, None),
        (Tokens("w", "r"), "GET", {b"cookie": b"hookwire-token=w"}, None),
        (Tokens("w", "r"), "GET", {b"authorization": b"Bearer x"}, 403),
        (Tokens("w", "r"), "POST", {b"authorization": b"Bearer r"}, 403),
        (Tokens("w"), "POST", {b"cookie": b"hookwire-token=w"}, 401),  # writes: header only
        (Tokens("w"), "POST", {b"authorization": b"Bearer w"}, None),
    ],
)
def test_who_may_read_and_write(
    tokens: Tokens, method: str, headers: dict[bytes, bytes], expected: int | None
) -> None:
    got = verdict(tokens, method, headers)
    assert (got[0] if got else None) == expected


# -- hookwire admin, on its own ---------------------------------------------------------


def _admin(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hookwire.router.cli", "admin", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_hookwire_admin_serves_a_running_deployment_and_can_require_a_read_token(
    up: Up,
) -> None:
    # the observer's and operator's creds from up's data folder (the secured default)
    proc = _admin("--data-dir", up.data_dir, "--listen", "127.0.0.1:0", "--admin-read-token", "r")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("admin: http://127.0.0.1:"), line
        other = Up(up.proc, up.config, admin=line.split()[1], nats=up.nats)
        assert other.call("GET", "/admin/status", token=None)[0] == 401
        assert other.call("GET", "/admin/status", token="nope")[0] == 403
        status, body = other.call("GET", "/admin/status", token="r")
        assert status == 200 and body["pools"]
    finally:
        proc.terminate()
        proc.wait(30)
    assert proc.returncode == 0


def test_hookwire_admin_beyond_loopback_needs_a_read_token(up: Up) -> None:
    proc = _admin("--nats", up.nats, "--listen", "0.0.0.0:0")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "--admin-read-token" in err
