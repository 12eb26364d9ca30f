#!/usr/bin/env python3
"""A/B run of the verification benchmark: an older commit and the working tree, in one run.

    python3 core/benches/ab.py BASE [--rounds N] [--filter REGEX]

Builds `benches/verify.rs` of BASE (in a detached worktree under target/ab, with its own
target dir) and of the working tree, then runs the two binaries in turns (base, head, base,
head, ...) so that both see the same machine noise, and prints each benchmark's median per
side (the median over rounds of criterion's per-round median) and the ratio head / base.
Machines are noisy: read the ratio against the spread printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "target" / "ab"


def bench_binary(tree: Path, target_dir: Path) -> Path:
    """Builds the `verify` bench of `tree` and returns its executable."""
    out = subprocess.run(
        [
            "cargo",
            "bench",
            "-p",
            "teleport-jwt",
            "--features",
            "mock",
            "--bench",
            "verify",
            "--no-run",
            "--message-format=json",
        ],
        cwd=tree,
        env={**os.environ, "CARGO_TARGET_DIR": str(target_dir)},
        check=True,
        stdout=subprocess.PIPE,
    ).stdout.decode()
    for line in out.splitlines():
        msg = json.loads(line)
        is_bench = msg.get("reason") == "compiler-artifact" and msg.get("executable")
        if is_bench and msg["target"]["name"] == "verify":
            return Path(msg["executable"])
    sys.exit(f"no bench executable built in {tree}")


def base_tree(rev: str) -> Path:
    tree = WORK / "base"
    sha = (
        subprocess.run(
            ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
        )
        .stdout.decode()
        .strip()
    )
    if tree.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=ROOT, check=True)
    return tree


def run_once(binary: Path, home: Path, pattern: str) -> dict[str, float]:
    """One criterion run; returns benchmark id -> median nanoseconds."""
    subprocess.run(
        [
            str(binary),
            "--bench",
            pattern,
            "--noplot",
            "--warm-up-time",
            "1",
            "--measurement-time",
            "3",
        ],
        env={**os.environ, "CRITERION_HOME": str(home)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    medians = {}
    for est in home.glob("**/new/estimates.json"):
        bench_id = str(est.parent.parent.relative_to(home))
        medians[bench_id] = json.loads(est.read_text())["median"]["point_estimate"]
    return medians


def fmt(ns: float) -> str:
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("base", help="the commit to compare against (e.g. the one before a change)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--filter", default="teleport-jwt/", help="criterion filter (a regex)")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    base = base_tree(args.base)
    try:
        binaries = {
            "base": bench_binary(base, ROOT / "target"),  # path deps hash apart; shared deps reused
            "head": bench_binary(ROOT, ROOT / "target"),
        }
        results: dict[str, dict[str, list[float]]] = {"base": {}, "head": {}}
        for r in range(args.rounds):
            for side, binary in binaries.items():
                home = WORK / f"criterion-{side}-{r}"
                subprocess.run(["rm", "-rf", str(home)], check=True)
                print(f"round {r + 1}/{args.rounds}: {side}", file=sys.stderr)
                for bench_id, ns in run_once(binary, home, args.filter).items():
                    results[side].setdefault(bench_id, []).append(ns)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)
    print(f"A/B: base {args.base} vs working tree, {args.rounds} alternating rounds")
    print(f"{'benchmark':45} {'base':>10} {'head':>10} {'head/base':>10}  spread of rounds")
    for bench_id in sorted(results["head"]):
        b, h = results["base"].get(bench_id), results["head"][bench_id]
        if not b:
            continue
        mb, mh = statistics.median(b), statistics.median(h)
        spread = f"base {fmt(min(b))}-{fmt(max(b))}, head {fmt(min(h))}-{fmt(max(h))}"
        print(f"{bench_id:45} {fmt(mb):>10} {fmt(mh):>10} {mh / mb:>10.3f}  {spread}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
