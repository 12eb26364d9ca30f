"""Django: a middleware that verifies the Teleport token of every request.

    # settings.py
    MIDDLEWARE = [..., "teleport_jwt.django.TeleportMiddleware", ...]
    TELEPORT_JWT_VERIFIER = "myproject.auth.verifier"  # dotted path to a tj.Verifier, or one
    TELEPORT_JWT_EXPOSE_REASON = False                 # reason codes in refusals (default off)

    # views.py
    from teleport_jwt.django import permission_required

    def whoami(request):
        return JsonResponse({"user": request.teleport.username})    # a teleport_jwt.web.Caller

    @permission_required("report:delete")                            # 403 without it
    def delete_report(request, name): ...

The token is read from ``request.META`` (``HTTP_TELEPORT_JWT_ASSERTION``, then
``HTTP_AUTHORIZATION`` with the default header rules); a verifier built with
``permissions=`` also maps the caller's permissions. A refused request never reaches a view:
it gets its :class:`~teleport_jwt.refusal.Refusal` (401 / 503 with ``Retry-After`` / 500, JSON
body). ``TELEPORT_JWT_VERIFIER`` may also name a function that returns the verifier; it is
resolved once, when Django builds its middleware. Refusals are logged to
``teleport_jwt.django``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from teleport_jwt._errors import MissingToken, VerifyError
from teleport_jwt._teleport_jwt import Verifier
from teleport_jwt.refusal import Refusal
from teleport_jwt.web import Caller, authenticate

__all__ = ["TeleportMiddleware", "permission_required", "verifier_from_settings"]

logger = logging.getLogger("teleport_jwt.django")


def verifier_from_settings() -> Verifier:
    """The verifier ``settings.TELEPORT_JWT_VERIFIER`` names (a Verifier, a dotted path to
    one, or to a function returning one)."""
    configured = getattr(settings, "TELEPORT_JWT_VERIFIER", None)
    if configured is None:
        raise ImproperlyConfigured("set TELEPORT_JWT_VERIFIER to a teleport_jwt.Verifier")
    value = import_string(configured) if isinstance(configured, str) else configured
    if not isinstance(value, Verifier) and callable(value):
        value = value()
    if not isinstance(value, Verifier):
        raise ImproperlyConfigured(
            f"TELEPORT_JWT_VERIFIER gives {type(value).__name__}, not a teleport_jwt.Verifier"
        )
    return value


def _response(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    refusal.log(logger, f"{request.method} {request.path}")
    answer = refusal.answer()
    response = HttpResponse(answer.body.encode(), status=answer.status)
    for name, value in answer.headers:
        response[name] = value
    return response


class TeleportMiddleware:
    """Verifies every request; sets ``request.teleport`` (a :class:`~teleport_jwt.web.Caller`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.verifier = verifier_from_settings()
        self.expose_reason = bool(getattr(settings, "TELEPORT_JWT_EXPOSE_REASON", False))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            caller = authenticate(self.verifier, request.META)
        except VerifyError as e:
            return _response(request, Refusal.from_error(e, expose_reason=self.expose_reason))
        request.teleport = caller
        return self.get_response(request)


def permission_required(
    *permissions: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """View decorator: 403 ``insufficient_scope`` unless ``request.teleport`` holds every one
    of ``permissions`` (and 401 when the middleware did not verify the request)."""
    if not permissions:
        raise ValueError("permission_required() needs at least one permission")

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            expose = bool(getattr(settings, "TELEPORT_JWT_EXPOSE_REASON", False))
            caller = getattr(request, "teleport", None)
            if not isinstance(caller, Caller):
                error = MissingToken("missing_token", "TeleportMiddleware did not run")
                return _response(request, Refusal.from_error(error, expose_reason=expose))
            missing = caller.missing(permissions)
            if missing is not None:
                refusal = Refusal.permission_denied(missing, caller.username, expose_reason=expose)
                return _response(request, refusal)
            return view(request, *args, **kwargs)

        return checked

    return decorate
