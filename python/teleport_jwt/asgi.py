"""ASGI middleware that lets only requests with a valid Teleport token through.

    from teleport_jwt.asgi import TeleportMiddleware, current_caller
    app = TeleportMiddleware(app, verifier)      # any ASGI app: Starlette, FastAPI, Django, ...

Every HTTP request and WebSocket handshake is verified (and authorized, with a verifier built
with ``permissions=``) before the app sees it. A refused one never reaches the app: HTTP gets
the :class:`~teleport_jwt.refusal.Refusal` answer (401 / 503 with ``Retry-After`` / 500; the
reason code only with ``expose_reason=True``), a WebSocket is closed with code 1008 (policy
violation; 1011 for a server fault, 1013 "try again later" when the keys are unavailable).
The app finds the :class:`~teleport_jwt.web.Caller` in ``scope["teleport_jwt.caller"]`` (see
:func:`caller_from_scope`; Starlette: ``request.scope``) and, in the same task or a thread it
starts with the request's context, through :func:`current_caller`. Lifespan events pass
through. Refusals are logged to ``teleport_jwt.asgi``.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from teleport_jwt._asgi import ASGIApp, Receive, Scope, Send, send_refusal
from teleport_jwt._errors import VerifyError
from teleport_jwt._teleport_jwt import Verifier
from teleport_jwt.refusal import Refusal
from teleport_jwt.web import Caller, authenticate_async

__all__ = ["SCOPE_KEY", "TeleportMiddleware", "caller_from_scope", "current_caller"]

logger = logging.getLogger("teleport_jwt.asgi")

SCOPE_KEY = "teleport_jwt.caller"
"""The ASGI scope key holding the request's :class:`~teleport_jwt.web.Caller`."""

_caller: ContextVar[Caller | None] = ContextVar("teleport_jwt_caller", default=None)


def current_caller() -> Caller | None:
    """The caller of the request being handled, or None outside one."""
    return _caller.get()


def caller_from_scope(scope: Any) -> Caller | None:
    """The caller :class:`TeleportMiddleware` put in an ASGI scope, or None."""
    caller = scope.get(SCOPE_KEY) if hasattr(scope, "get") else None
    return caller if isinstance(caller, Caller) else None


def _headers(scope: Scope) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]


_CLOSE_CODES = {401: 1008, 403: 1008, 500: 1011, 503: 1013}


class TeleportMiddleware:
    """Verifies every HTTP request and WebSocket handshake with ``verifier`` (see the module)."""

    def __init__(self, app: ASGIApp, verifier: Verifier, *, expose_reason: bool = False) -> None:
        self.app = app
        self.verifier = verifier
        self.expose_reason = expose_reason

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        try:
            caller = await authenticate_async(self.verifier, _headers(scope))
        except VerifyError as e:
            refusal = Refusal.from_error(e, expose_reason=self.expose_reason)
            refusal.log(logger, f"{scope.get('method', 'WebSocket')} {scope.get('path', '')}")
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": _CLOSE_CODES[refusal.status]})
            else:
                await send_refusal(send, refusal)
            return
        reset = _caller.set(caller)
        try:
            await self.app(dict(scope, **{SCOPE_KEY: caller}), receive, send)
        finally:
            _caller.reset(reset)
