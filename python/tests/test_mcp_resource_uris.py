# mypy: disable-error-code="untyped-decorator"
"""Finding 02 (issue 21): a resource read is checked on the resource the SDK serves.

Both SDKs percent-decode template parameters, and FastMCP drops a ``#fragment`` and a
``?query`` before matching, so a check on the URI as written let a caller read past a deny
(``reports://%70ayroll`` under ``deny: resource:reports://payroll``) or out of a glob grant
(``files://sales-%2F..%2Ffinance-q3`` under ``resource:files://sales-*``). Each server is
driven by its own official client over real HTTP (uvicorn on 127.0.0.1) against the mock
Teleport; the rule itself is the core's (``teleport_jwt::policy::resource_uri``, table-tested
in Rust).
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Callable, Iterator
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
from teleport_jwt import _teleport_jwt as native
from teleport_jwt.testing import MockTeleport, verifier_for

POLICY = tj.Policy.from_yaml("""
rules:
  - name: contractors
    match: {roles_any: [contractor]}
    grant: ["resource:reports://*", "resource:files://sales-*"]
  - name: nobody-reads-payroll
    match: {}
    deny: ["resource:reports://payroll"]
""")

# What each handler was given: a refused read never reaches one.
SERVED: list[str] = []


def _components(server: Any) -> None:
    @server.resource("reports://{name}")
    def report(name: str) -> str:
        SERVED.append(f"reports {name}")
        return f"report {name}"

    @server.resource("files://{name}")
    def file(name: str) -> str:
        SERVED.append(f"files {name}")
        return f"file {name}"


def mcp_sdk_app(verifier: tj.Verifier, proxy_url: str) -> Any:
    server = MCPServer(
        "uris", **tj_mcp.teleport_auth(verifier, issuer_url=proxy_url, permissions=POLICY)
    )
    _components(server)
    return tj_mcp.TeleportHeaderMiddleware(server.streamable_http_app(), verifier)


def fastmcp_app(verifier: tj.Verifier, proxy_url: str) -> Any:
    server = FastMCP("uris", **tj_fastmcp.teleport_auth(verifier, permissions=POLICY))
    _components(server)
    return server.http_app(path="/mcp")


APPS: dict[str, Callable[[tj.Verifier, str], Any]] = {"mcp": mcp_sdk_app, "fastmcp": fastmcp_app}


def _text(items: Any) -> str:
    return " ".join(str(getattr(i, "text", "")) for i in items)


async def _read_mcp(url: str, token: str, uris: list[str]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    http = httpx2.AsyncClient(headers={"Teleport-Jwt-Assertion": token}, timeout=10)
    async with http, MCPClient(streamable_http_client(url, http_client=http)) as client:
        for uri in uris:
            try:
                out[uri] = ("ok", _text((await client.read_resource(uri)).contents))
            except MCPError as e:
                out[uri] = ("refused", e.message)
    return out


async def _read_fastmcp(url: str, token: str, uris: list[str]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    transport = StreamableHttpTransport(url, headers={"Teleport-Jwt-Assertion": token})
    async with FastMCPClient(transport) as client:
        for uri in uris:
            try:
                out[uri] = ("ok", _text(await client.read_resource(uri)))
            except MCPError as e:
                out[uri] = ("refused", e.message)
    return out


READERS = {"mcp": _read_mcp, "fastmcp": _read_fastmcp}


@pytest.fixture(scope="module", params=sorted(APPS))
def served(request: pytest.FixtureRequest, mock: MockTeleport) -> Iterator[tuple[str, str]]:
    kind: str = request.param
    srv = ServerThread(APPS[kind](verifier_for(mock, AUDIENCE), mock.proxy_url))
    try:
        yield kind, srv.url
    finally:
        srv.stop()


def _read(served: tuple[str, str], mock: MockTeleport, *uris: str) -> dict[str, tuple[str, str]]:
    kind, url = served
    token = mock.mint(username="carol", roles=["contractor"])
    SERVED.clear()
    return asyncio.run(READERS[kind](url, token, list(uris)))


def test_finding_02_an_encoded_name_does_not_escape_a_deny(
    served: tuple[str, str], mock: MockTeleport
) -> None:
    out = _read(
        served,
        mock,
        "reports://payroll",
        "reports://%70ayroll",
        "reports://payrol%6C",
        "REPORTS://payroll",
        "reports://sales",
        "reports://%73ales",
    )
    for uri in ("reports://payroll", "reports://%70ayroll", "reports://payrol%6C"):
        status, message = out[uri]
        assert status == "refused", (uri, out[uri])
        # Answered as an unknown resource (each SDK's wording).
        assert "Unknown resource" in message or "Resource not found" in message, message
        if served[0] == "mcp":  # the mcp integration names the permission it checked
            assert "'resource:reports://payroll' is not granted to carol" in message, message
    assert out["REPORTS://payroll"][0] == "refused"
    # The same decoding lets an allowed resource be read however it is spelled.
    assert out["reports://sales"] == ("ok", "report sales")
    assert out["reports://%73ales"] == ("ok", "report sales")
    assert "reports payroll" not in SERVED


@pytest.mark.parametrize(
    ("uri", "code"),
    [
        ("reports://payroll#x", "fragment"),
        ("reports://payroll?x=1", "query"),
        ("files://sales-%2F..%2Ffinance-q3", "encoded_delimiter"),
        ("files://sales-q3%23x", "encoded_delimiter"),
        ("files://sales-%2570ayroll", "double_encoding"),
        ("files://sales-%5C..%5Cfinance-q3", "backslash"),
        ("files://sales-q3%C3", "invalid_utf8"),
        ("files://sales-%ZZ", "invalid_escape"),
        ("files://sales-%2A", "wildcard"),
    ],
)
def test_finding_02_a_uri_no_permission_can_name_is_refused_with_its_reason(
    served: tuple[str, str], mock: MockTeleport, uri: str, code: str
) -> None:
    out = _read(served, mock, uri, "files://sales-q3")
    status, message = out[uri]
    assert status == "refused", (uri, out[uri])
    assert message.startswith("Unknown resource"), message
    assert f"resource URI refused ({code}): " in message, message
    assert SERVED == ["files sales-q3"], "a refused read never reaches the handler"
    assert out["files://sales-q3"] == ("ok", "file sales-q3")


def test_finding_02_an_encoded_slash_does_not_escape_a_glob_grant(
    served: tuple[str, str], mock: MockTeleport
) -> None:
    out = _read(served, mock, "files://sales-%2F..%2Ffinance-q3", "files://finance-q3")
    assert out["files://sales-%2F..%2Ffinance-q3"][0] == "refused"
    assert out["files://finance-q3"][0] == "refused"
    assert SERVED == []


def test_finding_02_the_permission_names_the_decoded_uri() -> None:
    assert tj_mcp.resource_read_permission("reports://%70ayroll") == "resource:reports://payroll"
    assert tj_fastmcp.resource_read_permission("Reports://a%20b") == "resource:reports://a b"
    assert tj_mcp.resource_permission("reports://{name}") == "resource:reports://{name}"
    with pytest.raises(tj_mcp.ResourceUriRefused) as e:
        tj_fastmcp.resource_read_permission("files://sales-%2F..%2Ffinance-q3")
    assert (e.value.code, e.value.uri) == ("encoded_delimiter", "files://sales-%2F..%2Ffinance-q3")
    assert str(e.value).startswith("resource URI refused (encoded_delimiter): ")
    again = pickle.loads(pickle.dumps(e.value))
    assert (again.code, again.uri, again.message) == (e.value.code, e.value.uri, e.value.message)
    assert tj_mcp.ResourceUriRefused is tj_fastmcp.ResourceUriRefused
    codes = [code for code, _ in native.RESOURCE_URI_REFUSALS]
    assert {"fragment", "query", "encoded_delimiter", "dot_segment"} <= set(codes)
    assert len(set(codes)) == len(codes)
