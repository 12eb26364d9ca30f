"""The core's log records reach Python logging under teleport_jwt.*, levels kept, no tokens."""

from __future__ import annotations

import json
import logging

import pytest

import teleport_jwt as tj
from teleport_jwt.testing import MockTeleport, verifier_for

AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"


def _records(caplog: pytest.LogCaptureFixture, prefix: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(prefix)]


def test_key_fetch_failure_is_a_warning_of_teleport_jwt_keys_cache(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="teleport_jwt")
    with MockTeleport() as teleport:
        teleport.set_failure(("status", 500))
        token = teleport.mint()
        with pytest.raises(tj.KeySourceUnavailable):
            verifier_for(teleport, AUDIENCE).verify(token)
    records = _records(caplog, "teleport_jwt.keys")
    assert records, [r.name for r in caplog.records]
    record = records[0]
    assert (record.name, record.levelno) == ("teleport_jwt.keys.cache", logging.WARNING)
    assert "fetching keys failed" in record.getMessage()
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert token not in everything and token.rsplit(".", 1)[1] not in everything


def test_skipped_jwks_key_is_logged_and_levels_are_honoured(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with MockTeleport() as teleport:
        jwks = json.loads(teleport.jwks_json())
    jwks["keys"].append({"kty": "RSA", "kid": "broken", "n": "AQAB"})  # no "e": unusable
    entry = tj.TrustEntry(issuer="teleport.example.com", audience=AUDIENCE, jwks=jwks)
    # The level is asked on every record: ERROR on teleport_jwt silences the warning.
    caplog.set_level(logging.ERROR, logger="teleport_jwt")
    tj.Verifier.from_entries([entry]).warm_up()
    assert _records(caplog, "teleport_jwt") == []
    caplog.set_level(logging.DEBUG, logger="teleport_jwt")
    tj.Verifier.from_entries([entry]).warm_up()
    records = _records(caplog, "teleport_jwt.keys.set")
    assert records and all(r.levelno == logging.WARNING for r in records)
    assert "ignoring JWKS key" in records[0].getMessage() and "broken" in records[0].getMessage()


def test_capped_policy_rule_warns_under_teleport_jwt_policy(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="teleport_jwt")
    policy = tj.Policy.from_yaml("""
rules:
  - name: huge
    match: {}
    grant: ["x:{{traits.a}}:{{traits.b}}"]
""")
    many = [f"v{i}" for i in range(40)]
    identity = tj.Identity.for_testing("alice", traits={"a": many, "b": many})
    assert policy.permissions(identity).capped_rules == [0]
    (record,) = _records(caplog, "teleport_jwt.policy")
    assert record.levelno == logging.WARNING and "grants none" in record.getMessage()
