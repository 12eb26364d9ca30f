"""Export a verifier's counters to Prometheus through ``prometheus_client`` (extra ``prometheus``).

    from prometheus_client import REGISTRY
    from teleport_jwt.prometheus import TeleportCollector

    REGISTRY.register(TeleportCollector(verifier))

Every scrape reads :meth:`Verifier.stats` once. The metric names, help texts and labels are the
core's (``teleport_jwt::stats``), the same that Rust's ``Stats::prometheus_text`` prints:

- ``teleport_jwt_verifications_total{outcome}``: ``accepted`` or the reason code of a refusal;
- ``teleport_jwt_token_cache_lookups_total{result}``: ``hit`` / ``miss``;
- ``teleport_jwt_key_fetches_total{trust_entry,result}``: ``ok`` / ``failed``;
- ``teleport_jwt_key_fetch_duration_seconds{trust_entry}``: a histogram;
- ``teleport_jwt_unknown_kid_refetches_total{trust_entry}``;
- ``teleport_jwt_keys{trust_entry}``: keys trusted now;
- ``teleport_jwt_serving_stale_keys{trust_entry}``: 1 while fetches fail and the last good keys
  serve;
- ``teleport_jwt_stale_since_seconds{trust_entry}``: when that began (only while stale).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from teleport_jwt._teleport_jwt import Verifier

__all__ = ["TeleportCollector"]


class TeleportCollector(Collector):
    """A ``prometheus_client`` collector of one verifier's metrics."""

    def __init__(self, verifier: Verifier) -> None:
        self._verifier = verifier

    def collect(self) -> Iterator[Metric]:
        for name, help_text, kind, samples in self._verifier.metrics():
            # prometheus_client names a counter family without its _total suffix.
            family_name = name.removesuffix("_total") if kind == "counter" else name
            family = Metric(family_name, help_text, kind)
            for suffix, labels, value in samples:
                family.add_sample(name + suffix, dict(labels), value)
            yield family
