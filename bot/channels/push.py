"""Messages to a customer by CRM customer id (agent replies, follow-ups).

They go through Rasa's own API as a bot utterance on the customer's latest
conversation: Rasa delivers it through that conversation's channel and the event
broker records it in the CRM transcript like any other bot message.
"""
from __future__ import annotations

import json
import logging
from urllib.parse import quote

import aiohttp

from bot.channels.outbound import ChannelUnavailable, DeliveryFailed
from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.services.conversations import reachable_conversation
from crm_store.settings import get_settings

log = logging.getLogger(__name__)


class CustomerUnreachable(CrmError):
    def __init__(self, customer_id: int) -> None:
        super().__init__(f"Customer {customer_id} has no conversation on a channel we can write to (Telegram or web chat).")
        self.customer_id = customer_id


async def send_to_customer(uow: UnitOfWork, customer_id: int, text: str, source: str = "agent",
                           rasa_url: str | None = None) -> str:
    """Deliver `text` to the customer's latest reachable chat; returns the channel used."""
    target = reachable_conversation(uow, customer_id)
    if target is None:
        raise CustomerUnreachable(customer_id)
    url = f"{rasa_url or get_settings().rasa_url}/conversations/{quote(target.sender_id, safe='')}/tracker/events"
    event = [{"event": "bot", "text": text, "metadata": {"source": source}}]
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            params = {"output_channel": target.channel, "execute_side_effects": "true"}
            token = get_settings().rasa_api_token
            if token:
                params["token"] = token
            async with session.post(url, params=params, data=json.dumps(event),
                                    headers={"Content-Type": "application/json"}) as resp:
                if resp.status >= 400:
                    log.warning("rasa refused an outbound message", extra={"status": resp.status, "conversation_id": target.conversation_id})
                    raise DeliveryFailed(target.channel, target.sender_id, f"the assistant answered HTTP {resp.status}")
    except aiohttp.ClientError:
        raise ChannelUnavailable(target.channel, "the assistant (Rasa server) cannot be reached") from None
    log.info("outbound message sent", extra={"channel": target.channel, "conversation_id": target.conversation_id, "source": source})
    return target.channel
