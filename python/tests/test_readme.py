"""The READMEs and docs pages stay true: their Python examples run as shown (no cluster needed to
build the server), the reason-code table is the core's, and the root README stays a short map
that links every per-language README and docs page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import teleport_jwt as tj
from teleport_jwt import _teleport_jwt as native

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PYTHON_README = ROOT / "python" / "README.md"
REASON_CODES = ROOT / "docs" / "reason-codes.md"
REPOSITORY_BLOB = "https://github.com/teleport-jwt/teleport-jwt/blob/main/"
MAX_ROOT_LINES = 160


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(), re.S)


def _generated(path: Path) -> bool:
    """Caches, virtualenvs and build output (`.pytest_cache/README.md`, `target/`)."""
    return any(part.startswith(".") or part in ("target", "node_modules") for part in path.parts)


def _pages() -> list[Path]:
    """Every README of a part of the repository and every docs page."""
    readmes = [ROOT / "README.md"]
    for pattern in ("*/README.md", "*/*/README.md"):
        readmes += [p for p in sorted(ROOT.glob(pattern)) if not _generated(p.relative_to(ROOT))]
    return readmes + sorted((ROOT / "docs").glob("*.md"))


def _links(page: Path) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", page.read_text())


def _target(page: Path, link: str) -> Path | None:
    """The file a link points at in this checkout, or None for a link outside it."""
    if link.startswith(REPOSITORY_BLOB):
        link = link[len(REPOSITORY_BLOB) :]
        base = ROOT
    elif "://" in link or link.startswith(("#", "mailto:")):
        return None
    else:
        base = page.parent
    return (base / link.split("#", 1)[0]).resolve()


def test_the_quick_start_runs() -> None:
    quick_start = _python_blocks(PYTHON_README)[0]
    assert "teleport_auth(verifier" in quick_start, "the first Python block is the quick start"
    namespace: dict[str, Any] = {"__name__": "readme_quick_start"}
    exec(compile(quick_start, str(PYTHON_README), "exec"), namespace)
    verifier = namespace["verifier"]
    assert verifier.trust_entries[0].audiences == ["mcp+http://127.0.0.1:8000/mcp"]
    assert callable(namespace["app"]), "an ASGI app for uvicorn"
    # Outside an authenticated request the tool has no identity: require_identity refuses.
    with pytest.raises(PermissionError, match="no verified Teleport identity"):
        namespace["whoami"]()


def test_the_root_readme_example_runs() -> None:
    (example,) = _python_blocks(README)
    assert len(example.strip().splitlines()) <= 6, "a five-line example"
    namespace: dict[str, Any] = {"__name__": "readme_root_example"}
    exec(compile(example, str(README), "exec"), namespace)
    assert namespace["verifier"].trust_entries[0].audiences == ["mcp+http://127.0.0.1:8000/mcp"]
    with pytest.raises(tj.MissingToken):
        namespace["whoami"]({})


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_block_compiles(page: Path) -> None:
    for block in _python_blocks(page):
        compile(block, str(page), "exec")


def test_the_reason_code_table_is_the_cores() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \| `([A-Za-z]+)` \|", REASON_CODES.read_text(), re.M)
    assert rows == list(native.REASONS), (
        "docs/reason-codes.md must list every reason of the core (teleport_jwt::api::reasons()), "
        "code and type, in the core's order"
    )


def test_the_root_readme_is_a_short_map() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= MAX_ROOT_LINES, f"README.md has {len(lines)} lines"
    commands = [line.split("#")[0].strip() for line in lines if line.startswith("make ")]
    assert commands[:2] == ["make demo", "make test"], "the two commands come first"
    linked = {_target(README, link) for link in _links(README)}
    missing = [
        str(page.relative_to(ROOT)) for page in _pages() if page != README and page not in linked
    ]
    assert not missing, f"README.md does not link {missing}"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_to_a_page_resolves(page: Path) -> None:
    for link in _links(page):
        target = _target(page, link)
        if target is not None and target.suffix == ".md":
            assert target.is_file(), f"{page.relative_to(ROOT)} links {link}, which is missing"
