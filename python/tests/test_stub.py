"""The stub ``_teleport_jwt.pyi`` says what the native module does.

``mypy.stubtest`` (in ``make python-test``) checks names and parameters, but a native method's
text signature carries no return type, so stubtest cannot check one. Here each docstring of the
stub is compared with the runtime ``__doc__`` (written once, on the Rust method; the options
section of ``help(tj.Verifier)`` comes from the core's option docs), and every method and
property of the stub is called on real objects and its answer checked against the stub's
return annotation.
"""

from __future__ import annotations

import ast
import asyncio
import collections.abc
import inspect
import re
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import teleport_jwt as tj
from teleport_jwt import _teleport_jwt as native
from teleport_jwt.testing import MockTeleport

STUB = Path(tj.__file__).parent / "_teleport_jwt.pyi"
AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"


def _stub() -> ast.Module:
    return ast.parse(STUB.read_text())


def _paragraphs(doc: str | None) -> list[str]:
    """A docstring as its paragraphs, whitespace collapsed (wrapping does not count)."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", inspect.cleandoc(doc or ""))]


def _runtime_doc(obj: object) -> str | None:
    return obj.__doc__


def _documented() -> Iterator[tuple[str, ast.AST, object]]:
    """`(name, stub node, runtime object)` of every class, method, property and function of
    the stub that has a runtime counterpart. PyO3 gives `__new__` and the other dunder methods
    no docstring of their own: those in the stub are for readers only."""
    for node in _stub().body:
        if isinstance(node, ast.FunctionDef) and hasattr(native, node.name):
            yield node.name, node, getattr(native, node.name)
        if not isinstance(node, ast.ClassDef) or not hasattr(native, node.name):
            continue
        cls = getattr(native, node.name)
        yield node.name, node, cls
        for member in node.body:
            if isinstance(member, ast.FunctionDef) and not member.name.startswith("__"):
                runtime = inspect.getattr_static(cls, member.name)
                if isinstance(runtime, staticmethod):
                    runtime = runtime.__func__
                yield f"{node.name}.{member.name}", member, runtime


def test_each_stub_docstring_is_the_runtime_docstring() -> None:
    differ = []
    for name, node, runtime in _documented():
        assert isinstance(node, ast.ClassDef | ast.FunctionDef)
        stub_doc = ast.get_docstring(node)
        assert stub_doc, f"{name} has no docstring in the stub"
        if _paragraphs(stub_doc) != _paragraphs(_runtime_doc(runtime)):
            differ.append(f"{name}:\n  stub:    {stub_doc!r}\n  runtime: {_runtime_doc(runtime)!r}")
    assert not differ, "docstrings differ (the Rust doc comment is the source):\n" + "\n".join(
        differ
    )


def test_help_of_verifier_shows_the_core_option_docs() -> None:
    # The core documents each option once; help(tj.Verifier) shows those words.
    doc = " ".join((_runtime_doc(tj.Verifier) or "").split())
    assert "leeway: Clock-skew allowance for `exp`, `nbf` and `iat`" in doc
    assert "token_cache_max_bytes: Memory budget of the verified-token cache" in doc


# The return types ---------------------------------------------------------------------------


def _conforms(value: object, tp: Any) -> bool:
    """Whether `value` is of the annotation `tp` (the forms the stub uses)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return True
    if tp is None or tp is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if origin in (list, frozenset, set):
        return isinstance(value, origin) and all(_conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            _conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items()
        )
    if origin is tuple:
        return (
            isinstance(value, tuple)
            and len(value) == len(args)
            and all(_conforms(v, a) for v, a in zip(value, args, strict=True))
        )
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(tp, type):
        return isinstance(value, tp)
    raise TypeError(f"the test cannot check {tp!r}")


def _stub_namespace() -> dict[str, Any]:
    """The stub executed as a module (its annotations left as text)."""
    ns: dict[str, Any] = {}
    exec(compile("from __future__ import annotations\n" + STUB.read_text(), str(STUB), "exec"), ns)
    return ns


def _returns(ns: dict[str, Any], cls: str, name: str) -> Any:
    """The return annotation of `cls.name` in the stub, its class names the runtime classes."""
    member = inspect.getattr_static(ns[cls], name)
    f = member.fget if isinstance(member, property) else member
    f = f.__func__ if isinstance(f, staticmethod) else f
    runtime = {n: getattr(native, n) for n in dir(native) if isinstance(getattr(native, n), type)}
    return eval(f.__annotations__["return"], {**ns, **runtime})


@pytest.fixture(scope="module")
def objects() -> Iterator[dict[str, Any]]:
    with MockTeleport() as mock:
        policy = tj.Policy.from_json(
            '{"rules": [{"name": "all", "match": {}, "grant": ["tool:*"]},'
            ' {"name": "no-x", "match": {}, "deny": ["tool:x"]}]}'
        )
        verifier = tj.Verifier.teleport_jwt(
            mock.proxy_url, mock.cluster_name, AUDIENCE, ca_pem=mock.ca_pem, permissions=policy
        )
        token = mock.mint(audience=AUDIENCE)
        identity = verifier.verify(token)
        yield {
            "MockTeleport": mock,
            "Verifier": verifier,
            "TrustEntry": verifier.trust_entries[0],
            "Identity": identity,
            "Authorized": verifier.authorize(token),
            "Policy": policy,
            "Permissions": policy.permissions(identity),
            "Explanation": policy.explain(identity, "tool:x"),
            "PermissionMapper": tj.PermissionMapper(policy),
            "token": token,
        }


def _calls(o: dict[str, Any]) -> dict[str, Callable[[], object]]:
    """One call of every method of the stub, by `Class.method` (properties are read by the
    test itself)."""
    v, m, p, i = o["Verifier"], o["MockTeleport"], o["Policy"], o["Identity"]
    headers = {"Teleport-Jwt-Assertion": o["token"]}
    policy_json = '{"rules": [{"match": {}, "grant": ["a"]}]}'
    mapper = o["PermissionMapper"]
    return {
        "TrustEntry.teleport_jwt": lambda: tj.TrustEntry.teleport_jwt("https://t", "t", "a"),
        "TrustEntry.teleport_id_token": lambda: tj.TrustEntry.teleport_id_token("https://t", "a"),
        "Identity.has_role": lambda: i.has_role("access"),
        "Identity.trait_values": lambda: i.trait_values("logins"),
        "Identity.to_dict": lambda: i.to_dict(),
        "Identity.for_testing": lambda: tj.Identity.for_testing("bob"),
        "Verifier.teleport_jwt": lambda: tj.Verifier.teleport_jwt("https://t", "t", "a"),
        "Verifier.teleport_id_token": lambda: tj.Verifier.teleport_id_token("https://t", "a"),
        "Verifier.from_entries": lambda: tj.Verifier.from_entries([o["TrustEntry"]]),
        "Verifier.verify": lambda: v.verify(o["token"]),
        "Verifier.verify_headers": lambda: v.verify_headers(headers),
        "Verifier.token_from_headers": lambda: v.token_from_headers(headers),
        "Verifier.token_from_headers_async": lambda: v.token_from_headers_async(headers),
        "Verifier.verify_async": lambda: v.verify_async(o["token"]),
        "Verifier.verify_headers_async": lambda: v.verify_headers_async(headers),
        "Verifier.authorize": lambda: v.authorize(o["token"]),
        "Verifier.authorize_headers": lambda: v.authorize_headers(headers),
        "Verifier.authorize_async": lambda: v.authorize_async(o["token"]),
        "Verifier.authorize_headers_async": lambda: v.authorize_headers_async(headers),
        "Verifier.with_permissions": lambda: v.with_permissions(p),
        "Verifier.warm_up": lambda: v.warm_up(),
        "Verifier.warm_up_async": lambda: v.warm_up_async(),
        "Verifier.stats": lambda: v.stats(),
        "Verifier.metrics": lambda: v.metrics(),
        "Verifier.prometheus_text": lambda: v.prometheus_text(),
        "MockTeleport.mint": lambda: m.mint(),
        "MockTeleport.sign_raw": lambda: m.sign_raw('{"alg":"RS256"}', "{}"),
        "MockTeleport.jwks_json": lambda: m.jwks_json(),
        "MockTeleport.key_ids": lambda: m.key_ids("oidc"),
        "MockTeleport.signing_key_id": lambda: m.signing_key_id(),
        "MockTeleport.signing_algorithm": lambda: m.signing_algorithm(),
        "MockTeleport.set_next_algorithm": lambda: m.set_next_algorithm("RS256", "oidc"),
        "MockTeleport.rotation_phase": lambda: m.rotation_phase(),
        "MockTeleport.set_rotation_phase": lambda: m.set_rotation_phase("init", "oidc"),
        "MockTeleport.complete_rotation": lambda: m.complete_rotation("oidc"),
        "MockTeleport.rotate_now": lambda: m.rotate_now("oidc"),
        "MockTeleport.set_failure": lambda: m.set_failure(None),
        "MockTeleport.request_count_for_path": lambda: m.request_count_for_path("/x"),
        "MockTeleport.request_count_for": lambda: m.request_count_for("/x"),
        "MockTeleport.set_discovery_issuer_override": lambda: m.set_discovery_issuer_override(None),
        "MockTeleport.set_discovery_jwks_uri_override": lambda: m.set_discovery_jwks_uri_override(
            None
        ),
        "MockTeleport.reset_counts": lambda: m.reset_counts(),
        "MockTeleport.stop": lambda: None,  # stopping is tested in test_api
        "Permissions.allows": lambda: o["Permissions"].allows("tool:a"),
        "Permissions.can_call_tool": lambda: o["Permissions"].can_call_tool("a"),
        "Permissions.filter_tools": lambda: o["Permissions"].filter_tools(["a", "x"]),
        "Policy.from_yaml": lambda: tj.Policy.from_yaml("rules:\n- match: {}\n  grant: [a]\n"),
        "Policy.from_toml": lambda: tj.Policy.from_toml('[[rules]]\nmatch = {}\ngrant = ["a"]\n'),
        "Policy.from_json": lambda: tj.Policy.from_json(policy_json),
        "Policy.from_text": lambda: tj.Policy.from_text(policy_json, "json"),
        "Policy.from_file": lambda: None,  # files: test_policy
        "Policy.permissions": lambda: p.permissions(i),
        "Policy.allows": lambda: p.allows(i, "tool:a"),
        "Policy.can_call_tool": lambda: p.can_call_tool(i, "a"),
        "Policy.filter_tools": lambda: p.filter_tools(i, ["a", "x"]),
        "Policy.explain": lambda: p.explain(i, "tool:a"),
        "PermissionMapper.permissions": lambda: mapper.permissions(i),
        "PermissionMapper.allows": lambda: mapper.allows(i, "tool:a"),
        "PermissionMapper.can_call_tool": lambda: mapper.can_call_tool(i, "a"),
        "PermissionMapper.filter_tools": lambda: mapper.filter_tools(i, ["a"]),
    }


def _takes_only_self(member: ast.FunctionDef) -> bool:
    a = member.args
    is_static = any(
        isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod")
        for d in member.decorator_list
    )
    return not is_static and len(a.args) == 1 and not (a.vararg or a.kwonlyargs or a.kwarg)


def test_every_answer_is_of_the_stubs_return_type(objects: dict[str, Any]) -> None:
    ns, calls = _stub_namespace(), _calls(objects)
    checked, wrong = set(), []
    for node in _stub().body:
        if not isinstance(node, ast.ClassDef) or node.name not in objects:
            continue
        for member in node.body:
            if not isinstance(member, ast.FunctionDef) or member.name.startswith("__"):
                continue
            name = f"{node.name}.{member.name}"
            tp = _returns(ns, node.name, member.name)
            if isinstance(inspect.getattr_static(ns[node.name], member.name), property):
                value = getattr(objects[node.name], member.name)
            elif name not in calls and _takes_only_self(member):
                # A method without arguments needs no sample: it is called on the object.
                value = getattr(objects[node.name], member.name)()
            else:
                assert name in calls, f"no sample call of {name}: add one to _calls"
                if member.name in ("stop", "from_file"):
                    continue
                value = calls[name]()
            if typing.get_origin(tp) is collections.abc.Coroutine:
                assert inspect.iscoroutine(value) or inspect.isawaitable(value), name
                tp, value = typing.get_args(tp)[2], asyncio.run(_awaited(value))
            if not _conforms(value, tp):
                wrong.append(f"{name} returned {value!r}, the stub says {tp}")
            checked.add(name)
    assert not wrong, "\n".join(wrong)
    assert len(checked) > 90, sorted(checked)


async def _awaited(awaitable: Any) -> object:
    return await awaitable
