"""Flask: an extension that verifies the Teleport token of every request.

    import teleport_jwt as tj
    from flask import Flask
    from teleport_jwt.flask import TeleportJWT, current_caller

    app = Flask(__name__)
    teleport = TeleportJWT(app, tj.Verifier.teleport_jwt(..., permissions=policy))

    @app.get("/whoami")
    def whoami() -> dict[str, str]:
        return {"user": current_caller().username}

    @app.delete("/reports/<name>")
    @teleport.requires("report:delete")               # 403 without it
    def delete_report(name: str) -> str: ...

By default (``protect_all=True``) a ``before_request`` hook verifies every request of the app
(authorizes, with a verifier built with ``permissions=``) and answers a refused one with its
:class:`~teleport_jwt.refusal.Refusal` (401 / 503 with ``Retry-After`` / 500, JSON body; the
reason code only with ``expose_reason=True``). With ``protect_all=False`` only views decorated
with :meth:`TeleportJWT.required` or :meth:`TeleportJWT.requires` are. The caller is
:func:`current_caller` (``flask.g.teleport_caller``). Refusals are logged to
``teleport_jwt.flask``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from flask import Flask, Response, g, request

from teleport_jwt._errors import VerifyError
from teleport_jwt._teleport_jwt import Verifier
from teleport_jwt.refusal import Refusal
from teleport_jwt.web import Caller, authenticate

__all__ = ["TeleportJWT", "current_caller", "require_caller"]

logger = logging.getLogger("teleport_jwt.flask")

_P = ParamSpec("_P")
_R = TypeVar("_R")


def current_caller() -> Caller | None:
    """The verified caller of the current request, or None (outside a request, or before it
    was verified)."""
    caller = g.get("teleport_caller") if g else None
    return caller if isinstance(caller, Caller) else None


def require_caller() -> Caller:
    """Like :func:`current_caller`, but raises ``PermissionError`` when there is none."""
    caller = current_caller()
    if caller is None:
        raise PermissionError("no verified Teleport caller for this request")
    return caller


def _response(refusal: Refusal) -> Response:
    refusal.log(logger, f"{request.method} {request.path}")
    answer = refusal.answer()
    return Response(answer.body, answer.status, answer.headers)


class TeleportJWT:
    """The Flask extension (``TeleportJWT(app, verifier)`` or ``init_app(app)`` later)."""

    def __init__(
        self,
        app: Flask | None = None,
        verifier: Verifier | None = None,
        *,
        expose_reason: bool = False,
        protect_all: bool = True,
    ) -> None:
        self.verifier = verifier
        self.expose_reason = expose_reason
        self.protect_all = protect_all
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, verifier: Verifier | None = None) -> None:
        """Registers the extension (and, with ``protect_all``, the ``before_request`` hook)."""
        if verifier is not None:
            self.verifier = verifier
        if self.verifier is None:
            raise ValueError("TeleportJWT needs a verifier (TeleportJWT(app, verifier))")
        app.extensions["teleport_jwt"] = self
        if self.protect_all:
            app.before_request(self._verify_request)

    def _verify_request(self) -> Response | None:
        """Verifies the current request once; the refusal's response, or None."""
        if current_caller() is not None:
            return None
        assert self.verifier is not None
        try:
            g.teleport_caller = authenticate(self.verifier, request.environ)
        except VerifyError as e:
            return _response(Refusal.from_error(e, expose_reason=self.expose_reason))
        return None

    def required(self, view: Callable[_P, _R]) -> Callable[_P, _R | Response]:
        """Decorator: the view runs only for a verified caller (for ``protect_all=False``)."""
        return self.requires()(view)

    def requires(self, *permissions: str) -> Callable[[Callable[_P, _R]], Callable[_P, Any]]:
        """Decorator: the view runs only for a verified caller holding every one of
        ``permissions`` (403 ``insufficient_scope`` otherwise)."""

        def decorate(view: Callable[_P, _R]) -> Callable[_P, Any]:
            @functools.wraps(view)
            def checked(*args: _P.args, **kwargs: _P.kwargs) -> Any:
                refused = self._verify_request()
                if refused is not None:
                    return refused
                caller = cast(Caller, current_caller())
                missing = caller.missing(permissions)
                if missing is not None:
                    return _response(
                        Refusal.permission_denied(
                            missing, caller.username, expose_reason=self.expose_reason
                        )
                    )
                return view(*args, **kwargs)

            return checked

        return decorate
