"""What the three web examples share: the reports, the policy, and a verifier from the
environment (TELEPORT_PROXY_URL, TELEPORT_CLUSTER; the Teleport app's `uri` is the audience)."""

from __future__ import annotations

import os
from pathlib import Path

import teleport_jwt as tj

AUDIENCE = "http://127.0.0.1:8000"  # the Teleport app's `uri`, exactly
POLICY = Path(__file__).parent / "policy" / "reports.yaml"  # report:<name>:read, report:*
REPORTS = {"sales-q3": "Sales grew 12%.", "finance-q3": "Costs fell 3%."}


def verifier_from_env() -> tj.Verifier:
    """The verifier of a deployment behind Teleport, with the example policy."""
    return tj.Verifier.teleport_jwt(
        proxy_url=os.environ["TELEPORT_PROXY_URL"],
        cluster_name=os.environ["TELEPORT_CLUSTER"],
        audience=AUDIENCE,
        permissions=tj.Policy.from_file(POLICY),
    )
