"""``python -m teleport_jwt``: the ``teleport-jwt`` command line (see :mod:`teleport_jwt.cli`)."""

from teleport_jwt.cli import main

raise SystemExit(main())
