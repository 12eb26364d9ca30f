"""Issue 21, finding 1: a verifier built and warmed before ``fork()`` keeps working in the child.

How servers are deployed: ``gunicorn --preload`` (sync and uvicorn workers) and ``uvicorn
--workers`` serve ``workers_app`` (a verifier built and warmed at import), and
``multiprocessing`` forks a process holding a warmed verifier. Each time the mock rotates its
keys with no grace period, and every worker must drop the removed key within about
``max_age`` (the background refresh), not keep it to ``max_stale``, and accept the new key.
A fork while a key fetch hangs must not leave the child's verifier blocked or stuck on
``unknown_key``.

Everything is bounded: servers run in their own session and are killed on teardown, every
request has a timeout, every wait a deadline. The deadlines are generous (``DEADLINE``, many
times ``max_age``) and far below ``max_stale`` (an hour): a verifier that refreshes in the child
meets them easily, one that does not never does.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUDIENCE

import teleport_jwt as tj
from teleport_jwt.testing import MockTeleport, verifier_for

TESTS_DIR = Path(__file__).resolve().parent
JWKS = "/.well-known/jwks.json"
MAX_AGE = 2.0
# Seconds any one outcome may take to show: 15 x max_age, and 1/240 of max_stale.
DEADLINE = 30.0
WORKERS = 2
# gunicorn building the app once in the master (--preload), then forking its workers.
GUNICORN_PRELOAD = [
    *(sys.executable, "-m", "gunicorn", "--preload", "--workers", str(WORKERS)),
    *("--bind", "127.0.0.1:{port}", "--chdir", str(TESTS_DIR), "--graceful-timeout", "3"),
]
CACHE: dict[str, Any] = {"cache_max_age": MAX_AGE, "cache_cooldown": 1, "cache_max_stale": 3600}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until(what: str, condition: Callable[[], bool], deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"timed out waiting until {what}"
        time.sleep(0.05)


@dataclass(frozen=True)
class Answer:
    """One response of ``workers_app``."""

    pid: int
    user: str | None
    reason: str | None
    fetches: int


class Server:
    """A server command in its own session (so its workers die with it), on a free port."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.port = _free_port()
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def ask(self, token: str | None, hold: float = 0.0) -> Answer:
        headers = {"Teleport-Jwt-Assertion": token} if token else {}
        # A new connection each time: keep-alive would pin a client to one worker.
        r = httpx.get(
            f"http://127.0.0.1:{self.port}/?hold={hold}",
            headers={**headers, "Connection": "close"},
            timeout=10,
        )
        r.raise_for_status()
        return Answer(**json.loads(r.text))

    def round(self, token: str, n: int = 6, hold: float = 0.3) -> list[Answer]:
        """``n`` concurrent requests, each holding its worker ``hold`` seconds, so that one
        round usually reaches every worker."""
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(lambda _: self.ask(token, hold), range(n)))

    def wait_ready(self) -> None:
        def answers() -> bool:
            assert self.proc.poll() is None, f"server exited:\n{self.log.read_text()}"
            try:
                return self.ask(None).reason == "missing_token"
            except httpx.HTTPError:
                return False

        _wait_until("the server answers", answers, deadline=60)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # workers left behind, if any
        self.proc.wait(10)


@pytest.fixture
def serve(fresh_mock: MockTeleport, tmp_path: Path) -> Iterator[Callable[[list[str]], Server]]:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(fresh_mock.ca_pem)
    env = {
        **os.environ,
        "TJ_TEST_PROXY_URL": fresh_mock.proxy_url,
        "TJ_TEST_CLUSTER": fresh_mock.cluster_name,
        "TJ_TEST_AUDIENCE": AUDIENCE,
        "TJ_TEST_CA_FILE": str(ca_file),
        "TJ_TEST_MAX_AGE": str(MAX_AGE),
    }
    servers: list[Server] = []

    def start(argv: list[str]) -> Server:
        server = Server(argv, env, tmp_path / f"server-{len(servers)}.log")
        servers.append(server)
        server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()


def _every_worker(
    server: Server, token: str, wanted: Callable[[Answer], bool], what: str
) -> dict[int, Answer]:
    """Rounds of requests until ``WORKERS`` workers answered and each one's latest answer is
    ``wanted``; the latest answer per pid."""
    latest: dict[int, Answer] = {}
    end = time.monotonic() + DEADLINE
    while True:
        for answer in server.round(token):
            latest[answer.pid] = answer
        if len(latest) >= WORKERS and all(wanted(a) for a in latest.values()):
            return latest
        assert time.monotonic() < end, f"not every worker {what} in {DEADLINE}s: {latest}"
        time.sleep(0.2)


def _rotation_reaches_every_worker(mock: MockTeleport, server: Server) -> None:
    old = mock.mint(username="alice")
    workers = _every_worker(server, old, lambda a: a.user == "alice", "accepted the old key")
    assert server.proc.pid not in workers, "answered by workers, not the master"

    mock.rotate_now()  # grace period 0: the old key is no longer published
    new = mock.mint(username="bob")

    # Only the old token at first: a new-key token would refetch on its unknown kid and hide
    # a worker that never refreshes on its own.
    after = _every_worker(
        server, old, lambda a: a.reason == "unknown_key", "refused the removed key"
    )
    assert set(after) == set(workers), "the same workers (none restarted)"
    assert all(a.fetches > workers[pid].fetches for pid, a in after.items()), (
        "each worker fetched the keys again by itself"
    )
    # Rounds until every worker has answered (an async worker may take a whole round alone).
    accepted = _every_worker(server, new, lambda a: a.user == "bob", "accepted the new key")
    assert set(accepted) == set(workers), "the same workers accept the new key"


def test_finding_01_gunicorn_preload_sync_workers_drop_a_removed_key(
    fresh_mock: MockTeleport, serve: Callable[[list[str]], Server]
) -> None:
    server = serve([*GUNICORN_PRELOAD, "--worker-class", "sync", "workers_app:wsgi"])
    _rotation_reaches_every_worker(fresh_mock, server)


def test_finding_01_gunicorn_preload_uvicorn_workers_drop_a_removed_key(
    fresh_mock: MockTeleport, serve: Callable[[list[str]], Server]
) -> None:
    server = serve(
        [*GUNICORN_PRELOAD, "--worker-class", "uvicorn.workers.UvicornWorker", "workers_app:asgi"]
    )
    _rotation_reaches_every_worker(fresh_mock, server)


def test_finding_01_uvicorn_workers_drop_a_removed_key(
    fresh_mock: MockTeleport, serve: Callable[[list[str]], Server]
) -> None:
    # uvicorn starts its workers with the "spawn" method: each imports the app (and builds
    # its verifier) itself, so nothing is inherited; this guards that deployment too.
    server = serve(
        [
            *(sys.executable, "-m", "uvicorn", "--workers", str(WORKERS), "--host", "127.0.0.1"),
            *("--port", "{port}", "--app-dir", str(TESTS_DIR), "--timeout-graceful-shutdown", "3"),
            "workers_app:asgi",
        ]
    )
    _rotation_reaches_every_worker(fresh_mock, server)


# --- multiprocessing with the fork start method -------------------------------------------


def _fetches_ok(verifier: tj.Verifier) -> int:
    ok: int = verifier.stats()["key_sources"][0]["fetches_ok"]
    return ok


def _child(work: Callable[[], dict[str, Any]], conn: Connection) -> None:
    """Runs in the forked child: sends ``work()``'s result, or the exception it raised."""
    try:
        conn.send(work())
    except BaseException as e:
        conn.send({"error": repr(e)})


def _in_forked_child(
    verifier: tj.Verifier,
    work: Callable[[tj.Verifier, Connection], dict[str, Any]],
    after_fork: Callable[[Connection], None] = lambda _: None,
) -> dict[str, Any]:
    """Forks (``multiprocessing``, start method "fork") a child that runs ``work(verifier,
    conn)``; the parent runs ``after_fork(conn)``. The child's result, or a failure when it
    sends none within the deadline (a verification blocked forever)."""
    ctx = multiprocessing.get_context("fork")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=_child, args=(lambda: work(verifier, theirs), theirs), daemon=True)
    with warnings.catch_warnings():
        # Python >= 3.12 warns that forking a threaded process may deadlock the child: that
        # risk, for this library's own threads and locks, is what these tests are about.
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    try:
        after_fork(ours)
        if not ours.poll(DEADLINE + 15):
            pytest.fail(f"the forked child sent nothing in {DEADLINE + 15}s: it is blocked")
        result: dict[str, Any] = ours.recv()
        return result
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join(10)


def _verify_until(
    verifier: tj.Verifier, token: str, done: Callable[[str | None], bool]
) -> str | None:
    """Verifies ``token`` until ``done(outcome)`` or the deadline; returns the last outcome:
    the verified username, or the reason code of the refusal."""
    end = time.monotonic() + DEADLINE
    while True:
        try:
            outcome: str | None = verifier.verify(token).username
        except tj.VerifyError as e:
            outcome = e.code
        if done(outcome) or time.monotonic() > end:
            return outcome
        time.sleep(0.1)


def test_finding_01_multiprocessing_fork_child_drops_a_removed_key(
    fresh_mock: MockTeleport,
) -> None:
    verifier = verifier_for(fresh_mock, AUDIENCE, **CACHE)
    verifier.warm_up()
    old = fresh_mock.mint(username="alice")
    assert verifier.verify(old).username == "alice"

    def work(v: tj.Verifier, conn: Connection) -> dict[str, Any]:
        fetched_at_fork = _fetches_ok(v)
        new = conn.recv() if conn.poll(DEADLINE) else ""  # sent once the keys are rotated
        old_outcome = _verify_until(v, old, lambda o: o != "alice")
        refetched = _fetches_ok(v) > fetched_at_fork
        new_outcome = _verify_until(v, new, lambda o: True)
        return {"old": old_outcome, "refetched": refetched, "new": new_outcome}

    def rotate(conn: Connection) -> None:
        fresh_mock.rotate_now()
        conn.send(fresh_mock.mint(username="bob"))

    result = _in_forked_child(verifier, work, rotate)
    assert result == {"old": "unknown_key", "refetched": True, "new": "bob"}


def _start_hanging_fetch(mock: MockTeleport, fetch: Callable[[], object]) -> threading.Thread:
    """Makes the key endpoint hang and runs ``fetch`` on a thread until its request is in
    flight (the mock counted it), so that a fork now copies a verifier mid-fetch."""
    before = mock.request_count_for_path(JWKS)
    mock.set_failure("hang")

    def quietly() -> None:
        # The parent's own fetch fails or succeeds: the child is what is tested.
        with contextlib.suppress(tj.VerifyError):
            fetch()

    thread = threading.Thread(target=quietly, daemon=True)
    thread.start()
    _wait_until("the fetch is in flight", lambda: mock.request_count_for_path(JWKS) > before)
    return thread


def _child_verifies_after_fork_mid_fetch(
    mock: MockTeleport, verifier: tj.Verifier, fetch: Callable[[], object], token: str, user: str
) -> None:
    """Forks while ``fetch`` hangs in the parent; once the endpoint answers again, the child
    must verify ``token`` (as ``user``) by fetching on its own, not block on the parent's
    fetch or keep refusing."""
    thread = _start_hanging_fetch(mock, fetch)

    def work(v: tj.Verifier, conn: Connection) -> dict[str, Any]:
        if conn.poll(DEADLINE):  # the endpoint answers again
            conn.recv()
        return {"outcome": _verify_until(v, token, lambda o: o == user)}

    def recover(conn: Connection) -> None:
        mock.set_failure(None)
        conn.send("answering")

    try:
        result = _in_forked_child(verifier, work, recover)
    finally:
        mock.set_failure(None)
        thread.join(10)
    assert result == {"outcome": user}


def test_finding_01_fork_during_first_fetch_child_verifies(fresh_mock: MockTeleport) -> None:
    # warm_up() of a fresh verifier hangs in the parent; the child has no keys at all, so its
    # first verification must fetch them itself (not wait forever on the parent's fetch).
    verifier = verifier_for(fresh_mock, AUDIENCE, fetch_timeout=3, **CACHE)
    token = fresh_mock.mint(username="alice")
    _child_verifies_after_fork_mid_fetch(fresh_mock, verifier, verifier.warm_up, token, "alice")


def test_finding_01_fork_during_unknown_kid_refetch_child_verifies(
    fresh_mock: MockTeleport,
) -> None:
    # A warmed verifier meets a token of a key published after its fetch; the refetch hangs
    # in the parent. The child must fetch the new key itself once the endpoint answers.
    verifier = verifier_for(fresh_mock, AUDIENCE, fetch_timeout=3, **CACHE)
    verifier.warm_up()
    fresh_mock.rotate_now()
    token = fresh_mock.mint(username="bob")
    _child_verifies_after_fork_mid_fetch(
        fresh_mock, verifier, lambda: verifier.verify(token), token, "bob"
    )
