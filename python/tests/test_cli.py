"""The ``teleport-jwt`` command line from the wheel: ``python -m teleport_jwt``, the console
script and ``teleport_jwt.cli.main``, all running the Rust tool (crate ``teleport-jwt-cli``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from teleport_jwt.cli import main
from teleport_jwt.testing import MockTeleport

AUDIENCE = "mcp+http://127.0.0.1:8000/mcp"
SCRIPT = Path(sys.executable).parent / ("teleport-jwt.exe" if os.name == "nt" else "teleport-jwt")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int, needle: str) -> None:
    assert proc.returncode == code, proc
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("teleport-jwt: "), proc.stderr
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr and "panicked" not in proc.stderr


def test_python_m_inspect_decodes_unverified(mock: MockTeleport) -> None:
    token = mock.mint(username="alice", roles=["mcp-dev"])
    proc = run(sys.executable, "-m", "teleport_jwt", "inspect", token)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith("UNVERIFIED: ")
    assert f"size: {len(token)} bytes" in proc.stdout
    assert '"username": "alice"' in proc.stdout
    assert " UTC  (in 4m 5" in proc.stdout or " UTC  (in 5m" in proc.stdout

    proc = run(sys.executable, "-m", "teleport_jwt", "inspect", "--json", "-", stdin=token)
    doc = json.loads(proc.stdout)
    assert doc["verified"] is False
    assert doc["claims"]["roles"] == ["mcp-dev"]

    assert_one_line_error(
        run(sys.executable, "-m", "teleport_jwt", "inspect", "garbage"), 1, "not a JWT"
    )
    assert_one_line_error(
        run(sys.executable, "-m", "teleport_jwt", "--bogus"), 2, "invalid option '--bogus'"
    )


def test_console_script_verifies_with_an_exit_code_per_reason(
    mock: MockTeleport, tmp_path: Path
) -> None:
    assert SCRIPT.exists(), f"the wheel installs the console script at {SCRIPT}"
    ca = tmp_path / "ca.pem"
    ca.write_text(mock.ca_pem)
    base = [str(SCRIPT), "verify", "--proxy", mock.proxy_url, "--cluster", mock.cluster_name]
    base += ["--ca", str(ca)]
    token = mock.mint(username="bob", roles=["dev"])
    proc = run(*base, "--audience", AUDIENCE, "--json", token)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["username"] == "bob"

    proc = run(*base, "--audience", "https://other", "--json", token)
    assert proc.returncode == 21
    assert json.loads(proc.stdout)["code"] == "audience_mismatch"
    assert_one_line_error(run(*base, "--audience", AUDIENCE, "x.y.z"), 10, "malformed")
    assert_one_line_error(
        run(str(SCRIPT), "policy", "check", str(tmp_path / "missing.yaml")), 1, "cannot read"
    )
    proc = run(str(SCRIPT), "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("teleport-jwt ")


def test_main_writes_through_python_streams(
    mock: MockTeleport, capsys: pytest.CaptureFixture[str]
) -> None:
    token = mock.mint()
    assert main(["inspect", token]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("UNVERIFIED: ") and err == ""
    assert main(["inspect"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("teleport-jwt: inspect needs a TOKEN")


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX")
def test_mock_runs_until_ctrl_c() -> None:
    # A test run started in the background by a shell without job control (`make test &`)
    # inherits SIGINT ignored, and so would the child: the tool then rightly keeps serving.
    # Ctrl-C is what this test is about, so the child starts with SIGINT's default (a handler
    # set here is reset to the default at exec; an ignored signal would stay ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "teleport_jwt",
                "mock",
                "--json",
                "--user",
                "carol",
                "--role",
                "r",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        assert child.stdout is not None
        doc = json.loads(child.stdout.readline())
        assert doc["tokens"][0]["user"] == "carol"
        assert child.stdout.readline().startswith("serving until interrupted")
        time.sleep(0.3)
        assert child.poll() is None, "serves until interrupted"
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 130
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
