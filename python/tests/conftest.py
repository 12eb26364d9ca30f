"""Shared fixtures: a MockTeleport per module, verifiers that trust it, an HTTP server helper."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

import teleport_jwt as tj
from teleport_jwt.testing import MockTeleport, verifier_for

AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"


@pytest.fixture(scope="module")
def mock() -> Iterator[MockTeleport]:
    with MockTeleport() as m:
        yield m


@pytest.fixture
def fresh_mock() -> Iterator[MockTeleport]:
    with MockTeleport() as m:
        yield m


@pytest.fixture
def verifier(mock: MockTeleport) -> tj.Verifier:
    mock.set_failure(None)
    return verifier_for(mock, AUDIENCE)


class ServerThread:
    """uvicorn on 127.0.0.1 (a free port) in a thread; stopped by ``stop()``."""

    def __init__(self, app: Any) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert self.thread.is_alive(), "server thread died"
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.port}/mcp"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
