"""verify_headers and friends read a WSGI environ (Django's request.META, Flask's
request.environ): its HTTP_* entries are the headers, everything else is skipped."""

from __future__ import annotations

import io

import pytest

import teleport_jwt as tj
from teleport_jwt.testing import MockTeleport

AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"


def _environ(**headers: str) -> dict[str, object]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_PORT": "8000",
        "wsgi.version": (1, 0),
        "wsgi.input": io.BytesIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        **{f"HTTP_{k}": v for k, v in headers.items()},
    }


def test_environ_headers_are_read(mock: MockTeleport, verifier: tj.Verifier) -> None:
    token = mock.mint(username="alice")
    environ = _environ(TELEPORT_JWT_ASSERTION=token, HOST="x")
    assert verifier.verify_headers(environ).username == "alice"
    assert verifier.token_from_headers(environ) == token
    bearer = _environ(AUTHORIZATION=f"Bearer {mock.mint(username='bob')}")
    assert verifier.verify_headers(bearer).username == "bob"
    with pytest.raises(tj.MissingToken):
        verifier.verify_headers(_environ())


def test_a_header_named_like_an_environ_key_does_not_switch_modes(
    mock: MockTeleport, verifier: tj.Verifier
) -> None:
    # A plain mapping of headers stays one: its values are text, so it is never an environ,
    # and a client-sent "HTTP_TELEPORT_JWT_ASSERTION" header is not Teleport's header.
    forged = mock.mint(username="mallory")
    headers = {"wsgi.multithread": "True", "HTTP_TELEPORT_JWT_ASSERTION": forged}
    with pytest.raises(tj.MissingToken):
        verifier.verify_headers(headers)


def test_non_text_header_values_are_still_a_type_error(verifier: tj.Verifier) -> None:
    with pytest.raises(TypeError, match="header value"):
        verifier.verify_headers([("Teleport-Jwt-Assertion", 42)])  # type: ignore[list-item]
