"""The action server answers only Rasa (shared secret) and listens only on HOST."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from crm_store.settings import PROJECT_ROOT
from tests.support.webchat_server import free_port

TOKEN = "action-secret-for-tests"


def outward_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent for UDP connect
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("actions") / "actions.log"
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "ACTION_PORT": str(port),
        "ACTION_SERVER_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite:///{log.parent / 'crm.db'}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.action_server"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"action server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    yield url, port
    proc.terminate()
    proc.wait(10)


def leave_form_call(sender: str) -> dict:
    tracker = {
        "sender_id": sender,
        "slots": {},
        "latest_message": {},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    return {
        "next_action": "action_leave_form",
        "sender_id": sender,
        "tracker": tracker,
        "domain": {"responses": {}},
        "version": "3.6.21",
    }


@pytest.mark.parametrize("headers", [{}, {"X-Action-Token": "guess"}])
def test_a_call_without_the_secret_is_refused(action_server, headers):
    url, _ = action_server

    reply = httpx.post(f"{url}/webhook", json=leave_form_call("intruder"), headers=headers)

    assert reply.status_code == 401
    assert "utter_form_stopped" not in reply.text


def test_rasa_with_the_secret_runs_the_action(action_server):
    url, _ = action_server

    reply = httpx.post(f"{url}/webhook", json=leave_form_call("rasa"), headers={"X-Action-Token": TOKEN})

    assert reply.status_code == 200
    assert reply.json()["responses"][0]["response"] == "utter_form_stopped"


def test_it_listens_on_host_only(action_server):
    _, port = action_server
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")

    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{address}:{port}/health", timeout=2)
