"""Protect an MCP server built with the official ``mcp`` SDK (>= 2.3) with Teleport tokens.

    import teleport_jwt as tj
    from teleport_jwt.mcp import TeleportHeaderMiddleware, current_identity, teleport_auth

    verifier = tj.Verifier.teleport_jwt(proxy_url=..., cluster_name=..., audience=...)
    server = MCPServer("my-server", **teleport_auth(verifier, issuer_url="https://teleport.example.com"))
    app = TeleportHeaderMiddleware(server.streamable_http_app(), verifier)   # serve with uvicorn

- :class:`TeleportTokenVerifier` is the SDK's ``TokenVerifier``: ``client_id`` = Teleport user,
  ``subject`` = ``sub``, ``scopes`` = roles, ``expires_at`` = ``exp``, ``resource`` = the
  audience that matched, ``claims`` = every claim, and the :class:`~teleport_jwt.Identity`.
- The SDK reads only ``Authorization: Bearer``; Teleport sends ``Teleport-Jwt-Assertion`` by
  default. :class:`TeleportHeaderMiddleware` makes the token from the verifier's configured
  header the one the SDK sees (a client-supplied ``Authorization`` never wins over it), leaves
  ``Authorization`` alone when that is the configured header (ID token in ``Authorization``),
  and puts the reason code of a refused token in the 401 answer.
- :func:`current_identity` gives a tool handler the verified caller.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypedDict

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from pydantic import AnyHttpUrl, ConfigDict, Field

from teleport_jwt._errors import VerifyError
from teleport_jwt._teleport_jwt import Identity, Verifier

__all__ = [
    "ASGIApp",
    "TeleportAccessToken",
    "TeleportAuth",
    "TeleportHeaderMiddleware",
    "TeleportTokenVerifier",
    "current_identity",
    "require_identity",
    "teleport_auth",
]

logger = logging.getLogger("teleport_jwt.mcp")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class TeleportAccessToken(AccessToken):
    """The SDK's ``AccessToken`` plus the verified :class:`~teleport_jwt.Identity`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    identity: Identity = Field(exclude=True, repr=False)


@dataclass
class _Outcome:
    """Per request: why the token was refused, for the 401 answer."""

    error: VerifyError | None = None


_outcome: ContextVar[_Outcome | None] = ContextVar("teleport_jwt_outcome", default=None)


def _roles(identity: Identity) -> list[str]:
    return identity.roles


class TeleportTokenVerifier(TokenVerifier):
    """An ``mcp.server.auth.provider.TokenVerifier`` backed by a :class:`teleport_jwt.Verifier`.

    ``scopes`` maps an identity to the SDK scopes (default: its Teleport roles), which
    ``AuthSettings.required_scopes`` can then require.
    """

    def __init__(
        self,
        verifier: Verifier,
        *,
        scopes: Callable[[Identity], Sequence[str]] = _roles,
    ) -> None:
        self.verifier = verifier
        self._scopes = scopes
        self._audiences = {e.name: frozenset(e.audiences) for e in verifier.trust_entries}

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            identity = await self.verifier.verify_async(token)
        except VerifyError as e:
            logger.info("Teleport token refused: %s", e)
            outcome = _outcome.get()
            if outcome is not None:
                outcome.error = e
            return None
        configured = self._audiences.get(identity.trust_entry, frozenset())
        resource = next((a for a in identity.audience if a in configured), None)
        return TeleportAccessToken(
            token=token,
            client_id=identity.username,
            subject=identity.sub,
            scopes=list(self._scopes(identity)),
            expires_at=identity.expires_at,
            resource=resource,
            claims=identity.claims,
            identity=identity,
        )


class TeleportAuth(TypedDict):
    """The two ``MCPServer`` arguments :func:`teleport_auth` returns."""

    token_verifier: TokenVerifier
    auth: AuthSettings


def teleport_auth(
    verifier: Verifier,
    *,
    issuer_url: str,
    resource_server_url: str | None = None,
    required_roles: Sequence[str] | None = None,
    scopes: Callable[[Identity], Sequence[str]] = _roles,
) -> TeleportAuth:
    """``MCPServer(..., **teleport_auth(verifier, issuer_url=<Teleport proxy URL>))``.

    The verifier checks the audience itself, so the SDK's resource check is off
    (``validate_token_resource=False``); ``required_roles`` become ``required_scopes``
    (403 without them).
    """
    return TeleportAuth(
        token_verifier=TeleportTokenVerifier(verifier, scopes=scopes),
        auth=AuthSettings(
            issuer_url=AnyHttpUrl(issuer_url),
            resource_server_url=AnyHttpUrl(resource_server_url) if resource_server_url else None,
            validate_token_resource=False,
            required_scopes=list(required_roles) if required_roles else None,
        ),
    )


def current_identity() -> Identity | None:
    """The verified caller of the current MCP request, or None outside an authenticated one."""
    token = get_access_token()
    return token.identity if isinstance(token, TeleportAccessToken) else None


def require_identity() -> Identity:
    """Like :func:`current_identity`, but raises ``PermissionError`` when there is none."""
    identity = current_identity()
    if identity is None:
        raise PermissionError("no verified Teleport identity for this request")
    return identity


class TeleportHeaderMiddleware:
    """ASGI middleware in front of an MCP app (wrap ``server.streamable_http_app()``).

    The verifier's header rules (``verifier.header_rules``) are read in order and the first
    header present decides, as in ``Verifier.verify_headers``:

    - ``Authorization: Bearer``: its token is passed on as it came (ID token in ``Authorization``);
    - any other header (``Teleport-Jwt-Assertion``): every ``Authorization`` header is removed
      and its token is passed as ``Authorization: Bearer <token>``; a present but unusable
      header (empty, wrong scheme, repeated with different values) leaves no token at all;
    - none: every ``Authorization`` header is removed, so the request is refused.

    A 401 caused by a refused token names the reason code (``WWW-Authenticate``
    ``error_description``, the JSON body, and ``X-Teleport-Jwt-Error``) unless
    ``expose_reason=False``; the full message goes to the ``teleport_jwt.mcp`` logger.
    """

    def __init__(self, app: ASGIApp, verifier: Verifier, *, expose_reason: bool = True) -> None:
        self.app = app
        self.verifier = verifier
        self.expose_reason = expose_reason

    def _token_headers(
        self, headers: list[tuple[bytes, bytes]]
    ) -> tuple[list[tuple[bytes, bytes]], VerifyError | None]:
        # The core picks the token exactly as verify_headers does; only its bearer form is
        # handed on. When Authorization was the chosen header it is rewritten to itself.
        rest = [(k, v) for k, v in headers if k.lower() != b"authorization"]
        pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]
        try:
            token = self.verifier.token_from_headers(pairs)
        except VerifyError as e:
            return rest, e
        return [*rest, (b"authorization", b"Bearer " + token.encode("latin-1"))], None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        headers, early = self._token_headers(list(scope.get("headers", [])))
        scope = dict(scope, headers=headers)
        outcome = _Outcome(error=early)
        reset = _outcome.set(outcome)
        replaced = False

        async def send_with_reason(message: Message) -> None:
            nonlocal replaced
            if (
                message["type"] == "http.response.start"
                and message.get("status") == 401
                and outcome.error is not None
                and self.expose_reason
            ):
                replaced = True
                code = outcome.error.code
                description = f"Teleport token refused: {code}"
                body = json.dumps({"error": "invalid_token", "error_description": description})
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"content-length", b"www-authenticate")
                ]
                www = f'Bearer error="invalid_token", error_description="{description}"'
                kept += [
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", www.encode()),
                    (b"x-teleport-jwt-error", code.encode()),
                ]
                await send(dict(message, headers=kept))
                await send({"type": "http.response.body", "body": body.encode()})
                return
            if replaced and message["type"] == "http.response.body":
                return
            await send(message)

        try:
            await self.app(scope, receive, send_with_reason)
        finally:
            _outcome.reset(reset)
