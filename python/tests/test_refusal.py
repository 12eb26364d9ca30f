"""teleport_jwt.refusal: the HTTP answer of every reason code, one row per case."""

from __future__ import annotations

import json
import logging

import pytest

import teleport_jwt as tj
from teleport_jwt._errors import error_for
from teleport_jwt.refusal import RETRY_AFTER_SECONDS, Refusal, RefusalAnswer

# code -> (status, RFC 6750 error, challenge without the reason)
EXPECTED: dict[str, tuple[int, str | None, str | None]] = {
    "missing_token": (401, None, "Bearer"),
    "key_source_unavailable": (503, None, None),
    "plugin_error": (500, None, None),
    "invalid_config": (500, None, None),
    "insecure_transport": (500, None, None),
    "internal_error": (500, None, None),
}
INVALID = (401, "invalid_token", 'Bearer error="invalid_token"')


def test_every_reason_code_has_a_row() -> None:
    assert set(EXPECTED) <= set(tj.REASON_CODES)


@pytest.mark.parametrize("code", tj.REASON_CODES)
def test_status_and_challenge_of_every_code(code: str) -> None:
    status, error, challenge = EXPECTED.get(code, INVALID)
    r = Refusal.from_error(error_for(code, "the details"))
    assert (r.status, r.error, r.code) == (status, error, code)
    assert r.www_authenticate() == challenge
    headers = dict(r.headers())
    assert ("retry-after" in headers) == (status == 503)
    if status == 503:
        assert headers["retry-after"] == str(RETRY_AFTER_SECONDS) == "30"
    # Not exposed: neither the code nor the message reaches the client.
    assert "x-teleport-jwt-error" not in headers
    wire = r.body_bytes().decode() + json.dumps(r.headers())
    assert code not in wire and "the details" not in wire
    # Exposed: the code (never the message) in the challenge, the body and a header.
    shown = Refusal.from_error(error_for(code, "the details"), expose_reason=True)
    assert dict(shown.headers())["x-teleport-jwt-error"] == code
    assert shown.body()["reason"] == code
    if error is not None:
        assert shown.www_authenticate() == (
            f'Bearer error="{error}", error_description="Teleport token refused: {code}"'
        )
    assert "the details" not in shown.body_bytes().decode() + json.dumps(shown.headers())


def test_extra_challenge_parameters_follow_ours() -> None:
    meta = 'resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"'
    missing = Refusal.from_error(tj.MissingToken("missing_token", "none"))
    assert missing.www_authenticate(meta) == f"Bearer {meta}"
    expired = Refusal.from_error(tj.Expired("expired", "old"))
    assert expired.www_authenticate(meta) == f'Bearer error="invalid_token", {meta}'


def test_permission_denied_is_403_insufficient_scope() -> None:
    r = Refusal.permission_denied("reports:delete", "alice")
    assert (r.status, r.error, r.code) == (403, "insufficient_scope", "permission_denied")
    assert r.www_authenticate() == 'Bearer error="insufficient_scope"'
    assert "reports:delete" not in r.body_bytes().decode()
    assert "alice" in r.message and "reports:delete" in r.message
    shown = Refusal.permission_denied("reports:delete", "alice", expose_reason=True)
    assert shown.body()["error_description"] == "permission 'reports:delete' is not granted"


@pytest.mark.parametrize("code", tj.REASON_CODES)
def test_the_answer_is_one_value_with_named_fields(code: str) -> None:
    meta = 'resource_metadata="https://mcp.example.com/meta"'
    for r in (
        Refusal.from_error(error_for(code, "the details"), expose_reason=True),
        Refusal.permission_denied("reports:delete", "alice"),
    ):
        answer = r.answer(meta)
        assert isinstance(answer, RefusalAnswer)
        assert answer == RefusalAnswer(
            status=r.status,
            error=r.error,
            description=r.description,
            retry_after=r.retry_after,
            headers=r.headers(meta),
            body=r.body_bytes().decode(),
            message=r.message,
        )
        with pytest.raises(AttributeError):
            answer.status = 200  # type: ignore[misc]


def test_log_levels_follow_who_is_at_fault(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("teleport_jwt.test")
    caplog.set_level(logging.DEBUG, logger="teleport_jwt.test")
    for code in ("expired", "key_source_unavailable", "plugin_error", "missing_token"):
        Refusal.from_error(error_for(code, f"why {code}")).log(logger)
    levels = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert levels == [
        (logging.INFO, "request refused (401 expired): why expired"),
        (
            logging.WARNING,
            "request refused (503 key_source_unavailable): why key_source_unavailable",
        ),
        (logging.ERROR, "request refused (500 plugin_error): why plugin_error"),
        (logging.DEBUG, "request refused (401 missing_token): why missing_token"),
    ]


def _shared_cases() -> list[dict[str, object]]:
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    doc = json.loads((root / "tests/vectors/refusal_cases.json").read_text())
    cases: list[dict[str, object]] = doc["cases"]
    return cases


@pytest.mark.parametrize("case", _shared_cases(), ids=lambda c: str(c["name"]))
def test_the_shared_refusal_vectors(case: dict[str, object]) -> None:
    """The same answers as the core's suite (core/tests/it/refusal.rs), from the same file."""
    expose = bool(case["expose_reason"])
    if case["code"] == "permission_denied":
        r = Refusal.permission_denied(
            str(case["permission"]), str(case["username"]), expose_reason=expose
        )
    else:
        retry = case.get("retry_after_secs", RETRY_AFTER_SECONDS)
        assert isinstance(retry, int)
        r = Refusal.from_error(
            error_for(str(case["code"]), "never shown"), expose_reason=expose, retry_after=retry
        )
    headers = dict(r.headers())
    assert r.status == case["status"]
    assert headers.get("www-authenticate") == case["www_authenticate"]
    assert headers.get("retry-after") == case["retry_after"]
    assert headers.get("x-teleport-jwt-error") == case["x_teleport_jwt_error"]
    assert r.body() == case["body"]
    assert "never shown" not in r.body_bytes().decode()
    answer = r.answer()  # the same answer as one typed value
    assert (answer.status, dict(answer.headers), json.loads(answer.body)) == (
        case["status"],
        headers,
        case["body"],
    )
