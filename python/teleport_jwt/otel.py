"""Export a verifier's counters through OpenTelemetry metrics (extra ``otel``).

    from teleport_jwt.otel import instrument

    instrument(verifier)  # on the global MeterProvider
    instrument(verifier, meter_provider=provider)

The instruments are the core's metric families (``teleport_jwt::stats``, listed in
docs/operating.md), observed when the SDK collects: counters become observable counters named
without their ``_total`` suffix (OpenTelemetry's Prometheus exporter adds it back), gauges
observable gauges. OpenTelemetry has no observable histogram, so the key-fetch latency
histogram is exported as two counters, ``teleport_jwt_key_fetch_duration_seconds_sum`` (unit
``s``) and ``..._count``. Labels become attributes. Each instrument's callback reads
:meth:`Verifier.stats` (a few microseconds: atomics, and no lock a key fetch holds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Meter, MeterProvider, Observation

from teleport_jwt._teleport_jwt import Verifier

__all__ = ["instrument"]

_Families = list[tuple[str, str, str, list[tuple[str, list[tuple[str, str]], float]]]]


def _observer(
    verifier: Verifier, family: str, suffix: str
) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def observe(_: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(value, dict(labels))
            for name, _, _, samples in verifier.metrics()
            if name == family
            for s, labels, value in samples
            if s == suffix
        ]

    return observe


def instrument(verifier: Verifier, meter_provider: MeterProvider | None = None) -> Meter:
    """Registers observable instruments for ``verifier`` on a meter named ``teleport_jwt``
    (from ``meter_provider``, else the global provider) and returns that meter."""
    meter = metrics.get_meter("teleport_jwt", meter_provider=meter_provider)
    families: _Families = verifier.metrics()
    for name, help_text, kind, _ in families:
        if kind == "counter":
            meter.create_observable_counter(
                name.removesuffix("_total"),
                callbacks=[_observer(verifier, name, "")],
                description=help_text,
            )
        elif kind == "gauge":
            meter.create_observable_gauge(
                name, callbacks=[_observer(verifier, name, "")], description=help_text
            )
        elif kind == "histogram":
            for suffix, unit in (("_sum", "s"), ("_count", "1")):
                meter.create_observable_counter(
                    name + suffix,
                    callbacks=[_observer(verifier, name, suffix)],
                    unit=unit,
                    description=help_text,
                )
    return meter
