"""The README's Python quick start runs as shown (it needs no cluster to build the server)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_quick_start_runs() -> None:
    quick_start = _python_blocks()[0]
    assert "teleport_auth(verifier" in quick_start, "the first Python block is the quick start"
    namespace: dict[str, Any] = {"__name__": "readme_quick_start"}
    exec(compile(quick_start, str(README), "exec"), namespace)
    verifier = namespace["verifier"]
    assert verifier.trust_entries[0].audiences == ["mcp+http://127.0.0.1:8000/mcp"]
    assert callable(namespace["app"]), "an ASGI app for uvicorn"
    # Outside an authenticated request the tool has no identity: require_identity refuses.
    with pytest.raises(PermissionError, match="no verified Teleport identity"):
        namespace["whoami"]()
