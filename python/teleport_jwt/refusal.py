"""What to answer over HTTP when a request is refused: one decision, used by every integration.

    import teleport_jwt as tj
    from teleport_jwt.refusal import Refusal

    try:
        caller = verifier.authorize_headers(headers)
    except tj.VerifyError as e:
        refusal = Refusal.from_error(e)
        refusal.log(logger)                        # the full message, never the token
        answer = refusal.answer()                  # status, headers, body: the core's
        return Response(answer.body, answer.status, answer.headers)

Every integration of this package (:mod:`teleport_jwt.mcp`, :mod:`teleport_jwt.fastmcp`,
:mod:`teleport_jwt.asgi`, :mod:`teleport_jwt.starlette`, :mod:`teleport_jwt.flask`,
:mod:`teleport_jwt.django`) answers with a :class:`Refusal`, so the same token gets the same
answer whatever serves it:

======================================  ======  =================================================
reason code                              status  ``WWW-Authenticate`` / other headers
======================================  ======  =================================================
``missing_token`` (no credentials)       401     ``Bearer`` (no ``error``: RFC 6750 section 3.1)
any other token problem (``expired``,    401     ``Bearer error="invalid_token"``
``bad_signature``, ``malformed``, ...)
``key_source_unavailable``               503     ``Retry-After``: seconds until the next key fetch
``plugin_error``, ``invalid_config``,    500     (none): the server, not the caller, is at fault
``insecure_transport``,
``internal_error``
a permission the caller lacks            403     ``Bearer error="insufficient_scope"``
======================================  ======  =================================================

The reason code reaches the client only when the server opts in (``expose_reason=True``): then
the challenge carries ``error_description="Teleport token refused: <code>"``, the JSON body a
``reason`` member and the response an ``X-Teleport-Jwt-Error: <code>`` header. Off by default:
codes such as ``audience_mismatch`` or ``issuer_mismatch`` tell a prober how the server is
configured, and behind Teleport the caller cannot fix its token anyway. The full message always
goes to the log (:meth:`Refusal.log`), never a token.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, replace

from teleport_jwt._errors import VerifyError
from teleport_jwt._teleport_jwt import (
    PERMISSION_DENIED,
    REASON_CODES,
    REFUSAL_RETRY_AFTER_SECONDS,
    refusal_answer,
)

__all__ = [
    "PERMISSION_DENIED",
    "RETRY_AFTER_SECONDS",
    "SERVER_FAULT_CODES",
    "Refusal",
    "RefusalAnswer",
]

RETRY_AFTER_SECONDS = REFUSAL_RETRY_AFTER_SECONDS
"""``Retry-After`` of a 503: the core's default key-fetch cooldown, after which it tries again."""


@dataclass(frozen=True)
class RefusalAnswer:
    """The core's HTTP answer to one refusal (``teleport_jwt::refusal::Refusal``), everything a
    response needs in one value (:meth:`Refusal.answer`)."""

    status: int
    """401, 403, 500 or 503."""
    error: str | None
    """The RFC 6750 error: ``"invalid_token"``, ``"insufficient_scope"``; None when no
    credentials were sent, and for 500 and 503."""
    description: str
    """What the client is told (``error_description``): the reason code only when exposed."""
    retry_after: int | None
    """``Retry-After`` seconds of a 503, None otherwise."""
    headers: list[tuple[str, str]]
    """Response headers besides ``Content-Length`` (lower-case names): ``Content-Type``, the
    ``WWW-Authenticate`` challenge, ``Retry-After`` and, when exposed, ``X-Teleport-Jwt-Error``."""
    body: str
    """The JSON body: ``error`` and ``error_description`` (OAuth style), ``reason`` when
    exposed."""
    message: str
    """The full explanation, for the server's log only (never sent)."""


def _core_answer(
    code: str,
    message: str,
    *,
    expose_reason: bool,
    retry_after: int,
    permission: str | None = None,
    username: str | None = None,
    extra_challenge: tuple[str, ...] = (),
) -> RefusalAnswer:
    """The core's answer for a reason ``code`` (or ``PERMISSION_DENIED`` with ``permission``);
    the one place that knows the order of the native tuple."""
    status, error, description, retry, headers, body, log_message = refusal_answer(
        code,
        message,
        expose_reason=expose_reason,
        retry_after=retry_after,
        permission=permission,
        username=username,
        extra_challenge=list(extra_challenge),
    )
    return RefusalAnswer(
        status=status,
        error=error,
        description=description,
        retry_after=retry,
        headers=headers,
        body=body,
        message=log_message,
    )


SERVER_FAULT_CODES = frozenset(
    code
    for code in REASON_CODES
    if code != "internal_error"
    and _core_answer(code, "", expose_reason=False, retry_after=RETRY_AFTER_SECONDS).status == 500
)
"""Reason codes that are the server's fault (500), with ``internal_error``: the core's table."""

_MISSING = "missing_token"


@dataclass(frozen=True)
class Refusal:
    """The HTTP answer to a refused request.

    ``status`` is 401, 403, 500 or 503; ``code`` the core's reason code (or
    ``"permission_denied"`` for a 403); ``error`` the RFC 6750 error (``None`` when no
    credentials were sent, ``"invalid_token"``, ``"insufficient_scope"``; ``None`` for 500 and
    503); ``message`` the full explanation, for the server's log only; ``retry_after`` the
    seconds of a 503; ``permission`` the missing permission of a 403; ``expose_reason`` whether
    the client is told ``code`` (and ``permission``).
    """

    status: int
    code: str
    error: str | None
    message: str
    retry_after: int | None = None
    permission: str | None = None
    expose_reason: bool = False

    @classmethod
    def from_error(
        cls,
        error: VerifyError,
        *,
        expose_reason: bool = False,
        retry_after: int = RETRY_AFTER_SECONDS,
    ) -> Refusal:
        """The answer to a request refused with ``error``, a :class:`~teleport_jwt.VerifyError`.

        A 503's ``Retry-After`` is when the verifier tries the key endpoint again
        (``error.retry_after``, from the core); ``retry_after`` only when the error does not say.
        """
        wait = getattr(error, "retry_after", None)
        if wait is not None:
            retry_after = max(1, math.ceil(wait))
        answer = _core_answer(
            error.code, error.message, expose_reason=expose_reason, retry_after=retry_after
        )
        return cls(
            answer.status,
            error.code,
            answer.error,
            error.message,
            answer.retry_after,
            expose_reason=expose_reason,
        )

    @classmethod
    def permission_denied(
        cls, permission: str, username: str | None = None, *, expose_reason: bool = False
    ) -> Refusal:
        """403 for a verified caller that lacks ``permission``."""
        answer = _core_answer(
            PERMISSION_DENIED,
            "",
            expose_reason=expose_reason,
            retry_after=RETRY_AFTER_SECONDS,
            permission=permission,
            username=username,
        )
        return cls(
            answer.status,
            PERMISSION_DENIED,
            answer.error,
            answer.message,
            permission=permission,
            expose_reason=expose_reason,
        )

    def answer(self, *extra_challenge: str) -> RefusalAnswer:
        """The whole HTTP answer, from the core: status, headers (the challenge with
        ``extra_challenge`` parameters, already formatted, after ours) and JSON body; its
        ``message`` is this refusal's."""
        answer = _core_answer(
            self.code,
            self.message,
            expose_reason=self.expose_reason,
            retry_after=self.retry_after or RETRY_AFTER_SECONDS,
            permission=self.permission,
            extra_challenge=extra_challenge,
        )
        return replace(answer, message=self.message)

    @property
    def description(self) -> str:
        """What the client is told (``error_description``): the code only when exposed."""
        return self.answer().description

    def www_authenticate(self, *extra: str) -> str | None:
        """The ``WWW-Authenticate`` challenge (401 and 403 only), with ``extra`` parameters
        (already formatted, e.g. ``'resource_metadata="https://..."'``) after ours."""
        return dict(self.answer(*extra).headers).get("www-authenticate")

    def headers(self, *extra_challenge: str) -> list[tuple[str, str]]:
        """Response headers besides ``Content-Length``: ``Content-Type``, the challenge,
        ``Retry-After`` and, when exposed, ``X-Teleport-Jwt-Error``."""
        return self.answer(*extra_challenge).headers

    def body(self) -> dict[str, str]:
        """The JSON body: ``error`` and ``error_description`` (OAuth style), ``reason`` when
        exposed."""
        body: dict[str, str] = json.loads(self.answer().body)
        return body

    def body_bytes(self) -> bytes:
        """:meth:`body` as JSON bytes."""
        return self.answer().body.encode()

    @property
    def log_level(self) -> int:
        """INFO for a refused caller (401/403), WARNING for an outage (503), ERROR for a
        server fault (500)."""
        if self.status == 503:
            return logging.WARNING
        if self.status == 500:
            return logging.ERROR
        return logging.DEBUG if self.code == _MISSING else logging.INFO

    def log(self, logger: logging.Logger, context: str = "request") -> None:
        """One log line with the full message (never the token) at :attr:`log_level`."""
        logger.log(
            self.log_level, "%s refused (%d %s): %s", context, self.status, self.code, self.message
        )
