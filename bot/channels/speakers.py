"""Who is speaking in an outgoing message, read from the bot event's metadata.

Rasa merges a bot event's metadata into the message it hands an output channel, so an agent's
reply arrives with `source="agent"` and `agent` (the console user name), and the team's own
announcements with `source="handoff"`. The assistant's messages carry neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from crm_store.services.agents import display_name, initials, speaker_prefix


class Speaker(TypedDict):
    role: str  # "agent" | "team"
    name: str
    initials: str


def speaker(message: Mapping[str, Any]) -> Speaker | None:
    """The agent or the team behind a message; None for the assistant."""
    source = message.get("source")
    if source == "agent" and message.get("agent"):
        name = display_name(message.get("agent"))
        return Speaker(role="agent", name=name, initials=initials(name))
    if source in ("agent", "handoff"):  # the team as a whole (a follow-up, a notice): no one person
        return Speaker(role="team", name="Shop team", initials="")
    return None


def with_prefix(text: str, message: Mapping[str, Any]) -> str:
    """An agent's text with the agent's name in front, for channels that show text only."""
    if message.get("source") == "agent" and message.get("agent"):
        return speaker_prefix(message.get("agent")) + text
    return text
