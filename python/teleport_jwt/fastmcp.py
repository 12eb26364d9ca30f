"""Protect a FastMCP server (the standalone ``fastmcp`` package, 4.x) with Teleport tokens.

    import teleport_jwt as tj
    from fastmcp import FastMCP
    from teleport_jwt.fastmcp import teleport_auth

    verifier = tj.Verifier.teleport_jwt(proxy_url=..., cluster_name=..., audience=...)
    policy = tj.Policy.from_file("policy.yaml")             # optional: roles -> permissions
    mcp = FastMCP("reports", **teleport_auth(verifier, permissions=policy))
    app = mcp.http_app()                                     # serve with uvicorn

- :func:`teleport_auth` returns ``auth=`` (a :class:`TeleportTokenVerifier`) and, with
  ``permissions=``, ``middleware=[PermissionMiddleware()]``.
  ``FastMCP(auth=TeleportTokenVerifier(verifier))`` alone verifies without permissions.
- :class:`TeleportTokenVerifier` is a FastMCP ``TokenVerifier``: it reads the token from the
  verifier's header rules (``Teleport-Jwt-Assertion``, which Teleport always sets, then
  ``Authorization: Bearer``; a client's ``Authorization`` never wins over Teleport's header) and
  answers refusals as :class:`teleport_jwt.refusal.Refusal` does (401 ``Bearer`` without a
  token, 401 ``invalid_token``, 503 with ``Retry-After`` when Teleport's keys are unavailable,
  500 for a server fault; the reason code only with ``expose_reason=True``). Its access token
  (:class:`TeleportAccessToken`) carries the :class:`~teleport_jwt.Identity` and
  :class:`~teleport_jwt.Permissions`; ``scopes`` are the granted permissions (or the roles,
  without ``permissions=``); ``expires_at`` is ``exp`` plus the verifier's leeway.
- :class:`PermissionMiddleware` (FastMCP middleware) shows each caller only the tools
  (``tool:<name>``), resources (``resource:<uri>``; templates ``resource:<uriTemplate>``,
  reads checked on the concrete URI FastMCP serves) and prompts (``prompt:<name>``) it is
  granted, and answers a call, read or get of any other exactly as FastMCP answers an
  unknown one.
- A read is checked on the URI as FastMCP decodes it (:func:`resource_read_permission`, the
  core's rule): ``reports://%70ayroll`` needs ``resource:reports://payroll``, so a deny
  always wins. A URI no permission can name (a ``#fragment`` or ``?query``, which FastMCP
  drops before matching, an encoded ``/``, ``?`` or ``#``, a ``.``/``..`` segment, a double
  encoding, a backslash, a control character, a ``*``) is refused before any permission is
  asked: ``Unknown resource: '<uri>' (resource URI refused (<code>): <why>)``. Templates with
  query expressions (``{?page}``) can therefore only be read without their query.
- Per component, in FastMCP's style: ``@mcp.tool(auth=permission_required("reports:delete"))``
  hides and refuses that tool for callers without the permission (it is an ``AuthCheck``).
- In a handler: :func:`current_identity`, :func:`require_identity`,
  :func:`current_permissions`, :func:`require_permission` (raises :class:`PermissionDenied`, a
  ``ToolError``: the call's result is an error naming the permission).

FastMCP's own ``JWTVerifier`` does not fit Teleport's tokens (it needs one algorithm and one
key, so ES256 clusters, kid-less tokens and rotations break, and it reads no roles or traits);
this provider runs every check in the teleport-jwt core. Unlike FastMCP's ``AuthMiddleware``,
:class:`PermissionMiddleware` does not skip the stdio transport: there is no Teleport token
there, so everything is hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypedDict

from fastmcp.exceptions import NotFoundError, ToolError
from fastmcp.prompts.base import Prompt
from fastmcp.resources.base import Resource
from fastmcp.resources.template import ResourceTemplate
from fastmcp.server.auth import AccessToken, AuthContext, TokenVerifier
from fastmcp.server.dependencies import get_access_token
from fastmcp.server.middleware.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools.base import Tool, ToolResult
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend
from starlette.middleware import Middleware as ASGIMiddleware
from starlette.middleware.authentication import AuthenticationMiddleware
from typing_extensions import NotRequired

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
    "PermissionDenied",
    "PermissionMiddleware",
    "ResourceUriRefused",
    "TeleportAccessToken",
    "TeleportAuthArgs",
    "TeleportTokenVerifier",
    "current_identity",
    "current_permissions",
    "permission_required",
    "prompt_permission",
    "require_identity",
    "require_permission",
    "resource_permission",
    "resource_read_permission",
    "teleport_auth",
    "tool_permission",
]

logger = logging.getLogger("teleport_jwt.fastmcp")


class TeleportAccessToken(AccessToken, TeleportTokenFields):
    """FastMCP's ``AccessToken`` plus the verified :class:`~teleport_jwt.Identity` and, with
    ``permissions=``, its :class:`~teleport_jwt.Permissions`. ``claims`` are the token's claims."""


class TeleportTokenVerifier(TokenVerifier):
    """FastMCP's ``TokenVerifier`` (an auth provider) backed by a :class:`teleport_jwt.Verifier`,
    as :class:`teleport_jwt.mcp.TeleportTokenVerifier` is the ``mcp`` SDK's:
    ``FastMCP(auth=TeleportTokenVerifier(verifier, permissions=policy))``.

    ``permissions`` (a :class:`~teleport_jwt.Policy` or any permission mapper) is evaluated
    through the core's ``Verifier.authorize``, once per token, in a worker thread; a mapper that
    fails refuses the request with 500 ``plugin_error``. ``expose_reason=True`` puts the reason
    code of a refused token in the 401 (``error_description``, the JSON body and
    ``X-Teleport-Jwt-Error``); the full reason is logged to ``teleport_jwt.fastmcp`` either way.
    ``base_url`` is FastMCP's (the server's public URL, for OAuth metadata; usually unset
    behind Teleport).
    """

    def __init__(
        self,
        verifier: Verifier,
        *,
        permissions: SupportsPermissions | None = None,
        expose_reason: bool = False,
        base_url: str | None = None,
    ) -> None:
        super().__init__(base_url=base_url)
        self.verifier = verifier
        self.expose_reason = expose_reason
        self._checker = TokenChecker(verifier, permissions, logger)

    async def verify_token(self, token: str) -> AccessToken | None:
        """The access token for a verified Teleport token, None for a refused one."""
        checked = await self._checker.check(token)
        if checked is None:
            return None
        return TeleportAccessToken(**checked.access_token_fields(token, lambda i: i.roles))

    def get_middleware(self) -> list[Any]:
        """FastMCP's bearer middleware behind the Teleport header handling and refusals."""
        return [
            ASGIMiddleware(
                TeleportHeaderMiddleware,
                verifier=self.verifier,
                expose_reason=self.expose_reason,
                logger=logger,
            ),
            ASGIMiddleware(AuthenticationMiddleware, backend=BearerAuthBackend(self)),
            ASGIMiddleware(AuthContextMiddleware),
        ]


class TeleportAuthArgs(TypedDict):
    """The ``FastMCP`` arguments :func:`teleport_auth` returns."""

    auth: TeleportTokenVerifier
    middleware: NotRequired[list[Middleware]]


def teleport_auth(
    verifier: Verifier,
    *,
    permissions: SupportsPermissions | None = None,
    expose_reason: bool = False,
    filter_components: bool = True,
    base_url: str | None = None,
) -> TeleportAuthArgs:
    """``FastMCP(name, **teleport_auth(verifier, permissions=policy))``.

    With ``permissions`` (and unless ``filter_components=False``) it adds
    :class:`PermissionMiddleware`; to add your own middleware, pass
    ``middleware=[*auth["middleware"], *yours]``.
    """
    token_verifier = TeleportTokenVerifier(
        verifier, permissions=permissions, expose_reason=expose_reason, base_url=base_url
    )
    result = TeleportAuthArgs(auth=token_verifier)
    if permissions is not None and filter_components:
        result["middleware"] = [PermissionMiddleware()]
    return result


class PermissionDenied(PermissionDeniedBase, ToolError):
    """A tool refused because the caller lacks ``permission``: the call's result is an error
    with this message, for the model to read."""


_caller = RequestCaller(get_access_token, TeleportAccessToken, PermissionDenied, logger)


def current_identity() -> Identity | None:
    """The verified caller of the current request, or None outside an authenticated one."""
    return _caller.identity()


def require_identity() -> Identity:
    """Like :func:`current_identity`, but raises ``PermissionError`` when there is none."""
    return _caller.require_identity()


def current_permissions() -> Permissions | None:
    """The caller's :class:`~teleport_jwt.Permissions`, or None outside an authenticated
    request or without ``permissions=``."""
    return _caller.permissions()


def require_permission(permission: str) -> Identity:
    """In a handler: the caller, if it holds ``permission``; else raises
    :class:`PermissionDenied`. Without ``permissions=`` every permission is refused (and an
    error is logged to ``teleport_jwt.fastmcp``)."""
    return _caller.require_permission(permission)


class _PermissionRequired:
    """An ``AuthCheck``: true when the Teleport caller holds every permission."""

    def __init__(self, permissions: tuple[str, ...]) -> None:
        self.required = permissions

    def __call__(self, ctx: AuthContext) -> bool:
        token = ctx.token
        if not isinstance(token, TeleportAccessToken) or token.permissions is None:
            return False
        return all(token.permissions.allows(p) for p in self.required)

    def __repr__(self) -> str:
        return f"permission_required{self.required!r}"


def permission_required(*permissions: str) -> _PermissionRequired:
    """A FastMCP ``AuthCheck`` for one component:
    ``@mcp.tool(auth=permission_required("reports:delete"))``. A caller without every one of
    ``permissions`` does not see the component, and calling it is answered as for an unknown
    one. It is a check for ``auth=``; in a handler body use :func:`require_permission`."""
    if not permissions:
        raise ValueError("permission_required() needs at least one permission")
    return _PermissionRequired(permissions)


def _refuse(method: str, target: str, permission: str) -> NotFoundError:
    """Logged; answered as FastMCP answers an unknown tool, resource or prompt."""
    _caller.not_granted(method, target, permission)
    return NotFoundError(f"Unknown {method.split('/')[0].rstrip('s')}: {target!r}")


class PermissionMiddleware(Middleware):
    """FastMCP middleware that scopes tools, resources and prompts to the caller's
    :class:`~teleport_jwt.Permissions` (``FastMCP(middleware=[...])``; :func:`teleport_auth`
    adds it): lists keep what is granted (``tool:<name>``, ``resource:<uri>``,
    ``resource:<uriTemplate>``, ``prompt:<name>``); a call, read (checked on the concrete URI
    as FastMCP decodes it; a URI no permission can name is refused with the core's reason)
    or get of anything else is answered as FastMCP answers an unknown name, so a hidden
    component and a nonexistent one look the same. Without permissions on the request,
    everything is hidden."""

    async def on_list_tools(
        self, context: MiddlewareContext[Any], call_next: CallNext[Any, Sequence[Tool]]
    ) -> Sequence[Tool]:
        return [t for t in await call_next(context) if _caller.allows(tool_permission(t.name))]

    async def on_call_tool(
        self, context: MiddlewareContext[Any], call_next: CallNext[Any, ToolResult]
    ) -> ToolResult:
        name = context.message.name
        if not _caller.allows(tool_permission(name)):
            raise _refuse("tools/call", name, tool_permission(name))
        return await call_next(context)

    async def on_list_resources(
        self, context: MiddlewareContext[Any], call_next: CallNext[Any, Sequence[Resource]]
    ) -> Sequence[Resource]:
        resources = await call_next(context)
        return [r for r in resources if _caller.allows_read(str(r.uri))]

    async def on_list_resource_templates(
        self,
        context: MiddlewareContext[Any],
        call_next: CallNext[Any, Sequence[ResourceTemplate]],
    ) -> Sequence[ResourceTemplate]:
        templates = await call_next(context)
        return [t for t in templates if _caller.allows(resource_permission(t.uri_template))]

    async def check_resource_access(self, context: MiddlewareContext[Any]) -> None:
        uri = str(context.message.uri)
        try:
            permission = resource_read_permission(uri)
        except ResourceUriRefused as refused:
            # An MCPError reaches the client as written (FastMCP words every NotFoundError as
            # its own "Resource not found"): the reason is about the URI, not the policy.
            raise _caller.uri_refused("resources/read", refused, repr(uri)) from None
        if not _caller.allows(permission):
            raise _refuse("resources/read", uri, permission)

    async def on_list_prompts(
        self, context: MiddlewareContext[Any], call_next: CallNext[Any, Sequence[Prompt]]
    ) -> Sequence[Prompt]:
        return [p for p in await call_next(context) if _caller.allows(prompt_permission(p.name))]

    async def on_get_prompt(
        self, context: MiddlewareContext[Any], call_next: CallNext[Any, Any]
    ) -> Any:
        name = context.message.name
        if not _caller.allows(prompt_permission(name)):
            raise _refuse("prompts/get", name, prompt_permission(name))
        return await call_next(context)
