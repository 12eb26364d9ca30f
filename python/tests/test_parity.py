"""Parity with the core's tables of the cross-language API (``teleport_jwt::api``).

The tables come from the native module, so an operation, option or reason added to the core
and missing here, in the Python class or in the stub ``_teleport_jwt.pyi``, fails these tests
(each names what is missing); Kotlin and Swift check the same tables.
"""

from __future__ import annotations

import ast
import inspect
import re
from functools import cache
from pathlib import Path

import pytest

import teleport_jwt as tj
from teleport_jwt import _teleport_jwt as native

STUB = Path(tj.__file__).parent / "_teleport_jwt.pyi"


@cache
def _stub_classes() -> dict[str, dict[str, ast.FunctionDef]]:
    """Each class of the stub: its members by name (properties included)."""
    tree = ast.parse(STUB.read_text())
    return {
        node.name: {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }


def _stub_member(cls: str, name: str) -> ast.FunctionDef:
    member = _stub_classes()[cls].get(name)
    assert member is not None, f"the stub lacks {cls}.{name}"
    return member


def _stub_is_property(member: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "property" for d in member.decorator_list)


def _stub_parameters(member: ast.FunctionDef) -> list[str]:
    a = member.args
    return [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]


def test_one_exception_class_per_reason_named_by_the_core() -> None:
    assert [code for code, _ in native.REASONS] == tj.REASON_CODES
    for code, name in native.REASONS:
        cls = tj.CODE_TO_CLASS[code]
        assert cls.__name__ == name, code
        assert getattr(tj, name) is cls, f"tj.{name} is exported"
        assert name in tj.__all__
        assert issubclass(cls, tj.VerifyError)
        e = cls(code, "why")
        assert (e.code, e.message, str(e)) == (code, "why", f"{code}: why")
    assert set(tj.CODE_TO_CLASS) == set(tj.REASON_CODES), "no class for a code the core lacks"


def _parameters(f: object) -> set[str]:
    return set(inspect.signature(f).parameters)  # type: ignore[arg-type]


# The verifier's operations of the core's table that never wait for a key fetch have no need of
# an awaitable form (the core's table says which). Every other operation must have one
# (`verify` -> `verify_async`), so an operation added to the core fails below until Python has
# both forms. (Python also keeps `token_from_headers_async`, for symmetry in async code.)
NEVER_WAITS = set(native.OPERATIONS_THAT_NEVER_WAIT)


def test_every_verifier_operation_exists() -> None:
    assert native.VERIFIER_OPERATIONS, "the core lists the verifier's operations"
    for op in native.VERIFIER_OPERATIONS:
        if op.endswith("_at"):
            # Python spells `verify_at(token, t)` as `verify(token, now=t)`.
            base = op.removesuffix("_at")
            assert "now" in _parameters(getattr(tj.Verifier, base)), op
            assert "now" in _stub_parameters(_stub_member("Verifier", base)), op
            continue
        assert hasattr(tj.Verifier, op), f"Verifier.{op}"
        _stub_member("Verifier", op)
        if op in NEVER_WAITS:
            continue
        # Every operation that may wait for a key fetch also has an awaitable form.
        assert callable(getattr(tj.Verifier, f"{op}_async", None)), f"Verifier.{op}_async"
        returns = _stub_member("Verifier", f"{op}_async").returns
        assert returns is not None and ast.unparse(returns).startswith("Coroutine["), op


def test_every_trust_entry_option_exists() -> None:
    for option in native.TRUST_ENTRY_OPTIONS:
        assert hasattr(tj.TrustEntry, option), option
        for make in (tj.TrustEntry, tj.TrustEntry.teleport_jwt, tj.TrustEntry.teleport_id_token):
            assert option in _parameters(make), (make, option)


def _stub_option_names() -> set[str]:
    stub = STUB.read_text()
    body = stub.split("class _VerifierOptions(TypedDict, total=False):", 1)[1]
    # The class body: every line up to the next one that is not indented (or blank).
    body = re.split(r"\n(?=\S)", body, maxsplit=1)[0]
    return set(re.findall(r"^    (\w+):", body, re.M))


def test_every_verifier_option_is_a_keyword_and_typed_in_the_stub() -> None:
    core = {name for name, _ in native.VERIFIER_OPTIONS}
    plugins = {"http_fetcher", "fixed_time", "permissions", "key_events"}  # Python's own
    assert _stub_option_names() == core | plugins
    for _, kind in native.VERIFIER_OPTIONS:
        assert kind in {"duration", "count", "flag", "text", "header_rules"}, kind
    with pytest.raises(TypeError) as e:
        tj.Verifier.teleport_jwt("https://t.example.com", "t", "aud", bogus=1)  # type: ignore[call-arg]
    listed = set(str(e.value).split("options are ", 1)[1].split(", "))
    assert listed == core | plugins


def test_help_of_verifier_lists_every_option() -> None:
    core = {name for name, _ in native.VERIFIER_OPTIONS}
    plugins = {"http_fetcher", "fixed_time", "permissions", "key_events"}
    doc = tj.Verifier.__doc__ or ""
    listed = set(re.findall(r"^    (\w+): ", doc, re.M))
    assert listed == core | plugins
    assert doc.startswith("Verifies Teleport tokens.")


def test_every_mock_operation_exists() -> None:
    from teleport_jwt.testing import MockTeleport

    assert native.MOCK_OPERATIONS, "the core lists the mock's operations"
    for op in native.MOCK_OPERATIONS:
        member = inspect.getattr_static(MockTeleport, op, None)
        assert member is not None, f"MockTeleport lacks {op}"
        stub = _stub_member("MockTeleport", op)
        if inspect.isdatadescriptor(member):
            # A query without arguments is a property (in the stub too).
            assert _stub_is_property(stub), f"MockTeleport.{op} is a property in the stub"
            continue
        parameters = inspect.signature(getattr(MockTeleport, op)).parameters
        assert list(parameters) == _stub_parameters(stub), op
        if "ca" in parameters:
            # An operation on one CA takes it last, by name, default "jwt".
            assert list(parameters)[-1] == "ca", op
            assert parameters["ca"].default == "jwt", op


def test_every_policy_permissions_and_explanation_member_exists() -> None:
    for op in native.POLICY_OPERATIONS:
        assert callable(getattr(tj.Policy, op, None)), f"Policy.{op}"
        _stub_member("Policy", op)
    for op in native.MAPPER_OPERATIONS:
        assert callable(getattr(tj.PermissionMapper, op, None)), f"PermissionMapper.{op}"
        _stub_member("PermissionMapper", op)
    for op in native.PERMISSIONS_OPERATIONS:
        assert hasattr(tj.Permissions, op), f"Permissions.{op}"
        _stub_member("Permissions", op)
    assert inspect.isdatadescriptor(tj.Permissions.granted), "granted is a property"
    for field in native.EXPLANATION_FIELDS:
        assert inspect.isdatadescriptor(getattr(tj.Explanation, field)), f"Explanation.{field}"
        assert _stub_is_property(_stub_member("Explanation", field)), f"Explanation.{field}"
    policy = tj.Policy.from_json('{"rules": [{"name": "all", "match": {}, "grant": ["a:*"]}]}')
    e = policy.explain(tj.Identity.for_testing(username="alice"), "a:x")
    # The records Kotlin and Swift have are tuples of their fields here.
    assert e.decided_by is not None
    (index, name), pattern, source, conditions = e.decided_by
    assert (index, name, pattern, source) == (0, "all", "a:*", "a:*")
    assert (e.rule_index, e.rule_name, e.pattern, e.source) == (index, name, pattern, source)
    assert e.conditions == conditions
    assert e.overridden_grant is None and e.text == str(e)


def test_every_runtime_member_is_in_the_stub_and_back() -> None:
    # mypy.stubtest checks the same in `make python-test`; this names the member in pytest.
    for cls, members in _stub_classes().items():
        runtime = getattr(native, cls, None)
        if runtime is None:
            continue  # a stub-only helper (a Protocol, the options TypedDict)
        public = {n for n in dir(runtime) if not n.startswith("_")}
        assert public <= set(members), f"{cls}: not in the stub: {public - set(members)}"
        stubbed = {n for n in members if not n.startswith("_")}
        assert stubbed <= public, f"{cls}: only in the stub: {stubbed - public}"
