"""Each credential type and TLS end to end against a real nats-server: user and password,
token, NKEY seed, creds file (JWT), TLS with a CA, mutual TLS; failures are fast and clear,
and no secret shows in what is printed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _nats import NatsServer

from hookwire import client as hw
from hookwire.router.security import new_seed
from hookwire.router.security._jwt import USER, KeyPair
from hookwire.service import NatsAuth, NatsConnectError, connect

from ._certs import make_pki
from .conftest import Secured

pytestmark = pytest.mark.integration

PASSWORD = "s3cret-pass-word"
TOKEN = "t0ken-value-xyz"
#: attempts so many that a retried permanent error would hit the test's timeout
MANY = 100_000


@pytest.fixture
def users_server(tmp_path: Path) -> Iterator[tuple[NatsServer, Path]]:
    """A server with a user/password user and an NKEY user (both may do anything)."""
    seed = new_seed(USER)
    seed_file = tmp_path / "user.nk"
    seed_file.write_bytes(seed + b"\n")
    conf = tmp_path / "users.conf"
    conf.write_text(
        "authorization { users = [\n"
        f'  {{ user: "alice", password: "{PASSWORD}" }}\n'
        f'  {{ nkey: "{KeyPair(seed).public}" }}\n'
        "] }\n"
    )
    with NatsServer(tmp_path / "nats", config=conf) as server:
        yield server, seed_file


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[NatsServer]:
    conf = tmp_path / "token.conf"
    conf.write_text(f'authorization {{ token: "{TOKEN}" }}\n')
    with NatsServer(tmp_path / "nats", config=conf) as server:
        yield server


async def _round_trip(url: str, auth: NatsAuth) -> None:
    nc = await connect(url, "test-auth", attempts=2, auth=auth)
    try:
        sub = await nc.subscribe("t.echo")
        await nc.publish("t.echo", b"hi")
        assert (await sub.next_msg(timeout=5)).data == b"hi"
    finally:
        await nc.close()


async def test_user_and_password(users_server: tuple[NatsServer, Path]) -> None:
    server, _ = users_server
    await _round_trip(server.url, NatsAuth(user="alice", password=PASSWORD))
    with pytest.raises(NatsConnectError, match="refused the login") as err:
        await connect(server.url, "t", attempts=MANY, auth=NatsAuth(user="alice", password="no"))
    assert "no" not in str(err.value).split("(")[1]  # the password is not in the message


async def test_password_in_the_url_is_never_shown(users_server: tuple[NatsServer, Path]) -> None:
    server, _ = users_server
    url = server.url.replace("nats://", f"nats://alice:{PASSWORD}@")
    await _round_trip(url, NatsAuth())
    bad = server.url.replace("nats://", "nats://alice:wrong-secret@")
    with pytest.raises(NatsConnectError) as err:
        await connect(bad, "t", attempts=MANY, auth=NatsAuth())
    assert "wrong-secret" not in str(err.value)
    assert "alice:***@" in str(err.value)


async def test_nkey_seed_file(users_server: tuple[NatsServer, Path]) -> None:
    server, seed_file = users_server
    await _round_trip(server.url, NatsAuth(nkey=str(seed_file)))


async def test_token(token_server: NatsServer) -> None:
    await _round_trip(token_server.url, NatsAuth(token=TOKEN))
    with pytest.raises(NatsConnectError, match="refused the login"):
        await connect(token_server.url, "t", attempts=MANY, auth=NatsAuth(token="wrong"))


async def test_creds_file_and_its_inbox(secured_nats: Secured) -> None:
    auth = secured_nats.auth("gateway")
    assert auth.options()["inbox_prefix"] == "_INBOX.gateway"
    nc = await connect(secured_nats.url, "t", attempts=2, auth=auth)
    assert nc.new_inbox().startswith("_INBOX.gateway.")
    await nc.close()


async def test_variables_give_the_credentials(
    users_server: tuple[NatsServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = users_server
    monkeypatch.setenv("HOOKWIRE_NATS_USER", "alice")
    monkeypatch.setenv("HOOKWIRE_NATS_PASSWORD", PASSWORD)
    async with await hw.connect(server.url, timeout=5) as gateway:
        assert gateway.nc.is_connected


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[NatsServer, dict[str, Path]]]:
    """A server that requires TLS and a client certificate signed by its CA (mTLS)."""
    pki = make_pki(tmp_path / "pki")
    conf = tmp_path / "tls.conf"
    conf.write_text(
        "tls {\n"
        f'  cert_file: "{pki["server_cert"]}"\n'
        f'  key_file: "{pki["server_key"]}"\n'
        f'  ca_file: "{pki["ca"]}"\n'
        "  verify: true\n"
        "  timeout: 2\n"
        "}\n"
    )
    with NatsServer(tmp_path / "nats", config=conf, scheme="tls") as server:
        yield server, pki


async def test_mutual_tls(tls_server: tuple[NatsServer, dict[str, Path]]) -> None:
    server, pki = tls_server
    auth = NatsAuth(ca=str(pki["ca"]), cert=str(pki["client_cert"]), key=str(pki["client_key"]))
    await _round_trip(server.url, auth)


async def test_untrusted_certificate_fails_at_once_with_the_reason(
    tls_server: tuple[NatsServer, dict[str, Path]], tmp_path: Path
) -> None:
    server, pki = tls_server
    other = make_pki(tmp_path / "other", name="other-ca")
    auth = NatsAuth(ca=str(other["ca"]), cert=str(pki["client_cert"]), key=str(pki["client_key"]))
    with pytest.raises(NatsConnectError, match="certificate is not trusted"):
        await connect(server.url, "t", attempts=MANY, auth=auth)


async def test_no_client_certificate_is_refused(
    tls_server: tuple[NatsServer, dict[str, Path]],
) -> None:
    server, pki = tls_server
    with pytest.raises(NatsConnectError, match=r"TLS|refused|cannot connect"):
        await connect(server.url, "t", attempts=3, auth=NatsAuth(ca=str(pki["ca"])), deadline=10)


def test_send_against_an_untrusted_certificate_fails_fast(
    tls_server: tuple[NatsServer, dict[str, Path]], tmp_path: Path
) -> None:
    server, _ = tls_server
    other = make_pki(tmp_path / "other", name="other-ca")
    proc = subprocess.run(
        [sys.executable, "-m", "hookwire.router.cli", "send", "--timeout", "5", "--nats",
         server.url, "--nats-ca", str(other["ca"]), "tool_pre_invoke", '{"name": "t", "args": {}}'],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "certificate is not trusted" in proc.stderr


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(hw.NatsAuthError, match=r"creds file .*nope.creds does not exist"):
        NatsAuth(creds=str(tmp_path / "nope.creds")).options()
