"""The permission policy from Python: one answer, one per-request set, a tools/list filter, and
a Python mapper through the core trait. Run: make python-bench (release wheel)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import teleport_jwt as tj

POLICY = tj.Policy.from_file(Path(__file__).resolve().parents[2] / "examples/policy/mcp-tools.yaml")
WRITER = tj.Identity.for_testing(
    "bob", roles=["mcp-writer"], traits={"github_orgs": ["acme"], "team": ["data"]}
)
TOOLS = ["read_file", "list_files", "search", "write_file", "create_issue", "delete_file"]


class Mapper:
    def permissions(self, identity: tj.Identity) -> list[str]:
        return ["tool:read_*", "tool:search"]


def test_allows(benchmark: Any) -> None:
    benchmark.group = "policy"
    assert benchmark(POLICY.allows, WRITER, "repo:acme:write")


def test_permissions_and_filter_tools(benchmark: Any) -> None:
    benchmark.group = "policy"
    assert benchmark(lambda: POLICY.permissions(WRITER).filter_tools(TOOLS))[-1] == "create_issue"


def test_python_mapper_through_core(benchmark: Any) -> None:
    benchmark.group = "policy"
    m = tj.PermissionMapper(Mapper())
    assert benchmark(m.permissions, WRITER).allows("tool:read_file")
