"""teleport-jwt vs PyJWT (with cryptography) on the same tokens, warm key cache.

Run: make python-bench (release wheel). Not part of make test.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

import teleport_jwt as tj
from teleport_jwt.testing import MockTeleport

AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"


@pytest.fixture(scope="module", params=["RS256", "ES256"])
def setup(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str, Any]]:
    alg: str = request.param
    with MockTeleport(alg) as m:  # type: ignore[arg-type]
        token = m.mint(username="alice", roles=["access", "mcp-reader"], ttl=3600)
        jwks = json.loads(m.jwks_json())
        key = next(k for k in jwks["keys"] if k["kid"] == m.signing_key_id())
        pyjwt_key = jwt.PyJWK(key).key
        yield alg, token, m.jwks_json(), (m.cluster_name, pyjwt_key)


def test_teleport_jwt(benchmark: Any, setup: tuple[str, str, str, Any]) -> None:
    alg, token, jwks, (issuer, _) = setup
    benchmark.group = alg
    v = tj.Verifier(issuer=issuer, audience=AUDIENCE, jwks=jwks)
    assert benchmark(v.verify, token).username == "alice"


def test_teleport_jwt_headers(benchmark: Any, setup: tuple[str, str, str, Any]) -> None:
    """The same token found in request headers (a dict, as a framework hands them over)."""
    alg, token, jwks, (issuer, _) = setup
    benchmark.group = alg
    v = tj.Verifier(issuer=issuer, audience=AUDIENCE, jwks=jwks)
    headers = {"host": "mcp", "accept": "*/*", "teleport-jwt-assertion": token}
    assert benchmark(v.verify_headers, headers).username == "alice"


def test_teleport_jwt_verify_async(benchmark: Any, setup: tuple[str, str, str, Any]) -> None:
    """``await v.verify_async(token)`` of a repeated token: answered on the spot, no thread
    (what the async integrations call; compare ``test_to_thread_verify``)."""
    alg, token, jwks, (issuer, _) = setup
    benchmark.group = alg
    v = tj.Verifier(issuer=issuer, audience=AUDIENCE, jwks=jwks)
    loop = asyncio.new_event_loop()
    try:
        identity = benchmark(lambda: loop.run_until_complete(v.verify_async(token)))
    finally:
        loop.close()
    assert identity.username == "alice"


def test_to_thread_verify(benchmark: Any, setup: tuple[str, str, str, Any]) -> None:
    """The same through ``asyncio.to_thread(v.verify, token)``: what every ``_async`` form
    cost before it answered on the spot."""
    alg, token, jwks, (issuer, _) = setup
    benchmark.group = alg
    v = tj.Verifier(issuer=issuer, audience=AUDIENCE, jwks=jwks)
    loop = asyncio.new_event_loop()
    try:
        identity = benchmark(lambda: loop.run_until_complete(asyncio.to_thread(v.verify, token)))
    finally:
        loop.close()
    assert identity.username == "alice"


def test_pyjwt(benchmark: Any, setup: tuple[str, str, str, Any]) -> None:
    alg, token, _, (issuer, key) = setup
    benchmark.group = alg

    def verify() -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=AUDIENCE,
            issuer=issuer,
            leeway=60,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
        return claims

    assert benchmark(verify)["username"] == "alice"


N_FRESH = 1000


@pytest.fixture(scope="module")
def fresh(setup: tuple[str, str, str, Any]) -> Iterator[tuple[str, list[str], str, Any]]:
    alg = setup[0]
    with MockTeleport(alg) as m:  # type: ignore[arg-type]
        tokens = [m.mint(username=f"u{i}", ttl=3600) for i in range(N_FRESH)]
        key = next(k for k in json.loads(m.jwks_json())["keys"] if k["kid"] == m.signing_key_id())
        yield alg, tokens, m.jwks_json(), (m.cluster_name, jwt.PyJWK(key).key)


def test_teleport_jwt_distinct_tokens(
    benchmark: Any, fresh: tuple[str, list[str], str, Any]
) -> None:
    """Every call sees a token never verified before: no verified-token cache hit possible."""
    alg, tokens, jwks, (issuer, _) = fresh
    benchmark.group = alg
    v = tj.Verifier(issuer=issuer, audience=AUDIENCE, jwks=jwks)
    v.verify(tokens[0])
    it = iter(tokens[1:])
    benchmark.pedantic(lambda: v.verify(next(it)), rounds=N_FRESH - 1, iterations=1)


def test_pyjwt_distinct_tokens(benchmark: Any, fresh: tuple[str, list[str], str, Any]) -> None:
    alg, tokens, _, (issuer, key) = fresh
    benchmark.group = alg
    it = iter(tokens)
    benchmark.pedantic(
        lambda: jwt.decode(next(it), key, algorithms=[alg], audience=AUDIENCE, issuer=issuer),
        rounds=N_FRESH,
        iterations=1,
    )
