"""An MCP server protected by Teleport, with permissions from a policy file.

Each caller sees only the tools examples/policy/reports.yaml lets it call (`tool:<name>`), and
read_report checks a finer permission (`report:<name>:read`) inside the tool.

Run behind Teleport (app `uri: mcp+http://127.0.0.1:8000/mcp`, see the README):
    TELEPORT_PROXY_URL=https://teleport.example.com TELEPORT_CLUSTER=teleport.example.com \
    python examples/mcp_server.py
"""

from __future__ import annotations

import os
from pathlib import Path

import teleport_jwt as tj
from mcp.server.mcpserver import MCPServer
from teleport_jwt.mcp import (
    ASGIApp,
    TeleportHeaderMiddleware,
    current_permissions,
    require_identity,
    require_permission,
    teleport_auth,
)

AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"  # the Teleport app's `uri`, with Teleport's mcp+ prefix
POLICY = Path(__file__).parent / "policy" / "reports.yaml"
REPORTS = {"sales-q3": "Sales grew 12%.", "finance-q3": "Costs fell 3%."}


def build_app(verifier: tj.Verifier, proxy_url: str, *, expose_reason: bool = False) -> ASGIApp:
    policy = tj.Policy.from_file(POLICY)  # a mistake fails here, with its line and column
    auth = teleport_auth(verifier, issuer_url=proxy_url, permissions=policy)  # hides tools
    server = MCPServer("reports", **auth)

    @server.tool()
    def whoami() -> str:
        """Who is calling, as Teleport says."""
        me = require_identity()
        return f"{me.username} (roles: {', '.join(me.roles)})"

    @server.tool()
    def list_reports() -> str:
        """The reports the caller may read."""
        mine = current_permissions() or tj.Permissions()
        return ", ".join(r for r in REPORTS if mine.allows(f"report:{r}:read")) or "none"

    @server.tool()
    def read_report(name: str) -> str:
        """Read a report: needs the permission report:<name>:read."""
        require_permission(f"report:{name}:read")
        return REPORTS.get(name, "no such report")

    @server.tool()
    def delete_report(name: str) -> str:
        """Delete a report (only callers granted tool:delete_report even see this tool)."""
        return f"deleted {name}" if REPORTS.pop(name, None) else "no such report"

    # expose_reason=True puts the reason code of a refused token in the 401 (the demo does);
    # off by default, the full reason is in the `teleport_jwt.mcp` log either way.
    app = server.streamable_http_app()
    return TeleportHeaderMiddleware(app, verifier, expose_reason=expose_reason)


if __name__ == "__main__":
    import uvicorn

    proxy = os.environ["TELEPORT_PROXY_URL"]
    verifier = tj.Verifier.teleport_jwt(
        proxy_url=proxy, cluster_name=os.environ["TELEPORT_CLUSTER"], audience=AUDIENCE
    )
    uvicorn.run(build_app(verifier, proxy), host="127.0.0.1", port=8000)
