"""teleport_jwt.mcp with the real mcp SDK: a server over HTTP and the SDK's client."""

from __future__ import annotations

import asyncio
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


def _app(verifier: tj.Verifier, proxy: str) -> TeleportHeaderMiddleware:
    server = MCPServer("t", **teleport_auth(verifier, issuer_url=proxy))

    @server.tool()
    def whoami() -> str:
        me = require_identity()
        return f"{me.username}:{','.join(me.roles)}"

    return TeleportHeaderMiddleware(server.streamable_http_app(), verifier)


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


async def _status(url: str, headers: list[tuple[str, str]]) -> tuple[int, str, str]:
    async with httpx2.AsyncClient(timeout=10) as http:
        r = await http.post(url, json=INIT, headers=[*ACCEPT.items(), *headers])
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
    status, reason, body = asyncio.run(_status(url, headers))
    assert status == 401
    assert reason == code
    assert code in body


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
    assert at.expires_at == at.identity.expires_at
    assert "identity" not in at.model_dump()
    assert asyncio.run(tv.verify_token("nope")) is None
    assert current_identity() is None
    with pytest.raises(PermissionError):
        require_identity()
