"""Export a verifier's counters to Prometheus through ``prometheus_client`` (extra ``prometheus``).

    from prometheus_client import REGISTRY
    from teleport_jwt.prometheus import TeleportCollector

    REGISTRY.register(TeleportCollector(verifier))

Every scrape reads :meth:`Verifier.stats` once. The metric families, their help texts and
labels are the core's (``teleport_jwt::stats``, listed in docs/operating.md), the same
that Rust's ``Stats::prometheus_text`` prints, so a family added there appears here unchanged.
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
