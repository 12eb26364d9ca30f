"""The verified caller of a web request, shared by the web-framework integrations.

:func:`authenticate` (or :func:`authenticate_async`) verifies the Teleport token in a
request's headers and returns a :class:`Caller`: with a verifier built with ``permissions=``
it also maps the caller's permissions (``Verifier.authorize_headers``, once per token). A
refused token raises the :class:`~teleport_jwt.VerifyError` subclass of its reason code;
:class:`~teleport_jwt.refusal.Refusal` says what to answer.

The integrations built on it, each giving handlers the same :class:`Caller`:

- ASGI (any framework): :class:`teleport_jwt.asgi.TeleportMiddleware`;
- FastAPI / Starlette: :class:`teleport_jwt.starlette.TeleportDependency` (a dependency);
- Flask: :class:`teleport_jwt.flask.TeleportJWT` (an extension, with decorators);
- Django: :class:`teleport_jwt.django.TeleportMiddleware` (``request.teleport``).

Headers may be any mapping, ``(name, value)`` pairs, or a WSGI environ (Django's
``request.META``, Flask's ``request.environ``). The default header rules read
``Teleport-Jwt-Assertion`` first; only when it is absent, ``Authorization: Bearer``.

Every server gets the same answer (the rules are the core's, ``core/src/headers.rs``): a
header repeated with the same token is that token, as separate lines (ASGI) or joined with
commas (WSGI servers, Django); copies that differ are ``malformed``. A header named with ``_``
(``Teleport_Jwt_Assertion``) is never the token's header: ASGI servers pass it under its own
name, which no rule matches, and WSGI servers drop it (gunicorn, werkzeug, Django's
``runserver`` and ASGI handler, waitress), because an environ cannot tell ``_`` from ``-``.
The standard library's ``wsgiref.simple_server`` keeps it as ``HTTP_TELEPORT_JWT_ASSERTION``:
do not serve production traffic with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from teleport_jwt._teleport_jwt import Identity, Permissions, Verifier

__all__ = ["Caller", "authenticate", "authenticate_async"]


@dataclass(frozen=True)
class Caller:
    """A verified caller: its :class:`~teleport_jwt.Identity` and, when the verifier maps
    permissions, its :class:`~teleport_jwt.Permissions` (``None`` otherwise)."""

    identity: Identity
    permissions: Permissions | None = None

    @property
    def username(self) -> str:
        """The Teleport user name."""
        return self.identity.username

    def allows(self, permission: str) -> bool:
        """True when the caller holds ``permission``; always False without permissions."""
        return self.permissions is not None and self.permissions.allows(permission)

    def missing(self, permissions: tuple[str, ...]) -> str | None:
        """The first of ``permissions`` the caller lacks, or None."""
        return next((p for p in permissions if not self.allows(p)), None)


def authenticate(verifier: Verifier, headers: Any) -> Caller:
    """The caller of a request with these headers (verified, and authorized when the verifier
    has ``permissions=``); raises the token's :class:`~teleport_jwt.VerifyError`."""
    if verifier.has_permissions:
        authorized = verifier.authorize_headers(headers)
        return Caller(authorized.identity, authorized.permissions)
    return Caller(verifier.verify_headers(headers))


async def authenticate_async(verifier: Verifier, headers: Any) -> Caller:
    """:func:`authenticate` in a worker thread (never blocks the event loop, even while the
    keys are fetched)."""
    if verifier.has_permissions:
        authorized = await verifier.authorize_headers_async(headers)
        return Caller(authorized.identity, authorized.permissions)
    return Caller(await verifier.verify_headers_async(headers))
