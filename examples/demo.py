"""`make demo`: Teleport-protected MCP server end to end on loopback, no cluster needed.

Starts a MockTeleport (the Rust core's fake proxy), the example server of mcp_server.py with
its policy (examples/policy/reports.yaml), then the official MCP SDK client as two users with
different roles (the token in Teleport-Jwt-Assertion, as Teleport sends it): each lists its
tools and calls some, allowed and denied. Then three bad tokens. Exits 1 if anything goes
differently from what is printed as expected.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
import sys
import threading
import time
from pathlib import Path

import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

sys.path.insert(0, str(Path(__file__).parent))
from teleport_jwt.testing import MockTeleport, verifier_for

from mcp_server import AUDIENCE, POLICY, build_app

failures: list[str] = []


def check(label: str, got: str, want: str, *, exact: bool = False) -> None:
    ok = got == want if exact else want in got
    print(f"  {label:<34} {'->'} {got}{'' if ok else f'   <-- EXPECTED {want!r}'}")
    if not ok:
        failures.append(label)


def serve(app: object) -> tuple[uvicorn.Server, threading.Thread, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise SystemExit("the MCP server did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}/mcp"


async def call_as(
    url: str, token: str, tools: str, calls: list[tuple[str, dict[str, str], str]]
) -> None:
    """List the tools as this user (exactly `tools`), then make each call."""
    http = httpx2.AsyncClient(headers={"Teleport-Jwt-Assertion": token}, timeout=10)
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        listed = ", ".join(t.name for t in (await client.list_tools()).tools)
        check("tools/list", listed, tools, exact=True)
        for tool, args, want in calls:
            try:
                result = await client.call_tool(tool, args)
            except MCPError as e:  # a tool this caller may not see: refused by the server
                shown = f"refused: {e.message}"
            else:
                text = " ".join(getattr(c, "text", "") for c in result.content)
                shown = ("denied: " if result.is_error else "ok: ") + text
            arg = ", ".join(args.values())
            check(f"{tool}({arg})", shown, want)


async def rejected(url: str, label: str, token: str, want: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    headers = {"Teleport-Jwt-Assertion": token, "Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient(timeout=10) as http:
        r = await http.post(url, json=body, headers=headers)
    reason = r.headers.get("x-teleport-jwt-error", "(no reason)")
    check(label, f"HTTP {r.status_code} {reason}", f"HTTP 401 {want}")


def tamper(token: str) -> str:
    """Give the token's holder the mcp-admin role, keeping the signature."""
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = [*claims["roles"], "mcp-admin"]
    raw = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{raw}.{sig}"


async def main() -> int:
    with MockTeleport() as teleport:
        verifier = verifier_for(teleport, AUDIENCE)
        server, thread, url = serve(build_app(verifier, teleport.proxy_url, expose_reason=True))
        logging.getLogger().setLevel(logging.WARNING)  # the SDK logs every request at INFO
        print(f"MockTeleport  {teleport.proxy_url}  (cluster {teleport.cluster_name}, RS256)")
        print(f"MCP server    {url}  (teleport_jwt.mcp, audience {AUDIENCE})")
        print(f"policy        examples/policy/{POLICY.name}\n")
        try:
            alice = teleport.mint(
                username="alice",
                roles=["access", "mcp-reader"],
                traits={"teams": ["sales"]},
                audience=AUDIENCE,
            )
            print("alice  roles: access, mcp-reader  traits: teams=sales")
            await call_as(
                url,
                alice,
                "whoami, list_reports, read_report",
                [
                    ("whoami", {}, "ok: alice (roles: access, mcp-reader)"),
                    ("list_reports", {}, "ok: sales-q3"),
                    ("read_report", {"name": "sales-q3"}, "ok: Sales grew 12%."),
                    (
                        "read_report",
                        {"name": "finance-q3"},
                        "denied: Error executing tool read_report: permission denied: "
                        "alice does not have 'report:finance-q3:read'",
                    ),
                    (
                        "delete_report",
                        {"name": "sales-q3"},
                        "refused: Unknown tool: delete_report "
                        "(permission 'tool:delete_report' is not granted to alice)",
                    ),
                ],
            )
            bob = teleport.mint(username="bob", roles=["access", "mcp-admin"], audience=AUDIENCE)
            print("bob    roles: access, mcp-admin")
            await call_as(
                url,
                bob,
                "whoami, list_reports, read_report, delete_report",
                [
                    ("list_reports", {}, "ok: sales-q3, finance-q3"),
                    ("read_report", {"name": "finance-q3"}, "ok: Costs fell 3%."),
                    ("delete_report", {"name": "sales-q3"}, "ok: deleted sales-q3"),
                    ("list_reports", {}, "ok: finance-q3"),
                ],
            )
            print("\nrefused before any tool runs:")
            await rejected(url, "alice's token, roles edited", tamper(alice), "bad_signature")
            expired = teleport.mint(
                username="alice", audience=AUDIENCE, issued_at=int(time.time()) - 3600
            )
            await rejected(url, "token expired an hour ago", expired, "expired")
            other = teleport.mint(username="alice", audience="mcp+http://127.0.0.1:9999/other")
            await rejected(url, "token for another app", other, "audience_mismatch")
        finally:
            server.should_exit = True
            thread.join(10)
        fetches = teleport.request_count_for("/.well-known/jwks.json")
        print(f"\nkey fetches from MockTeleport: {fetches}")
        if fetches != 1:
            failures.append("exactly one key fetch")
        stats = verifier.stats()
        refused = {code: n for code, n in stats["refused"].items() if n}
        source = stats["key_sources"][0]
        print(
            f"verifier.stats(): {stats['accepted']} verified, refused {refused}, "
            f"token cache {stats['token_cache_hits']} hits / {stats['token_cache_misses']} misses, "
            f"key fetches {source['fetches_ok']} ok / {source['fetches_failed']} failed, "
            f"permission checks {stats['permission_checks_allowed']} allowed / "
            f"{stats['permission_checks_denied']} denied"
        )
        if not {"bad_signature", "expired", "audience_mismatch"} <= set(refused):
            failures.append("the refusals counted by reason")
        if not stats["permission_checks_denied"]:
            failures.append("the hidden tools counted as denied permission checks")
    if failures:
        print(f"\nFAILED: {len(failures)} check(s) went differently: {', '.join(failures)}")
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
