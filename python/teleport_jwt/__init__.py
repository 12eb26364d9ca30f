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

# help(tj.Verifier) lists the keyword options of every constructor: the names and kinds come
# from the core's table (VERIFIER_OPTIONS), the words from here; test_api checks both agree.
_OPTION_HELP = {
    "leeway": "seconds of clock skew allowed on exp, nbf and iat (default 60, at most 300)",
    "max_token_bytes": "longest token accepted, refused before decoding (default 16384)",
    "headers": 'header rules, first present wins (default ["Teleport-Jwt-Assertion", '
    '"Authorization: Bearer"])',
    "cache_max_age": "seconds a key set is used before it is refetched (default 600)",
    "cache_cooldown": "seconds between fetch attempts after a failed fetch (default 30)",
    "cache_max_stale": "seconds the last good keys keep verifying during an outage (default 86400)",
    "cache_max_keys": "most keys accepted from one key set (default 100)",
    "fetch_timeout": "seconds one key fetch may take (default 5)",
    "fetch_max_body_bytes": "largest key-endpoint response (default 262144)",
    "ca_pem": "PEM CA certificate(s) trusted for the key endpoints (self-signed clusters)",
    "allow_insecure_http_for_loopback": "allow http key URLs on loopback (development only)",
    "token_cache_capacity": "verified tokens remembered (default 1024; 0 = off)",
    "token_cache_max_bytes": "memory budget of that cache (default 4 MiB; 0 = off)",
    "http_fetcher": "an object with get(url, timeout, max_body_bytes) -> (status, body)",
    "fixed_time": "tests and replays only: a clock stopped at this Unix time",
    "permissions": "a Policy or permission mapper, for authorize*()",
    "key_events": "a callable receiving key events (rotations, failures, stale keys) as dicts",
}


def _verifier_help(base: str | None) -> str:
    lines = [base or "", "", "Keyword options of every constructor (unset: the core's default):"]
    lines += [f"    {name}: {text}" for name, text in _OPTION_HELP.items()]
    return "\n".join(lines)


Verifier.__doc__ = _verifier_help(Verifier.__doc__)

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
