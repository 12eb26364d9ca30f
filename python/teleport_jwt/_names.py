"""The permission names of MCP components, shared by :mod:`teleport_jwt.mcp` and
:mod:`teleport_jwt.fastmcp` (documented there): ``tool:<name>``, ``resource:<uri>`` (a
template: ``resource:<uriTemplate>``) and ``prompt:<name>``.

A read is checked on the URI the SDK serves, by the core's rule
(``teleport_jwt::policy::resource_uri``): :func:`resource_read_permission`."""

from __future__ import annotations

from teleport_jwt._teleport_jwt import RESOURCE_PREFIX, resource_uri

__all__ = [
    "ResourceUriRefused",
    "prompt_permission",
    "resource_permission",
    "resource_read_permission",
    "tool_permission",
]


class ResourceUriRefused(ValueError):
    """A resource URI no permission can name, refused before any permission is asked: the
    SDK would serve another resource than the one written (a ``#fragment`` or ``?query`` it
    drops, an encoded ``/``, a ``..`` segment, a double encoding, ...).

    ``code`` is the core's stable refusal code (``"fragment"``, ``"encoded_delimiter"``, ...;
    all in ``teleport_jwt._teleport_jwt.RESOURCE_URI_REFUSALS``), ``uri`` the URI as requested,
    ``message`` what is refused and why."""

    code: str
    uri: str
    message: str

    def __init__(self, code: str, uri: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.uri = uri
        self.message = message

    def __reduce__(self) -> tuple[type[ResourceUriRefused], tuple[str, str, str]]:
        return (type(self), (self.code, self.uri, self.message))


def tool_permission(name: str) -> str:
    """``tool:<name>``: the permission to see and call the tool ``name``."""
    return f"tool:{name}"


def resource_permission(uri: str) -> str:
    """``resource:<uri>``: the permission to see the resource ``uri`` or the template
    ``uriTemplate`` (e.g. ``resource:reports://{name}``) as written. A read is checked with
    :func:`resource_read_permission`."""
    return f"{RESOURCE_PREFIX}{uri}"


def resource_read_permission(uri: str) -> str:
    """The permission a read of ``uri`` needs: ``resource:`` + the URI the SDK serves
    (percent-decoded as the SDKs decode template parameters, scheme lower-cased), so
    ``reports://%70ayroll`` needs ``resource:reports://payroll``. Raises
    :class:`ResourceUriRefused` for a URI no permission can name."""
    checked = resource_uri(uri)
    if isinstance(checked, tuple):
        code, message = checked
        raise ResourceUriRefused(code, uri, message)
    return f"{RESOURCE_PREFIX}{checked}"


def prompt_permission(name: str) -> str:
    """``prompt:<name>``: the permission to see and get the prompt ``name``."""
    return f"prompt:{name}"
