"""What every action needs: the CRM unit of work and the customer behind the tracker."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.utils import all_subclasses
from sqlalchemy.exc import SQLAlchemyError

from actions.values import order_number
from crm_store.db import UnitOfWork, unit_of_work
from crm_store.services import shop_answers
from crm_store.services.customers import resolve_identity

log = logging.getLogger(__name__)


def crm() -> UnitOfWork:
    return unit_of_work()


def customer_id(uow: UnitOfWork, tracker: Tracker) -> int:
    """The CRM customer this conversation belongs to (first contact creates one)."""
    channel = tracker.get_latest_input_channel() or "rest"
    with uow:
        identity = resolve_identity(uow, channel, tracker.sender_id, datetime.utcnow())
        uow.commit()
        return identity.customer_id


def crm_unavailable(
    dispatcher: CollectingDispatcher, tracker: Tracker, what: str, response: str = "utter_crm_unavailable"
) -> None:
    """The CRM database failed under an action: log it with the sender id, tell the customer."""
    log.exception(f"{what} failed", extra={"sender_id": tracker.sender_id})
    dispatcher.utter_message(response=response)


class CrmOutage:
    """Whether the CRM failed inside a `crm_or_apology` block: true once the customer was told."""

    def __init__(self) -> None:
        self.happened = False

    def __bool__(self) -> bool:
        return self.happened


@contextmanager
def crm_or_apology(
    dispatcher: CollectingDispatcher, tracker: Tracker, what: str, response: str = "utter_crm_unavailable"
) -> Iterator[CrmOutage]:
    """Run the block's CRM work; if the database fails, log it, apologise to the customer and go on
    after the block, where `if crm_down: return ...` gives the events that suit the action:

        with crm_or_apology(dispatcher, tracker, "ticket look-up") as crm_down:
            rows = tickets.open_tickets(crm(), owner)
        if crm_down:
            return []

    Only database errors are caught; the CRM's own refusals (`CrmError`) pass through to the caller."""
    outage = CrmOutage()
    try:
        yield outage
    except SQLAlchemyError:
        crm_unavailable(dispatcher, tracker, what, response)
        outage.happened = True


def run_action(name: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
    """Hand this turn to another of our actions, found by its Rasa name as the action server finds it.

    For the few hand-overs that go against the import order: the router (`action_answer`) runs the
    code check, and the code check runs the router for digits that are no code; a form hands an
    email to `action_link_account`. Everything else imports what it runs from a module below it."""
    for cls in all_subclasses(Action):
        if cls.__module__.startswith("actions.") and cls.name is not Action.name and cls().name() == name:
            return cls().run(dispatcher, tracker, domain)
    raise LookupError(f"no action named {name}")


def everyday_instead(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict] | None:
    """An invoice copy, a price match or discount codes that the classifier filed under another
    skill (a business enquiry, a product question, a payment problem): answered as what it is
    (`action_out_of_scope` answers the everyday requests); None for anything else."""
    if not shop_answers.everyday_request(tracker.latest_message.get("text") or ""):
        return None
    return run_action("action_out_of_scope", dispatcher, tracker, domain)


def day(value: datetime) -> str:
    return f"{value.day} {value:%b %Y}"


def session_events(tracker: Tracker) -> list[dict]:
    """The events of the current Rasa session (since the last session_started)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return events[index + 1 :]
    return events


def ran_before(tracker: Tracker, action: str) -> int:
    """How often `action` already ran in this session."""
    return sum(1 for e in session_events(tracker) if e.get("event") == "action" and e.get("name") == action)


def last_turn_action(tracker: Tracker, names: set[str] | frozenset[str] | tuple[str, ...]) -> str | None:
    """Which of `names` the assistant ran in its last turn (before the message now answered), if any."""
    seen_user = False
    for event in reversed(list(tracker.events)):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") in names:
            return str(event.get("name"))
    return None


def focused_order(tracker: Tracker) -> str | None:
    """The order being discussed: named in this message, else the one in focus."""
    return order_number(list(tracker.get_latest_entity_values("order_id"))) or order_number(
        tracker.get_slot("order_id")
    )


def handoff_summary(tracker: Tracker, why: str) -> str:
    """One line for the agent: why, which order, what the customer asked and what was tried."""
    asked, tried = [], []
    for e in session_events(tracker):
        if e.get("event") == "user":
            name = ((e.get("parse_data") or {}).get("intent") or {}).get("name")
            if name and name not in asked and name not in ("affirm", "deny", "inform", "greet", "nlu_fallback"):
                asked.append(name)
        elif (
            e.get("event") == "action"
            and str(e.get("name", "")).startswith("action_")
            and e["name"] not in ("action_listen", "action_session_start", "action_answer")
            and e["name"] not in tried
        ):
            tried.append(e["name"])
    order = focused_order(tracker)
    # An agent reads words, not identifiers: "payment_problem" -> "payment problem".
    asked = [name.replace("_", " ").replace("/", ": ") for name in asked]
    tried = [name.removeprefix("action_").replace("_", " ") for name in tried]
    summary = "; ".join(
        p
        for p in (
            why,
            f"order {order}" if order else "",
            f"asked: {', '.join(asked)}" if asked else "",
            f"tried: {', '.join(tried)}" if tried else "",
        )
        if p
    )
    # The handoff's reason column holds 200 characters: end on a whole word, and say it goes on.
    return textwrap.shorten(summary, width=200, placeholder=" …")
