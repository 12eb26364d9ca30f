"""The app test_workers.py serves with gunicorn and uvicorn worker processes.

Built the way docs/operating.md ("Workers and forks") says: one verifier per process, created
and warmed (``warm_up()``) when the module is imported, so that ``gunicorn --preload`` builds
it once in the master and every worker is a fork of it. Configured from the environment:
``TJ_TEST_PROXY_URL``, ``TJ_TEST_CLUSTER``, ``TJ_TEST_CA_FILE`` (PEM of the mock's CA),
``TJ_TEST_AUDIENCE`` and ``TJ_TEST_MAX_AGE`` (seconds; the cooldown is 1 s, ``max_stale`` an
hour, so a key kept past ``max_age`` is plainly the fork bug, not an outage).

Every request is answered 200 with JSON: the worker's ``pid``, the verified ``user`` or the
refusal ``reason`` code, and the worker's key ``fetches``. ``?hold=<seconds>`` keeps the worker
busy that long first, so that concurrent requests spread over the workers. ``wsgi`` is the WSGI
app (gunicorn sync workers), ``asgi`` the ASGI one (uvicorn).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import teleport_jwt as tj

verifier = tj.Verifier.teleport_jwt(
    os.environ["TJ_TEST_PROXY_URL"],
    os.environ["TJ_TEST_CLUSTER"],
    os.environ["TJ_TEST_AUDIENCE"],
    ca_pem=Path(os.environ["TJ_TEST_CA_FILE"]).read_text(),
    cache_max_age=float(os.environ["TJ_TEST_MAX_AGE"]),
    cache_cooldown=1,
    cache_max_stale=3600,
    fetch_timeout=2,
)
verifier.warm_up()


def _hold(query: str) -> float:
    values = parse_qs(query).get("hold", ["0"])
    return min(float(values[0]), 2.0)


def _answer(identity: tj.Identity | None, refusal: tj.VerifyError | None) -> bytes:
    return json.dumps(
        {
            "pid": os.getpid(),
            "user": identity.username if identity else None,
            "reason": refusal.code if refusal else None,
            "fetches": verifier.key_fetch_count,
        }
    ).encode()


def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    time.sleep(_hold(environ.get("QUERY_STRING", "")))
    try:
        body = _answer(verifier.verify_headers(environ), None)
    except tj.VerifyError as e:
        body = _answer(None, e)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


async def asgi(
    scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await asyncio.sleep(_hold(scope.get("query_string", b"").decode()))
    try:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        body = _answer(await verifier.verify_headers_async(headers), None)
    except tj.VerifyError as e:
        body = _answer(None, e)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
