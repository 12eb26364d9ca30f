"""The public API: constructors, options, identities, header rules, the mock's controls."""

from __future__ import annotations

import asyncio
import json
import pickle
import time

import pytest
from conftest import AUDIENCE

import teleport_jwt as tj
from teleport_jwt.testing import MockTeleport, verifier_for


def test_teleport_jwt_preset_gives_every_identity_field(mock: MockTeleport) -> None:
    v = tj.Verifier.teleport_jwt(
        proxy_url=mock.proxy_url,
        cluster_name=mock.cluster_name,
        audience=AUDIENCE,
        ca_pem=mock.ca_pem,
        leeway=60,
    )
    token = mock.mint(
        username="alice", roles=["access", "mcp-reader"], traits={"logins": ["root"]}, ttl=120
    )
    ident = v.verify(token)
    assert ident.username == "alice"
    assert ident.sub == "alice"
    assert ident.roles == ["access", "mcp-reader"]
    assert ident.traits == {"logins": ["root"]}
    assert ident.issuer == mock.cluster_name
    assert ident.audience == [AUDIENCE]
    assert isinstance(ident.expires_at, int)
    assert ident.issued_at is not None
    assert ident.expires_at - ident.issued_at == 120
    assert ident.not_before == ident.issued_at - 10
    assert ident.jti and len(ident.jti) == 36
    assert ident.key_id == mock.signing_key_id()
    assert ident.algorithm == "RS256"
    assert ident.trust_entry == mock.cluster_name
    assert ident.kind == "teleport_jwt"
    assert ident.claims["username"] == "alice"
    assert ident.has_role("mcp-reader") and not ident.has_role("admin")
    assert ident.trait_values("logins") == ["root"] and ident.trait_values("x") == []
    assert ident.to_dict()["roles"] == ["access", "mcp-reader"]
    assert ident == v.verify(token)
    assert hash(ident) == hash(v.verify(token))
    assert "alice" in repr(ident)
    assert v.leeway == 60.0
    assert v.max_token_bytes == 16384


def test_id_token_preset_and_es256(fresh_mock: MockTeleport) -> None:
    v = tj.Verifier.teleport_id_token(
        proxy_url=fresh_mock.proxy_url, audience=AUDIENCE, ca_pem=fresh_mock.ca_pem
    )
    ident = v.verify(fresh_mock.mint(username="carol", kind="id_token"))
    assert ident.username == "carol"
    assert ident.kind == "id_token"
    assert ident.issuer == fresh_mock.proxy_url
    with MockTeleport("ES256") as es:
        assert verifier_for(es).verify(es.mint()).algorithm == "ES256"


def test_general_form_with_jwks_text_dict_and_url(mock: MockTeleport) -> None:
    jwks = mock.jwks_json()
    token = mock.mint()
    for keys in (jwks, jwks.encode(), json.loads(jwks)):
        v = tj.Verifier(issuer=mock.cluster_name, audience=AUDIENCE, jwks=keys)
        assert v.verify(token).kind == "generic"
    v = tj.Verifier(
        issuer=mock.cluster_name,
        audience=[AUDIENCE, "x"],
        jwks_url=mock.jwks_url,
        ca_pem=mock.ca_pem,
    )
    assert v.verify(token).username == "alice"
    v = tj.Verifier(
        issuer=mock.id_token_issuer,
        audience=AUDIENCE,
        discovery_url=mock.discovery_url,
        ca_pem=mock.ca_pem,
    )
    assert v.verify(mock.mint(kind="id_token")).issuer == mock.id_token_issuer


def test_several_trust_entries(mock: MockTeleport) -> None:
    with MockTeleport(cluster_name="leaf.example.com") as leaf:
        v = tj.Verifier.from_entries(
            [
                tj.TrustEntry.teleport_jwt(mock.proxy_url, mock.cluster_name, AUDIENCE),
                tj.TrustEntry.teleport_id_token(mock.proxy_url, AUDIENCE, name="root-oidc"),
                tj.TrustEntry(issuer="leaf.example.com", audience=AUDIENCE, jwks=leaf.jwks_json()),
            ],
            leeway=30,
            ca_pem=mock.ca_pem,
            headers=["Teleport-Jwt-Assertion", "Authorization: Bearer"],
        )
        assert [e.name for e in v.trust_entries] == [
            mock.cluster_name,
            "root-oidc",
            "leaf.example.com",
        ]
        assert [e.kind for e in v.trust_entries] == ["teleport_jwt", "id_token", "generic"]
        assert v.verify(mock.mint()).trust_entry == mock.cluster_name
        assert v.verify(mock.mint(kind="id_token")).trust_entry == "root-oidc"
        assert v.verify(leaf.mint(username="dave")).trust_entry == "leaf.example.com"
        assert "leaf.example.com" in repr(v)
        assert "root-oidc" in repr(v.trust_entries[1])


def test_options_are_applied(mock: MockTeleport) -> None:
    v = verifier_for(
        mock,
        leeway=0,
        max_token_bytes=100,
        cache_max_age=60,
        cache_cooldown=1,
        cache_max_stale=3600,
        cache_max_keys=10,
        fetch_timeout=2.5,
        fetch_max_body_bytes=65536,
        allow_insecure_http_for_loopback=False,
        headers=["Authorization: Bearer"],
    )
    assert v.header_rules == ["Authorization: Bearer"]
    assert v.leeway == 0
    with pytest.raises(tj.TokenTooLarge) as e:
        v.verify(mock.mint())
    assert e.value.code == "token_too_large"


def test_verify_headers_follows_the_rules(verifier: tj.Verifier, mock: MockTeleport) -> None:
    t = mock.mint(username="erin")
    assert verifier.verify_headers({"Teleport-Jwt-Assertion": t}).username == "erin"
    assert verifier.verify_headers({"authorization": f"Bearer {t}"}).username == "erin"
    assert verifier.verify_headers([("X-Other", "1"), ("teleport-jwt-assertion", t)]).sub == "erin"
    assert verifier.verify_headers({"Teleport-Jwt-Assertion": t.encode()}).sub == "erin"
    other = mock.mint(username="mallory")
    both = {"Authorization": f"Bearer {other}", "Teleport-Jwt-Assertion": t}
    assert verifier.verify_headers(both).username == "erin"
    with pytest.raises(tj.Malformed):
        verifier.verify_headers({"Authorization": "Basic dXNlcg=="})
    with pytest.raises(TypeError):
        verifier.verify_headers([("only-one",)])  # type: ignore[list-item]


def test_verify_at_a_pinned_time(verifier: tj.Verifier, mock: MockTeleport) -> None:
    t = mock.mint(issued_at=1_700_000_000, ttl=300)
    assert verifier.verify(t, now=1_700_000_100).username == "alice"
    with pytest.raises(tj.Expired):
        verifier.verify(t, now=1_700_000_400)
    with pytest.raises(tj.Expired):
        verifier.verify(t)
    with pytest.raises(tj.InvalidConfig, match="Unix time"):
        verifier.verify(t, now=-1)


@pytest.mark.parametrize("when", [1e19, -1.0, float("nan"), float("inf"), 1e300])
def test_43_extreme_time_arguments_are_typed_errors(
    verifier: tj.Verifier, mock: MockTeleport, when: float
) -> None:
    # Never a pyo3 PanicException (a BaseException): the core's typed error, every time.
    t = mock.mint()
    with pytest.raises(tj.InvalidConfig, match="Unix time"):
        verifier.verify(t, now=when)
    with pytest.raises(tj.InvalidConfig, match="Unix time"):
        verifier_for(mock, fixed_time=when)


def test_verify_async_and_headers_async(verifier: tj.Verifier, mock: MockTeleport) -> None:
    t = mock.mint(username="frank")

    async def run() -> tuple[str, str]:
        a = await verifier.verify_async(t)
        b = await verifier.verify_headers_async({"Teleport-Jwt-Assertion": t})
        return a.username, b.username

    assert asyncio.run(run()) == ("frank", "frank")


def test_token_from_headers_async(verifier: tj.Verifier, mock: MockTeleport) -> None:
    t = mock.mint(username="frank")

    async def run() -> str:
        return await verifier.token_from_headers_async([("Authorization", f"Bearer {t}")])

    assert asyncio.run(run()) == t
    with pytest.raises(tj.MissingToken):
        asyncio.run(verifier.token_from_headers_async({}))


def test_warm_up_async_fetches_once(fresh_mock: MockTeleport) -> None:
    v = verifier_for(fresh_mock)
    assert asyncio.run(v.warm_up_async()) is None
    assert v.key_fetch_count == 1
    v.verify(fresh_mock.mint())
    assert fresh_mock.request_count_for("/.well-known/jwks.json") == 1


def test_warm_up_fetches_once(fresh_mock: MockTeleport) -> None:
    v = verifier_for(fresh_mock)
    assert v.key_fetch_count == 0
    v.warm_up()
    assert v.key_fetch_count == 1
    v.verify(fresh_mock.mint())
    assert fresh_mock.request_count_for("/.well-known/jwks.json") == 1


def test_errors_carry_code_and_message_and_pickle(verifier: tj.Verifier) -> None:
    with pytest.raises(tj.VerifyError) as e:
        verifier.verify("a.b")
    err = e.value
    assert isinstance(err, tj.Malformed)
    assert err.code == "malformed"
    assert "segment" in err.message
    assert str(err).startswith("malformed: ")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is tj.Malformed and again.code == err.code


def test_unknown_option_and_bad_types_are_type_errors(mock: MockTeleport) -> None:
    with pytest.raises(TypeError, match="bogus"):
        tj.Verifier.teleport_jwt(mock.proxy_url, mock.cluster_name, AUDIENCE, bogus=1)  # type: ignore[call-arg]
    v = verifier_for(mock)
    with pytest.raises(TypeError):
        v.verify(123)  # type: ignore[arg-type]


def test_mock_controls(fresh_mock: MockTeleport) -> None:
    m = fresh_mock
    v = verifier_for(m)
    assert v.verify(m.mint()).key_id == m.signing_key_id()
    old = m.signing_key_id()
    m.set_rotation_phase("init")
    assert m.rotation_phase() == "init" and len(m.key_ids()) == 2
    m.set_rotation_phase("update_clients")
    assert m.signing_key_id() != old
    assert v.verify(m.mint()).key_id == m.signing_key_id()
    m.complete_rotation()
    assert m.key_ids() == [m.signing_key_id()]
    m.rotate_now()
    # The unknown-kid budget holds two refetches at once, then one per 5 s: a second new key
    # verifies, a third within the interval is refused; a new verifier sees it.
    assert v.verify(m.mint()).key_id == m.signing_key_id()
    m.rotate_now()
    with pytest.raises(tj.UnknownKey):
        v.verify(m.mint())
    assert verifier_for(m).verify(m.mint()).key_id == m.signing_key_id()
    raw = m.sign_raw('{"alg":"RS256","typ":"JWT"}', '{"iss":"x"}')
    assert raw.count(".") == 2
    assert m.request_count >= m.request_count_for("/.well-known/jwks.json") >= 2
    m.reset_counts()
    assert m.request_count == 0
    assert m.running
    m.stop()
    assert not m.running
    m.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        _ = m.proxy_url
    assert "stopped" in repr(m)


def test_mock_discovery_and_suite_change(fresh_mock: MockTeleport) -> None:
    m = fresh_mock
    discovery = json.loads(m.discovery_json)
    assert discovery["issuer"] == m.id_token_issuer
    m.set_discovery_issuer_override("https://elsewhere.example.com")
    m.set_discovery_jwks_uri_override("https://elsewhere.example.com/keys")
    discovery = json.loads(m.discovery_json)
    assert discovery["issuer"] == "https://elsewhere.example.com"
    assert discovery["jwks_uri"] == "https://elsewhere.example.com/keys"
    m.set_discovery_issuer_override(None)
    m.set_discovery_jwks_uri_override(None)
    assert json.loads(m.discovery_json)["issuer"] == m.id_token_issuer
    # A signature suite change shows at the next rotation; the OIDC CA keeps its algorithm.
    assert m.signing_algorithm() == "RS256" and m.signing_algorithm("oidc") == "RS256"
    m.set_next_algorithm("ES256")
    assert m.signing_algorithm() == "RS256"
    m.rotate_now()
    assert m.signing_algorithm() == "ES256" and m.signing_algorithm(ca="id_token") == "RS256"
    assert verifier_for(m).verify(m.mint()).algorithm == "ES256"
    with pytest.raises(ValueError, match="one of: RS256, ES256"):
        m.set_next_algorithm("HS256")  # type: ignore[arg-type]
    m.reset_counts()
    verifier_for(m).warm_up()
    jwks = "/.well-known/jwks.json"
    assert m.request_count_for_path(jwks) == m.request_count_for(jwks) == 1


def test_failure_modes_parse(fresh_mock: MockTeleport) -> None:
    for mode in ("refuse", "hang", "garbage", 500, ("oversized", 10), ("redirect", "https://x")):
        fresh_mock.set_failure(mode)
    fresh_mock.set_failure(None)
    with pytest.raises(ValueError, match="unknown"):
        fresh_mock.set_failure("explode")  # type: ignore[arg-type]


def test_mock_names_come_from_the_core_and_list_the_choices(fresh_mock: MockTeleport) -> None:
    with pytest.raises(ValueError, match="one of: standby, init, update_clients"):
        fresh_mock.set_rotation_phase("bogus")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one of: roles_and_traits, roles, traits, none"):
        fresh_mock.mint(jwt_claims="everything")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="jwt"):
        fresh_mock.mint(kind="generic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one of: jwt, oidc"):
        fresh_mock.jwks_json("saml")  # type: ignore[arg-type]
    assert fresh_mock.mint(kind="teleport_jwt") and fresh_mock.jwks_json("id_token")


def test_mock_keywords_are_the_core_specs_read_strictly(fresh_mock: MockTeleport) -> None:
    # mint(**spec) and MockTeleport(**options) are the core's MintSpec / MockOptions (serde).
    with pytest.raises(TypeError, match="unknown field `user`, expected one of `username`"):
        fresh_mock.mint(user="bob")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unknown field `cluster`"):
        MockTeleport(cluster="x")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="expected a sequence"):
        fresh_mock.mint(roles="admin")  # a str is never a list of characters
    with pytest.raises(TypeError, match="expected a sequence"):
        fresh_mock.mint(traits={"logins": "root"})
    with pytest.raises(TypeError, match="a string or a list of strings"):
        fresh_mock.mint(audience=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected u64"):
        fresh_mock.mint(ttl=-1)
    # None is unset; tuples are lists; any JSON value may go in claims.
    token = fresh_mock.mint(roles=None, audience=("a", "b"), claims={"x": (1, None)})
    v = verifier_for(fresh_mock, audience="a")
    identity = v.verify(token)
    assert identity.roles == ["access"] and identity.audience == ["a", "b"]
    assert identity.claims["x"] == [1, None]


def test_context_manager_stops(fresh_mock: MockTeleport) -> None:
    with MockTeleport() as m:
        assert m.running
    assert not m.running
    assert time.time() > 0
