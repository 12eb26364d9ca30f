"""An MCP server protected by Teleport: three tools, the caller's Teleport identity in each.

Run behind Teleport (app `uri: http://127.0.0.1:8000/mcp`, see the README):
    TELEPORT_PROXY_URL=https://teleport.example.com TELEPORT_CLUSTER=teleport.example.com \
    python examples/mcp_server.py
"""

from __future__ import annotations

import os

import teleport_jwt as tj
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from teleport_jwt.mcp import ASGIApp, TeleportHeaderMiddleware, require_identity, teleport_auth

AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"  # the Teleport app's `uri`, with Teleport's mcp+ prefix
REPORTS = {"q3-sales": "Sales grew 12%.", "q3-costs": "Costs fell 3%."}


def build_app(verifier: tj.Verifier, proxy_url: str) -> ASGIApp:
    server = MCPServer("reports", **teleport_auth(verifier, issuer_url=proxy_url))

    @server.tool()
    def whoami() -> str:
        """Who is calling, as Teleport says."""
        me = require_identity()
        return f"{me.username} (roles: {', '.join(me.roles)})"

    @server.tool()
    def read_report(name: str) -> str:
        """Read a report: needs the mcp-reader or mcp-admin role."""
        me = require_identity()
        if not (me.has_role("mcp-reader") or me.has_role("mcp-admin")):
            raise ToolError(f"{me.username} may not read reports")
        return REPORTS.get(name, "no such report")

    @server.tool()
    def delete_report(name: str) -> str:
        """Delete a report: needs the mcp-admin role."""
        me = require_identity()
        if not me.has_role("mcp-admin"):
            raise ToolError(f"{me.username} may not delete reports (needs mcp-admin)")
        return f"deleted {name}" if REPORTS.pop(name, None) else "no such report"

    return TeleportHeaderMiddleware(server.streamable_http_app(), verifier)


if __name__ == "__main__":
    import uvicorn

    proxy = os.environ["TELEPORT_PROXY_URL"]
    verifier = tj.Verifier.teleport_jwt(
        proxy_url=proxy, cluster_name=os.environ["TELEPORT_CLUSTER"], audience=AUDIENCE
    )
    uvicorn.run(build_app(verifier, proxy), host="127.0.0.1", port=8000)
