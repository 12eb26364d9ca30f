"""The permission-mapper protocol (a typing aid; the native ``PermissionMapper`` checks it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from teleport_jwt._teleport_jwt import Identity, Permissions

__all__ = ["SupportsPermissions"]


@runtime_checkable
class SupportsPermissions(Protocol):
    """A permission mapper: a :class:`~teleport_jwt.Policy`, or any object whose
    ``permissions(identity)`` returns the granted permissions (an iterable of str) or a
    :class:`~teleport_jwt.Permissions` (which can also carry deny patterns).

    It runs on every request, so it should be fast and must be synchronous; an exception or
    another return type refuses the request with ``PluginError`` (``plugin_error``).
    """

    def permissions(self, identity: Identity, /) -> Iterable[str] | Permissions: ...
