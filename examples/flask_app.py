"""A Flask app behind Teleport: every request verified by the extension, permissions from a
policy.

Run behind Teleport (app `uri: http://127.0.0.1:8000`):
    TELEPORT_PROXY_URL=https://teleport.example.com TELEPORT_CLUSTER=teleport.example.com \
    python examples/flask_app.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import teleport_jwt as tj
from flask import Flask, abort
from teleport_jwt.flask import TeleportJWT, require_caller

sys.path.insert(0, str(Path(__file__).parent))
from web_common import REPORTS, verifier_from_env


def build_app(verifier: tj.Verifier) -> Flask:
    app = Flask(__name__)
    teleport = TeleportJWT(app, verifier)  # every request: verified caller, or 401/503/500

    @app.get("/whoami")
    def whoami() -> dict[str, object]:
        caller = require_caller()
        return {"user": caller.username, "roles": caller.identity.roles}

    @app.get("/reports/<name>")
    def read_report(name: str) -> dict[str, str]:
        caller = require_caller()
        if not caller.allows(f"report:{name}:read"):
            abort(403, f"{caller.username} may not read {name}")
        return {"name": name, "text": REPORTS.get(name, "no such report")}

    @app.delete("/reports/<name>")
    @teleport.requires("report:delete")  # 403 insufficient_scope without it
    def delete_report(name: str) -> dict[str, str]:
        return {"deleted": name}

    return app


if __name__ == "__main__":
    build_app(verifier_from_env()).run(host="127.0.0.1", port=8000)
