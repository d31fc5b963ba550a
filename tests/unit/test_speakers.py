"""Who is speaking: agent display names, initials, the prefix on text-only channels, the REST outbox."""

from __future__ import annotations

import asyncio

from bot.channels.rest_outbox import LISTENING_SECONDS, Outbox, OutboxOutput
from bot.channels.speakers import speaker, with_prefix
from bot.chat import Screen
from crm_store.services.agents import display_name, initials


def test_console_names_become_names_a_customer_reads():
    assert display_name("sam") == "Sam"
    assert display_name("anna.lee") == "Anna Lee"
    assert display_name("bea-1a2b") == "Bea 1a2b"
    assert display_name("") == display_name(None) == "Our team"
    assert initials("Anna Lee") == "AL" and initials("Bea 1a2b") == "B" and initials("") == "?"


def test_agents_and_the_team_are_told_apart_from_the_assistant():
    assert speaker({"source": "agent", "agent": "sam"}) == {"role": "agent", "name": "Sam", "initials": "S"}
    assert speaker({"source": "handoff"})["role"] == "team"
    assert speaker({}) is None and speaker({"source": "rasa"}) is None
    assert with_prefix("On its way.", {"source": "agent", "agent": "anna.lee"}) == "Anna Lee (our team): On its way."
    assert with_prefix("On its way.", {"source": "handoff"}) == "On its way."
    assert with_prefix("On its way.", {}) == "On its way."
    # sent for the team by no one person (send_to_customer, a follow-up): no name to show
    assert with_prefix("Your refund was approved.", {"source": "agent"}) == "Your refund was approved."
    assert speaker({"source": "agent"})["role"] == "team"


def test_the_outbox_keeps_messages_until_fetched_and_knows_who_listens():
    now = [100.0]
    box = Outbox(clock=lambda: now[0])
    out = OutboxOutput(box)
    asyncio.run(out.send_response("alex", {"text": "Hi, Sam here.", "source": "agent", "agent": "sam"}))
    asyncio.run(out.send_response("alex", {"text": "Rate us", "buttons": [{"title": "5", "payload": "5"}]}))
    assert not box.listening("alex")

    first = box.fetch("alex")
    assert [m["text"] for m in first] == ["Hi, Sam here.", "Rate us"]
    assert first[0]["sender"]["name"] == "Sam" and "sender" not in first[1]
    assert first[1]["buttons"] == [{"title": "5", "payload": "5"}]
    assert box.fetch("alex", after=first[-1]["id"]) == []
    assert box.fetch("someone-else") == []
    assert box.listening("alex")
    now[0] += LISTENING_SECONDS + 1
    assert not box.listening("alex")


def test_the_terminal_shows_who_speaks_and_a_number_presses_the_rating_button():
    lines: list[str] = []
    screen = Screen(lines.append)
    screen.show(
        [
            {"text": "Hi, Sam here.", "sender": {"role": "agent", "name": "Sam", "initials": "S"}},
            {"text": "Sam from our team has joined the chat.", "sender": {"role": "team", "name": "Shop team"}},
            {
                "text": "How would you rate us?",
                "buttons": [{"title": "1", "payload": "1"}, {"title": "5", "payload": "5"}],
            },
        ]
    )
    assert lines[0] == "Sam (our team)> Hi, Sam here."
    assert lines[1] == "team> Sam from our team has joined the chat."
    assert lines[2] == "bot> How would you rate us?"
    assert screen.payload("2") == "5" and screen.payload("7") == "7"


def test_the_web_chat_history_says_who_spoke():
    from datetime import datetime

    from bot.channels.webchat_history import to_wire
    from crm_store.services.conversations import MessageView

    at = datetime(2026, 12, 7, 10, 0)
    agent = to_wire(MessageView("out", "On its way.", at, author="agent", author_name="anna.lee"))
    notice = to_wire(MessageView("out", "Anna Lee from our team has joined the chat.", at, author="handoff"))
    assistant = to_wire(MessageView("out", "Order A-10423 is shipped.", at))
    customer = to_wire(MessageView("in", "thanks", at))

    assert agent["sender"] == {"role": "agent", "name": "Anna Lee", "initials": "AL"}
    assert notice["sender"]["role"] == "team"
    assert "sender" not in assistant and "sender" not in customer
