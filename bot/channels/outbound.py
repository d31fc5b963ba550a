"""What can go wrong with a message that does not answer a customer turn (agent replies,
follow-ups): bot/channels/push.py sends those through the customer's own conversation."""

from __future__ import annotations

import logging


from crm_store.delivery import NotDelivered

log = logging.getLogger(__name__)


class ChannelUnavailable(NotDelivered):
    """We cannot send through this channel at all (unknown, or not configured)."""

    def __init__(self, channel: str, reason: str | None = None) -> None:
        why = reason or "sending to it from outside a conversation is not supported yet"
        super().__init__(f"The {channel!r} channel is not available: {why}.")
        self.channel = channel


class DeliveryFailed(NotDelivered):
    """The channel works, but this message did not reach this chat."""

    def __init__(self, channel: str, external_id: str, reason: str) -> None:
        super().__init__(f"The message could not be delivered on {channel}: {reason}.")
        self.channel = channel
        self.external_id = external_id
