"""How the CRM's own jobs reach a customer without knowing the channels.

A job (such as analytics' follow-ups) asks for a `CustomerDelivery` and sends through it; the
channels implement it (bot.channels.push.RasaDelivery: a bot message on the customer's latest
conversation, through Rasa's API). The implementation is named, like Rasa's plug-ins in
endpoints.yml, and loaded when a job first needs it, so nothing below the channels imports them.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.settings import Settings

# module:Class of the delivery the channels provide.
CHANNELS_DELIVERY = "bot.channels.push:RasaDelivery"


class CustomerUnreachable(CrmError):
    """The customer has no conversation on a channel we can write to: trying again cannot help."""

    def __init__(self, customer_id: int) -> None:
        super().__init__(
            f"Customer {customer_id} has no conversation on a channel we can write to (Telegram or web chat)."
        )
        self.customer_id = customer_id


class NotDelivered(CrmError):
    """The channel is down or refused this message: worth trying again later."""


class CustomerDelivery(Protocol):
    async def send(self, uow: UnitOfWork, customer_id: int, text: str, source: str) -> str:
        """Deliver `text` to the customer's latest reachable chat; returns the channel used."""
        ...


def load_delivery(settings: Settings, name: str = CHANNELS_DELIVERY) -> CustomerDelivery:
    module, _, cls = name.partition(":")
    return getattr(importlib.import_module(module), cls)(settings)  # type: ignore[no-any-return]
