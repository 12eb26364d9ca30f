"""Repeated and underscore headers get the same answer on every server (issue 21, finding 9).

Each server runs for real on 127.0.0.1 and gets the same raw requests (``http.client`` with
``putheader``, so repeated names and names with ``_`` reach it as sent): an ASGI app and
Django's ASGI handler under uvicorn, Flask under werkzeug's server and under gunicorn, Django
under its ``runserver`` handler and under plain ``wsgiref``. The axum layer gets the same table
in core/tests/it/axum_layer.rs. WSGI servers join repeated lines with commas; the core reads the
copies (core/src/headers.rs). ``wsgiref.simple_server`` is the one server that keeps headers
named with ``_``, and its answers to those differ as the core's module docs say.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import wsgiref.simple_server
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import ServerThread
from flask import Flask

import teleport_jwt as tj
from teleport_jwt.asgi import TeleportMiddleware, current_caller
from teleport_jwt.flask import TeleportJWT, require_caller
from teleport_jwt.testing import MockTeleport, verifier_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

import django_app  # noqa: E402

AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"
T = "Teleport-Jwt-Assertion"
U = "Teleport_Jwt_Assertion"

Lines = list[tuple[str, str]]
Answer = tuple[int, Any]  # status, and the user (200) or the refusal's reason code


def _raw_get(port: int, lines: Lines) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("GET", "/whoami")
        for name, value in lines:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        body = json.loads(response.read())
    finally:
        conn.close()
    return response.status, body["user"] if response.status == 200 else body.get("reason")


def _table(alice: str, bob: str) -> list[tuple[str, Lines, Answer]]:
    """What every server answers: one token, however often and however joined."""
    bearer = f"Bearer {alice}"
    return [
        ("one header", [(T, alice)], (200, "alice")),
        ("two identical lines", [(T, alice), (T, alice)], (200, "alice")),
        ("one line joined by a proxy", [(T, f"{alice}, {alice}")], (200, "alice")),
        ("two identical bearer lines", [("Authorization", bearer)] * 2, (200, "alice")),
        ("one joined bearer line", [("Authorization", f"{bearer},{bearer}")], (200, "alice")),
        ("two different lines", [(T, alice), (T, bob)], (401, "malformed")),
        ("underscore alone", [(U, alice)], (401, "missing_token")),
        ("underscore beside the real header", [(U, bob), (T, alice)], (200, "alice")),
    ]


# wsgiref.simple_server keeps `Teleport_Jwt_Assertion` as HTTP_TELEPORT_JWT_ASSERTION: alone it
# is read as the token; beside Teleport's own header it is a different copy, so refused.
WSGIREF = {
    "underscore alone": (200, "alice"),
    "underscore beside the real header": (401, "malformed"),
}


def _verifier(mock: MockTeleport) -> tj.Verifier:
    return verifier_for(mock, AUDIENCE)


def _flask_app(verifier: tj.Verifier) -> Flask:
    app = Flask(__name__)
    TeleportJWT(app, verifier, expose_reason=True)

    @app.get("/whoami")
    def whoami() -> dict[str, str]:
        return {"user": require_caller().username}

    return app


def flask_app_from_env() -> Flask:
    """gunicorn's app factory: the Flask app, trusting the mock the test names."""
    verifier = tj.Verifier.teleport_jwt(
        os.environ["TJ_PROXY_URL"],
        os.environ["TJ_CLUSTER"],
        AUDIENCE,
        ca_pem=os.environ["TJ_CA_PEM"],
    )
    return _flask_app(verifier)


def _asgi_app(verifier: tj.Verifier) -> Any:
    async def whoami(scope: Any, receive: Any, send: Any) -> None:
        caller = current_caller()
        body = json.dumps({"user": caller.username if caller else None}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return TeleportMiddleware(whoami, verifier, expose_reason=True)


def _django_handler(verifier: tj.Verifier, kind: str) -> Any:
    import django
    from django.conf import settings
    from django.core.handlers.asgi import ASGIHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    if not settings.configured:
        django_app.configure(verifier)
        django.setup()
    # The middleware resolves its settings when the handler builds its chain, here.
    with override_settings(TELEPORT_JWT_VERIFIER=verifier, TELEPORT_JWT_EXPOSE_REASON=True):
        return ASGIHandler() if kind == "asgi" else WSGIHandler()


@contextmanager
def _in_thread(server: Any) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextmanager
def _uvicorn(app: Any) -> Iterator[int]:
    srv = ServerThread(app)
    try:
        yield srv.port
    finally:
        srv.stop()


def _quiet(handler: type[Any]) -> type[Any]:
    class Quiet(handler):  # type: ignore[misc]
        def log_message(self, *args: Any) -> None:
            pass

    return Quiet


def _werkzeug(mock: MockTeleport) -> AbstractContextManager[int]:
    from werkzeug.serving import make_server

    return _in_thread(make_server("127.0.0.1", 0, _flask_app(_verifier(mock)), threaded=True))


@contextmanager
def _gunicorn(mock: MockTeleport) -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # requests wait in the backlog until the worker is up
    env = dict(
        os.environ,
        TJ_PROXY_URL=mock.proxy_url,
        TJ_CLUSTER=mock.cluster_name,
        TJ_CA_PEM=mock.ca_pem,
    )
    fd = listener.fileno()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "--bind", f"fd://{fd}", "--workers", "1"),
            *("--chdir", str(Path(__file__).parent), "--log-level", "warning"),
            "test_headers_by_server:flask_app_from_env()",
        ],
        env=env,
        pass_fds=(fd,),
    )
    try:
        yield listener.getsockname()[1]
    finally:
        proc.terminate()
        proc.wait(30)
        listener.close()


def _django_runserver(mock: MockTeleport) -> AbstractContextManager[int]:
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

    server = WSGIServer(("127.0.0.1", 0), _quiet(WSGIRequestHandler))
    server.set_app(_django_handler(_verifier(mock), "wsgi"))
    return _in_thread(server)


def _django_wsgiref(mock: MockTeleport) -> AbstractContextManager[int]:
    handler = _quiet(wsgiref.simple_server.WSGIRequestHandler)
    app = _django_handler(_verifier(mock), "wsgi")
    return _in_thread(wsgiref.simple_server.make_server("127.0.0.1", 0, app, handler_class=handler))


SERVERS: dict[str, Callable[[MockTeleport], AbstractContextManager[int]]] = {
    "asgi-uvicorn": lambda mock: _uvicorn(_asgi_app(_verifier(mock))),
    "django-asgi-uvicorn": lambda mock: _uvicorn(_django_handler(_verifier(mock), "asgi")),
    "flask-werkzeug": _werkzeug,
    "flask-gunicorn": _gunicorn,
    "django-runserver": _django_runserver,
    "django-wsgiref": _django_wsgiref,
}


@pytest.mark.parametrize("server", SERVERS)
def test_finding_09_repeated_and_underscore_headers_get_one_answer_on_every_server(
    mock: MockTeleport, server: str
) -> None:
    alice = mock.mint(username="alice", audience=AUDIENCE)
    bob = mock.mint(username="bob", audience=AUDIENCE)
    expected = {what: answer for what, _, answer in _table(alice, bob)}
    if server == "django-wsgiref":
        expected.update(WSGIREF)
    with SERVERS[server](mock) as port:
        answers = {what: _raw_get(port, lines) for what, lines, _ in _table(alice, bob)}
    assert answers == expected


def test_finding_09_no_header_rule_may_name_a_header_with_underscore(mock: MockTeleport) -> None:
    # Dropped by WSGI servers, kept by ASGI ones: it would be read on some servers only.
    with pytest.raises(tj.InvalidConfig, match="`_`"):
        verifier_for(mock, AUDIENCE, headers=["Teleport-Jwt-Assertion", "X_Token: Bearer"])
