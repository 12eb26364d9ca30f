"""The FastAPI, Flask and Django examples (examples/*_app.py) run against the mock Teleport,
each through its real framework: FastAPI on uvicorn over HTTP, Flask and Django through their
test clients. One table of cases for all three, plus the ASGI middleware on its own."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ServerThread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

import teleport_jwt as tj
from teleport_jwt.asgi import TeleportMiddleware, current_caller
from teleport_jwt.starlette import TeleportDependency
from teleport_jwt.testing import MockTeleport, verifier_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

import django_app  # noqa: E402
import fastapi_app  # noqa: E402
import flask_app  # noqa: E402
from web_common import AUDIENCE, POLICY  # noqa: E402

Answer = tuple[int, dict[str, str], Any]  # status, headers (lower-case names), JSON body
Client = Callable[[str, str, dict[str, str]], Answer]


def _verifier(mock: MockTeleport) -> tj.Verifier:
    return verifier_for(mock, AUDIENCE, permissions=tj.Policy.from_file(POLICY))


def _json(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


@pytest.fixture(scope="module")
def fastapi_client(mock: MockTeleport) -> Iterator[Client]:
    srv = ServerThread(fastapi_app.build_app(_verifier(mock)))
    base = f"http://127.0.0.1:{srv.port}"

    def call(method: str, path: str, headers: dict[str, str]) -> Answer:
        r = httpx.request(method, base + path, headers=headers, timeout=10)
        return r.status_code, {k.lower(): v for k, v in r.headers.items()}, _json(r.text)

    try:
        yield call
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def flask_client(mock: MockTeleport) -> Client:
    client = flask_app.build_app(_verifier(mock)).test_client()

    def call(method: str, path: str, headers: dict[str, str]) -> Answer:
        r = client.open(path, method=method, headers=headers)
        return r.status_code, {k.lower(): v for k, v in r.headers.items()}, _json(r.text)

    return call


_django_verifier: list[tj.Verifier] = []


def _current_django_verifier() -> tj.Verifier:
    return _django_verifier[-1]


@pytest.fixture(scope="module")
def django_client(mock: MockTeleport) -> Iterator[Client]:
    import django
    from django.test import Client as DjangoClient

    _django_verifier.append(_verifier(mock))
    from django.conf import settings
    from django.test import override_settings

    # A dotted path, as a project would write it: resolved by each new middleware chain. Set
    # over whatever another test module configured first (settings are configured once).
    dotted = f"{__name__}._current_django_verifier"
    if not settings.configured:
        django_app.configure(dotted)
        django.setup()

    def call(method: str, path: str, headers: dict[str, str]) -> Answer:
        client = DjangoClient(headers=headers)  # as request.META: HTTP_TELEPORT_JWT_ASSERTION
        with override_settings(TELEPORT_JWT_VERIFIER=dotted):
            r = client.generic(method, path)
        return r.status_code, {k.lower(): v for k, v in r.headers.items()}, _json(r.text)

    try:
        yield call
    finally:
        _django_verifier.pop()


@pytest.fixture(params=["fastapi", "flask", "django"])
def web(request: pytest.FixtureRequest) -> Client:
    client: Client = request.getfixturevalue(f"{request.param}_client")
    return client


def _mint(mock: MockTeleport, **claims: Any) -> str:
    claims.setdefault("audience", AUDIENCE)
    return mock.mint(**claims)


def _as(token: str) -> dict[str, str]:
    return {"Teleport-Jwt-Assertion": token}


def test_handlers_get_the_identity_and_permissions(web: Client, mock: MockTeleport) -> None:
    alice = _as(_mint(mock, username="alice", roles=["mcp-reader"], traits={"teams": ["sales"]}))
    status, _, body = web("GET", "/whoami", alice)
    assert (status, body) == (200, {"user": "alice", "roles": ["mcp-reader"]})
    status, _, body = web("GET", "/reports/sales-q3", alice)
    assert (status, body["text"]) == (200, "Sales grew 12%.")
    status, _, _ = web("GET", "/reports/finance-q3", alice)  # the handler's own check
    assert status == 403
    bob = _as(_mint(mock, username="bob", roles=["mcp-admin"]))
    assert web("DELETE", "/reports/sales-q3", bob)[::2] == (200, {"deleted": "sales-q3"})


def test_a_missing_permission_is_403_insufficient_scope(web: Client, mock: MockTeleport) -> None:
    alice = _as(_mint(mock, username="alice", roles=["mcp-reader"]))
    status, headers, _ = web("DELETE", "/reports/sales-q3", alice)
    assert status == 403
    assert headers["www-authenticate"] == 'Bearer error="insufficient_scope"'


def test_bearer_fallback_and_teleport_header_precedence(web: Client, mock: MockTeleport) -> None:
    carol = _mint(mock, username="carol")
    assert web("GET", "/whoami", {"Authorization": f"Bearer {carol}"})[2]["user"] == "carol"
    mallory = _mint(mock, username="mallory", roles=["mcp-admin"])
    both = {"Teleport-Jwt-Assertion": carol, "Authorization": f"Bearer {mallory}"}
    assert web("GET", "/whoami", both)[2]["user"] == "carol"


@pytest.mark.parametrize("case", ["missing", "expired", "other_audience", "garbage"])
def test_refused_tokens(web: Client, mock: MockTeleport, case: str) -> None:
    headers = {
        "missing": {},
        "expired": _as(_mint(mock, issued_at=1_600_000_000)),
        "other_audience": _as(_mint(mock, audience="http://127.0.0.1:9999")),
        "garbage": _as("x.y.z"),
    }[case]
    status, response_headers, _ = web("GET", "/whoami", headers)
    assert status == 401
    expected = "Bearer" if case == "missing" else 'Bearer error="invalid_token"'
    assert response_headers["www-authenticate"] == expected
    assert "x-teleport-jwt-error" not in response_headers


@pytest.mark.parametrize("cooldown", [30, 7])
def test_finding_08_key_endpoint_down_is_503_everywhere_with_the_cores_retry_after(
    fresh_mock: MockTeleport, cooldown: int
) -> None:
    # Retry-After is when the verifier tries the endpoint again (a cooldown after the failed
    # attempt), from the core, in every adapter: not a fixed 30 whatever the cooldown.
    from django.test import Client as DjangoClient
    from django.test import override_settings

    fresh_mock.set_failure("refuse")
    token = _as(_mint(fresh_mock))
    verifier = verifier_for(
        fresh_mock, AUDIENCE, permissions=tj.Policy.from_file(POLICY), cache_cooldown=cooldown
    )
    answers = []
    app = fastapi_app.build_app(verifier)
    with TestClient(app) as client:  # Starlette's test client runs the real app in-process
        r = client.get("/whoami", headers=token)
        answers.append((r.status_code, r.headers.get("retry-after")))
    r2 = flask_app.build_app(verifier).test_client().get("/whoami", headers=token)
    answers.append((r2.status_code, r2.headers.get("retry-after")))
    import django
    from django.conf import settings

    if not settings.configured:
        django_app.configure(verifier)
        django.setup()
    with override_settings(TELEPORT_JWT_VERIFIER=verifier):
        r3 = DjangoClient(headers=token).get("/whoami")
        answers.append((r3.status_code, r3.headers.get("retry-after")))
    assert [status for status, _ in answers] == [503] * 3
    # The seconds left of the cooldown, rounded up: the cooldown itself unless the machine
    # took seconds between the three requests.
    for _, retry_after in answers:
        assert retry_after is not None and cooldown - 3 <= int(retry_after) <= cooldown, answers


def _asgi_app(verifier: tj.Verifier) -> Any:
    teleport = TeleportDependency(verifier)

    async def whoami(request: Request) -> JSONResponse:
        caller = await teleport(request)  # already verified by the middleware: no second check
        ambient = current_caller()
        assert ambient is caller
        return JSONResponse({"user": caller.username})

    async def ws(socket: WebSocket) -> None:
        await socket.accept()
        caller = current_caller()
        await socket.send_text(caller.username if caller else "-")
        await socket.close()

    app = Starlette(routes=[Route("/whoami", whoami), WebSocketRoute("/ws", ws)])
    return TeleportMiddleware(app, verifier, expose_reason=True)


def test_asgi_middleware_guards_http_and_websockets(mock: MockTeleport) -> None:
    verifier = verifier_for(mock, AUDIENCE)
    with TestClient(_asgi_app(verifier)) as client:
        token = _as(_mint(mock, username="dave"))
        assert client.get("/whoami", headers=token).json() == {"user": "dave"}
        r = client.get("/whoami", headers=_as(_mint(mock, audience="http://other")))
        assert (r.status_code, r.headers["x-teleport-jwt-error"]) == (401, "audience_mismatch")
        assert r.json()["reason"] == "audience_mismatch"
        with client.websocket_connect("/ws", headers=token) as socket:
            assert socket.receive_text() == "dave"
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws"):
            pass
        assert closed.value.code == 1008
