"""The bearer-token plumbing shared by :mod:`teleport_jwt.mcp` and :mod:`teleport_jwt.fastmcp`
(both run the ``mcp`` SDK's ``BearerAuthBackend``): no SDK import here.

:class:`TeleportHeaderMiddleware` hands the SDK the token Teleport sent and replaces the SDK's
401 with the :class:`~teleport_jwt.refusal.Refusal` for the reason the verifier gave;
:class:`TokenChecker` verifies for the SDK's ``verify_token`` and tells the middleware why it
refused, through a per-request context variable.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from teleport_jwt._asgi import ASGIApp, Message, Receive, Scope, Send, send_refusal
from teleport_jwt._errors import VerifyError
from teleport_jwt._protocols import SupportsPermissions
from teleport_jwt._teleport_jwt import Identity, Permissions, Verifier
from teleport_jwt.refusal import Refusal

__all__ = ["Checked", "TeleportHeaderMiddleware", "TokenChecker"]


@dataclass
class _Outcome:
    """Per request: why the token was refused, for the answer that replaces the SDK's 401."""

    error: VerifyError | None = None


_outcome: ContextVar[_Outcome | None] = ContextVar("teleport_jwt_outcome", default=None)


@dataclass(frozen=True)
class Checked:
    """A verified token as the SDK's ``AccessToken`` needs it."""

    identity: Identity
    permissions: Permissions | None
    expires_at: int
    """The last second the verifier accepts the token: ``exp`` plus the leeway. The SDK
    refuses an ``AccessToken`` whose ``expires_at`` is past by itself; with ``exp`` alone it
    would refuse tokens the verifier accepted within its leeway."""
    resource: str | None
    """The token's audience that the trust entry that verified it is configured for."""

    def access_token_fields(
        self, token: str, scopes: Callable[[Identity], Sequence[str]]
    ) -> dict[str, Any]:
        """The fields of either SDK's ``AccessToken`` (plus ``identity`` and ``permissions``):
        the scopes are the granted permissions with a permission mapper, else ``scopes``."""
        identity, permissions = self.identity, self.permissions
        return {
            "token": token,
            "client_id": identity.username,
            "subject": identity.sub,
            "scopes": sorted(permissions.granted)
            if permissions is not None
            else list(scopes(identity)),
            "expires_at": self.expires_at,
            "resource": self.resource,
            "claims": identity.claims,
            "identity": identity,
            "permissions": permissions,
        }


class TokenChecker:
    """Verifies (or, with ``permissions``, authorizes) a bearer token for an SDK token
    verifier; a refusal is logged to ``logger`` and recorded for the middleware."""

    def __init__(
        self,
        verifier: Verifier,
        permissions: SupportsPermissions | None,
        logger: logging.Logger,
    ) -> None:
        self.verifier = verifier
        # Shares the verifier's keys; its own token cache holds each token's permissions.
        self.authorizer = (
            verifier.with_permissions(permissions) if permissions is not None else None
        )
        self.logger = logger
        self._audiences = {e.name: frozenset(e.audiences) for e in verifier.trust_entries}
        self._leeway = math.ceil(verifier.leeway)

    async def check(self, token: str) -> Checked | None:
        permissions: Permissions | None = None
        try:
            if self.authorizer is not None:
                authorized = await self.authorizer.authorize_async(token)
                identity, permissions = authorized.identity, authorized.permissions
            else:
                identity = await self.verifier.verify_async(token)
        except VerifyError as e:
            Refusal.from_error(e).log(self.logger, "Teleport token")
            outcome = _outcome.get()
            if outcome is not None:
                outcome.error = e
            return None
        configured = self._audiences.get(identity.trust_entry, frozenset())
        resource = next((a for a in identity.audience if a in configured), None)
        return Checked(identity, permissions, identity.expires_at + self._leeway, resource)


_CHALLENGE_PARAM = re.compile(r'\b(resource_metadata|scope)="([^"]*)"')


def _sdk_challenge_params(headers: Sequence[tuple[bytes, bytes]]) -> list[str]:
    """The parameters of the SDK's challenge that are not about the error (where the
    protected resource metadata is, which scopes), kept in ours."""
    for k, v in headers:
        if k.lower() == b"www-authenticate":
            text = v.decode("latin-1")
            return [f'{m.group(1)}="{m.group(2)}"' for m in _CHALLENGE_PARAM.finditer(text)]
    return []


class TeleportHeaderMiddleware:
    """ASGI middleware in front of an MCP app (wrap ``server.streamable_http_app()``).

    The verifier's header rules (``verifier.header_rules``) are read in order and the first
    header present decides, as in ``Verifier.verify_headers``:

    - ``Authorization: Bearer``: its token is passed on as it came (ID token in ``Authorization``);
    - any other header (``Teleport-Jwt-Assertion``): every ``Authorization`` header is removed
      and its token is passed as ``Authorization: Bearer <token>``; a present but unusable
      header (empty, wrong scheme, repeated with different values) leaves no token at all;
    - none: every ``Authorization`` header is removed, so the request is refused.

    The SDK's 401 for a refused request is replaced by the answer of
    :class:`teleport_jwt.refusal.Refusal` for the reason the verifier gave (no ``error`` when
    no token was sent, 503 with ``Retry-After`` for ``key_source_unavailable``, 500 for a
    server fault); the SDK's ``resource_metadata`` and ``scope`` challenge parameters are
    kept. The reason code is in the answer only with ``expose_reason=True``; the full message
    goes to the log either way (``teleport_jwt.mcp``, or ``logger``).
    """

    def __init__(
        self,
        app: ASGIApp,
        verifier: Verifier,
        *,
        expose_reason: bool = False,
        logger: logging.Logger | None = None,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.expose_reason = expose_reason
        self.logger = logger or logging.getLogger("teleport_jwt.mcp")

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

        async def send_refusal_instead(message: Message) -> None:
            nonlocal replaced
            if (
                message["type"] == "http.response.start"
                and message.get("status") == 401
                and outcome.error is not None
            ):
                replaced = True
                refusal = Refusal.from_error(outcome.error, expose_reason=self.expose_reason)
                if outcome.error is early:  # never reached the verifier, which logs its own
                    refusal.log(self.logger, "Teleport token")
                extra = _sdk_challenge_params(message.get("headers", []))
                await send_refusal(send, refusal, *extra)
                return
            if replaced and message["type"] == "http.response.body":
                return
            await send(message)

        try:
            await self.app(scope, receive, send_refusal_instead)
        finally:
            _outcome.reset(reset)
