"""Released back to the queue, through the running system (REST -> Rasa -> CRM -> console): what the
customer wrote while the agent had the chat is not acknowledged again by the queue, and what they
write after the release is, in words that agree with the release notice."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.local_stack import Stack, eventually
from tests.e2e.test_console_stack import handoff_of, outgoing
from tests.e2e.test_skills import customer, texts

pytestmark = pytest.mark.e2e
BACK = "You're back in the queue"


def test_after_a_release_only_new_messages_get_the_queue_acknowledgement(stack: Stack):
    sender, _, _ = customer(stack)
    assert "handing you over" in texts(stack.say(sender, "I want to talk to a person")), stack.log()
    handoff = eventually(lambda: handoff_of(stack, sender))
    agent = httpx.Client(base_url=stack.console_url, follow_redirects=True, timeout=30)
    token = re.search(r'name="csrf" value="([^"]+)"', agent.get("/login").text).group(1)
    agent.post("/login", data={"username": "agent", "password": "agent-demo-pass", "csrf": token, "next": "/queue"})
    csrf = re.search(r'data-csrf="([^"]+)"', agent.get("/queue").text).group(1)
    assert agent.post(f"/handoffs/{handoff['id']}/claim", data={"csrf": csrf}).status_code == 200
    try:
        _released_then_acknowledged(stack, sender, agent, csrf, handoff["id"])
    finally:
        # The stack is shared by the whole session: a chat left waiting would be the one that N and
        # "after a resolve" open next in the later workspace tests (the oldest waiting comes first).
        agent.post(f"/handoffs/{handoff['id']}/claim", data={"csrf": csrf})
        agent.post(f"/handoffs/{handoff['id']}/resolve", data={"csrf": csrf})
        eventually(lambda: (handoff_of(stack, sender) or {}).get("status") not in ("queued", "claimed"))
        agent.close()


def _released_then_acknowledged(stack: Stack, sender: str, agent: httpx.Client, csrf: str, handoff_id: int) -> None:
    stack.say(sender, "it is the blue one, the strap broke")  # read by the agent in the console
    assert "the strap broke" in agent.get(f"/handoffs/{handoff_id}").text
    assert agent.post(f"/handoffs/{handoff_id}/release", data={"csrf": csrf}).status_code == 200
    released = eventually(lambda: next((m["id"] for m in outgoing(stack, sender) if BACK in (m["text"] or "")), None))
    stack.say(sender, "ok, I'll wait")
    waiting = eventually(lambda: _incoming_id(stack, sender, "ok, I'll wait"))

    def notices(lo: int, hi: float = float("inf")) -> list[str]:
        return [m["text"] for m in outgoing(stack, sender) if m["author"] == "handoff" and lo < m["id"] < hi]

    answer = eventually(lambda: notices(waiting) or None, timeout=20)
    assert notices(released, waiting) == []  # nothing about "the strap broke": the agent had read it
    assert len(answer) == 1 and "in the queue" in answer[0]
    assert "your agent" not in answer[0]  # the release said the next person takes over; so does this


def _incoming_id(stack: Stack, sender: str, text: str) -> int | None:
    from sqlalchemy import select

    from crm_store.models import Conversation, Message

    with stack.engine.connect() as conn:
        return conn.execute(
            select(Message.id)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Conversation.sender_id == sender, Message.direction == "in", Message.text == text)
        ).scalar()
