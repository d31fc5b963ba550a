"""Who may reach what on a running `crmbot run`: Rasa's API, its CORS, the action server."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import RASA_TOKEN
from bot.local_stack import Stack

pytestmark = pytest.mark.e2e


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_rasa_api_never_allows_a_foreign_origin(stack: Stack):
    reply = httpx.get(
        f"{stack.rasa_url}/conversations/someone/tracker",
        params={"token": RASA_TOKEN},
        headers={"Origin": "http://evil.example"},
    )
    preflight = httpx.options(
        f"{stack.rasa_url}/model", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "DELETE"}
    )

    assert "access-control-allow-origin" not in reply.headers
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-credentials" not in reply.headers


def test_the_api_needs_the_token(stack: Stack):
    reply = httpx.get(f"{stack.rasa_url}/conversations/someone/tracker")

    assert reply.status_code == 401


def test_a_model_outside_the_model_directory_is_refused(stack: Stack):
    before = httpx.get(f"{stack.rasa_url}/status", params={"token": RASA_TOKEN}).json()["model_file"]

    reply = httpx.put(f"{stack.rasa_url}/model", params={"token": RASA_TOKEN}, json={"model_file": "/etc/passwd"})

    assert reply.status_code == 403
    assert httpx.get(f"{stack.rasa_url}/status", params={"token": RASA_TOKEN}).json()["model_file"] == before


def test_no_secret_is_on_a_command_line(stack: Stack):
    pids = [stack.process.pid, *children_of(stack.process.pid)]
    command_lines = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in pids]

    assert len(pids) >= 3  # crmbot run, the action server, the Rasa server
    assert not [line for line in command_lines if RASA_TOKEN in line or "--auth-token" in line]


def test_the_action_server_answers_only_rasa(stack: Stack):
    url = f"http://127.0.0.1:{stack.env['ACTION_PORT']}/webhook"
    call = {
        "next_action": "action_check_order",
        "sender_id": "intruder",
        "version": "3.6.21",
        "tracker": {"sender_id": "intruder", "slots": {"order_id": "A-10423"}, "events": [], "latest_message": {}},
        "domain": {},
    }

    reply = httpx.post(url, json=call)

    assert reply.status_code == 401
    assert "A-10423" not in reply.text


def test_personal_data_in_messages_never_reaches_the_logs(stack: Stack):
    email, phone, text = "plant.e2e@example.org", "+49 160 9876 5432", "a private sentence about my parcel"
    sender = "pii-" + uuid.uuid4().hex[:10]

    stack.say(sender, f"{text}, write to {email} or call {phone}")
    httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook", content=f"{{'sender': '{sender}', 'message': '{email}".encode()
    )
    stack.say(sender, f"where is my order A-99999? my email is {email}")
    logged = stack.log_path.read_text(errors="replace")

    assert email not in logged and phone not in logged and text not in logged
