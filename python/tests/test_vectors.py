"""The shared vectors of tests/vectors/verify_cases.json, read exactly as the Rust suite
(core/tests/it/shared_vectors.rs) reads them: Python must agree with Rust."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import teleport_jwt as tj

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "verify_cases.json"


def test_shared_vectors_give_the_expected_identity_or_reason() -> None:
    doc: dict[str, Any] = json.loads(VECTORS.read_text())
    issuer, audience, now = doc["issuer"], doc["audience"], doc["now"]

    def verifier_for(keys: str) -> tj.Verifier:
        return tj.Verifier(issuer=issuer, audience=audience, jwks=doc["keys"][keys])

    verifiers = {"rs256": verifier_for("rs256"), "es256": verifier_for("es256")}
    cases = doc["cases"]
    assert len(cases) >= 37, "the file lost cases"
    reasons_seen: set[str] = set()
    for case in cases:
        name, v = case["name"], verifiers[case["keys"]]
        try:
            if isinstance(case.get("token"), str):
                ident = v.verify(case["token"], now=now)
            else:
                # verify_headers uses the clock: pin it, as the Rust suite does with a
                # ManualClock.
                pinned = tj.Verifier(
                    issuer=issuer, audience=audience, jwks=doc["keys"][case["keys"]], fixed_time=now
                )
                ident = pinned.verify_headers([(h[0], h[1]) for h in case["headers"]])
        except tj.VerifyError as e:
            want = case["expect"].get("error")
            assert want == e.code, f"{name}: expected {case['expect']}, got {e!r}"
            assert type(e) is tj.CODE_TO_CLASS[e.code]
            reasons_seen.add(e.code)
            continue
        want_ok = case["expect"].get("ok")
        assert want_ok is not None, f"{name}: expected {case['expect']}, got {ident!r}"
        got = ident.to_dict()
        for field, value in want_ok.items():
            assert got[field] == value, f"{name}: field {field}"
    assert len(reasons_seen) >= 13, reasons_seen
