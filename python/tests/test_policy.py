"""The policy wrappers: loading (YAML, TOML, JSON, files) and its errors, Permissions,
Explanation, Identity.for_testing, and Python permission mappers through the core trait."""

from __future__ import annotations

import gc
import pickle
import threading
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

import teleport_jwt as tj

ROOT = Path(__file__).resolve().parents[2]

YAML = """\
version: 1
rules:
  - name: developers
    match: {roles_any: ["mcp-*"]}
    grant: ["tool:read_*", "repo:{{traits.github_orgs}}:read"]
  - name: admins
    match: {roles_all: [mcp-admin]}
    grant: ["tool:*"]
  - name: nobody-deletes
    match: {}
    deny: ["tool:delete_*"]
"""
TOML = """\
version = 1
[[rules]]
name = "developers"
match = { roles_any = ["mcp-*"] }
grant = ["tool:read_*", "repo:{{traits.github_orgs}}:read"]
[[rules]]
name = "admins"
match = { roles_all = ["mcp-admin"] }
grant = ["tool:*"]
[[rules]]
name = "nobody-deletes"
match = {}
deny = ["tool:delete_*"]
"""
JSON = """{"version": 1, "rules": [
  {"name": "developers", "match": {"roles_any": ["mcp-*"]},
   "grant": ["tool:read_*", "repo:{{traits.github_orgs}}:read"]},
  {"name": "admins", "match": {"roles_all": ["mcp-admin"]}, "grant": ["tool:*"]},
  {"name": "nobody-deletes", "match": {}, "deny": ["tool:delete_*"]}
]}"""

DEV = tj.Identity.for_testing("alice", roles=["mcp-dev"], traits={"github_orgs": ["acme"]})
ADMIN = tj.Identity.for_testing("root", roles=["mcp-admin"])
NOBODY = tj.Identity.for_testing("eve")
TOOLS = ["read_file", "write_file", "delete_repo"]


@pytest.fixture(params=["yaml", "toml", "json"])
def policy(request: pytest.FixtureRequest) -> tj.Policy:
    loader = {"yaml": tj.Policy.from_yaml, "toml": tj.Policy.from_toml, "json": tj.Policy.from_json}
    text = {"yaml": YAML, "toml": TOML, "json": JSON}[request.param]
    return loader[request.param](text)


def test_three_formats_give_the_same_decisions(policy: tj.Policy) -> None:
    assert len(policy) == 3
    assert policy.rule_names == ["developers", "admins", "nobody-deletes"]
    assert repr(policy) == "Policy(rules=3)"
    assert policy.allows(DEV, "repo:acme:read")
    assert not policy.allows(DEV, "repo:globex:read")
    assert policy.can_call_tool(DEV, "read_file")
    assert not policy.can_call_tool(DEV, "write_file")
    assert policy.filter_tools(DEV, TOOLS) == ["read_file"]
    assert policy.filter_tools(ADMIN, TOOLS) == ["read_file", "write_file"]  # deny wins
    assert policy.filter_tools(NOBODY, TOOLS) == []
    assert policy.filter_tools(DEV, iter(TOOLS)) == ["read_file"]  # any iterable of str


def test_permissions_object(policy: tj.Policy) -> None:
    p = policy.permissions(DEV)
    assert isinstance(p, tj.Permissions)
    assert p.granted == frozenset({"tool:read_*", "repo:acme:read"})
    assert p.denied == frozenset({"tool:delete_*"})
    assert p.allows("tool:read_file") and not p.allows("tool:delete_repo")
    assert p.can_call_tool("read_file") and not p.can_call_tool("write_file")
    assert p.filter_tools(TOOLS) == ["read_file"]
    assert p.capped_rules == []
    assert p and not policy.permissions(NOBODY)
    assert p == policy.permissions(DEV) and hash(p) == hash(policy.permissions(DEV))
    assert p != policy.permissions(ADMIN) and p != "tool:read_*"
    assert "tool:read_*" in repr(p)


def test_permissions_built_in_python() -> None:
    p = tj.Permissions(["tool:*", "docs:read"], denied=["tool:delete_*"])
    assert p.allows("tool:read_file") and not p.allows("tool:delete_repo")
    assert p.filter_tools(["read_file", "delete_repo"]) == ["read_file"]
    assert tj.Permissions() == tj.Permissions([], []) and not tj.Permissions()
    assert tj.Permissions({"a", "b"}).granted == frozenset({"a", "b"})
    with pytest.raises(TypeError, match="not a single str"):
        tj.Permissions("tool:*")
    with pytest.raises(TypeError, match="only str"):
        tj.Permissions([1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not a single str"):
        p.filter_tools("read_file")


def test_explanation(policy: tj.Policy) -> None:
    e = policy.explain(DEV, "repo:acme:read")
    assert (e.decision, e.allowed, bool(e)) == ("granted", True, True)
    assert (e.permission, e.username) == ("repo:acme:read", "alice")
    assert (e.rule_index, e.rule_name) == (0, "developers")
    assert (e.pattern, e.source) == ("repo:acme:read", "repo:{{traits.github_orgs}}:read")
    assert e.conditions == ['roles_any: role "mcp-dev" matches "mcp-*"']
    assert e.matched_rules == [(0, "developers"), (2, "nobody-deletes")]
    assert e.capped_rules == []
    assert str(e) == (
        'granted "repo:acme:read" to "alice": rules[0] "developers": grant "repo:acme:read" '
        'from "repo:{{traits.github_orgs}}:read" (roles_any: role "mcp-dev" matches "mcp-*")'
    )

    d = policy.explain(ADMIN, "tool:delete_repo")
    assert (d.decision, d.allowed) == ("denied", False)
    assert (d.rule_index, d.rule_name, d.pattern) == (2, "nobody-deletes", "tool:delete_*")
    assert (d.overrides_rule_index, d.overrides_rule_name, d.overrides_pattern) == (
        1,
        "admins",
        "tool:*",
    )
    assert str(d).startswith('denied "tool:delete_repo" to "root": rules[2] "nobody-deletes"')
    assert "overrides rules[1]" in str(d)

    n = policy.explain(DEV, "tool:write_file")
    assert (n.decision, n.rule_index, n.rule_name, n.pattern) == ("not_granted", None, None, None)
    assert n.overrides_rule_name is None and n.conditions == []
    assert "no matching rule grants it" in str(n)
    assert "decision='not_granted'" in repr(n) or 'decision="not_granted"' in repr(n)


def test_explain_agrees_with_allows(policy: tj.Policy) -> None:
    for who in (DEV, ADMIN, NOBODY):
        for perm in ("tool:read_file", "tool:delete_repo", "repo:acme:read", "x"):
            assert policy.explain(who, perm).allowed == policy.allows(who, perm)


def test_from_file_every_extension(tmp_path: Path) -> None:
    for ext, text in (("yaml", YAML), ("yml", YAML), ("toml", TOML), ("json", JSON)):
        path = tmp_path / f"policy.{ext}"
        path.write_text(text)
        assert tj.Policy.from_file(path).filter_tools(DEV, TOOLS) == ["read_file"]
        assert len(tj.Policy.from_file(str(path))) == 3
    example = tj.Policy.from_file(ROOT / "examples" / "policy" / "mcp-tools.yaml")
    assert example.can_call_tool(tj.Identity.for_testing("a", roles=["mcp-reader"]), "search")


def test_load_errors_are_invalid_config_with_line_and_column(tmp_path: Path) -> None:
    bad = YAML.replace("roles_all", "roles_al")
    with pytest.raises(tj.InvalidConfig) as info:
        tj.Policy.from_yaml(bad)
    e = info.value
    assert e.code == "invalid_config"
    assert (e.line, e.column) == (7, 13)
    assert e.message.startswith("policy: line 7, column 13: ")
    assert "unknown field `roles_al`" in e.message
    # Pickling keeps the position.
    again = pickle.loads(pickle.dumps(e))
    assert (type(again), again.line, again.column, again.message) == (
        tj.InvalidConfig,
        7,
        13,
        e.message,
    )

    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    with pytest.raises(tj.InvalidConfig, match=r"bad\.yaml: line 7, column 13") as info:
        tj.Policy.from_file(path)
    assert info.value.line == 7

    with pytest.raises(tj.InvalidConfig, match="unknown policy file extension") as info:
        tj.Policy.from_file(tmp_path / "policy.txt")
    assert info.value.line is None and info.value.column is None
    with pytest.raises(tj.InvalidConfig, match="cannot read"):
        tj.Policy.from_file(tmp_path / "missing.yaml")
    with pytest.raises(tj.InvalidConfig, match='not "xml"'):
        tj.Policy.from_text(YAML, "xml")  # type: ignore[arg-type]
    with pytest.raises(tj.InvalidConfig, match="line 1"):
        tj.Policy.from_json("{")
    with pytest.raises(tj.InvalidConfig) as info:
        tj.Policy.from_toml("rules = 3")
    assert info.value.line == 1
    # Other configuration errors have no position.
    assert tj.InvalidConfig("invalid_config", "x").line is None


def test_identity_for_testing() -> None:
    i = tj.Identity.for_testing(
        "bob", roles=("r1",), traits={"team": ("data",)}, trust_entry="leaf-eu", audience=["a"]
    )
    assert (i.username, i.sub, i.roles, i.traits) == ("bob", "bob", ["r1"], {"team": ["data"]})
    assert (i.trust_entry, i.issuer, i.audience, i.kind) == ("leaf-eu", "leaf-eu", ["a"], "generic")
    assert (i.expires_at, i.jti, i.key_id, i.claims) == (0, None, None, {})
    d = tj.Identity.for_testing("x")
    assert (d.roles, d.traits, d.trust_entry) == ([], {}, "test")
    with pytest.raises(TypeError):
        tj.Identity.for_testing("x", traits=[("team", ["a"])])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tj.Identity.for_testing("x", roles="admin")


# ---------------------------------------------------------------------------------------------
# Python mappers through the core's PermissionMapper trait.


class TeamMapper:
    """Everyone gets read tools; the data team also gets the warehouse."""

    def __init__(self) -> None:
        self.calls = 0

    def permissions(self, identity: tj.Identity) -> Iterable[str]:
        self.calls += 1
        granted = {"tool:read_*"}
        if "data" in identity.trait_values("team"):
            granted.add("tool:query_warehouse")
        return granted


def test_python_mapper_through_the_core_trait() -> None:
    raw = TeamMapper()
    m = tj.PermissionMapper(raw)
    data = tj.Identity.for_testing("d", traits={"team": ["data"]})
    assert m.permissions(data).granted == frozenset({"tool:read_*", "tool:query_warehouse"})
    assert m.allows(data, "tool:query_warehouse") and not m.allows(NOBODY, "tool:query_warehouse")
    assert m.can_call_tool(NOBODY, "read_file")
    assert m.filter_tools(data, ["read_file", "query_warehouse", "drop"]) == [
        "read_file",
        "query_warehouse",
    ]
    assert raw.calls == 5
    assert repr(m) == "PermissionMapper(TeamMapper)"
    assert isinstance(raw, tj.SupportsPermissions)


def test_mapper_may_return_permissions_with_denies_or_any_iterable() -> None:
    class WithDeny:
        def permissions(self, identity: tj.Identity) -> tj.Permissions:
            return tj.Permissions(["tool:*"], ["tool:delete_*"])

    class Generator:
        def permissions(self, identity: tj.Identity) -> Iterator[str]:
            yield from ("tool:a", "tool:b")

    assert tj.PermissionMapper(WithDeny()).filter_tools(NOBODY, TOOLS) == TOOLS[:2]
    assert tj.PermissionMapper(Generator()).permissions(NOBODY).granted == {"tool:a", "tool:b"}


def test_policy_and_wrapped_mappers_are_mappers(policy: tj.Policy) -> None:
    assert isinstance(policy, tj.SupportsPermissions)
    m = tj.PermissionMapper(policy)
    assert repr(m) == "PermissionMapper(Policy(rules=3))"
    assert m.permissions(DEV) == policy.permissions(DEV)
    assert m.filter_tools(ADMIN, TOOLS) == policy.filter_tools(ADMIN, TOOLS)
    again = tj.PermissionMapper(m)
    assert again.allows(DEV, "repo:acme:read")


def _raise(identity: tj.Identity) -> Iterable[str]:
    raise LookupError("directory service timed out")


class Wrong:
    def __init__(self, value: object) -> None:
        self.value = value

    def permissions(self, identity: tj.Identity) -> object:
        return self.value


class Failing:
    def permissions(self, identity: tj.Identity) -> Iterable[str]:
        return _raise(identity)


class BadIterable:
    def __iter__(self) -> Iterator[str]:
        yield "tool:a"
        raise RuntimeError("broken iterator")


@pytest.mark.parametrize(
    ("mapper", "message"),
    [
        (Failing(), "Failing.permissions() raised LookupError: directory service timed out"),
        (Wrong(None), "returned NoneType"),
        (Wrong("tool:*"), "returned a single str"),
        (Wrong(b"tool:*"), "returned a single bytes"),
        (Wrong(["tool:a", 3]), "an iterable holding a int"),
        (Wrong(42), "returned int"),
        (Wrong(BadIterable()), "raised RuntimeError: broken iterator"),
    ],
)
def test_failing_mapper_is_plugin_error(mapper: object, message: str) -> None:
    m = tj.PermissionMapper(mapper)  # type: ignore[arg-type]
    for call in (
        lambda: m.permissions(DEV),
        lambda: m.allows(DEV, "x"),
        lambda: m.can_call_tool(DEV, "x"),
        lambda: m.filter_tools(DEV, ["x"]),
    ):
        with pytest.raises(tj.PluginError) as info:
            call()
        assert info.value.code == "plugin_error"
        assert info.value.message.startswith("permission mapper failed: ")
        assert message in info.value.message


def test_async_mapper_is_plugin_error_without_a_never_awaited_warning() -> None:
    class Async:
        async def permissions(self, identity: tj.Identity) -> list[str]:
            return ["tool:*"]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(tj.PluginError, match="must be synchronous"):
            tj.PermissionMapper(Async()).permissions(DEV)  # type: ignore[arg-type]
        gc.collect()


def test_not_a_mapper_is_type_error() -> None:
    with pytest.raises(TypeError, match="permissions\\(identity\\)"):
        tj.PermissionMapper(object())  # type: ignore[arg-type]

    class NotCallable:
        permissions = "tool:*"

    with pytest.raises(TypeError):
        tj.PermissionMapper(NotCallable())  # type: ignore[arg-type]


def test_policy_is_shared_across_threads(policy: tj.Policy) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(200):
                assert policy.filter_tools(ADMIN, TOOLS) == ["read_file", "write_file"]
                assert policy.permissions(DEV).allows("repo:acme:read")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
