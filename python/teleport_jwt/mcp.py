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
  ``expires_at`` is the last second the verifier accepts the token (``exp`` plus its leeway),
  so the SDK's own expiry check never refuses a token the verifier accepted;
  ``identity.expires_at`` is the token's ``exp``.
- ``permissions=`` takes a :class:`~teleport_jwt.Policy` or any object with
  ``permissions(identity) -> Iterable[str] | Permissions`` (run through the core's
  ``PermissionMapper``; if it raises, the request is refused with 500 ``plugin_error``). With
  it, :class:`PermissionMiddleware` shows each caller only what it may use and refuses the
  rest by name, whatever the name: tools (permission ``tool:<name>``), resources
  (``resource:<uri>``; a template is listed with ``resource:<uriTemplate>``, e.g.
  ``resource:reports://{name}``, and each read is checked on the concrete URI the SDK
  serves) and prompts (``prompt:<name>``). A grant ``resource:reports://*`` covers the
  template and its reads.
- A read is checked on the URI as the SDK decodes it (:func:`resource_read_permission`, the
  core's rule): ``reports://%70ayroll`` needs ``resource:reports://payroll``, so a deny
  always wins. A URI no permission can name (a ``#fragment`` or ``?query``, an encoded ``/``,
  ``?`` or ``#``, a ``.``/``..`` segment, a double encoding, a backslash, a control character,
  a ``*``) is refused before any permission is asked: -32602 ``Unknown resource: <uri>
  (resource URI refused (<code>): <why>)``, ``data.refused`` the code. Templates with query
  expressions (``{?page}``) can therefore only be read without their query.
- The SDK reads only ``Authorization: Bearer``; Teleport sends ``Teleport-Jwt-Assertion`` by
  default. :class:`TeleportHeaderMiddleware` makes the token from the verifier's configured
  header the one the SDK sees (a client-supplied ``Authorization`` never wins over it), leaves
  ``Authorization`` alone when that is the configured header (ID token in ``Authorization``),
  and answers refusals as :class:`teleport_jwt.refusal.Refusal` does: 401 ``Bearer`` without
  credentials, 401 ``invalid_token`` for a refused token, 503 with ``Retry-After`` when the
  keys are unavailable, 500 for a server fault; the reason code only with
  ``expose_reason=True``.
- In a tool handler: :func:`current_identity`, :func:`current_permissions`,
  :func:`require_permission` and the :func:`requires` decorator (a missing permission is the
  tool error :class:`PermissionDenied`, an ``isError`` result naming the permission).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypedDict, TypeVar, cast

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    ListPromptsResult,
    ListResourcesResult,
    ListResourceTemplatesResult,
    ListToolsResult,
)
from pydantic import AnyHttpUrl
from typing_extensions import NotRequired

from teleport_jwt._asgi import ASGIApp
from teleport_jwt._bearer import TeleportHeaderMiddleware, TokenChecker
from teleport_jwt._mcp_caller import PermissionDeniedBase, RequestCaller, TeleportTokenFields
from teleport_jwt._names import (
    ResourceUriRefused,
    prompt_permission,
    resource_permission,
    resource_read_permission,
    tool_permission,
)
from teleport_jwt._protocols import SupportsPermissions
from teleport_jwt._teleport_jwt import Identity, Permissions, Verifier

__all__ = [
    "ASGIApp",
    "PermissionDenied",
    "PermissionMiddleware",
    "ResourceUriRefused",
    "TeleportAccessToken",
    "TeleportAuthArgs",
    "TeleportHeaderMiddleware",
    "TeleportTokenVerifier",
    "current_identity",
    "current_permissions",
    "prompt_permission",
    "require_identity",
    "require_permission",
    "requires",
    "resource_permission",
    "resource_read_permission",
    "teleport_auth",
    "tool_permission",
]

logger = logging.getLogger("teleport_jwt.mcp")


class TeleportAccessToken(AccessToken, TeleportTokenFields):
    """The SDK's ``AccessToken`` plus the verified :class:`~teleport_jwt.Identity` and, when a
    permission mapper is configured, its :class:`~teleport_jwt.Permissions`."""


def _roles(identity: Identity) -> list[str]:
    return identity.roles


class TeleportTokenVerifier(TokenVerifier):
    """An ``mcp.server.auth.provider.TokenVerifier`` backed by a :class:`teleport_jwt.Verifier`.

    ``permissions`` (a :class:`~teleport_jwt.Policy` or any permission mapper) is evaluated
    through the core's ``Verifier.authorize``: once per token, its answer cached with the
    verified token; its granted permissions become the SDK ``scopes`` and the
    :class:`~teleport_jwt.Permissions` ride on the access token. A mapper that fails refuses
    the request (500, reason ``plugin_error``). The mapper runs in a worker thread, like
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
        self._checker = TokenChecker(verifier, permissions, logger)

    async def verify_token(self, token: str) -> AccessToken | None:
        checked = await self._checker.check(token)
        if checked is None:
            return None
        return TeleportAccessToken(**checked.access_token_fields(token, self._scopes))


class TeleportAuthArgs(TypedDict):
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
    filter_components: bool = True,
) -> TeleportAuthArgs:
    """``MCPServer(..., **teleport_auth(verifier, issuer_url=<Teleport proxy URL>))``.

    The verifier checks the audience itself, so the SDK's resource check is off
    (``validate_token_resource=False``); ``required_roles`` become ``required_scopes``
    (403 without them; not with ``permissions``, whose scopes are permissions: require
    things in the policy instead).

    ``permissions`` (a :class:`~teleport_jwt.Policy` or a mapper) gives each request its
    :class:`~teleport_jwt.Permissions`; unless ``filter_components=False`` it also installs
    :class:`PermissionMiddleware`, so lists, calls, reads and gets only reach the tools,
    resources and prompts whose permission (``tool:<name>``, ``resource:<uri>``,
    ``prompt:<name>``) the caller holds.
    """
    if permissions is not None and required_roles:
        raise ValueError(
            "required_roles= needs roles as scopes; with permissions= the scopes are "
            "permissions: require roles in the policy instead"
        )
    result = TeleportAuthArgs(
        token_verifier=TeleportTokenVerifier(verifier, permissions=permissions, scopes=scopes),
        auth=AuthSettings(
            issuer_url=AnyHttpUrl(issuer_url),
            resource_server_url=AnyHttpUrl(resource_server_url) if resource_server_url else None,
            validate_token_resource=False,
            required_scopes=list(required_roles) if required_roles else None,
        ),
    )
    if permissions is not None and filter_components:
        result["middleware"] = [PermissionMiddleware()]
    return result


class PermissionDenied(PermissionDeniedBase, ToolError):
    """A tool refused because the caller lacks ``permission``: the call's result is
    ``isError`` with this message, for the model to read."""


_caller = RequestCaller(get_access_token, TeleportAccessToken, PermissionDenied, logger)


def current_identity() -> Identity | None:
    """The verified caller of the current MCP request, or None outside an authenticated one."""
    return _caller.identity()


def require_identity() -> Identity:
    """Like :func:`current_identity`, but raises ``PermissionError`` when there is none."""
    return _caller.require_identity()


def current_permissions() -> Permissions | None:
    """The :class:`~teleport_jwt.Permissions` of the current MCP request's caller, or None
    outside an authenticated request or without ``permissions=`` in :func:`teleport_auth`."""
    return _caller.permissions()


def require_permission(permission: str) -> Identity:
    """In a tool handler: the caller, if it holds ``permission``; else raises
    :class:`PermissionDenied` (the tool's result is an error naming the permission).

    Needs ``permissions=`` in :func:`teleport_auth`; without it every permission is refused
    (and an error is logged to ``teleport_jwt.mcp``).
    """
    return _caller.require_permission(permission)


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


_Item = Any


@dataclass(frozen=True)
class _Listing:
    """How one list result names its items, as a model and on the wire."""

    model: type[Any]
    field: str
    wire_field: str
    key: str
    wire_key: str
    permission: Callable[[str], str]


_LISTINGS = {
    "tools/list": _Listing(ListToolsResult, "tools", "tools", "name", "name", tool_permission),
    "resources/list": _Listing(
        ListResourcesResult, "resources", "resources", "uri", "uri", resource_read_permission
    ),
    "resources/templates/list": _Listing(
        ListResourceTemplatesResult,
        "resource_templates",
        "resourceTemplates",
        "uri_template",
        "uriTemplate",
        resource_permission,
    ),
    "prompts/list": _Listing(
        ListPromptsResult, "prompts", "prompts", "name", "name", prompt_permission
    ),
}
# method -> (what the SDK calls it in "Unknown ...", the params member, the permission)
_USES: dict[str, tuple[str, str, Callable[[str], str]]] = {
    "tools/call": ("tool", "name", tool_permission),
    "resources/read": ("resource", "uri", resource_read_permission),
    "prompts/get": ("prompt", "name", prompt_permission),
}


class PermissionMiddleware:
    """SDK server middleware (``MCPServer(middleware=[...])``; :func:`teleport_auth` adds it)
    that scopes tools, resources and prompts to the caller's
    :class:`~teleport_jwt.Permissions`:

    - ``tools/list``, ``resources/list``, ``resources/templates/list`` and ``prompts/list`` keep
      only the items whose permission is granted: ``tool:<name>``, ``resource:<uri>``,
      ``resource:<uriTemplate>`` and ``prompt:<name>`` (one evaluation per request); a
      ``public`` cache scope becomes ``private``, since the list now depends on the caller;
    - ``tools/call``, ``resources/read`` (on the concrete URI as the SDK decodes it, also for
      a templated resource; see :func:`resource_read_permission`) and ``prompts/get`` of
      anything else are refused before the SDK looks it up: JSON-RPC error -32602 (invalid
      params, as for an unknown name) naming the missing permission, or for a resource URI no
      permission can name, the core's refusal (:class:`ResourceUriRefused`). A hidden item and
      a nonexistent one get the same answer.

    Without permissions on the request (no ``permissions=`` on the token verifier), everything
    is hidden and refused.
    """

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        use = _USES.get(ctx.method)
        if use is not None:
            params = ctx.params if isinstance(ctx.params, Mapping) else {}
            target = params.get(use[1])
            if isinstance(target, str):
                self._check(ctx.method, target)
            return await call_next(ctx)
        listing = _LISTINGS.get(ctx.method)
        if listing is not None:
            return self._filter(ctx.method, await call_next(ctx))
        return await call_next(ctx)

    @staticmethod
    def _check(method: str, target: str) -> None:
        what, _, permission_of = _USES[method]
        try:
            permission = permission_of(target)
        except ResourceUriRefused as refused:
            raise _caller.uri_refused(method, refused, target) from None
        if _caller.allows(permission):
            return
        _caller.not_granted(method, target, permission)
        raise MCPError(
            code=INVALID_PARAMS,
            message=f"Unknown {what}: {target} (permission {permission!r} is not granted to "
            f"{_caller.who()})",
            data={"uri": target} if what == "resource" else None,
        )

    @staticmethod
    def _filter(method: str, result: HandlerResult) -> HandlerResult:
        listing = _LISTINGS[method]
        permissions = current_permissions()

        def allowed(key: object) -> bool:
            if not isinstance(key, str) or permissions is None:
                return False
            try:
                return permissions.allows(listing.permission(key))
            except ResourceUriRefused:  # a resource no read of could be allowed
                return False

        if isinstance(result, listing.model):
            items = getattr(result, listing.field)
            update: dict[str, Any] = {
                listing.field: [i for i in items if allowed(str(getattr(i, listing.key)))]
            }
            if getattr(result, "cache_scope", None) == "public":
                update["cache_scope"] = "private"
            return cast(HandlerResult, result.model_copy(update=update))
        if isinstance(result, dict) and isinstance(result.get(listing.wire_field), list):
            wire = [i for i in result[listing.wire_field] if isinstance(i, dict)]
            filtered = dict(result)
            filtered[listing.wire_field] = [i for i in wire if allowed(i.get(listing.wire_key))]
            if filtered.get("cacheScope") == "public":
                filtered["cacheScope"] = "private"
            return filtered
        return result
