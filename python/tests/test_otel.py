"""teleport_jwt.otel: the verifier's metrics read by the OpenTelemetry SDK's own reader."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

import teleport_jwt as tj
from teleport_jwt.otel import instrument
from teleport_jwt.testing import MockTeleport

AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"


def _points(reader: InMemoryMetricReader) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    data = reader.get_metrics_data()
    assert data is not None
    out = {}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            assert sm.scope.name == "teleport_jwt"
            for metric in sm.metrics:
                for point in metric.data.data_points:
                    attrs = tuple(sorted((k, str(v)) for k, v in (point.attributes or {}).items()))
                    out[(metric.name, attrs)] = point.value  # type: ignore[union-attr]
    return out


def test_the_sdk_reads_counters_gauges_and_the_fetch_histogram(mock: MockTeleport) -> None:
    mock.set_failure(None)
    v = tj.Verifier.teleport_jwt(mock.proxy_url, mock.cluster_name, AUDIENCE, ca_pem=mock.ca_pem)
    reader = InMemoryMetricReader()
    instrument(v, meter_provider=MeterProvider(metric_readers=[reader]))
    token = mock.mint()
    v.verify(token)
    v.verify(token)
    with pytest.raises(tj.Malformed):
        v.verify("garbage")
    points = _points(reader)
    assert points[("teleport_jwt_verifications", (("outcome", "accepted"),))] == 2
    assert points[("teleport_jwt_verifications", (("outcome", "malformed"),))] == 1
    assert points[("teleport_jwt_token_cache_lookups", (("result", "hit"),))] == 1
    entry = (("trust_entry", mock.cluster_name),)
    assert points[("teleport_jwt_keys", entry)] >= 1
    assert points[("teleport_jwt_serving_stale_keys", entry)] == 0
    assert points[("teleport_jwt_key_fetch_duration_seconds_count", entry)] == 1
    assert points[("teleport_jwt_key_fetch_duration_seconds_sum", entry)] > 0
    # Later collections see later counts.
    v.verify(token)
    assert _points(reader)[("teleport_jwt_verifications", (("outcome", "accepted"),))] == 3
