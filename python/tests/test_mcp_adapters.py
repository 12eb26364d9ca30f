"""The two MCP adapters answer a handler's questions the same way: teleport_jwt.mcp (the ``mcp``
SDK) and teleport_jwt.fastmcp share one implementation (teleport_jwt._mcp_caller), so for the
same caller they return, raise and log the same things. (test_mcp_scenarios.py drives both over
HTTP; this drives the handler helpers directly, in the SDK's request context.)"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest
from conftest import AUDIENCE
from fastmcp.exceptions import ToolError as fastmcp_ToolError
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.mcpserver.exceptions import ToolError as mcp_ToolError

import teleport_jwt as tj
import teleport_jwt.fastmcp as tj_fastmcp
import teleport_jwt.mcp as tj_mcp
from teleport_jwt.testing import MockTeleport, verifier_for

ADAPTERS = {"mcp": tj_mcp, "fastmcp": tj_fastmcp}
TOOL_ERRORS = {"teleport_jwt.mcp": mcp_ToolError, "teleport_jwt.fastmcp": fastmcp_ToolError}
POLICY = tj.Policy.from_yaml("""
rules:
  - match: {roles_any: [reader]}
    grant: ["report:read"]
""")


@contextmanager
def _request_of(adapter: ModuleType, mock: MockTeleport, **permissions: Any) -> Iterator[None]:
    """The adapter's request context for alice (a reader), as its SDK's middleware sets it."""
    token = mock.mint(username="alice", roles=["reader"])
    verifier = verifier_for(mock, AUDIENCE)
    access = asyncio.run(adapter.TeleportTokenVerifier(verifier, **permissions).verify_token(token))
    assert isinstance(access, adapter.TeleportAccessToken)
    reset = auth_context_var.set(AuthenticatedUser(access))
    try:
        yield
    finally:
        auth_context_var.reset(reset)


def _answers(adapter: ModuleType, permission: str) -> tuple[object, ...]:
    """What a handler gets from the adapter's helpers, in a comparable shape."""
    identity = adapter.current_identity()
    permissions = adapter.current_permissions()
    try:
        required: object = adapter.require_permission(permission).username
    except adapter.PermissionDenied as denied:
        required = ("denied", str(denied), denied.permission, denied.username)
        assert isinstance(denied, TOOL_ERRORS[adapter.__name__])  # an error result, not a crash
    return (
        identity.username if identity is not None else None,
        sorted(permissions.granted) if permissions is not None else None,
        required,
    )


def _logged(caplog: pytest.LogCaptureFixture, adapter: ModuleType) -> list[tuple[int, str]]:
    name = adapter.__name__
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == name]


@pytest.mark.parametrize(
    ("case", "permissions", "permission"),
    [
        ("granted", {"permissions": POLICY}, "report:read"),
        ("not granted", {"permissions": POLICY}, "report:delete"),
        ("no permission mapper", {}, "report:read"),
    ],
)
def test_both_adapters_answer_and_log_alike(
    mock: MockTeleport,
    caplog: pytest.LogCaptureFixture,
    case: str,
    permissions: dict[str, Any],
    permission: str,
) -> None:
    caplog.set_level(logging.DEBUG, logger="teleport_jwt")
    answers, logs = {}, {}
    for kind, adapter in ADAPTERS.items():
        with _request_of(adapter, mock, **permissions):
            answers[kind] = _answers(adapter, permission)
        logs[kind] = _logged(caplog, adapter)
    assert answers["mcp"] == answers["fastmcp"], case
    assert logs["mcp"] == logs["fastmcp"], case
    if case == "no permission mapper":
        # The server asks for a permission it never maps: refused, and an operator is told.
        assert answers["mcp"][2] == (
            "denied",
            f"permission denied: alice does not have {permission!r}",
            permission,
            "alice",
        )
        assert logs["mcp"] == [
            (
                logging.ERROR,
                f"require_permission({permission!r}) without a permission mapper: refused",
            )
        ]


def test_both_adapters_refuse_outside_a_request_alike(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="teleport_jwt")
    answers = {kind: _answers(adapter, "x") for kind, adapter in ADAPTERS.items()}
    assert answers["mcp"] == answers["fastmcp"]
    assert answers["mcp"] == (
        None,
        None,
        ("denied", "permission denied: an unauthenticated caller does not have 'x'", "x", None),
    )
    for adapter in ADAPTERS.values():
        with pytest.raises(PermissionError, match="no verified Teleport identity"):
            adapter.require_identity()
    assert caplog.records == []
