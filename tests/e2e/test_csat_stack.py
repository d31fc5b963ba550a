"""The rating asked after "Resolve and hand back" is stored, whatever the customer last said to
the agent: a question, a greeting, thanks, or nothing at all. Driven through the whole running
system (`crmbot run`): the customer on the REST channel, the agent through the console's HTTP
routes, the rating read back from the CRM."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.local_stack import Stack, eventually
from tests.e2e.test_console_stack import handoff_of
from tests.e2e.test_order_status import customer_with_order, texts

pytestmark = pytest.mark.e2e
RATING_QUESTION = "How would you rate the help you got from our team"


class Agent:
    """A logged-in console session, as the browser's forms use it."""

    def __init__(self, stack: Stack, name: str = "agent", password: str = "agent-demo-pass") -> None:
        self.http = httpx.Client(base_url=stack.console_url, follow_redirects=True, timeout=30)
        token = re.search(r'name="csrf" value="([^"]+)"', self.http.get("/login").text).group(1)
        self.http.post("/login", data={"username": name, "password": password, "csrf": token, "next": "/queue"})
        self.csrf = re.search(r'data-csrf="([^"]+)"', self.http.get("/queue").text).group(1)

    def post(self, path: str, **data: str) -> httpx.Response:
        return self.http.post(path, data={"csrf": self.csrf, **data}, headers={"Accept": "application/json"})


class RestCustomer:
    """A REST caller that fetches what the team sends between its turns, as `crmbot chat` does."""

    def __init__(self, stack: Stack, sender: str) -> None:
        self.stack, self.sender, self.after, self.seen = stack, sender, 0, []

    def fetch(self) -> list[dict]:
        got = httpx.get(
            f"{self.stack.rasa_url}/webhooks/rest/messages",
            params={"sender": self.sender, "after": self.after},
            timeout=10,
        ).json()["messages"]
        if got:
            self.after = got[-1]["id"]
            self.seen += got
        return self.seen

    def wait_for(self, text: str) -> dict:
        return eventually(lambda: next((m for m in self.fetch() if text in m["text"]), None), timeout=30)


def handed_off_and_claimed(stack: Stack, agent: Agent) -> tuple[RestCustomer, str, int]:
    sender, number = customer_with_order(stack)
    customer = RestCustomer(stack, sender)
    assert "handing you over" in texts(stack.say(sender, "I want to talk to a person")), stack.log()
    handoff_id = eventually(lambda: handoff_of(stack, sender))["id"]
    customer.fetch()  # listening, so the console lets the agent write
    assert agent.post(f"/handoffs/{handoff_id}/claim").status_code == 200
    customer.wait_for("from our team has joined the chat")
    assert agent.post(f"/handoffs/{handoff_id}/reply", text="Hello, how can I help?").status_code == 200
    assert customer.wait_for("Hello, how can I help?")["sender"]["name"] == "Agent"
    return customer, number, handoff_id


def resolve_and_wait_for_the_question(stack: Stack, agent: Agent, customer: RestCustomer, handoff_id: int) -> None:
    assert agent.post(f"/handoffs/{handoff_id}/resolve").status_code == 200
    customer.wait_for("has handed the chat back")
    assert [b["payload"] for b in customer.wait_for(RATING_QUESTION)["buttons"]] == ["1", "2", "3", "4", "5"]
    assert handoff_of(stack, customer.sender)["returned_at"]


@pytest.mark.parametrize(
    "last",
    [
        "hello? where is my order {number}?",  # a question: the form used to read it as a change of topic
        "hello",  # a greeting
        "great, thank you",  # thanks (the only kind that used to be kept)
        None,  # nothing after the agent's reply
    ],
)
def test_the_rating_is_the_answer_to_the_rating_question(stack: Stack, last: str | None):  # type: ignore[no-untyped-def]
    agent = Agent(stack)
    customer, number, handoff_id = handed_off_and_claimed(stack, agent)
    sender = customer.sender
    if last is not None:
        assert stack.say(sender, last.format(number=number)) == []  # with the agent: the assistant is silent
    resolve_and_wait_for_the_question(stack, agent, customer, handoff_id)

    reply = texts(stack.say(sender, "5"))

    assert "Thank you for rating us" in reply, (reply, stack.log())
    assert eventually(lambda: (handoff_of(stack, sender) or {}).get("csat")) == 5


@pytest.mark.parametrize(
    "instead, answered",
    [
        ("hi", "Hi! I'm the shop assistant"),
        ("where is my order {number}?", "is shipped"),
    ],
)
def test_a_greeting_or_question_instead_of_a_rating_is_answered_and_nothing_is_stored(
    stack: Stack, instead: str, answered: str
):  # type: ignore[no-untyped-def]
    agent = Agent(stack)
    customer, number, handoff_id = handed_off_and_claimed(stack, agent)
    sender = customer.sender
    assert stack.say(sender, "hello? are you there?") == []
    resolve_and_wait_for_the_question(stack, agent, customer, handoff_id)

    reply = texts(stack.say(sender, instead.format(number=number)))

    assert answered in reply, (reply, stack.log())
    assert "Thank you for rating us" not in reply
    assert handoff_of(stack, sender)["csat"] is None
