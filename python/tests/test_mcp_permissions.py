"""Permissions in teleport_jwt.mcp with the real mcp SDK over HTTP: per-caller tools/list,
refused calls of hidden tools, @requires / require_permission in handlers, Python mappers, and
a failing mapper refusing the request with plugin_error."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx2
import pytest
from conftest import AUDIENCE, ServerThread
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, ListToolsResult, Tool

import teleport_jwt as tj
from teleport_jwt.mcp import (
    PermissionDenied,
    PermissionMiddleware,
    TeleportAccessToken,
    TeleportHeaderMiddleware,
    TeleportTokenVerifier,
    current_permissions,
    require_permission,
    requires,
    teleport_auth,
)
from teleport_jwt.testing import MockTeleport, verifier_for

POLICY = tj.Policy.from_yaml("""
rules:
  - name: everyone
    match: {}
    grant: ["tool:whoami", "tool:my_permissions"]
  - name: readers
    match: {roles_any: [mcp-reader]}
    grant: ["tool:read_*", "doc:{{traits.teams}}:read"]
  - name: admins
    match: {roles_any: [mcp-admin]}
    grant: ["tool:*", "doc:*", "admin"]
  - name: no-purge-from-contractors
    match: {traits: {employment: [contractor]}}
    deny: ["tool:purge"]
""")
ALL_TOOLS = ["whoami", "my_permissions", "read_doc", "read_secret", "purge", "audit"]


def _server(verifier: tj.Verifier, proxy: str, permissions: tj.SupportsPermissions) -> Any:
    server = MCPServer("t", **teleport_auth(verifier, issuer_url=proxy, permissions=permissions))

    @server.tool()
    def whoami() -> str:
        token = current_permissions()
        return "no permissions" if token is None else "ok"

    @server.tool()
    def my_permissions() -> str:
        p = current_permissions()
        return ",".join(sorted(p.granted)) if p is not None else "-"

    @server.tool()
    def read_doc(team: str) -> str:
        me = require_permission(f"doc:{team}:read")
        return f"{me.username} reads {team}"

    @server.tool()
    @requires("secret:read")
    def read_secret() -> str:
        return "the secret"

    @server.tool()
    def purge() -> str:
        return "purged"

    @server.tool()
    @requires("admin")
    async def audit(ctx: Context, limit: int = 3) -> str:  # the SDK still injects ctx
        """Audit the last entries."""
        await asyncio.sleep(0)
        assert isinstance(ctx, Context)
        return f"audited {limit}"

    return TeleportHeaderMiddleware(server.streamable_http_app(), verifier, expose_reason=True)


@pytest.fixture(scope="module")
def served(mock: MockTeleport) -> Iterator[tuple[MockTeleport, str]]:
    srv = ServerThread(_server(verifier_for(mock, AUDIENCE), mock.proxy_url, POLICY))
    try:
        yield mock, srv.url
    finally:
        srv.stop()


async def _session(url: str, token: str, work: Callable[[Client], Any]) -> Any:
    http = httpx2.AsyncClient(headers={"Teleport-Jwt-Assertion": token}, timeout=10)
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        return await work(client)


def _tools(url: str, token: str) -> list[str]:
    async def work(client: Client) -> list[str]:
        return [t.name for t in (await client.list_tools()).tools]

    return list(asyncio.run(_session(url, token, work)))


def _call(url: str, token: str, tool: str, args: dict[str, Any] | None = None) -> tuple[bool, str]:
    """(is_error, text) of a call; a JSON-RPC error is raised as MCPError."""

    async def work(client: Client) -> tuple[bool, str] | MCPError:
        try:
            result = await client.call_tool(tool, args or {})
        except MCPError as e:  # raised here, not inside the client's task group
            return e
        return bool(result.is_error), " ".join(getattr(c, "text", "") for c in result.content)

    outcome = asyncio.run(_session(url, token, work))
    if isinstance(outcome, MCPError):
        raise outcome
    is_error, text = outcome
    return bool(is_error), str(text)


def test_two_users_see_different_tools(served: tuple[MockTeleport, str]) -> None:
    mock, url = served
    reader = mock.mint(username="alice", roles=["mcp-reader"], traits={"teams": ["sales"]})
    admin = mock.mint(username="bob", roles=["mcp-admin"])
    nobody = mock.mint(username="eve", roles=["access"])
    contractor = mock.mint(
        username="carl", roles=["mcp-admin"], traits={"employment": ["contractor"]}
    )
    assert _tools(url, reader) == ["whoami", "my_permissions", "read_doc", "read_secret"]
    assert _tools(url, admin) == ALL_TOOLS
    assert _tools(url, nobody) == ["whoami", "my_permissions"]
    assert _tools(url, contractor) == [t for t in ALL_TOOLS if t != "purge"]  # deny wins


def test_allowed_calls_work(served: tuple[MockTeleport, str]) -> None:
    mock, url = served
    reader = mock.mint(username="alice", roles=["mcp-reader"], traits={"teams": ["sales"]})
    admin = mock.mint(username="bob", roles=["mcp-admin"])
    assert _call(url, reader, "whoami") == (False, "ok")
    assert _call(url, reader, "read_doc", {"team": "sales"}) == (False, "alice reads sales")
    assert _call(url, admin, "purge") == (False, "purged")
    assert _call(url, admin, "audit", {"limit": 5}) == (False, "audited 5")
    granted = "doc:sales:read,tool:my_permissions,tool:read_*,tool:whoami"
    assert _call(url, reader, "my_permissions") == (False, granted)


@pytest.mark.parametrize("tool", ["purge", "audit", "no_such_tool"])
def test_hidden_tool_called_by_name_is_refused(served: tuple[MockTeleport, str], tool: str) -> None:
    mock, url = served
    reader = mock.mint(username="alice", roles=["mcp-reader"])
    with pytest.raises(MCPError) as info:
        _call(url, reader, tool)
    assert info.value.code == INVALID_PARAMS
    assert info.value.message == (
        f"Unknown tool: {tool} (permission 'tool:{tool}' is not granted to alice)"
    )


def test_hidden_tool_refused_for_contractor_admin(served: tuple[MockTeleport, str]) -> None:
    mock, url = served
    carl = mock.mint(username="carl", roles=["mcp-admin"], traits={"employment": ["contractor"]})
    with pytest.raises(MCPError, match="tool:purge"):
        _call(url, carl, "purge")
    assert _call(url, carl, "audit") == (False, "audited 3")


def test_missing_permission_inside_a_visible_tool_is_a_tool_error(
    served: tuple[MockTeleport, str],
) -> None:
    mock, url = served
    reader = mock.mint(username="alice", roles=["mcp-reader"], traits={"teams": ["sales"]})
    is_error, text = _call(url, reader, "read_doc", {"team": "finance"})
    assert is_error
    assert text.endswith("permission denied: alice does not have 'doc:finance:read'")
    is_error, text = _call(url, reader, "read_secret")  # @requires on a sync tool
    assert is_error
    assert text.endswith("permission denied: alice does not have 'secret:read'")


def test_requires_keeps_the_tool_schema(served: tuple[MockTeleport, str]) -> None:
    mock, url = served

    async def work(client: Client) -> list[Tool]:
        return list((await client.list_tools()).tools)

    tools = asyncio.run(_session(url, mock.mint(roles=["mcp-admin"]), work))
    audit = next(t for t in tools if t.name == "audit")
    assert audit.input_schema["properties"] == {
        "limit": {"default": 3, "title": "Limit", "type": "integer"}
    }
    assert audit.description == "Audit the last entries."


class DirectoryMapper:
    """A Python mapper: permissions from a (pretend) directory, one lookup per request."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def permissions(self, identity: tj.Identity) -> Iterable[str]:
        with self.lock:
            self.seen.append(identity.username)
            self.threads.add(threading.current_thread().name)
        if identity.username == "mallory":
            raise ConnectionError("directory unreachable")
        if identity.username == "typo":
            return "tool:whoami"  # a str, not an iterable of str: refused
        return ["tool:whoami", "tool:read_doc", "doc:*"] if identity.has_role("staff") else []


def test_python_mapper_through_mcp(mock: MockTeleport) -> None:
    mapper = DirectoryMapper()
    srv = ServerThread(_server(verifier_for(mock, AUDIENCE), mock.proxy_url, mapper))
    try:
        staff = mock.mint(username="sam", roles=["staff"])
        assert _tools(srv.url, staff) == ["whoami", "read_doc"]
        assert _call(srv.url, staff, "read_doc", {"team": "x"}) == (False, "sam reads x")
        with pytest.raises(MCPError, match="tool:purge"):
            _call(srv.url, staff, "purge")
        assert _tools(srv.url, mock.mint(username="guest")) == []
        assert set(mapper.seen) == {"sam", "guest"}
        # Several requests with sam's token, one mapping: the core's authorize caches the
        # permissions with the verified token.
        assert mapper.seen.count("sam") == 1, mapper.seen
        assert threading.main_thread().name not in mapper.threads  # runs in worker threads
        # A mapper that raises, or returns the wrong type, refuses the request: 500 (the
        # server's fault, not the caller's) with the reason, never a crash and never a tool.
        for user in ("mallory", "typo"):
            token = mock.mint(username=user, roles=["staff"])
            status, reason = asyncio.run(_initialize(srv.url, token))
            assert (status, reason) == (500, "plugin_error")
    finally:
        srv.stop()


async def _initialize(url: str, token: str) -> tuple[int, str]:
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    headers = {"Teleport-Jwt-Assertion": token, "Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient(timeout=10) as http:
        r = await http.post(url, json=body, headers=headers)
    return r.status_code, r.headers.get("x-teleport-jwt-error", "")


def test_token_verifier_scopes_are_the_granted_permissions(mock: MockTeleport) -> None:
    v = verifier_for(mock, AUDIENCE)
    token = mock.mint(username="alice", roles=["mcp-reader"], traits={"teams": ["ops"]})
    at = asyncio.run(TeleportTokenVerifier(v, permissions=POLICY).verify_token(token))
    assert isinstance(at, TeleportAccessToken)
    assert at.scopes == ["doc:ops:read", "tool:my_permissions", "tool:read_*", "tool:whoami"]
    assert at.permissions == POLICY.permissions(at.identity)
    assert "permissions" not in at.model_dump()
    # Without a mapper: roles, as before, and no permissions.
    plain = asyncio.run(TeleportTokenVerifier(v).verify_token(token))
    assert isinstance(plain, TeleportAccessToken)
    assert plain.scopes == ["mcp-reader"] and plain.permissions is None
    failing = TeleportTokenVerifier(v, permissions=DirectoryMapper())
    assert asyncio.run(failing.verify_token(mock.mint(username="mallory"))) is None


def test_teleport_auth_arguments(mock: MockTeleport) -> None:
    v = verifier_for(mock, AUDIENCE)
    auth = teleport_auth(v, issuer_url=mock.proxy_url, permissions=POLICY)
    assert [type(m) for m in auth["middleware"]] == [PermissionMiddleware]
    assert auth["auth"].required_scopes is None
    assert "middleware" not in teleport_auth(v, issuer_url=mock.proxy_url)
    no_filter = teleport_auth(
        v, issuer_url=mock.proxy_url, permissions=POLICY, filter_components=False
    )
    assert "middleware" not in no_filter
    with pytest.raises(ValueError, match="required_roles"):
        teleport_auth(v, issuer_url=mock.proxy_url, permissions=POLICY, required_roles=["a"])
    with pytest.raises(ValueError, match="not both"):
        TeleportTokenVerifier(v, permissions=POLICY, scopes=lambda i: i.roles)
    with pytest.raises(TypeError, match="permission mapper"):
        teleport_auth(v, issuer_url=mock.proxy_url, permissions=object())  # type: ignore[arg-type]


def test_outside_a_request_nothing_is_permitted() -> None:
    assert current_permissions() is None
    with pytest.raises(PermissionDenied) as info:
        require_permission("x")
    assert info.value.permission == "x" and info.value.username is None

    @requires("x")
    def tool() -> str:
        return "ran"

    with pytest.raises(PermissionDenied, match="an unauthenticated caller does not have 'x'"):
        tool()
    assert tool.__name__ == "tool"
    # The middleware hides every tool when the request has no permissions.
    listed = ListToolsResult(
        tools=[Tool(name="a", input_schema={"type": "object"})], cache_scope="public"
    )
    filtered = PermissionMiddleware._filter("tools/list", listed)
    assert isinstance(filtered, ListToolsResult)
    assert filtered.tools == [] and filtered.cache_scope == "private"
    wire = {"tools": [{"name": "a"}, {"name": "b"}], "cacheScope": "public", "ttlMs": 5}
    assert PermissionMiddleware._filter("tools/list", wire) == {
        "tools": [],
        "cacheScope": "private",
        "ttlMs": 5,
    }
    with pytest.raises(MCPError, match="an unauthenticated caller"):
        PermissionMiddleware._check("tools/call", "a")
