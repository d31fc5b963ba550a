"""The REST channel owns identity and limits: over real HTTP, on the channel test server."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.webchat_server import WebchatServer

WEBHOOK = "/webhooks/rest/webhook"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {
        "MAX_MESSAGE_CHARS": "200",
        "MESSAGES_PER_MINUTE": "5",
        "NEW_CUSTOMERS_PER_IP_PER_HOUR": "1000",
        "MAX_REQUEST_BYTES": "4096",
    }
    with WebchatServer(tmp_path_factory.mktemp("rest"), env=env, delay=0, crm=False) as srv:
        yield srv


@pytest.fixture()
def http(server):
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def sender() -> str:
    return f"rest-{uuid.uuid4().hex[:12]}"


def recorded(server: WebchatServer, sender_id: str) -> list[dict]:
    return [m for m in server.messages() if m["sender_id"] == sender_id]


def test_the_body_cannot_claim_another_channel(server, http):
    someone = sender()

    reply = http.post(WEBHOOK, json={"sender": someone, "input_channel": "telegram", "message": "hello"})

    assert reply.status_code == 200 and reply.json()[0]["text"] == "You said: hello"
    assert [m["input_channel"] for m in recorded(server, someone)] == ["rest"]


def test_only_json_bodies_are_accepted(server, http):
    someone = sender()
    body = f'{{"sender": "{someone}", "message": "cancel my order"}}'

    # What a page open in the same browser can send without asking (a "simple" CORS request).
    plain = http.post(WEBHOOK, content=body.encode(), headers={"Content-Type": "text/plain"})
    form = http.post(WEBHOOK, content=body.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert plain.status_code == 415 and form.status_code == 415
    assert recorded(server, someone) == []
    assert (
        http.post(
            WEBHOOK, content=body.encode(), headers={"Content-Type": "application/json; charset=utf-8"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "other", [uuid.uuid4().hex, "123456789", "-100200300"], ids=["webchat-session", "telegram-user", "telegram-group"]
)
def test_a_sender_id_of_another_channel_is_refused(server, http, other):
    reply = http.post(WEBHOOK, json={"sender": other, "message": "show me my conversation"})

    assert reply.status_code == 400 and "another channel" in reply.json()["error"]
    assert recorded(server, other) == []


def test_no_sender_is_refused_instead_of_sharing_default(server, http):
    before = len(server.messages())

    reply = http.post(WEBHOOK, json={"message": "where is my order"})

    assert reply.status_code == 400 and "sender" in reply.json()["error"]
    assert len(server.messages()) == before
    assert not [m for m in server.messages() if m["sender_id"] == "default"]


def test_metadata_keeps_only_a_plain_display_name(server, http):
    someone = sender()

    http.post(
        WEBHOOK,
        json={
            "sender": someone,
            "message": "hi",
            "metadata": {
                "display_name": "<b>Evil</b>\u0007 " + "x" * 200,
                "attachments": [{"kind": "photo", "path": "../../../../etc/passwd"}],
            },
        },
    )

    [message] = recorded(server, someone)
    assert set(message["metadata"]) == {"display_name", "network"}
    name = message["metadata"]["display_name"]
    assert name.startswith("Evil x") and "<" not in name and "\u0007" not in name and len(name) <= 60


def test_a_too_long_message_gets_a_polite_reply_and_goes_no_further(server, http):
    someone = sender()

    reply = http.post(WEBHOOK, json={"sender": someone, "message": "a" * 201})

    assert reply.status_code == 200
    assert "too long" in reply.json()[0]["text"] and "200 characters" in reply.json()[0]["text"]
    assert recorded(server, someone) == []


def test_a_body_over_the_limit_is_refused_from_its_length(server, http):
    reply = http.post(
        WEBHOOK,
        content=b'{"sender": "x", "message": "' + b"a" * 5000 + b'"}',
        headers={"Content-Type": "application/json"},
    )

    assert reply.status_code == 413


def test_messages_per_minute_per_chat_are_limited(server, http):
    someone = sender()

    statuses = [http.post(WEBHOOK, json={"sender": someone, "message": f"hi {i}"}).status_code for i in range(7)]
    other = http.post(WEBHOOK, json={"sender": sender(), "message": "hi"})

    assert statuses == [200] * 5 + [429] * 2
    assert len(recorded(server, someone)) == 5
    assert other.status_code == 200


@pytest.mark.parametrize(
    "env, header, status",
    [
        ({"HOST": "0.0.0.0"}, None, 404),
        ({"HOST": "0.0.0.0", "REST_TOKEN": "rest-secret"}, None, 401),
        ({"HOST": "0.0.0.0", "REST_TOKEN": "rest-secret"}, "Bearer wrong", 401),
        ({"HOST": "0.0.0.0", "REST_TOKEN": "rest-secret"}, "Bearer rest-secret", 200),
    ],
)
def test_off_loopback_rest_is_off_unless_its_token_is_set_and_sent(tmp_path, env, header, status):
    with WebchatServer(tmp_path, env=env, delay=0, crm=False) as srv, httpx.Client(base_url=srv.url) as http:
        headers = {"Authorization": header} if header else {}

        reply = http.post(WEBHOOK, json={"sender": sender(), "message": "hello"}, headers=headers)

        assert reply.status_code == status
        assert len(srv.messages()) == (1 if status == 200 else 0)


def test_what_the_team_sends_between_turns_waits_for_the_caller_who_is_then_listening(server, http):
    someone = sender()
    answer = http.post(WEBHOOK, json={"sender": someone, "message": "hello"})
    link = answer.headers["link"]
    assert f"/webhooks/rest/messages?sender={someone}" in link and 'rel="messages"' in link
    assert http.get("/webhooks/rest/listening", params={"sender": someone}).json()["listening"] is False

    http.post(
        "/test/push",
        json={
            "channel": "rest",
            "sender": someone,
            "message": {"text": "Hi, Sam here.", "source": "agent", "agent": "sam"},
        },
    )
    first = http.get("/webhooks/rest/messages", params={"sender": someone}).json()["messages"]
    again = http.get("/webhooks/rest/messages", params={"sender": someone, "after": first[-1]["id"]}).json()["messages"]

    assert [(m["text"], m["sender"]["name"]) for m in first] == [("Hi, Sam here.", "Sam")]
    assert again == []
    assert http.get("/webhooks/rest/listening", params={"sender": someone}).json()["listening"] is True
    assert http.get("/webhooks/rest/messages", params={"sender": someone, "after": "x"}).status_code == 400
    assert http.get("/webhooks/rest/messages").status_code == 400
