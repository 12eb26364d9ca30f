"""Awaitables of answers the core gave on the spot (``Verifier.verify_async`` and the other
``_async`` forms, when the keys are cached): awaiting one returns at once, with no thread and
no event-loop round trip, under any event loop."""

from __future__ import annotations

from typing import TypeVar

_T = TypeVar("_T")


async def value(answer: _T) -> _T:
    """Returns ``answer`` when awaited."""
    return answer


async def error(exc: BaseException) -> None:
    """Raises ``exc`` when awaited."""
    raise exc
