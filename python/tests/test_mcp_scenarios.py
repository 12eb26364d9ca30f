# mypy: disable-error-code="untyped-decorator"
"""One scenario suite, two servers: an ``mcp`` SDK ``MCPServer`` (teleport_jwt.mcp) and a
FastMCP server (teleport_jwt.fastmcp), each protected in two lines, each driven by its own
official client over real HTTP (uvicorn on 127.0.0.1) against the mock Teleport.

Both must agree: who sees which tools, resources, resource templates and prompts; allowed,
denied (inside a visible tool) and hidden calls, reads and gets, a hidden one answered exactly
like a nonexistent one; a token expired within the leeway accepted; expired, tampered,
wrong-audience and missing tokens refused with the documented statuses; a key endpoint down
from the start answered 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from conftest import AUDIENCE, ServerThread
from fastmcp import Client as FastMCPClient
from fastmcp import FastMCP
from fastmcp.client.transports import StreamableHttpTransport
from mcp import Client as MCPClient
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError

import teleport_jwt as tj
import teleport_jwt.fastmcp as tj_fastmcp
import teleport_jwt.mcp as tj_mcp
from teleport_jwt.testing import MockTeleport, verifier_for

POLICY = tj.Policy.from_yaml("""
rules:
  - name: everyone
    match: {}
    grant: ["tool:whoami", "resource:docs://public", "prompt:summarize"]
  - name: readers
    match: {roles_any: [reader]}
    grant: ["tool:read_report", "resource:reports://*", "report:{{traits.teams}}-*:read"]
  - name: admins
    match: {roles_any: [admin]}
    grant: ["tool:*", "resource:*", "prompt:*", "report:*"]
""")
REPORTS = {"sales-q3": "Sales grew 12%.", "finance-q3": "Costs fell 3%."}


def _components(server: Any, require_identity: Any, require_permission: Any) -> None:
    """The same tools, resources and prompts on either server (their decorators agree)."""

    @server.tool()
    def whoami() -> str:
        return require_identity().username  # type: ignore[no-any-return]

    @server.tool()
    def read_report(name: str) -> str:
        require_permission(f"report:{name}:read")
        return REPORTS[name]

    @server.tool()
    def delete_report(name: str) -> str:
        return f"deleted {name}"

    @server.resource("docs://public")
    def public_doc() -> str:
        return "public doc"

    @server.resource("docs://secret")
    def secret_doc() -> str:
        return "secret doc"

    @server.resource("reports://{name}")
    def report(name: str) -> str:
        return f"report {name}"

    @server.prompt()
    def summarize() -> str:
        return "Summarize the reports."

    @server.prompt()
    def admin_brief() -> str:
        return "Brief the admins."


def mcp_sdk_app(verifier: tj.Verifier, proxy_url: str) -> Any:
    auth = tj_mcp.teleport_auth(verifier, issuer_url=proxy_url, permissions=POLICY)
    server = MCPServer("scenarios", **auth)
    _components(server, tj_mcp.require_identity, tj_mcp.require_permission)
    return tj_mcp.TeleportHeaderMiddleware(server.streamable_http_app(), verifier)


def fastmcp_app(verifier: tj.Verifier, proxy_url: str) -> Any:
    server = FastMCP("scenarios", **tj_fastmcp.teleport_auth(verifier, permissions=POLICY))
    _components(server, tj_fastmcp.require_identity, tj_fastmcp.require_permission)
    return server.http_app(path="/mcp")


APPS: dict[str, Callable[[tj.Verifier, str], Any]] = {"mcp": mcp_sdk_app, "fastmcp": fastmcp_app}

# What the official clients give back, in one shape: ("ok", text), ("error", text) for a
# tool's error result, ("refused", message) for a protocol error.
Outcome = tuple[str, str]


@dataclass
class Seen:
    tools: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    outcomes: dict[str, Outcome] = field(default_factory=dict)


Op = tuple[str, str, dict[str, str]]  # (kind: call/read/get, target, arguments)


def _text(items: Any) -> str:
    return " ".join(str(getattr(i, "text", "")) for i in items)


async def _run_mcp(url: str, token: str, ops: list[Op]) -> Seen:
    seen = Seen()
    http = httpx2.AsyncClient(headers={"Teleport-Jwt-Assertion": token}, timeout=10)
    async with http, MCPClient(streamable_http_client(url, http_client=http)) as client:
        seen.tools = sorted(t.name for t in (await client.list_tools()).tools)
        seen.resources = sorted(str(r.uri) for r in (await client.list_resources()).resources)
        templates = (await client.list_resource_templates()).resource_templates
        seen.templates = sorted(t.uri_template for t in templates)
        seen.prompts = sorted(p.name for p in (await client.list_prompts()).prompts)
        for kind, target, args in ops:
            try:
                if kind == "call":
                    r = await client.call_tool(target, args)
                    outcome = ("error" if r.is_error else "ok", _text(r.content))
                elif kind == "read":
                    outcome = ("ok", _text((await client.read_resource(target)).contents))
                else:
                    messages = (await client.get_prompt(target)).messages
                    outcome = ("ok", _text(m.content for m in messages))
            except MCPError as e:
                outcome = ("refused", e.message)
            seen.outcomes[" ".join([kind, target, *args.values()])] = outcome
    return seen


async def _run_fastmcp(url: str, token: str, ops: list[Op]) -> Seen:
    seen = Seen()
    transport = StreamableHttpTransport(url, headers={"Teleport-Jwt-Assertion": token})
    async with FastMCPClient(transport) as client:
        seen.tools = sorted(t.name for t in await client.list_tools())
        seen.resources = sorted(str(r.uri) for r in await client.list_resources())
        seen.templates = sorted(t.uri_template for t in await client.list_resource_templates())
        seen.prompts = sorted(p.name for p in await client.list_prompts())
        for kind, target, args in ops:
            try:
                if kind == "call":
                    r = await client.call_tool(target, args, raise_on_error=False)
                    outcome = ("error" if r.is_error else "ok", _text(r.content))
                elif kind == "read":
                    outcome = ("ok", _text(await client.read_resource(target)))
                else:
                    messages = (await client.get_prompt(target)).messages
                    outcome = ("ok", _text(m.content for m in messages))
            except MCPError as e:
                outcome = ("refused", e.message)
            seen.outcomes[" ".join([kind, target, *args.values()])] = outcome
    return seen


CLIENTS: dict[str, Callable[[str, str, list[Op]], Coroutine[Any, Any, Seen]]] = {
    "mcp": _run_mcp,
    "fastmcp": _run_fastmcp,
}


@pytest.fixture(scope="module", params=sorted(APPS))
def served(request: pytest.FixtureRequest, mock: MockTeleport) -> Iterator[tuple[str, str]]:
    kind: str = request.param
    srv = ServerThread(APPS[kind](verifier_for(mock, AUDIENCE), mock.proxy_url))
    try:
        yield kind, srv.url
    finally:
        srv.stop()


def _session(kind: str, url: str, token: str, ops: list[Op] | None = None) -> Seen:
    return asyncio.run(CLIENTS[kind](url, token, ops or []))


def _refused_like_unknown(seen: Seen, kind: str, hidden: str, unknown: str) -> None:
    """A hidden target is refused, and answered exactly as a nonexistent one."""
    got = seen.outcomes[f"{kind} {hidden}"]
    text = got[1].lower()
    assert got[0] in ("refused", "error") and ("unknown" in text or "not found" in text), got
    nonexistent = seen.outcomes[f"{kind} {unknown}"]
    assert (got[0], got[1].replace(hidden, "X")) == (
        nonexistent[0],
        nonexistent[1].replace(unknown, "X"),
    )


def test_each_caller_sees_only_what_it_is_granted(
    served: tuple[str, str], mock: MockTeleport
) -> None:
    kind, url = served
    alice = _session(kind, url, mock.mint(username="alice", roles=["reader"]))
    assert alice.tools == ["read_report", "whoami"]
    assert alice.resources == ["docs://public"]
    assert alice.templates == ["reports://{name}"]
    assert alice.prompts == ["summarize"]
    bob = _session(kind, url, mock.mint(username="bob", roles=["admin"]))
    assert bob.tools == ["delete_report", "read_report", "whoami"]
    assert bob.resources == ["docs://public", "docs://secret"]
    assert bob.templates == ["reports://{name}"]
    assert bob.prompts == ["admin_brief", "summarize"]
    eve = _session(kind, url, mock.mint(username="eve", roles=[]))
    assert (eve.tools, eve.resources, eve.templates) == (["whoami"], ["docs://public"], [])
    assert eve.prompts == ["summarize"]


def test_allowed_denied_and_hidden(served: tuple[str, str], mock: MockTeleport) -> None:
    kind, url = served
    token = mock.mint(username="alice", roles=["reader"], traits={"teams": ["sales"]})
    ops: list[Op] = [
        ("call", "whoami", {}),
        ("call", "read_report", {"name": "sales-q3"}),
        ("call", "read_report", {"name": "finance-q3"}),
        ("call", "delete_report", {}),
        ("call", "no_such_tool", {}),
        ("read", "docs://public", {}),
        ("read", "reports://sales-q3", {}),
        ("read", "docs://secret", {}),
        ("read", "docs://no-such", {}),
        ("get", "summarize", {}),
        ("get", "admin_brief", {}),
        ("get", "no_such_prompt", {}),
    ]
    seen = _session(kind, url, token, ops)
    out = seen.outcomes
    assert out["call whoami"] == ("ok", "alice")
    assert out["call read_report sales-q3"] == ("ok", REPORTS["sales-q3"])
    assert out["read docs://public"] == ("ok", "public doc")
    assert out["read reports://sales-q3"] == ("ok", "report sales-q3")
    assert out["get summarize"] == ("ok", "Summarize the reports.")
    status, text = out["call read_report finance-q3"]
    assert status == "error"
    assert text.endswith("permission denied: alice does not have 'report:finance-q3:read'")
    _refused_like_unknown(seen, "call", "delete_report", "no_such_tool")
    _refused_like_unknown(seen, "read", "docs://secret", "docs://no-such")
    _refused_like_unknown(seen, "get", "admin_brief", "no_such_prompt")


def test_hidden_template_reads_are_refused(served: tuple[str, str], mock: MockTeleport) -> None:
    kind, url = served
    ops: list[Op] = [("read", "reports://sales-q3", {}), ("read", "nothing://here", {})]
    eve = _session(kind, url, mock.mint(username="eve"), ops)
    _refused_like_unknown(eve, "read", "reports://sales-q3", "nothing://here")
    ops = [("read", "reports://sales-q3", {}), ("call", "delete_report", {"name": "x"})]
    admin = _session(kind, url, mock.mint(username="bob", roles=["admin"]), ops)
    assert admin.outcomes == {
        "read reports://sales-q3": ("ok", "report sales-q3"),
        "call delete_report x": ("ok", "deleted x"),
    }


def test_token_expired_within_the_leeway_is_accepted(
    served: tuple[str, str], mock: MockTeleport
) -> None:
    kind, url = served
    late = mock.mint(username="late", issued_at=int(time.time()) - 330, ttl=300)  # exp 30 s ago
    seen = _session(kind, url, late, [("call", "whoami", {})])
    assert seen.outcomes["call whoami"] == ("ok", "late")


INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def _post(url: str, headers: dict[str, str]) -> httpx2.Response:
    response: httpx2.Response = httpx2.post(url, json=INIT, headers={**ACCEPT, **headers})
    return response


@pytest.mark.parametrize("case", ["missing", "expired", "tampered", "other_audience"])
def test_refused_tokens_get_the_documented_status(
    served: tuple[str, str], mock: MockTeleport, case: str
) -> None:
    _, url = served
    good = mock.mint()
    token = {
        "missing": None,
        "expired": mock.mint(issued_at=int(time.time()) - 3600),
        "tampered": good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB"),
        "other_audience": mock.mint(audience="mcp+http://127.0.0.1:9999/other"),
    }[case]
    r = _post(url, {"Teleport-Jwt-Assertion": token} if token else {})
    assert r.status_code == 401
    challenge = r.headers["www-authenticate"]
    if case == "missing":
        assert challenge == "Bearer"
        assert r.json()["error"] == "unauthorized"
    else:
        assert challenge == 'Bearer error="invalid_token"'
        assert r.json() == {"error": "invalid_token", "error_description": "Teleport token refused"}
    assert "x-teleport-jwt-error" not in r.headers  # the reason is not exposed by default


@pytest.mark.parametrize("kind", sorted(APPS))
def test_key_endpoint_down_from_the_start_is_503(kind: str) -> None:
    with MockTeleport() as teleport:
        teleport.set_failure("refuse")
        srv = ServerThread(APPS[kind](verifier_for(teleport, AUDIENCE), teleport.proxy_url))
        try:
            r = _post(srv.url, {"Teleport-Jwt-Assertion": teleport.mint()})
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"] == "30"
            assert r.json()["error"] == "temporarily_unavailable"
            assert "www-authenticate" not in r.headers
        finally:
            srv.stop()
