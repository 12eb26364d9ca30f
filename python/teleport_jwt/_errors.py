"""The exception classes: one per reason code of the core, named after it.

Each class is the core's ``Reason::type_name`` (``bad_signature`` -> ``BadSignature``), the
name of the same error in Kotlin (the ``VerifyException.BadSignature`` subclass; a trailing
``Error`` is spelled ``Exception`` there: ``VerifyException.PluginException``) and Swift (the
``VerifyError.BadSignature(message:)`` case); ``tests/test_parity.py`` checks this module
against the core's table. The native module raises ``error_for(code, message)`` for every core
error, so the class a caller catches is decided here and only here.
"""

from __future__ import annotations

__all__ = [
    "CODE_TO_CLASS",
    "AudienceMismatch",
    "BadSignature",
    "Expired",
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
    "PluginError",
    "TokenTooLarge",
    "UnknownKey",
    "UnsupportedAlgorithm",
    "UnsupportedHeader",
    "VerifyError",
    "error_for",
]


class VerifyError(Exception):
    """A refused token, configuration or key fetch.

    ``code`` is the core's stable reason code (e.g. ``"audience_mismatch"``), the same in
    every language; ``message`` says what went wrong and what to change. Never parse the
    message. ``str(e)`` is ``"code: message"``. ``retry_after``: for
    ``key_source_unavailable``, the seconds until the verifier tries the key endpoint again
    (what ``Retry-After`` says); ``None`` otherwise.
    """

    code: str
    message: str
    retry_after: float | None

    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[type[VerifyError], tuple[str, str, float | None]]:
        return (type(self), (self.code, self.message, self.retry_after))


class Malformed(VerifyError):
    """``malformed``: not a well-formed compact JWS/JWT, or a present but unusable header."""


class TokenTooLarge(VerifyError):
    """``token_too_large``: longer than the configured cap; refused before decoding."""


class MissingToken(VerifyError):
    """``missing_token``: none of the configured headers is in the request."""


class UnsupportedHeader(VerifyError):
    """``unsupported_header``: ``crit`` or a key-carrying header (``jwk``, ``jku``, ``x5u``,
    ``x5c``)."""


class UnsupportedAlgorithm(VerifyError):
    """``unsupported_algorithm``: not RS256/ES256, or not the algorithm of the trusted key."""


class BadSignature(VerifyError):
    """``bad_signature``: the signature does not verify with the selected key."""


class UnknownKey(VerifyError):
    """``unknown_key``: no trusted key matches the token, even after the rate-limited refetch."""


class Expired(VerifyError):
    """``expired``: ``exp`` is in the past by more than the leeway."""


class NotYetValid(VerifyError):
    """``not_yet_valid``: ``nbf`` is in the future by more than the leeway (clocks?)."""


class IssuedInFuture(VerifyError):
    """``issued_in_future``: ``iat`` is in the future by more than the leeway (clocks?)."""


class IssuerMismatch(VerifyError):
    """``issuer_mismatch``: ``iss`` is not a trusted issuer."""


class AudienceMismatch(VerifyError):
    """``audience_mismatch``: the token is for another app."""


class MissingClaim(VerifyError):
    """``missing_claim``: a required claim (``exp``, ``iss``, ``aud``, ``sub``, ``iat`` for ID
    tokens) is absent."""


class InvalidClaim(VerifyError):
    """``invalid_claim``: a claim has the wrong type or an impossible value."""


class KeySourceUnavailable(VerifyError):
    """``key_source_unavailable``: keys could not be fetched and no recent good set is cached."""


class InsecureTransport(VerifyError):
    """``insecure_transport``: a key URL is not https."""


class InvalidConfig(VerifyError):
    """``invalid_config``: the verifier's configuration, or a permission policy, cannot work.

    For a policy mistake, ``line`` and ``column`` (1-based) say where it is when the format
    reports it; the message carries them too. They are None otherwise.
    """

    line: int | None
    column: int | None

    def __init__(
        self, code: str, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(code, message)
        self.line = line
        self.column = column

    def __reduce__(  # type: ignore[override]
        self,
    ) -> tuple[type[InvalidConfig], tuple[str, str, int | None, int | None]]:
        return (type(self), (self.code, self.message, self.line, self.column))


class PluginError(VerifyError):
    """``plugin_error``: a user-supplied plug-in failed: an HTTP fetcher or permission mapper
    raised, or a plug-in returned the wrong type. (A key source that raises is an outage of its
    keys: ``key_source_unavailable``, and the last good keys stay in use.)"""


class InternalError(VerifyError):
    """``internal_error``: a bug in teleport-jwt (e.g. a Rust panic caught at the boundary)."""


CODE_TO_CLASS: dict[str, type[VerifyError]] = {
    "malformed": Malformed,
    "token_too_large": TokenTooLarge,
    "missing_token": MissingToken,
    "unsupported_header": UnsupportedHeader,
    "unsupported_algorithm": UnsupportedAlgorithm,
    "bad_signature": BadSignature,
    "unknown_key": UnknownKey,
    "expired": Expired,
    "not_yet_valid": NotYetValid,
    "issued_in_future": IssuedInFuture,
    "issuer_mismatch": IssuerMismatch,
    "audience_mismatch": AudienceMismatch,
    "missing_claim": MissingClaim,
    "invalid_claim": InvalidClaim,
    "key_source_unavailable": KeySourceUnavailable,
    "insecure_transport": InsecureTransport,
    "invalid_config": InvalidConfig,
    "plugin_error": PluginError,
    "internal_error": InternalError,
}


def error_for(code: str, message: str, retry_after: float | None = None) -> VerifyError:
    """The exception for a reason code (the base class for a code this table does not know)."""
    return CODE_TO_CLASS.get(code, VerifyError)(code, message, retry_after)
