"""teleport_jwt.fastmcp with the real fastmcp package: its own client over HTTP, what the
shared scenario suite (test_mcp_scenarios.py) does not cover: header rules, per-tool
requirements in FastMCP's style, the identity in handlers, exposed reasons, mappers that fail."""

# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from typing import Any

import httpx2
import pytest
from conftest import AUDIENCE, ServerThread
from fastmcp import Client, FastMCP
from fastmcp.client.transports import StreamableHttpTransport
from fastmcp.server.auth import AuthContext

import teleport_jwt as tj
from teleport_jwt.fastmcp import (
    PermissionDenied,
    PermissionMiddleware,
    TeleportAccessToken,
    TeleportTokenVerifier,
    current_identity,
    current_permissions,
    permission_required,
    require_identity,
    require_permission,
    teleport_auth,
)
from teleport_jwt.testing import MockTeleport, verifier_for

POLICY = tj.Policy.from_yaml("""
rules:
  - match: {}
    grant: ["tool:*"]
  - match: {roles_any: [auditor]}
    grant: ["audit:read"]
""")


def _server(verifier: tj.Verifier, **auth: Any) -> FastMCP:
    mcp = FastMCP("t", **teleport_auth(verifier, **auth))

    @mcp.tool
    def whoami() -> str:
        me = require_identity()
        assert current_identity() == me
        return f"{me.username}:{','.join(me.roles)}"

    @mcp.tool(auth=permission_required("audit:read"))
    def audit() -> str:
        return "audited"

    @mcp.tool
    def granted() -> str:
        p = current_permissions()
        return ",".join(sorted(p.granted)) if p is not None else "-"

    @mcp.tool
    def needs_audit() -> str:
        return require_permission("audit:read").username

    return mcp


@pytest.fixture(scope="module")
def served(mock: MockTeleport) -> Iterator[tuple[MockTeleport, str]]:
    app = _server(verifier_for(mock, AUDIENCE), permissions=POLICY, expose_reason=True)
    srv = ServerThread(app.http_app(path="/mcp"))
    try:
        yield mock, srv.url
    finally:
        srv.stop()


async def _session(url: str, headers: dict[str, str], tool: str) -> tuple[list[str], str, bool]:
    async with Client(StreamableHttpTransport(url, headers=headers)) as client:
        names = sorted(t.name for t in await client.list_tools())
        result = await client.call_tool(tool, {}, raise_on_error=False)
        text = " ".join(getattr(c, "text", "") for c in result.content)
        return names, text, bool(result.is_error)


def _call(url: str, headers: dict[str, str], tool: str = "whoami") -> tuple[list[str], str, bool]:
    return asyncio.run(_session(url, headers, tool))


def test_identity_in_handlers_and_authorization_fallback(
    served: tuple[MockTeleport, str],
) -> None:
    mock, url = served
    alice = mock.mint(username="alice", roles=["access"])
    assert _call(url, {"Teleport-Jwt-Assertion": alice})[1] == "alice:access"
    # Default rules: Teleport-Jwt-Assertion, then Authorization: Bearer.
    assert _call(url, {"Authorization": f"Bearer {alice}"})[1] == "alice:access"
    # A client's Authorization never wins over the Teleport header.
    mallory = mock.mint(username="mallory", roles=["auditor"])
    headers = {"Teleport-Jwt-Assertion": alice, "Authorization": f"Bearer {mallory}"}
    assert _call(url, headers)[1] == "alice:access"
    assert _call(url, {"Teleport-Jwt-Assertion": alice}, "granted")[1] == "tool:*"


def test_permission_required_hides_and_refuses_in_fastmcp_style(
    served: tuple[MockTeleport, str],
) -> None:
    mock, url = served
    plain = {"Teleport-Jwt-Assertion": mock.mint(username="alice")}
    names, text, is_error = _call(url, plain, "audit")
    assert "audit" not in names and {"whoami", "granted", "needs_audit"} <= set(names)
    assert (text, is_error) == ("Unknown tool: 'audit'", True)
    _, text, is_error = _call(url, plain, "needs_audit")
    assert is_error and text.endswith("permission denied: alice does not have 'audit:read'")
    auditor = {"Teleport-Jwt-Assertion": mock.mint(username="carol", roles=["auditor"])}
    names, text, is_error = _call(url, auditor, "audit")
    assert "audit" in names and (text, is_error) == ("audited", False)
    assert _call(url, auditor, "needs_audit")[1:] == ("carol", False)


def _post(url: str, headers: dict[str, str]) -> httpx2.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    accept = {"Accept": "application/json, text/event-stream"}
    response: httpx2.Response = httpx2.post(url, json=body, headers={**accept, **headers})
    return response


def test_exposed_reason_codes_in_401(served: tuple[MockTeleport, str]) -> None:
    mock, url = served
    r = _post(url, {"Teleport-Jwt-Assertion": mock.mint(audience="mcp+http://x/mcp")})
    assert r.status_code == 401
    assert r.headers["x-teleport-jwt-error"] == "audience_mismatch"
    assert r.headers["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="Teleport token refused: '
        'audience_mismatch"'
    )
    r = _post(url, {})
    assert (r.status_code, r.headers["www-authenticate"]) == (401, "Bearer")
    assert r.json()["reason"] == "missing_token"


class Failing:
    def permissions(self, identity: tj.Identity) -> Iterable[str]:
        raise ConnectionError("directory down")


def test_failing_mapper_is_500_plugin_error(mock: MockTeleport) -> None:
    app = _server(verifier_for(mock, AUDIENCE), permissions=Failing(), expose_reason=True)
    srv = ServerThread(app.http_app(path="/mcp"))
    try:
        r = _post(srv.url, {"Teleport-Jwt-Assertion": mock.mint()})
        assert (r.status_code, r.headers["x-teleport-jwt-error"]) == (500, "plugin_error")
        assert "www-authenticate" not in r.headers
    finally:
        srv.stop()


def test_provider_alone_verifies_without_permissions(mock: MockTeleport) -> None:
    provider = TeleportTokenVerifier(verifier_for(mock, AUDIENCE))
    token = mock.mint(username="judy", roles=["r1", "r2"], audience=["other", AUDIENCE])
    at = asyncio.run(provider.verify_token(token))
    assert isinstance(at, TeleportAccessToken)
    assert (at.client_id, at.scopes, at.resource) == ("judy", ["r1", "r2"], AUDIENCE)
    assert at.claims["iss"] == mock.cluster_name and at.permissions is None
    assert at.expires_at == at.identity.expires_at + 60
    assert asyncio.run(provider.verify_token("nope")) is None
    assert "middleware" not in teleport_auth(verifier_for(mock, AUDIENCE))
    auth = teleport_auth(verifier_for(mock, AUDIENCE), permissions=POLICY)
    assert [type(m) for m in auth["middleware"]] == [PermissionMiddleware]


def test_outside_a_request_nothing_is_permitted() -> None:
    assert current_identity() is None and current_permissions() is None
    with pytest.raises(PermissionError):
        require_identity()
    with pytest.raises(PermissionDenied, match="an unauthenticated caller does not have 'x'"):
        require_permission("x")
    check = permission_required("x", "y")
    assert repr(check) == "permission_required('x', 'y')"
    assert check(AuthContext(token=None, component=None)) is False  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        permission_required()
