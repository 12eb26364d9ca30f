"""Verifier.stats() and the Prometheus collector: exact counts after a scripted sequence."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.parser import text_string_to_metric_families

import teleport_jwt as tj
from teleport_jwt.prometheus import TeleportCollector
from teleport_jwt.testing import MockTeleport

AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"


def test_counters_follow_an_outage_a_recovery_refusals_and_a_rotation(
    fresh_mock: MockTeleport,
) -> None:
    m = fresh_mock
    v = tj.Verifier.teleport_jwt(
        m.proxy_url, m.cluster_name, AUDIENCE, ca_pem=m.ca_pem, cache_cooldown=1
    )
    token = m.mint()
    m.set_failure(500)  # the key endpoint is down from the start
    with pytest.raises(tj.KeySourceUnavailable):
        v.verify(token)
    s = v.stats()
    source = s["key_sources"][0]
    assert (source["fetches_ok"], source["fetches_failed"]) == (0, 1)
    assert source["last_fetch_error"].startswith("key_source_unavailable: ")
    assert source["serving_stale"] is False, "no keys at all: nothing stale to serve"
    assert abs(source["failing_since"] - time.time()) < 60
    assert s["refused"]["key_source_unavailable"] == 1

    m.set_failure(None)
    time.sleep(1.1)  # past the cooldown
    for _ in range(3):
        assert v.verify(token).username == "alice"
    with pytest.raises(tj.Expired):
        v.verify(m.mint(issued_at=int(time.time()) - 3600))
    with pytest.raises(tj.MissingToken):
        v.verify_headers({})
    m.rotate_now()
    assert v.verify(m.mint(username="bob")).username == "bob"  # a kid the cache lacks

    s = v.stats()
    assert s["accepted"] == 4
    refused = {code: n for code, n in s["refused"].items() if n}
    assert refused == {"key_source_unavailable": 1, "expired": 1, "missing_token": 1}
    assert set(s["refused"]) == set(tj.REASON_CODES)
    # Misses: the outage, the first good verify, the expired token, bob's; hits: 2.
    assert (s["token_cache_hits"], s["token_cache_misses"]) == (2, 4)
    source = s["key_sources"][0]
    assert (source["fetches_ok"], source["fetches_failed"]) == (2, 1)
    assert source["unknown_kid_refetches"] == 1
    assert source["failing_since"] is None and source["last_fetch_error"] is None
    assert {k["kid"] for k in source["keys"]} >= {m.signing_key_id()}
    assert source["fetch_duration_buckets"][-1] == 3
    assert len(source["fetch_duration_buckets"]) == len(tj._teleport_jwt.FETCH_BUCKETS) + 1


def test_a_prometheus_scrape_shows_the_documented_metrics(mock: MockTeleport) -> None:
    mock.set_failure(None)
    v = tj.Verifier.teleport_jwt(mock.proxy_url, mock.cluster_name, AUDIENCE, ca_pem=mock.ca_pem)
    v.verify(mock.mint())
    with pytest.raises(tj.Malformed):
        v.verify("garbage")
    registry = CollectorRegistry()
    registry.register(TeleportCollector(v))
    # A real scrape: prometheus_client's own /metrics server on loopback, read over HTTP.
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            scrape = r.read().decode()
    finally:
        server.shutdown()
        thread.join(10)
    families = {f.name: f for f in text_string_to_metric_families(scrape)}
    kinds = {name: f.type for name, f in families.items()}
    assert kinds == {
        "teleport_jwt_verifications": "counter",
        "teleport_jwt_token_cache_lookups": "counter",
        "teleport_jwt_key_fetches": "counter",
        "teleport_jwt_key_fetch_duration_seconds": "histogram",
        "teleport_jwt_unknown_kid_refetches": "counter",
        "teleport_jwt_keys": "gauge",
        "teleport_jwt_serving_stale_keys": "gauge",
        "teleport_jwt_keys_unavailable": "gauge",
        "teleport_jwt_stale_since_seconds": "gauge",
        "teleport_jwt_keys_age_seconds": "gauge",
        "teleport_jwt_permission_mappings": "counter",
        "teleport_jwt_policy_capped_rules": "counter",
        "teleport_jwt_permission_checks": "counter",
    }
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert samples[("teleport_jwt_verifications_total", (("outcome", "accepted"),))] == 1
    assert samples[("teleport_jwt_verifications_total", (("outcome", "malformed"),))] == 1
    entry = (("result", "ok"), ("trust_entry", mock.cluster_name))
    assert samples[("teleport_jwt_key_fetches_total", entry)] == 1
    # The same text the core prints for Rust users.
    assert 'teleport_jwt_verifications_total{outcome="accepted"} 1' in v.prometheus_text()


def test_key_events_report_an_outage_a_first_key_set_and_a_rotation(
    fresh_mock: MockTeleport,
) -> None:
    m = fresh_mock
    events: list[dict[str, object]] = []
    v = tj.Verifier.teleport_jwt(
        m.proxy_url,
        m.cluster_name,
        AUDIENCE,
        ca_pem=m.ca_pem,
        cache_cooldown=1,
        key_events=events.append,
    )
    m.set_failure(500)
    with pytest.raises(tj.KeySourceUnavailable):
        v.verify(m.mint())
    assert [e["event"] for e in events] == ["fetch_failed"]
    assert events[0]["code"] == "key_source_unavailable"
    assert events[0]["serving_stale"] is False
    events.clear()
    m.set_failure(None)
    time.sleep(1.1)
    first = m.signing_key_id()
    v.verify(m.mint())
    assert [e["event"] for e in events] == ["key_set_changed", "fetch_recovered"]
    assert first in events[0]["added"] and events[0]["removed"] == []  # type: ignore[operator]
    assert events[1] == {
        "event": "fetch_recovered",
        "trust_entry": m.cluster_name,
        "failed_attempts": 1,
    }
    events.clear()
    for _ in range(5):
        v.verify(m.mint())
    assert events == [], "nothing on the request path of cached keys"
    m.rotate_now()
    v.verify(m.mint(username="bob"))
    assert [e["event"] for e in events] == ["key_set_changed"]
    assert first in events[0]["removed"]


def test_key_events_must_be_callable(mock: MockTeleport) -> None:
    with pytest.raises(TypeError, match="key_events must be a callable"):
        tj.Verifier.teleport_jwt(
            mock.proxy_url,
            mock.cluster_name,
            AUDIENCE,
            key_events=42,  # type: ignore[arg-type]
        )


def _wait_for(what: str, done: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_key_events_report_stale_serving_and_max_stale(fresh_mock: MockTeleport) -> None:
    m = fresh_mock
    events: list[dict[str, object]] = []
    v = tj.Verifier.teleport_jwt(
        m.proxy_url,
        m.cluster_name,
        AUDIENCE,
        ca_pem=m.ca_pem,
        cache_cooldown=1,
        cache_max_age=1,
        cache_max_stale=2,
        key_events=events.append,
    )
    token = m.mint()
    v.verify(token)
    events.clear()
    m.set_failure(500)
    # The background refresher fails at 0.75 s (stale serving starts), then once a second
    # until the keys are past 2 s old.
    _wait_for("max_stale_exceeded", lambda: any(e["event"] == "max_stale_exceeded" for e in events))
    names = [e["event"] for e in events]
    assert names[:2] == ["fetch_failed", "serving_stale_started"]
    assert names[-2:] == ["serving_stale_ended", "max_stale_exceeded"]
    assert set(names[2:-2]) <= {"fetch_failed"}
    started, ended, exceeded = events[1], events[-2], events[-1]
    assert 0 < started["keys_age"] < 2 and started["remaining"] > 0  # type: ignore[operator]
    assert ended["stale_for"] >= 1  # type: ignore[operator]
    assert exceeded["max_stale"] == 2.0 and exceeded["keys_age"] >= 2  # type: ignore[operator]
    with pytest.raises(tj.KeySourceUnavailable):
        v.verify(token)
    source = v.stats()["key_sources"][0]
    assert source["serving_stale"] is False and source["keys_age_seconds"] >= 2

    m.set_failure(None)
    _wait_for("fetch_recovered", lambda: events[-1]["event"] == "fetch_recovered")
    assert v.verify(token).username == "alice"
    assert v.stats()["key_sources"][0]["keys_age_seconds"] < 2


def test_permission_decisions_are_counted(mock: MockTeleport) -> None:
    mock.set_failure(None)
    policy = tj.Policy.from_yaml(
        'rules:\n  - match: { roles_any: [access] }\n    grant: ["tool:read_*"]\n'
    )
    v = tj.Verifier.teleport_jwt(
        mock.proxy_url, mock.cluster_name, AUDIENCE, ca_pem=mock.ca_pem, permissions=policy
    )
    token = mock.mint()
    caller = v.authorize(token)
    assert caller.permissions.can_call_tool("read_file")
    assert not caller.permissions.allows("tool:write_file")
    assert v.authorize(token).permissions.filter_tools(["read_a", "drop_b"]) == ["read_a"]
    s = v.stats()
    assert s["permission_mappings"] == 1, "a repeated token reuses its permissions"
    assert (s["permission_checks_allowed"], s["permission_checks_denied"]) == (2, 2)
    assert s["policy_capped_rules"] == 0
    assert 'teleport_jwt_permission_checks_total{decision="denied"} 2' in v.prometheus_text()
