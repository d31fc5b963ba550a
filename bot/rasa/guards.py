"""Honest turns inside the Rasa server: no silent fallbacks, no empty replies.

Rasa 3.6 has no settings for these, so three patches adjust its methods. Each is a
function here; `bot.rasa.patches.install_patches()` applies them, once and in a fixed
order, from the Rasa server's entry point (bot/rasa/server.py):

- FailSafeTrackerStore: Rasa answers a tracker store error by carrying on with
  an in-memory tracker (retrieve gives None, so a new conversation starts;
  save goes to memory). We let the error through instead, as TrackerStoreUnavailable.
- Agent.handle_message: the turn's replies are held until the turn is saved
  (tracker committed, events in the CRM spool, spool synced), then sent. A
  turn that cannot be loaded, saved or locked sends only "one moment, please
  try again" and leaves nothing half-done: CrmTrackerStore commits the tracker
  before it publishes the events. (An action's own writes to the CRM stay.)
- RemoteAction.run: a call to the action server that fails on the connection
  is tried once more; if it still fails the customer gets an apology, not silence.

`bot.rasa.speedups` makes other parts of a turn cheaper without changing what they do.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)

TRY_AGAIN = "Sorry, I can't keep up right now. One moment, please, then try again."
ACTION_FAILED = "Sorry, something went wrong on our side and I couldn't do that. Please try again in a moment."
ACTION_ATTEMPTS = 2
ACTION_RETRY_DELAY = 0.3


class TrackerStoreUnavailable(Exception):
    """The conversation could not be loaded or saved; the turn was not processed."""


def no_silent_fallback() -> None:
    """FailSafeTrackerStore lets a store error through as TrackerStoreUnavailable."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    def passthrough(name: str) -> Any:
        async def method(self: Any, *args: Any) -> Any:
            try:
                return await getattr(self._tracker_store, name)(*args)
            except Exception as exc:  # noqa: BLE001 - every failure of the store means the same to the turn
                log.error("tracker store unavailable", extra={"operation": name, "error": type(exc).__name__})
                raise TrackerStoreUnavailable(name) from exc

        method.__name__ = name
        return method

    for name in ("retrieve", "retrieve_full_tracker", "save"):
        setattr(FailSafeTrackerStore, name, passthrough(name))


class _HeldReplies:
    """Stands in for the turn's output channel and holds the bot's messages until the turn is saved."""

    def __init__(self, channel: Any) -> None:
        self._channel = channel
        self._held: list[tuple[str, dict]] = []

    def name(self) -> str:
        return self._channel.name()

    async def send_response(self, recipient_id: str, message: dict) -> None:
        self._held.append((recipient_id, message))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)

    async def release(self) -> None:
        for recipient_id, message in self._held:
            await self._channel.send_response(recipient_id, message)


def honest_turns() -> None:
    """Agent.handle_message holds the replies until the turn is saved; a failed turn gets TRY_AGAIN."""
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.lock_store import LockError

    original = Agent.handle_message

    async def handle_message(self: Any, message: Any) -> Any:
        channel = message.output_channel
        held = message.output_channel = _HeldReplies(channel) if channel is not None else None
        try:
            result = await original(self, message)
        except (TrackerStoreUnavailable, LockError) as exc:
            # Nothing of this turn is saved or published: the customer hears only this.
            log.warning("turn not processed; asked the customer to try again", extra={"error": type(exc).__name__})
            if channel is not None:
                await channel.send_text_message(message.sender_id, TRY_AGAIN)
            return None
        finally:
            message.output_channel = channel
        # The turn is saved (and its events are in the CRM spool): now the replies may leave.
        if held is not None:
            await held.release()
        return channel.messages if isinstance(channel, CollectingOutputChannel) else result

    Agent.handle_message = handle_message  # type: ignore[method-assign]


def retried_actions() -> None:
    """RemoteAction.run tries a call that never reached the action server once more, then apologises."""
    import aiohttp
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.shared.core.events import BotUttered
    from rasa.shared.exceptions import RasaException

    original = RemoteAction.run

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
        for attempt in range(1, ACTION_ATTEMPTS + 1):
            try:
                return await original(self, output_channel, nlg, tracker, domain)
            except ActionExecutionRejection:
                raise
            except RasaException as exc:
                cause = exc.__cause__ or exc.__context__
                # Only a call that never got through is safe to repeat (actions may write to the CRM).
                repeatable = isinstance(cause, aiohttp.ClientConnectionError)
                if repeatable and attempt < ACTION_ATTEMPTS:
                    log.warning(
                        "action call failed; trying once more",
                        extra={"action": self.name(), "error": type(cause).__name__},
                    )
                    await asyncio.sleep(ACTION_RETRY_DELAY)
                    continue
                log.error(
                    "action call failed; the customer gets an apology",
                    extra={"action": self.name(), "error": type(cause).__name__ if cause else type(exc).__name__},
                )
                return [BotUttered(ACTION_FAILED, metadata={"utter_action": "action_failed_apology"})]
        return []

    RemoteAction.run = run  # type: ignore[method-assign]
