"""teleport_jwt.mcp with the real mcp SDK: a server over HTTP and the SDK's client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx2
import pytest
from conftest import AUDIENCE, ServerThread
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer

import teleport_jwt as tj
from teleport_jwt.mcp import (
    TeleportAccessToken,
    TeleportHeaderMiddleware,
    TeleportTokenVerifier,
    current_identity,
    require_identity,
    teleport_auth,
)
from teleport_jwt.testing import MockTeleport, verifier_for

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def _app(
    verifier: tj.Verifier, proxy: str, *, expose_reason: bool = True
) -> TeleportHeaderMiddleware:
    server = MCPServer("t", **teleport_auth(verifier, issuer_url=proxy))

    @server.tool()
    def whoami() -> str:
        me = require_identity()
        return f"{me.username}:{','.join(me.roles)}"

    app = server.streamable_http_app()
    return TeleportHeaderMiddleware(app, verifier, expose_reason=expose_reason)


@pytest.fixture(scope="module")
def served(mock: MockTeleport) -> Iterator[tuple[MockTeleport, str]]:
    srv = ServerThread(_app(verifier_for(mock, AUDIENCE), mock.proxy_url))
    try:
        yield mock, srv.url
    finally:
        srv.stop()


async def _whoami(url: str, headers: dict[str, str]) -> str:
    http = httpx2.AsyncClient(headers=headers, timeout=10)
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        result = await client.call_tool("whoami", {})
        assert not result.is_error, result
        return " ".join(getattr(c, "text", "") for c in result.content)


async def _post(url: str, headers: list[tuple[str, str]]) -> httpx2.Response:
    async with httpx2.AsyncClient(timeout=10) as http:
        response: httpx2.Response = await http.post(
            url, json=INIT, headers=[*ACCEPT.items(), *headers]
        )
    return response


async def _status(url: str, headers: list[tuple[str, str]]) -> tuple[int, str, str]:
    r = await _post(url, headers)
    return r.status_code, r.headers.get("x-teleport-jwt-error", ""), r.text


def test_round_trip_allowed_as_two_users(served: tuple[MockTeleport, str]) -> None:
    mock, url = served
    alice = mock.mint(username="alice", roles=["access", "mcp-reader"])
    bob = mock.mint(username="bob", roles=["mcp-admin"])
    assert asyncio.run(_whoami(url, {"Teleport-Jwt-Assertion": alice})) == "alice:access,mcp-reader"
    assert asyncio.run(_whoami(url, {"Teleport-Jwt-Assertion": bob})) == "bob:mcp-admin"


def test_client_authorization_never_wins_over_teleport_header(
    served: tuple[MockTeleport, str],
) -> None:
    mock, url = served
    alice = mock.mint(username="alice")
    mallory = mock.mint(username="mallory", roles=["mcp-admin"])
    headers = {"Teleport-Jwt-Assertion": alice, "Authorization": f"Bearer {mallory}"}
    assert asyncio.run(_whoami(url, headers)).startswith("alice:")
    # A forged Authorization beside a valid assertion changes nothing either.
    headers = {"Teleport-Jwt-Assertion": alice, "Authorization": "Bearer forged"}
    assert asyncio.run(_whoami(url, headers)).startswith("alice:")


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("tampered", "bad_signature"),
        ("expired", "expired"),
        ("other_audience", "audience_mismatch"),
        ("ambiguous_header", "malformed"),
        ("not_a_jwt", "malformed"),
        ("none", "missing_token"),
    ],
)
def test_denied_with_401_and_reason(served: tuple[MockTeleport, str], case: str, code: str) -> None:
    mock, url = served
    good = mock.mint()
    a = "Teleport-Jwt-Assertion"
    headers = {
        "tampered": [(a, good[:-6] + "AAAAAA")],
        "expired": [(a, mock.mint(issued_at=1_600_000_000))],
        "other_audience": [(a, mock.mint(audience="mcp+http://x/mcp"))],
        # Two different assertions: unusable, and the valid Authorization does not win.
        "ambiguous_header": [(a, good), (a, mock.mint()), ("Authorization", f"Bearer {good}")],
        "not_a_jwt": [(a, "x")],
        "none": [],
    }[case]
    r = asyncio.run(_post(url, headers))
    assert r.status_code == 401
    assert r.headers["x-teleport-jwt-error"] == code
    assert r.json()["reason"] == code
    challenge = r.headers["www-authenticate"]
    if code == "missing_token":  # RFC 6750 3.1: no error code without credentials
        assert "error=" not in challenge, challenge
    else:
        assert challenge.startswith('Bearer error="invalid_token", error_description='), challenge
        assert f'"Teleport token refused: {code}"' in challenge


def test_reason_is_hidden_unless_the_server_opts_in(mock: MockTeleport) -> None:
    srv = ServerThread(_app(verifier_for(mock, AUDIENCE), mock.proxy_url, expose_reason=False))
    try:
        expired = [("Teleport-Jwt-Assertion", mock.mint(issued_at=1_600_000_000))]
        r = asyncio.run(_post(srv.url, expired))
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert "x-teleport-jwt-error" not in r.headers
        assert r.json() == {"error": "invalid_token", "error_description": "Teleport token refused"}
        assert "expired" not in r.text
        r = asyncio.run(_post(srv.url, []))
        assert (r.status_code, r.headers["www-authenticate"]) == (401, "Bearer")
        assert r.json()["error"] == "unauthorized" and "missing" not in r.text
    finally:
        srv.stop()


def test_token_expired_within_the_leeway_is_accepted_over_http(
    served: tuple[MockTeleport, str],
) -> None:
    mock, url = served
    # exp 30 s ago: the verifier's 60 s leeway accepts it, so the SDK must not refuse it.
    token = mock.mint(username="late", issued_at=int(time.time()) - 330, ttl=300)
    assert mock_verifier_accepts(mock, token)
    assert asyncio.run(_whoami(url, {"Teleport-Jwt-Assertion": token})).startswith("late:")


def mock_verifier_accepts(mock: MockTeleport, token: str) -> bool:
    identity = verifier_for(mock, AUDIENCE).verify(token)
    return identity.expires_at < time.time()


def test_key_endpoint_down_from_the_start_is_503_with_retry_after(
    fresh_mock: MockTeleport,
) -> None:
    fresh_mock.set_failure("refuse")
    srv = ServerThread(_app(verifier_for(fresh_mock, AUDIENCE), fresh_mock.proxy_url))
    try:
        token = fresh_mock.mint()
        for _ in range(2):  # the fetch, then the remembered failure within the cooldown
            r = asyncio.run(_post(srv.url, [("Teleport-Jwt-Assertion", token)]))
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"] == "30"
            assert r.headers["x-teleport-jwt-error"] == "key_source_unavailable"
            assert "www-authenticate" not in r.headers
            assert r.json()["error"] == "temporarily_unavailable"
    finally:
        srv.stop()


def test_bearer_only_without_teleport_header_is_verified_by_rules(
    served: tuple[MockTeleport, str],
) -> None:
    mock, url = served
    # Default rules: Teleport-Jwt-Assertion, then Authorization: Bearer.
    token = mock.mint(username="grace")
    assert asyncio.run(_whoami(url, {"Authorization": f"Bearer {token}"})).startswith("grace:")


def test_id_token_in_authorization_is_left_alone(mock: MockTeleport) -> None:
    v = verifier_for(mock, kind="id_token", headers=["Authorization: Bearer"])
    srv = ServerThread(_app(v, mock.proxy_url))
    try:
        id_token = mock.mint(username="heidi", kind="id_token")
        classic = mock.mint(username="ivan")
        headers = {"Authorization": f"Bearer {id_token}", "Teleport-Jwt-Assertion": classic}
        assert asyncio.run(_whoami(srv.url, headers)).startswith("heidi:")
    finally:
        srv.stop()


def test_token_verifier_maps_identity_to_access_token(mock: MockTeleport) -> None:
    tv = TeleportTokenVerifier(verifier_for(mock, AUDIENCE))
    token = mock.mint(username="judy", roles=["r1", "r2"], audience=["other", AUDIENCE])
    at = asyncio.run(tv.verify_token(token))
    assert isinstance(at, TeleportAccessToken)
    assert at.client_id == "judy" and at.subject == "judy"
    assert at.scopes == ["r1", "r2"]
    assert at.resource == AUDIENCE
    assert at.claims is not None and at.claims["iss"] == mock.cluster_name
    assert at.expires_at == at.identity.expires_at + 60  # exp + the verifier's leeway
    assert "identity" not in at.model_dump()
    assert asyncio.run(tv.verify_token("nope")) is None
    assert current_identity() is None
    with pytest.raises(PermissionError):
        require_identity()
