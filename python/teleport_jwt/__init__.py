"""Verify the JWTs and OIDC ID tokens Teleport sends to MCP servers and web apps.

>>> import teleport_jwt as tj
>>> v = tj.Verifier.teleport_jwt(
...     proxy_url="https://teleport.example.com",
...     cluster_name="teleport.example.com",
...     audience="mcp+http://127.0.0.1:8000/mcp",
... )
>>> # identity = v.verify(token)  or  v.verify_headers(request.headers)

Every failure is a :class:`VerifyError` subclass whose ``code`` is the core's reason code.
Permissions: :class:`Policy` maps an identity's roles and traits to the application's
permissions (``Policy.from_file("policy.yaml").allows(identity, "tool:read_file")``).
MCP servers: see :mod:`teleport_jwt.mcp`. Tests: :mod:`teleport_jwt.testing`.
"""

from __future__ import annotations

from teleport_jwt._errors import (
    CODE_TO_CLASS,
    AudienceMismatch,
    BadSignature,
    Expired,
    InsecureTransport,
    InternalError,
    InvalidClaim,
    InvalidConfig,
    IssuedInFuture,
    IssuerMismatch,
    KeySourceUnavailable,
    Malformed,
    MissingClaim,
    MissingToken,
    NotYetValid,
    PluginError,
    TokenTooLarge,
    UnknownKey,
    UnsupportedAlgorithm,
    UnsupportedHeader,
    VerifyError,
)
from teleport_jwt._protocols import SupportsPermissions
from teleport_jwt._teleport_jwt import (
    REASON_CODES,
    Authorized,
    Explanation,
    Identity,
    PermissionMapper,
    Permissions,
    Policy,
    TrustEntry,
    Verifier,
    __version__,
)

__all__ = [
    "CODE_TO_CLASS",
    "REASON_CODES",
    "AudienceMismatch",
    "Authorized",
    "BadSignature",
    "Expired",
    "Explanation",
    "Identity",
    "InsecureTransport",
    "InternalError",
    "InvalidClaim",
    "InvalidConfig",
    "IssuedInFuture",
    "IssuerMismatch",
    "KeySourceUnavailable",
    "Malformed",
    "MissingClaim",
    "MissingToken",
    "NotYetValid",
    "PermissionMapper",
    "Permissions",
    "PluginError",
    "Policy",
    "SupportsPermissions",
    "TokenTooLarge",
    "TrustEntry",
    "UnknownKey",
    "UnsupportedAlgorithm",
    "UnsupportedHeader",
    "Verifier",
    "VerifyError",
    "__version__",
]
