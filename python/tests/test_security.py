"""SECURITY-CASES.md across the boundary (34, 35) and a sample of the others."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from conftest import AUDIENCE

import teleport_jwt as tj
from teleport_jwt.testing import MockTeleport, verifier_for

# --- 34: no panic crosses into Python; every failure is a VerifyError with its code ---------

NASTY = [
    "",
    ".",
    "..",
    "...",
    "." * 100_000,
    "a." * 5000,
    "eyJ.eyJ.",
    "\x00",
    "a\x00.b\x00.c\x00",
    "\uffff.\uffff.\uffff",
    "e30.e30.",
    "bnVsbA.bnVsbA.AA",
    "W10.W10.AA",
    "eyJhbGciOiJSUzI1NiJ9." + "A" * 16000 + ".AA",
    "🙂.🙂.🙂",
]


@pytest.mark.parametrize("token", NASTY, ids=range(len(NASTY)))
def test_34_garbage_tokens_raise_verify_error(verifier: tj.Verifier, token: str) -> None:
    with pytest.raises(tj.VerifyError) as e:
        verifier.verify(token)
    assert e.value.code in tj.REASON_CODES


def test_34_plugins_that_raise_become_core_errors(mock: MockTeleport) -> None:
    class Raising:
        def fetch_jwks(self) -> str:
            raise RuntimeError("vault is sealed")

    v = tj.Verifier(issuer=mock.cluster_name, audience=AUDIENCE, keys=Raising())
    with pytest.raises(tj.KeySourceUnavailable, match="vault is sealed"):
        v.verify(mock.mint())

    class BadFetcher:
        def get(self, url: str, timeout: float, max_body_bytes: int) -> Any:
            raise ConnectionError("no route")

    v = verifier_for(mock, http_fetcher=BadFetcher())
    with pytest.raises(tj.KeySourceUnavailable, match="no route"):
        v.verify(mock.mint())

    class WrongShape:
        def get(self, url: str, timeout: float, max_body_bytes: int) -> Any:
            return "not a tuple"

    with pytest.raises(tj.KeySourceUnavailable, match="tuple"):
        verifier_for(mock, http_fetcher=WrongShape()).verify(mock.mint())

    with pytest.raises(TypeError, match="fetch_jwks"):
        tj.Verifier(issuer="x", audience=AUDIENCE, keys=object())  # type: ignore[arg-type]


def test_34_a_python_fetcher_is_used_and_checked(mock: MockTeleport) -> None:
    seen: list[tuple[str, float, int]] = []
    jwks = mock.jwks_json()

    class Fetcher:
        def get(self, url: str, timeout: float, max_body_bytes: int) -> tuple[int, bytes]:
            seen.append((url, timeout, max_body_bytes))
            return 200, jwks.encode()

    v = verifier_for(mock, http_fetcher=Fetcher(), fetch_timeout=3)
    assert v.verify(mock.mint()).username == "alice"
    assert seen == [(mock.jwks_url, 3.0, 256 * 1024)]

    class Redirecting:
        def get(self, url: str, timeout: float, max_body_bytes: int) -> tuple[int, str]:
            return 302, ""

    with pytest.raises(tj.KeySourceUnavailable, match="302"):
        verifier_for(mock, http_fetcher=Redirecting()).verify(mock.mint())


# --- 35: NUL bytes, lone surrogates, very long strings -------------------------------------


def test_35_nul_surrogates_and_huge_strings(verifier: tj.Verifier, mock: MockTeleport) -> None:
    good = mock.mint()
    for bad in (good + "\x00", "\x00" + good, good.replace(".", "\x00", 1)):
        with pytest.raises(tj.Malformed):
            verifier.verify(bad)
    for bad in ("\ud800", good + "\udfff", "\udc80.a.b"):
        with pytest.raises(tj.Malformed) as e:
            verifier.verify(bad)
        assert e.value.code == "malformed"
        assert "surrogate" in e.value.message
    with pytest.raises(tj.Malformed, match="surrogate"):
        verifier.verify_headers({"Teleport-Jwt-Assertion": "\ud800"})
    with pytest.raises(tj.Malformed, match="surrogate"):
        verifier.verify_headers({"\ud800": good})
    with pytest.raises(tj.Malformed, match="UTF-8"):
        verifier.verify(b"\xff\xfe")
    for huge in ("A" * 50_000_000, "é" * 1_000_000, good + "A" * 20_000):
        with pytest.raises(tj.TokenTooLarge) as too_large:
            verifier.verify(huge)
        assert too_large.value.code == "token_too_large"


# --- a sample of the others -----------------------------------------------------------------


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("alg", ["none", "None", "nOnE", "NONE"])
def test_01_alg_none_is_refused_without_a_fetch(fresh_mock: MockTeleport, alg: str) -> None:
    v = verifier_for(fresh_mock)
    payload = _b64({"iss": fresh_mock.cluster_name, "aud": AUDIENCE, "sub": "a", "exp": 2**40})
    with pytest.raises(tj.UnsupportedAlgorithm):
        v.verify(f"{_b64({'alg': alg, 'typ': 'JWT'})}.{payload}.")
    assert fresh_mock.request_count == 0


def test_02_hs256_with_the_public_key_as_secret(verifier: tj.Verifier, mock: MockTeleport) -> None:
    import hashlib
    import hmac

    header = _b64({"alg": "HS256", "typ": "JWT", "kid": mock.signing_key_id()})
    payload = _b64({"iss": mock.cluster_name, "aud": AUDIENCE, "sub": "a", "exp": 2**40})
    signing_input = f"{header}.{payload}".encode()
    sig = hmac.new(mock.jwks_json().encode(), signing_input, hashlib.sha256).digest()
    token = f"{header}.{payload}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"
    with pytest.raises(tj.UnsupportedAlgorithm):
        verifier.verify(token)


def test_04_embedded_key_urls_are_never_fetched(verifier: tj.Verifier, mock: MockTeleport) -> None:
    hits: list[str] = []

    class Canary(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    canary = HTTPServer(("127.0.0.1", 0), Canary)
    t = threading.Thread(target=canary.serve_forever, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{canary.server_address[1]}/jwks"
        for member in ("jku", "x5u"):
            with pytest.raises(tj.UnsupportedHeader) as e:
                verifier.verify(mock.mint(headers={member: url}))
            assert e.value.code == "unsupported_header"
    finally:
        canary.shutdown()
        canary.server_close()
    assert hits == []


def test_06_duplicate_members(verifier: tj.Verifier, mock: MockTeleport) -> None:
    kid = mock.signing_key_id()
    header = f'{{"alg":"RS256","kid":"{kid}","kid":"{kid}","typ":"JWT"}}'
    payload = json.dumps({"iss": mock.cluster_name, "aud": AUDIENCE, "sub": "a", "exp": 2**40})
    with pytest.raises(tj.Malformed):
        verifier.verify(mock.sign_raw(header, payload))


def test_16_issuer_is_compared_byte_for_byte(verifier: tj.Verifier, mock: MockTeleport) -> None:
    for iss in (mock.cluster_name + "/", mock.cluster_name.upper(), "https://" + mock.cluster_name):
        with pytest.raises(tj.IssuerMismatch):
            verifier.verify(mock.mint(claims={"iss": iss}))


def test_25_plain_http_keys_are_refused_unless_loopback_is_allowed() -> None:
    with pytest.raises(tj.InsecureTransport):
        tj.Verifier(issuer="x", audience=AUDIENCE, jwks_url="http://127.0.0.1:1/jwks")
    tj.Verifier(
        issuer="x",
        audience=AUDIENCE,
        jwks_url="http://127.0.0.1:1/jwks",
        allow_insecure_http_for_loopback=True,
    )
    with pytest.raises(tj.InsecureTransport):
        tj.Verifier(
            issuer="x",
            audience=AUDIENCE,
            jwks_url="http://10.0.0.1/jwks",
            allow_insecure_http_for_loopback=True,
        )


def test_30_unknown_kid_spray_costs_two_refetches_then_one_per_interval(
    fresh_mock: MockTeleport,
) -> None:
    v = verifier_for(fresh_mock)
    v.warm_up()
    forged = [fresh_mock.mint(headers={"kid": f"spray-{i}"}) for i in range(300)]
    start = time.monotonic()
    for token in forged:
        with pytest.raises(tj.UnknownKey):
            v.verify(token)
    intervals = int((time.monotonic() - start) // 5)
    # The warm-up, the budget's burst of two, and one per 5 s the spray lasted.
    assert fresh_mock.request_count_for("/.well-known/jwks.json") <= 3 + intervals


def test_32_outage_keeps_last_good_keys(fresh_mock: MockTeleport) -> None:
    v = verifier_for(fresh_mock, cache_max_age=1, cache_cooldown=1)
    v.warm_up()
    fresh_mock.set_failure("refuse")
    time.sleep(1.2)  # past max_age: the refresh fails, the last good keys stay in use
    assert v.verify(fresh_mock.mint()).username == "alice"
    fresh_mock.set_failure(None)
