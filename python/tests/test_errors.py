"""Every reason code of the core is reachable from Python, as the right exception class."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from conftest import AUDIENCE

import teleport_jwt as tj
from teleport_jwt.testing import MockTeleport, verifier_for


def test_the_table_covers_exactly_the_core_codes() -> None:
    assert set(tj.CODE_TO_CLASS) == set(tj.REASON_CODES)
    assert len(tj.REASON_CODES) == 19
    for cls in tj.CODE_TO_CLASS.values():
        assert issubclass(cls, tj.VerifyError)


class BadKeySource:
    def fetch_jwks(self) -> int:
        return 42


def _cases(m: MockTeleport) -> dict[str, Callable[[], object]]:
    v = verifier_for(m)
    now = int(time.time())

    def fail_fetch() -> object:
        cold = verifier_for(m)
        m.set_failure(500)
        try:
            return cold.verify(m.mint())
        finally:
            m.set_failure(None)

    return {
        "malformed": lambda: v.verify("a.b.c"),
        "token_too_large": lambda: v.verify("a" * 20000),
        "missing_token": lambda: v.verify_headers({"X-Other": "1"}),
        "unsupported_header": lambda: v.verify(m.mint(headers={"crit": ["exp"]})),
        "unsupported_algorithm": lambda: v.verify(m.mint(headers={"alg": "HS256"})),
        "bad_signature": lambda: v.verify(m.mint()[:-4] + "AAAA"),
        "unknown_key": lambda: v.verify(m.mint(headers={"kid": "no-such-key"})),
        "expired": lambda: v.verify(m.mint(issued_at=now - 3600)),
        "not_yet_valid": lambda: v.verify(m.mint(claims={"nbf": now + 3600})),
        "issued_in_future": lambda: v.verify(m.mint(issued_at=now + 3600, claims={"nbf": now})),
        "issuer_mismatch": lambda: v.verify(m.mint(claims={"iss": "evil.example.com"})),
        "audience_mismatch": lambda: v.verify(m.mint(audience="mcp+http://other/mcp")),
        "missing_claim": lambda: v.verify(m.mint(remove_claims=["exp"])),
        "invalid_claim": lambda: v.verify(m.mint(claims={"exp": "tomorrow"})),
        "key_source_unavailable": fail_fetch,
        "insecure_transport": lambda: tj.Verifier.teleport_jwt(
            "http://teleport.example.com", "teleport.example.com", AUDIENCE
        ),
        "invalid_config": lambda: verifier_for(m, leeway=-1),
        "plugin_error": lambda: tj.Verifier(
            issuer=m.cluster_name,
            audience=AUDIENCE,
            keys=BadKeySource(),  # type: ignore[arg-type]
        ).verify(m.mint()),
    }


def test_every_reason_code_is_reachable_as_its_class(mock: MockTeleport) -> None:
    cases = _cases(mock)
    # internal_error is only raised for a Rust panic caught at the boundary: not reachable
    # from any input, which is the point. Its class is checked below.
    assert set(cases) == set(tj.REASON_CODES) - {"internal_error"}
    assert tj.CODE_TO_CLASS["internal_error"] is tj.InternalError
    for code, make in cases.items():
        with pytest.raises(tj.VerifyError) as e:
            make()
        assert e.value.code == code, f"{code}: got {e.value!r}"
        assert type(e.value) is tj.CODE_TO_CLASS[code], code
        assert e.value.message


def test_unknown_code_falls_back_to_the_base_class() -> None:
    from teleport_jwt._errors import error_for

    e = error_for("made_up_code", "boom")
    assert type(e) is tj.VerifyError and e.code == "made_up_code"
