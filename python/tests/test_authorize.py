"""``Verifier.authorize``: verification plus the verifier's permission mapper, its answer
cached with the token (the core's ``Verifier::authorize``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

import pytest

import teleport_jwt as tj
from teleport_jwt.testing import MockTeleport, verifier_for

AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"
POLICY = Path(__file__).resolve().parents[2] / "examples" / "policy" / "mcp-tools.yaml"


class CountingMapper:
    """Grants ``tool:<role>`` per role and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def permissions(self, identity: tj.Identity) -> Iterable[str]:
        self.calls += 1
        return [f"tool:{r}" for r in identity.roles]


def test_authorize_returns_identity_and_the_policy_answer(mock: MockTeleport) -> None:
    policy = tj.Policy.from_file(POLICY)
    v = verifier_for(mock, AUDIENCE, permissions=policy)
    assert v.has_permissions
    for roles in (["access"], ["mcp-admin"], []):
        token = mock.mint(roles=roles)
        got = v.authorize(token)
        assert isinstance(got, tj.Authorized)
        assert got.identity.roles == roles
        assert got.permissions == policy.permissions(got.identity), roles
    bearer = {"Authorization": f"Bearer {mock.mint(username='bob')}"}
    assert v.authorize_headers(bearer).identity.username == "bob"


def test_a_python_mapper_runs_once_per_token(mock: MockTeleport) -> None:
    mapper = CountingMapper()
    v = verifier_for(mock, AUDIENCE, permissions=mapper)
    token = mock.mint(roles=["reader"])
    for _ in range(5):
        assert v.authorize(token).permissions.allows("tool:reader")
    assert mapper.calls == 1, "cached with the verified token"
    v.authorize(mock.mint(roles=["reader"], username="other"))
    assert mapper.calls == 2


def test_authorize_without_a_mapper_is_invalid_config(verifier: tj.Verifier) -> None:
    assert not verifier.has_permissions
    with pytest.raises(tj.InvalidConfig, match="permission mapper"):
        verifier.authorize("a.b.c")


def test_refusals_come_before_the_mapper_and_a_failing_mapper_is_plugin_error(
    mock: MockTeleport,
) -> None:
    class Broken:
        def permissions(self, identity: tj.Identity) -> Iterable[str]:
            raise RuntimeError("database down")

    v = verifier_for(mock, AUDIENCE, permissions=Broken())
    with pytest.raises(tj.Expired):
        v.authorize(mock.mint(issued_at=1_700_000_000, ttl=60))
    with pytest.raises(tj.PluginError, match="database down"):
        v.authorize(mock.mint())


def test_with_permissions_shares_the_keys(fresh_mock: MockTeleport) -> None:
    plain = verifier_for(fresh_mock, AUDIENCE)
    token = fresh_mock.mint(roles=["access"])
    plain.verify(token)
    assert plain.key_fetch_count == 1
    mapped = plain.with_permissions(tj.Policy.from_file(POLICY))
    assert mapped.authorize(token).identity.roles == ["access"]
    assert mapped.key_fetch_count == 1 and plain.key_fetch_count == 1, "no second fetch"
    assert fresh_mock.request_count_for("/.well-known/jwks.json") == 1
    assert not plain.has_permissions


def test_authorize_async_and_at_a_pinned_time(mock: MockTeleport) -> None:
    v = verifier_for(mock, AUDIENCE, permissions=CountingMapper())
    token = mock.mint(roles=["x"], issued_at=1_700_000_000, ttl=300)

    async def run() -> tuple[bool, str]:
        a = await v.authorize_async(mock.mint(roles=["x"]))
        b = await v.authorize_headers_async({"Teleport-Jwt-Assertion": mock.mint(username="z")})
        return a.permissions.allows("tool:x"), b.identity.username

    assert asyncio.run(run()) == (True, "z")
    assert v.authorize(token, now=1_700_000_100).permissions.allows("tool:x")
    with pytest.raises(tj.Expired):
        v.authorize(token, now=1_700_000_400)


def test_require_iat_on_a_trust_entry(mock: MockTeleport) -> None:
    entry = tj.TrustEntry.teleport_jwt(
        mock.proxy_url, mock.cluster_name, AUDIENCE, require_iat=True
    )
    assert entry.require_iat
    assert not tj.TrustEntry.teleport_jwt(mock.proxy_url, mock.cluster_name, AUDIENCE).require_iat
    assert tj.TrustEntry.teleport_id_token(mock.proxy_url, AUDIENCE).require_iat
    v = tj.Verifier.from_entries([entry], ca_pem=mock.ca_pem)
    with pytest.raises(tj.MissingClaim, match="iat"):
        v.verify(mock.mint(remove_claims=["iat"]))
    assert v.verify(mock.mint()).issued_at is not None
