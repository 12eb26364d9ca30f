"""The shared permission-policy vectors of tests/vectors/policy_cases.json, read exactly as the
Rust suite (core/tests/it/policy.rs, shared_policy_vectors) reads them: same policies, same
identities, same expectations, same load errors. Python must agree with Rust."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import teleport_jwt as tj

ROOT = Path(__file__).resolve().parents[2]
DOC: dict[str, Any] = json.loads((ROOT / "tests" / "vectors" / "policy_cases.json").read_text())


def _identity(v: dict[str, Any]) -> tj.Identity:
    return tj.Identity.for_testing(
        v["username"], roles=v["roles"], traits=v["traits"], trust_entry=v["trust_entry"]
    )


def _policies() -> dict[str, tj.Policy]:
    policies = {}
    for name, p in DOC["policies"].items():
        if isinstance(p.get("text"), str):
            source = p["text"]
        elif isinstance(p.get("file"), str):
            source = (ROOT / p["file"]).read_text()
        else:
            raise AssertionError(f"policy {name} has neither text nor file")
        policies[name] = tj.Policy.from_text(source, p["format"])
    return policies


POLICIES = _policies()


def test_the_file_is_the_shared_one() -> None:
    assert "Python" in DOC["description"]
    assert len(DOC["cases"]) >= 14, "the file lost cases"
    assert len(DOC["load_errors"]) >= 16, "the file lost load errors"


@pytest.mark.parametrize("case", DOC["cases"], ids=[c["name"] for c in DOC["cases"]])
def test_case(case: dict[str, Any]) -> None:
    name = case["name"]
    policy = POLICIES[case["policy"]]
    identity = _identity(case["identity"])
    expect = case["expect"]
    p = policy.permissions(identity)
    assert sorted(p.granted) == expect["permissions"], f"{name}: permissions"
    assert sorted(p.denied) == expect["denied"], f"{name}: denied"
    for perm, want in expect["allows"].items():
        assert policy.allows(identity, perm) is want, f"{name}: allows {perm}"
        assert policy.explain(identity, perm).allowed is want, f"{name}: explain {perm}"
        # The per-request set and the mapper protocol give the same answers.
        assert p.allows(perm) is want, f"{name}: Permissions.allows {perm}"
        assert tj.PermissionMapper(policy).allows(identity, perm) is want
    tools = DOC["tools"]
    assert policy.filter_tools(identity, tools) == expect["tools_visible"], f"{name}: tools"
    assert p.filter_tools(tools) == expect["tools_visible"]
    assert [t for t in tools if policy.can_call_tool(identity, t)] == expect["tools_visible"]
    if "capped_rules" in expect:
        assert p.capped_rules == expect["capped_rules"], f"{name}: capped_rules"
    for perm, want in expect.get("explain", {}).items():
        e = policy.explain(identity, perm)
        assert e.decision == want["decision"], f"{name}: explain {perm}: {e}"
        assert e.rule_name == want["rule"], f"{name}: explain {perm}: {e}"
        assert e.pattern == want["pattern"], f"{name}: explain {perm}: {e}"
        if "overrides_rule" in want:
            assert e.overrides_rule_name == want["overrides_rule"], f"{name}: explain {perm}: {e}"


@pytest.mark.parametrize("case", DOC["load_errors"], ids=[c["name"] for c in DOC["load_errors"]])
def test_load_error(case: dict[str, Any]) -> None:
    with pytest.raises(tj.InvalidConfig) as info:
        tj.Policy.from_text(case["text"], case["format"])
    e = info.value
    assert e.code == "invalid_config"
    if case["line"] is not None:
        assert e.line == case["line"], f"{case['name']}: {e}"
        assert f"line {case['line']}" in e.message
    assert case["reason_contains"] in e.message, f"{case['name']}: {e}"
