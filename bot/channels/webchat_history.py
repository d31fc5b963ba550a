"""The transcript the widget shows after a reload, read from the CRM (never from the tracker)."""

from __future__ import annotations

from typing import Any, Callable, TypedDict

from typing_extensions import NotRequired

from bot.channels.speakers import Speaker, speaker


class ButtonWire(TypedDict):
    title: str
    payload: str


class HistoryMessage(TypedDict):
    direction: str  # "in" (customer) | "out" (assistant or agent)
    text: str
    created_at: str  # ISO 8601
    buttons: list[ButtonWire]
    sender: NotRequired[Speaker]  # an agent's message or a team notice: who spoke


HistoryLoader = Callable[[str, int], "list[HistoryMessage]"]


def crm_history(session_id: str, limit: int = 50) -> list[HistoryMessage]:
    """The last `limit` messages of this web chat session, oldest first. Blocking: run in a thread."""
    # Imported here so the channel starts (and chats) even when the CRM is not set up.
    from crm_store.db import unit_of_work
    from crm_store.services.conversations import recent_messages

    views = recent_messages(unit_of_work(), "webchat", session_id, limit=limit)
    return [to_wire(view) for view in views]


def to_wire(view: Any) -> HistoryMessage:
    wire = HistoryMessage(
        direction="in" if view.direction == "in" else "out",
        text=view.text or "",
        created_at=view.created_at.isoformat(),
        buttons=[
            ButtonWire(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in (view.buttons or [])
            if isinstance(b, dict)
        ],
    )
    who = speaker({"source": getattr(view, "author", None), "agent": getattr(view, "author_name", None)})
    if who is not None and view.direction != "in":
        wire["sender"] = who
    return wire
