"""Protect an MCP server built with the official ``mcp`` SDK (>= 2.3) with Teleport tokens.

    import teleport_jwt as tj
    from teleport_jwt.mcp import TeleportHeaderMiddleware, require_permission, teleport_auth

    verifier = tj.Verifier.teleport_jwt(proxy_url=..., cluster_name=..., audience=...)
    policy = tj.Policy.from_file("policy.yaml")            # optional: roles -> permissions
    server = MCPServer("my-server", **teleport_auth(verifier, issuer_url=..., permissions=policy))
    app = TeleportHeaderMiddleware(server.streamable_http_app(), verifier)   # serve with uvicorn

- :class:`TeleportTokenVerifier` is the SDK's ``TokenVerifier``: ``client_id`` = Teleport user,
  ``subject`` = ``sub``, ``scopes`` = the granted permissions (with ``permissions=``) or the
  roles, ``expires_at`` = ``exp``, ``resource`` = the audience that matched, ``claims`` = every
  claim, and the :class:`~teleport_jwt.Identity` and :class:`~teleport_jwt.Permissions`.
- ``permissions=`` takes a :class:`~teleport_jwt.Policy` or any object with
  ``permissions(identity) -> Iterable[str] | Permissions`` (run through the core's
  ``PermissionMapper``; if it raises, the request is refused with 401 ``plugin_error``). With
  it, :class:`ToolPermissionMiddleware` shows each caller only the tools it may call
  (permission ``tool:<name>``) and refuses ``tools/call`` of any other tool, whatever its name.
- The SDK reads only ``Authorization: Bearer``; Teleport sends ``Teleport-Jwt-Assertion`` by
  default. :class:`TeleportHeaderMiddleware` makes the token from the verifier's configured
  header the one the SDK sees (a client-supplied ``Authorization`` never wins over it), leaves
  ``Authorization`` alone when that is the configured header (ID token in ``Authorization``),
  and puts the reason code of a refused token in the 401 answer.
- In a tool handler: :func:`current_identity`, :func:`current_permissions`,
  :func:`require_permission` and the :func:`requires` decorator (a missing permission is the
  tool error :class:`PermissionDenied`, an ``isError`` result naming the permission).
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypedDict, TypeVar, cast

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, ListToolsResult
from pydantic import AnyHttpUrl, ConfigDict, Field
from typing_extensions import NotRequired

from teleport_jwt._errors import VerifyError
from teleport_jwt._protocols import SupportsPermissions
from teleport_jwt._teleport_jwt import Identity, Permissions, Verifier

__all__ = [
    "ASGIApp",
    "PermissionDenied",
    "TeleportAccessToken",
    "TeleportAuth",
    "TeleportHeaderMiddleware",
    "TeleportTokenVerifier",
    "ToolPermissionMiddleware",
    "current_identity",
    "current_permissions",
    "require_identity",
    "require_permission",
    "requires",
    "teleport_auth",
]

logger = logging.getLogger("teleport_jwt.mcp")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class TeleportAccessToken(AccessToken):
    """The SDK's ``AccessToken`` plus the verified :class:`~teleport_jwt.Identity` and, when a
    permission mapper is configured, its :class:`~teleport_jwt.Permissions`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    identity: Identity = Field(exclude=True, repr=False)
    permissions: Permissions | None = Field(default=None, exclude=True, repr=False)


@dataclass
class _Outcome:
    """Per request: why the token was refused, for the 401 answer."""

    error: VerifyError | None = None


_outcome: ContextVar[_Outcome | None] = ContextVar("teleport_jwt_outcome", default=None)


def _roles(identity: Identity) -> list[str]:
    return identity.roles


class TeleportTokenVerifier(TokenVerifier):
    """An ``mcp.server.auth.provider.TokenVerifier`` backed by a :class:`teleport_jwt.Verifier`.

    ``permissions`` (a :class:`~teleport_jwt.Policy` or any permission mapper) is evaluated
    through the core's ``Verifier.authorize``: once per token, its answer cached with the
    verified token; its granted permissions become the SDK ``scopes`` and the
    :class:`~teleport_jwt.Permissions` ride on the access token. A mapper that fails refuses
    the request (401, reason ``plugin_error``). The mapper runs in a worker thread, like
    verification, so it may block briefly but must be thread-safe.

    Without ``permissions``, ``scopes`` maps an identity to the SDK scopes (default: its
    Teleport roles), which ``AuthSettings.required_scopes`` can then require.
    """

    def __init__(
        self,
        verifier: Verifier,
        *,
        permissions: SupportsPermissions | None = None,
        scopes: Callable[[Identity], Sequence[str]] | None = None,
    ) -> None:
        if permissions is not None and scopes is not None:
            raise ValueError("give permissions= or scopes=, not both (scopes are the permissions)")
        self.verifier = verifier
        self._scopes = scopes or _roles
        # Shares the verifier's keys; its own token cache holds each token's permissions.
        self._authorizer = (
            verifier.with_permissions(permissions) if permissions is not None else None
        )
        self._audiences = {e.name: frozenset(e.audiences) for e in verifier.trust_entries}

    async def verify_token(self, token: str) -> AccessToken | None:
        outcome = _outcome.get()
        permissions: Permissions | None = None
        try:
            if self._authorizer is not None:
                authorized = await self._authorizer.authorize_async(token)
                identity, permissions = authorized.identity, authorized.permissions
            else:
                identity = await self.verifier.verify_async(token)
        except VerifyError as e:
            if e.code == "plugin_error":
                logger.error("the permission mapper refused the request: %s", e)
            else:
                logger.info("Teleport token refused: %s", e)
            if outcome is not None:
                outcome.error = e
            return None
        if permissions is not None:
            scopes = sorted(permissions.granted)
        else:
            scopes = list(self._scopes(identity))
        configured = self._audiences.get(identity.trust_entry, frozenset())
        resource = next((a for a in identity.audience if a in configured), None)
        return TeleportAccessToken(
            token=token,
            client_id=identity.username,
            subject=identity.sub,
            scopes=scopes,
            expires_at=identity.expires_at,
            resource=resource,
            claims=identity.claims,
            identity=identity,
            permissions=permissions,
        )


class TeleportAuth(TypedDict):
    """The ``MCPServer`` arguments :func:`teleport_auth` returns (``middleware`` only with
    ``permissions=``; to add your own, pass ``[*auth["middleware"], *yours]``)."""

    token_verifier: TokenVerifier
    auth: AuthSettings
    middleware: NotRequired[list[ServerMiddleware[Any]]]


def teleport_auth(
    verifier: Verifier,
    *,
    issuer_url: str,
    resource_server_url: str | None = None,
    required_roles: Sequence[str] | None = None,
    scopes: Callable[[Identity], Sequence[str]] | None = None,
    permissions: SupportsPermissions | None = None,
    filter_tools: bool = True,
) -> TeleportAuth:
    """``MCPServer(..., **teleport_auth(verifier, issuer_url=<Teleport proxy URL>))``.

    The verifier checks the audience itself, so the SDK's resource check is off
    (``validate_token_resource=False``); ``required_roles`` become ``required_scopes``
    (403 without them; not with ``permissions``, whose scopes are permissions: require
    things in the policy instead).

    ``permissions`` (a :class:`~teleport_jwt.Policy` or a mapper) gives each request its
    :class:`~teleport_jwt.Permissions`; unless ``filter_tools=False`` it also installs
    :class:`ToolPermissionMiddleware`, so ``tools/list`` and ``tools/call`` only reach the tools
    whose permission ``tool:<name>`` the caller holds.
    """
    if permissions is not None and required_roles:
        raise ValueError(
            "required_roles= needs roles as scopes; with permissions= the scopes are "
            "permissions: require roles in the policy instead"
        )
    result = TeleportAuth(
        token_verifier=TeleportTokenVerifier(verifier, permissions=permissions, scopes=scopes),
        auth=AuthSettings(
            issuer_url=AnyHttpUrl(issuer_url),
            resource_server_url=AnyHttpUrl(resource_server_url) if resource_server_url else None,
            validate_token_resource=False,
            required_scopes=list(required_roles) if required_roles else None,
        ),
    )
    if permissions is not None and filter_tools:
        result["middleware"] = [ToolPermissionMiddleware()]
    return result


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


def current_permissions() -> Permissions | None:
    """The :class:`~teleport_jwt.Permissions` of the current MCP request's caller, or None
    outside an authenticated request or without ``permissions=`` in :func:`teleport_auth`."""
    token = get_access_token()
    return token.permissions if isinstance(token, TeleportAccessToken) else None


class PermissionDenied(ToolError):
    """A tool refused because the caller lacks ``permission``: the call's result is
    ``isError`` with this message, for the model to read."""

    def __init__(self, permission: str, username: str | None) -> None:
        who = username if username is not None else "an unauthenticated caller"
        super().__init__(f"permission denied: {who} does not have {permission!r}")
        self.permission = permission
        self.username = username


def require_permission(permission: str) -> Identity:
    """In a tool handler: the caller, if it holds ``permission``; else raises
    :class:`PermissionDenied` (the tool's result is an error naming the permission).

    Needs ``permissions=`` in :func:`teleport_auth`; without it every permission is refused.
    """
    token = get_access_token()
    if not isinstance(token, TeleportAccessToken):
        raise PermissionDenied(permission, None)
    if token.permissions is None:
        logger.error("require_permission(%r) without a permission mapper: refused", permission)
    if token.permissions is None or not token.permissions.allows(permission):
        raise PermissionDenied(permission, token.identity.username)
    return token.identity


_P = ParamSpec("_P")
_R = TypeVar("_R")


def requires(permission: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorator for a tool function: refuse the call unless the caller holds ``permission``
    (see :func:`require_permission`). Put it under ``@server.tool()``::

        @server.tool()
        @requires("reports:delete")
        def delete_report(name: str) -> str: ...
    """

    def decorate(fn: Callable[_P, _R]) -> Callable[_P, _R]:
        if inspect.iscoroutinefunction(fn):
            async_fn = cast(Callable[_P, Awaitable[Any]], fn)

            @functools.wraps(fn)
            async def checked_async(*args: _P.args, **kwargs: _P.kwargs) -> Any:
                require_permission(permission)
                return await async_fn(*args, **kwargs)

            return cast(Callable[_P, _R], checked_async)

        @functools.wraps(fn)
        def checked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            require_permission(permission)
            return fn(*args, **kwargs)

        return checked

    return decorate


class ToolPermissionMiddleware:
    """SDK server middleware (``MCPServer(middleware=[...])``; :func:`teleport_auth` adds it)
    that scopes tools to the caller's :class:`~teleport_jwt.Permissions`:

    - ``tools/list`` keeps only the tools whose permission ``tool:<name>`` is granted (one
      evaluation per request, the core's ``filter_tools``); a ``public`` cache scope becomes
      ``private``, since the list now depends on the caller;
    - ``tools/call`` of any other tool is refused before the SDK looks the tool up: JSON-RPC
      error -32602 (invalid params, as for an unknown tool) naming the missing permission.

    Without permissions on the request (no ``permissions=`` on the token verifier), every tool
    is hidden and refused.
    """

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if ctx.method == "tools/call":
            name = ctx.params.get("name") if isinstance(ctx.params, Mapping) else None
            if isinstance(name, str):
                self._check_call(name)
            return await call_next(ctx)
        if ctx.method == "tools/list":
            return self._filter(await call_next(ctx))
        return await call_next(ctx)

    @staticmethod
    def _check_call(name: str) -> None:
        permissions = current_permissions()
        if permissions is not None and permissions.can_call_tool(name):
            return
        identity = current_identity()
        who = identity.username if identity is not None else "an unauthenticated caller"
        logger.info("tools/call %r refused for %s: permission tool:%s not granted", name, who, name)
        raise MCPError(
            code=INVALID_PARAMS,
            message=f"Unknown tool: {name} (permission 'tool:{name}' is not granted to {who})",
        )

    @staticmethod
    def _filter(result: HandlerResult) -> HandlerResult:
        permissions = current_permissions()
        if isinstance(result, ListToolsResult):
            names = [t.name for t in result.tools]
            keep = set(permissions.filter_tools(names)) if permissions is not None else set()
            update: dict[str, Any] = {"tools": [t for t in result.tools if t.name in keep]}
            if result.cache_scope == "public":
                update["cache_scope"] = "private"
            return result.model_copy(update=update)
        if isinstance(result, dict) and isinstance(result.get("tools"), list):
            tools = [t for t in result["tools"] if isinstance(t, dict)]
            known = [n for n in (t.get("name") for t in tools) if isinstance(n, str)]
            keep = set(permissions.filter_tools(known)) if permissions is not None else set()
            filtered = dict(result, tools=[t for t in tools if t.get("name") in keep])
            if filtered.get("cacheScope") == "public":
                filtered["cacheScope"] = "private"
            return filtered
        return result


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
