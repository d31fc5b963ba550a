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
from crm_store.delivery import CustomerUnreachable
from crm_store.services.conversations import reachable_conversation
from crm_store.settings import Settings, get_settings

log = logging.getLogger(__name__)


__all__ = [
    "CustomerUnreachable",
    "RasaDelivery",
    "post_events",
    "run_action",
    "send_to_conversation",
    "send_to_customer",
]


class RasaDelivery:
    """crm_store.delivery.CustomerDelivery for the CRM's jobs: through Rasa's API, like an agent's reply."""

    def __init__(self, settings: Settings) -> None:
        self.rasa_url = settings.rasa_url

    async def send(self, uow: UnitOfWork, customer_id: int, text: str, source: str) -> str:
        return await send_to_customer(uow, customer_id, text, source=source, rasa_url=self.rasa_url)


async def send_to_customer(
    uow: UnitOfWork, customer_id: int, text: str, source: str = "agent", rasa_url: str | None = None
) -> str:
    """Deliver `text` to the customer's latest reachable chat; returns the channel used."""
    target = reachable_conversation(uow, customer_id)
    if target is None:
        raise CustomerUnreachable(customer_id)
    await send_to_conversation(target.sender_id, target.channel, text, source, rasa_url=rasa_url)
    return target.channel


async def send_to_conversation(
    sender_id: str,
    channel: str,
    text: str,
    source: str = "agent",
    agent: str | None = None,
    rasa_url: str | None = None,
) -> None:
    """Deliver `text` into one conversation (an agent's reply goes where the customer wrote).

    `source` ("agent", "handoff") travels in the event's metadata, so ingestion stores the
    message as the agent's (or the queue's) turn, not as the assistant's.
    """
    metadata = {"source": source, **({"agent": agent} if agent else {})}
    await post_events(sender_id, channel, [{"event": "bot", "text": text, "metadata": metadata}], rasa_url)
    log.info("outbound message sent", extra={"channel": channel, "source": source})


# Channels that show a message the moment it is sent; a REST caller sees it only if its client
# fetches its outbox (the terminal client does, bot.channels.rest_outbox).
LIVE_CHANNELS = ("webchat", "telegram")


async def can_reach_live(sender_id: str, channel: str | None, rasa_url: str | None = None) -> bool:
    """Whether a message sent now reaches this customer while they are in the chat."""
    if channel in LIVE_CHANNELS:
        return True
    if channel != "rest":
        return False
    settings = get_settings()
    headers = {"Authorization": f"Bearer {settings.rest_token}"} if settings.rest_token else {}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            async with session.get(
                f"{rasa_url or settings.rasa_url}/webhooks/rest/listening",
                params={"sender": sender_id},
                headers=headers,
            ) as resp:
                return resp.status == 200 and bool((await resp.json()).get("listening"))
    except (aiohttp.ClientError, ValueError, TimeoutError):
        return False


async def post_events(sender_id: str, channel: str, events: list[dict], rasa_url: str | None = None) -> None:
    """Append events to a conversation; bot messages among them are sent through `channel`."""
    await _call_rasa(sender_id, channel, "tracker/events", events, rasa_url)


async def run_action(sender_id: str, channel: str, action: str, rasa_url: str | None = None) -> None:
    """Run one action (e.g. `csat_form`) in a conversation; its messages go out through `channel`."""
    await _call_rasa(sender_id, channel, "execute", {"name": action}, rasa_url)


async def _call_rasa(sender_id: str, channel: str, path: str, body: object, rasa_url: str | None) -> None:
    url = f"{rasa_url or get_settings().rasa_url}/conversations/{quote(sender_id, safe='')}/{path}"
    params = {"output_channel": channel, "execute_side_effects": "true"}
    token = get_settings().rasa_api_token
    if token:
        params["token"] = token
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.post(
                url, params=params, data=json.dumps(body), headers={"Content-Type": "application/json"}
            ) as resp:
                if resp.status >= 400:
                    log.warning("rasa refused an outbound call", extra={"status": resp.status, "path": path})
                    raise DeliveryFailed(channel, sender_id, f"the assistant answered HTTP {resp.status}")
    except aiohttp.ClientError:
        raise ChannelUnavailable(channel, "the assistant (Rasa server) cannot be reached") from None
