"""What every action needs: the CRM unit of work and the customer behind the tracker."""
from __future__ import annotations

import logging
from datetime import datetime

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from crm_store.db import UnitOfWork, unit_of_work
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


def crm_unavailable(dispatcher: CollectingDispatcher, tracker: Tracker, what: str) -> None:
    """The CRM database failed under an action: log it with the sender id, tell the customer."""
    log.exception(f"{what} failed", extra={"sender_id": tracker.sender_id})
    dispatcher.utter_message(response="utter_crm_unavailable")


def day(value: datetime) -> str:
    return f"{value.day} {value:%b %Y}"
