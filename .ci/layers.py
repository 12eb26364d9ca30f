#!/usr/bin/env python3
"""The core's module layers, checked: no module of `core/src` reads a module above it, and no
two modules read each other.

The layers are the data below, lowest first; a module may read modules of its own layer or of
lower ones. A "read" is any path through `crate::` (`use crate::keys::KeySet;`,
`crate::error::err(...)`, `$crate::policy::Decision` in a macro, `use crate::{alg, error}`), in
code and in tests alike; doc comments and comments are not reads. A name the crate root
re-exports (`crate::Identity`) is read from the module that defines it, as `lib.rs` says, and
a macro exported at the root (`crate::describe_verifier_settings!`) from the module that
defines it.
The unit is the top-level module (`keys`, `policy`, ...): what a module's own files say to
each other is its business.

Run from the repository root: `python3 .ci/layers.py` (exit status 1 and one line per
violation when the layers are broken). Standard library only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SRC = Path("core/src")

# Lowest first. A module not listed here is an error (a new module must be placed).
LAYERS: list[tuple[str, ...]] = [
    # Read nothing of the crate: the error type and its reason codes, the encodings, the fork
    # generation.
    ("error", "b64", "json", "fork"),
    # Read only errors: enum names, time, header rules, key transport, key events.
    ("names", "clock", "headers", "http", "events"),
    # The algorithms (named enums) and the statistics that count by them.
    ("alg", "stats"),
    # What a token carries and the keys that verify it.
    ("identity", "claims", "keys"),
    # Checking a signature with those keys; mapping an identity to permissions.
    ("jws", "policy"),
    # What a verifier is configured with and what it remembers.
    ("config", "token_cache", "dangerous"),
    # The verifier.
    ("verifier",),
    # Its surfaces: refusal answers, a web framework layer, a fake Teleport, fuzzing entry
    # points, the CLI.
    ("refusal", "axum", "mock", "fuzzing"),
    # Data for the bindings, read from everything below; nothing reads it.
    ("api",),
]

ROOT_FILES = {"lib.rs"}


def module_of(path: Path) -> str | None:
    """The top-level module a source file belongs to (`keys/cache.rs` -> `keys`)."""
    rel = path.relative_to(SRC)
    if rel.parts[0] in ROOT_FILES:
        return None
    return rel.parts[0].removesuffix(".rs")


def strip_comments(text: str) -> str:
    """The source without comments (doc comments included) and without the contents of string
    and character literals, so that only code is searched."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif raw := re.match(r'b?r(#*)"', text[i : i + 260]):
            end = text.find('"' + raw.group(1), i + raw.end())
            out.append('""')
            i = n if end < 0 else end + 1 + len(raw.group(1))
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            out.append('""')
            i += 1
        elif char := re.match(r"'(\\.[^']*|[^\\'])'", text[i : i + 12]):
            out.append("' '")
            i += char.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def root_reexports(lib: str) -> dict[str, str]:
    """`pub use a::{X, Y}` / `pub use a::b::X` in lib.rs: name -> defining top-level module."""
    names: dict[str, str] = {}
    for m in re.finditer(r"pub use (\w+)::(\{[^}]*\}|[\w:]+);", strip_comments(lib)):
        module, items = m.group(1), m.group(2)
        for item in re.split(r"[{},\s]+", items):
            if item:
                names[item.split("::")[-1]] = module
    return names


def exported_macros(files: dict[Path, str]) -> dict[str, str]:
    """`#[macro_export] macro_rules! name`: name -> defining top-level module."""
    names: dict[str, str] = {}
    for path, text in files.items():
        module = module_of(path)
        for m in re.finditer(r"#\[macro_export\]\s*macro_rules!\s*(\w+)", text):
            if module is not None:
                names[m.group(1)] = module
    return names


def reads(text: str, modules: set[str], reexports: dict[str, str]) -> set[str]:
    """The top-level modules a file reads through `crate::`."""
    found: set[str] = set()
    code = strip_comments(text)
    # `crate::{a::X, b, c::{..}}`: the first segment of each top-level item of the group.
    for m in re.finditer(r"\bcrate::\{", code):
        depth, i, start = 1, m.end(), m.end()
        items, item_start = [], start
        while i < len(code) and depth:
            c = code[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == "," and depth == 1:
                items.append(code[item_start:i])
                item_start = i + 1
            i += 1
        items.append(code[item_start : i - 1])
        for item in items:
            first = item.strip().split("::")[0].strip()
            found.update(resolve(first, modules, reexports))
    for m in re.finditer(r"\bcrate::(\w+)", code):
        found.update(resolve(m.group(1), modules, reexports))
    return found


def resolve(name: str, modules: set[str], reexports: dict[str, str]) -> set[str]:
    if name in modules:
        return {name}
    if name in reexports:
        return {reexports[name]}
    return set()  # `self`, or a root item lib.rs defines itself


def main() -> int:
    layer_of = {m: i for i, layer in enumerate(LAYERS) for m in layer}
    files = {p: p.read_text() for p in sorted(SRC.rglob("*.rs"))}
    reexports = root_reexports(files[SRC / "lib.rs"])
    reexports.update(exported_macros(files))
    modules = {module_of(p) for p in SRC.rglob("*.rs")} - {None}
    problems = [
        f"core/src/{m}: module not placed in a layer of .ci/layers.py"
        for m in sorted(modules - layer_of.keys())  # type: ignore[operator]
    ]
    edges: dict[tuple[str, str], Path] = {}
    for path, text in files.items():
        here = module_of(path)
        if here is None or here not in layer_of:
            continue
        for there in reads(text, modules, reexports) - {here}:  # type: ignore[arg-type]
            edges.setdefault((here, there), path)
            if there in layer_of and layer_of[there] > layer_of[here]:
                problems.append(
                    f"{path}: {here} (layer {layer_of[here]}) reads {there} "
                    f"(layer {layer_of[there]}, above it)"
                )
    for (a, b), path in sorted(edges.items()):
        if a < b and (b, a) in edges:
            problems.append(f"{a} and {b} read each other ({path}, {edges[(b, a)]})")
    for p in problems:
        print(p)
    if not problems:
        print(f"layers: {len(modules)} modules, {len(edges)} reads, none upward, none mutual")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
