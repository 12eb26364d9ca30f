"""The permission names of MCP components, shared by :mod:`teleport_jwt.mcp` and
:mod:`teleport_jwt.fastmcp` (documented there): ``tool:<name>``, ``resource:<uri>`` (a
template: ``resource:<uriTemplate>``) and ``prompt:<name>``."""

from __future__ import annotations

__all__ = ["prompt_permission", "resource_permission", "tool_permission"]


def tool_permission(name: str) -> str:
    """``tool:<name>``: the permission to see and call the tool ``name``."""
    return f"tool:{name}"


def resource_permission(uri: str) -> str:
    """``resource:<uri>``: the permission to see and read the resource ``uri`` (for a resource
    template, its ``uriTemplate``, e.g. ``resource:reports://{name}``)."""
    return f"resource:{uri}"


def prompt_permission(name: str) -> str:
    """``prompt:<name>``: the permission to see and get the prompt ``name``."""
    return f"prompt:{name}"
