"""ASGI types and the one way this package sends a :class:`~teleport_jwt.refusal.Refusal`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from teleport_jwt.refusal import Refusal

__all__ = ["ASGIApp", "Message", "Receive", "Scope", "Send", "send_refusal"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def send_refusal(send: Send, refusal: Refusal, *extra_challenge: str) -> None:
    """Sends ``refusal`` as a complete HTTP response."""
    answer = refusal.answer(*extra_challenge)
    body = answer.body.encode()
    headers = [(k.encode(), v.encode()) for k, v in answer.headers]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
