"""The ``teleport-jwt`` command line: the Rust tool (crate ``teleport-jwt-cli``), the same
code as the Rust binary, run in this process.

``teleport-jwt inspect TOKEN``, ``python -m teleport_jwt verify --proxy URL ...``; see
``teleport-jwt --help`` for the commands and exit codes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from teleport_jwt._teleport_jwt import cli_main

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tool on ``argv`` (default: ``sys.argv[1:]``) and return its exit code.

    Ctrl-C (during ``mock``, which runs until interrupted) returns 130, as a shell reports it.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return cli_main(args)
    except KeyboardInterrupt:
        return 130
