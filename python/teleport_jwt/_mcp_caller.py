"""The Teleport caller of an MCP request, for both MCP adapters: :mod:`teleport_jwt.mcp` (the
``mcp`` SDK) and :mod:`teleport_jwt.fastmcp` (FastMCP, built on that SDK).

Each adapter keeps what is its SDK's: the access-token class (each SDK has its own base), the
function that finds the request's token, the ``ToolError`` its ``PermissionDenied`` is, and the
words of "unknown name" answers. Everything else a handler or a permission check asks is
answered here, once, so the two adapters cannot drift: who the caller is, which permissions it
holds, whether a permission or a resource read is allowed, and what is logged when not.

It imports only the ``mcp`` SDK (FastMCP depends on it), never FastMCP.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import BaseModel, ConfigDict, Field

from teleport_jwt._names import ResourceUriRefused, resource_read_permission
from teleport_jwt._teleport_jwt import Identity, Permissions

__all__ = ["PermissionDeniedBase", "RequestCaller", "TeleportTokenFields", "who"]

UNAUTHENTICATED = "an unauthenticated caller"


def who(username: str | None) -> str:
    """The caller as log lines and refusals name it."""
    return username if username is not None else UNAUTHENTICATED


class TeleportTokenFields(BaseModel):
    """What both adapters' ``TeleportAccessToken`` add to their SDK's ``AccessToken``: the
    verified :class:`~teleport_jwt.Identity` and, with a permission mapper, its
    :class:`~teleport_jwt.Permissions` (neither serialized nor in the repr)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    identity: Identity = Field(exclude=True, repr=False)
    permissions: Permissions | None = Field(default=None, exclude=True, repr=False)


class PermissionDeniedBase(Exception):
    """The body of both adapters' ``PermissionDenied``; each also subclasses its SDK's
    ``ToolError``, so the SDK answers it as an error result naming the permission."""

    permission: str
    username: str | None

    def __init__(self, permission: str, username: str | None) -> None:
        super().__init__(f"permission denied: {who(username)} does not have {permission!r}")
        self.permission = permission
        self.username = username


_Token = TypeVar("_Token", bound=TeleportTokenFields)


class RequestCaller(Generic[_Token]):
    """The Teleport caller of the request being handled, as one SDK's context holds it.

    ``access_token`` is the SDK's ``get_access_token``; a token of another class than
    ``token_type`` (or none) is an unauthenticated caller. ``denied`` builds the adapter's
    ``PermissionDenied``; refusals are logged to ``logger``.
    """

    def __init__(
        self,
        access_token: Callable[[], object],
        token_type: type[_Token],
        denied: type[PermissionDeniedBase],
        logger: logging.Logger,
    ) -> None:
        self._access_token = access_token
        self._token_type = token_type
        self._denied = denied
        self.logger = logger

    def token(self) -> _Token | None:
        """The request's Teleport access token, or None."""
        token = self._access_token()
        return token if isinstance(token, self._token_type) else None

    def identity(self) -> Identity | None:
        token = self.token()
        return token.identity if token is not None else None

    def require_identity(self) -> Identity:
        identity = self.identity()
        if identity is None:
            raise PermissionError("no verified Teleport identity for this request")
        return identity

    def permissions(self) -> Permissions | None:
        token = self.token()
        return token.permissions if token is not None else None

    def require_permission(self, permission: str) -> Identity:
        """The caller, if it holds ``permission``; else raises the adapter's
        ``PermissionDenied``. Asked without a permission mapper, it refuses and logs an error:
        the server is misconfigured, and every caller would be refused."""
        token = self.token()
        if token is None:
            raise self._denied(permission, None)
        if token.permissions is None:
            self.logger.error(
                "require_permission(%r) without a permission mapper: refused", permission
            )
        if token.permissions is None or not token.permissions.allows(permission):
            raise self._denied(permission, token.identity.username)
        return token.identity

    def who(self) -> str:
        """The caller's user name, or "an unauthenticated caller"."""
        identity = self.identity()
        return who(identity.username if identity is not None else None)

    def allows(self, permission: str) -> bool:
        """True when the caller holds ``permission``; always False without permissions."""
        permissions = self.permissions()
        return permissions is not None and permissions.allows(permission)

    def allows_read(self, uri: str) -> bool:
        """True when a read of ``uri`` would be allowed (how a resource is listed); False for
        a URI no permission can name."""
        try:
            return self.allows(resource_read_permission(uri))
        except ResourceUriRefused:
            return False

    def not_granted(self, method: str, target: str, permission: str) -> None:
        """Logs a call, read or get refused for lack of ``permission``."""
        self.logger.info(
            "%s %r refused for %s: permission %s not granted",
            method,
            target,
            self.who(),
            permission,
        )

    def uri_refused(self, method: str, refused: ResourceUriRefused, shown: str) -> MCPError:
        """The protocol error for a read of a URI no permission can name (logged): invalid
        params, ``Unknown resource: <shown> (<why>)`` with ``shown`` the URI as the SDK shows
        an unknown one, ``data`` the URI and the core's refusal code."""
        self.logger.info(
            "%s %r refused for %s: %s", method, refused.uri, self.who(), refused.message
        )
        return MCPError(
            code=INVALID_PARAMS,
            message=f"Unknown resource: {shown} ({refused.message})",
            data={"uri": refused.uri, "refused": refused.code},
        )
