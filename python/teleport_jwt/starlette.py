"""FastAPI and Starlette: the Teleport caller as a dependency.

    import teleport_jwt as tj
    from fastapi import Depends, FastAPI
    from teleport_jwt.starlette import TeleportDependency
    from teleport_jwt.web import Caller

    teleport = TeleportDependency(tj.Verifier.teleport_jwt(..., permissions=policy))
    app = FastAPI()

    @app.get("/whoami")
    async def whoami(caller: Annotated[Caller, Depends(teleport)]) -> dict[str, str]:
        return {"user": caller.username}

    @app.delete("/reports/{name}", dependencies=[Depends(teleport.requires("report:delete"))])
    async def delete_report(name: str) -> None: ...

A refused token raises Starlette's ``HTTPException`` with the status and headers of its
:class:`~teleport_jwt.refusal.Refusal` (401 with ``WWW-Authenticate``, 503 with
``Retry-After``, 500), a missing permission 403 ``insufficient_scope``; the framework renders
the body (FastAPI: ``{"detail": ...}``). When :class:`teleport_jwt.asgi.TeleportMiddleware`
already verified the request, the dependency returns its caller without verifying again.
Plain Starlette: ``caller = await teleport(request)`` in an endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request

from teleport_jwt._errors import VerifyError
from teleport_jwt._teleport_jwt import Verifier
from teleport_jwt.asgi import caller_from_scope
from teleport_jwt.refusal import Refusal
from teleport_jwt.web import Caller, authenticate_async

__all__ = ["TeleportDependency", "http_exception"]

logger = logging.getLogger("teleport_jwt.starlette")


def http_exception(refusal: Refusal) -> HTTPException:
    """Starlette's ``HTTPException`` for a refusal (its status, challenge, ``Retry-After``)."""
    answer = refusal.answer()
    headers = {k: v for k, v in answer.headers if k not in ("content-type", "cache-control")}
    return HTTPException(answer.status, detail=answer.description, headers=headers)


class TeleportDependency:
    """A FastAPI dependency (``Depends(teleport)``) giving the verified
    :class:`~teleport_jwt.web.Caller`; ``expose_reason=True`` puts reason codes in refusals."""

    def __init__(self, verifier: Verifier, *, expose_reason: bool = False) -> None:
        self.verifier = verifier
        self.expose_reason = expose_reason

    async def __call__(self, request: Request) -> Caller:
        caller = caller_from_scope(request.scope)
        if caller is not None:
            return caller
        try:
            return await authenticate_async(self.verifier, request.headers.items())
        except VerifyError as e:
            refusal = Refusal.from_error(e, expose_reason=self.expose_reason)
            refusal.log(logger, f"{request.method} {request.url.path}")
            raise http_exception(refusal) from None

    def requires(self, *permissions: str) -> Callable[[Request], Awaitable[Caller]]:
        """A dependency that also requires every one of ``permissions`` (403 otherwise)."""
        if not permissions:
            raise ValueError("requires() needs at least one permission")

        async def dependency(request: Request) -> Caller:
            caller = await self(request)
            missing = caller.missing(permissions)
            if missing is not None:
                refusal = Refusal.permission_denied(
                    missing, caller.username, expose_reason=self.expose_reason
                )
                refusal.log(logger, f"{request.method} {request.url.path}")
                raise http_exception(refusal)
            return caller

        return dependency
