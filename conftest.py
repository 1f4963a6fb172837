"""Shared fixtures for the kit's own tests (tests/); the contract suite has its own plugin."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from mock_server import Mock, build

ADMIN = {"Authorization": "Bearer cog_mock_admin"}
VIEWER = {"Authorization": "Bearer cog_mock_viewer"}
OTHER = {"Authorization": "Bearer cog_other_admin"}
SESSIONS = "/v3/organizations/org-mock/sessions"


@pytest.fixture
def mock() -> Mock:
    """A fresh mock with the default tokens and seed."""
    return build()


@pytest.fixture
def client(mock: Mock):
    with mock.app.test_client() as client:
        yield client


@pytest.fixture
def new_session(client) -> dict:
    """A session created for the test, running/working."""
    response = client.post(SESSIONS, json={"prompt": "Fix the build", "tags": ["t1"]}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_cli(*args: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`python -m mock_server ARGS` until the block ends; yields the process and its banner."""
    process = subprocess.Popen([sys.executable, "-m", "mock_server", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            banner.append(line)
            if "Ctrl-C" in line or not line:
                break
        # Keep reading the request log, so a full pipe never blocks the server.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield process, "".join(banner)
    finally:
        process.terminate()
        process.wait(10)
