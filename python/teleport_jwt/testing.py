"""Test helpers: a fake Teleport proxy on loopback HTTPS, from the Rust core's mock.

>>> from teleport_jwt.testing import MockTeleport, verifier_for
>>> with MockTeleport() as teleport:                       # doctest: +SKIP
...     v = verifier_for(teleport, audience="mcp+http://127.0.0.1:8000/mcp")
...     assert v.verify(teleport.mint(username="alice")).username == "alice"
"""

from __future__ import annotations

from typing import Any

from teleport_jwt._teleport_jwt import MockTeleport, Verifier

__all__ = ["MockTeleport", "verifier_for"]


def verifier_for(
    mock: MockTeleport,
    audience: str | list[str] = "mcp+http://127.0.0.1:8000/mcp",
    *,
    kind: str = "jwt",
    **options: Any,
) -> Verifier:
    """A verifier that trusts ``mock`` (its CA for TLS, its cluster as issuer): the
    ``teleport_jwt`` preset for ``kind="jwt"``, the ID token preset for ``kind="id_token"``."""
    options.setdefault("ca_pem", mock.ca_pem)
    if kind == "id_token":
        return Verifier.teleport_id_token(mock.proxy_url, audience, **options)
    if kind != "jwt":
        raise ValueError(f'kind must be "jwt" or "id_token", not {kind!r}')
    return Verifier.teleport_jwt(mock.proxy_url, mock.cluster_name, audience, **options)
