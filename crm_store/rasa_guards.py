"""Honest turns inside the Rasa server: no silent fallbacks, no empty replies.

Rasa 3.6 has no settings for these, so `install()` (called when our tracker
store is built, inside the Rasa process only) adjusts three of its classes:

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
- RemoteAction._validate_action_result: the same JSON-schema check of the action
  server's answer, with the validator built once instead of on every call
  (jsonschema.validate re-checks the schema itself each time: about 6 % of a
  turn's CPU in the Rasa server, measured with py-spy; see README), and each
  event checked against the one alternative of the schema's `oneOf` that its
  kind names instead of against all 23 (see `_EventsCheck`).
- RemoteAction.run also keeps one HTTP session, with keep-alive connections, per
  event loop and action endpoint: Rasa opened a new session and TCP connection
  for every action call (about 1 ms of the Rasa server's CPU each, see README).
"""
from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

log = logging.getLogger(__name__)

TRY_AGAIN = "Sorry, I can't keep up right now. One moment, please, then try again."
ACTION_FAILED = "Sorry, something went wrong on our side and I couldn't do that. Please try again in a moment."
ACTION_ATTEMPTS = 2
ACTION_RETRY_DELAY = 0.3
# Idle keep-alive connections to the action server are closed after this many seconds: below
# Sanic's KEEP_ALIVE_TIMEOUT (5 s), so the client, not the server, closes an idle connection and
# a call is never sent on one the server is closing.
ACTION_KEEPALIVE_SECONDS = 2.0

_installed = False


class TrackerStoreUnavailable(Exception):
    """The conversation could not be loaded or saved; the turn was not processed."""


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _no_silent_fallback()
    _honest_turns()
    _retried_actions()
    _compiled_action_schema()


class _BorrowedSession:
    """`async with` gives the shared session and leaves it open (Rasa's request closes its own)."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc: Any) -> None:
        return None


# Per event loop (a session belongs to the loop it was made on): endpoint id -> (endpoint, session).
_sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, tuple[Any, Any]]]" = weakref.WeakKeyDictionary()


class _PooledEndpoint:
    """The action endpoint as Rasa configured it, whose requests share one session per event loop."""

    def __init__(self, endpoint: Any) -> None:
        self._endpoint = endpoint

    def __getattr__(self, name: str) -> Any:
        return getattr(self._endpoint, name)

    def session(self) -> _BorrowedSession:
        import aiohttp

        loop = asyncio.get_running_loop()
        sessions = _sessions.setdefault(loop, {})
        entry = sessions.get(id(self._endpoint))
        if entry is None or entry[1].closed:
            from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

            # What EndpointConfig.session() builds, on a connector that keeps its connections.
            basic = self._endpoint.basic_auth
            session = aiohttp.ClientSession(
                headers=self._endpoint.headers,
                auth=aiohttp.BasicAuth(basic["username"], basic["password"]) if basic else None,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=ACTION_KEEPALIVE_SECONDS),
            )
            entry = sessions[id(self._endpoint)] = (self._endpoint, session)
        return _BorrowedSession(entry[1])

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        from rasa.utils.endpoints import EndpointConfig

        return await EndpointConfig.request(self, *args, **kwargs)  # type: ignore[arg-type]


async def close_action_sessions() -> None:
    """Close this event loop's shared action-server sessions (the Rasa server's after_server_stop)."""
    for _endpoint, session in _sessions.pop(asyncio.get_running_loop(), {}).values():
        await session.close()


def _no_silent_fallback() -> None:
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


def _honest_turns() -> None:
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


def _retried_actions() -> None:
    import aiohttp
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.shared.core.events import BotUttered
    from rasa.shared.exceptions import RasaException

    original = RemoteAction.run

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
        if self.action_endpoint is not None and not isinstance(self.action_endpoint, _PooledEndpoint):
            self.action_endpoint = _PooledEndpoint(self.action_endpoint)
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
                    log.warning("action call failed; trying once more", extra={"action": self.name(), "error": type(cause).__name__})
                    await asyncio.sleep(ACTION_RETRY_DELAY)
                    continue
                log.error("action call failed; the customer gets an apology",
                          extra={"action": self.name(), "error": type(cause).__name__ if cause else type(exc).__name__})
                return [BotUttered(ACTION_FAILED, metadata={"utter_action": "action_failed_apology"})]
        return []

    RemoteAction.run = run  # type: ignore[method-assign]


class _EventsCheck:
    """Rasa's schema of an action server's answer, checked with each event's own alternative.

    Rasa's event schema is `oneOf` 23 alternatives, and each of them fixes `event` to
    one kind (`const`); `event` is a required string. An event therefore passes exactly
    one alternative, the one of its kind, if it passes that one, and fails the other 22
    on their `const`. So "the base schema and the alternative of its kind" accepts what
    the whole schema accepts, at a 23rd of the cost. Anything this check does not accept
    goes to the whole schema, so what fails, and the error it raises, stay Rasa's own.
    """

    def __init__(self, spec: dict) -> None:
        from jsonschema.validators import validator_for

        cls = validator_for(spec)
        self.full = cls(spec)
        events = spec["properties"]["events"]
        event = events["items"]
        base = {k: v for k, v in event.items() if k != "oneOf"}
        kinds = [alternative.get("properties", {}).get("event", {}).get("const") for alternative in event["oneOf"]]
        # The reasoning above holds only while every alternative names its kind, each a different one.
        ok = "event" in base.get("required", ()) and all(isinstance(k, str) for k in kinds) and len(set(kinds)) == len(kinds)
        self.by_kind = {kind: cls({"allOf": [base, alternative]}) for kind, alternative in zip(kinds, event["oneOf"])} if ok else {}
        # The answer's shape with the events left to the checks above.
        outer = {**spec, "properties": {**spec["properties"], "events": {k: v for k, v in events.items() if k != "items"}}}
        self.outer = cls(outer)

    def passes(self, result: Any) -> bool:
        if not self.outer.is_valid(result):
            return False
        for event in result.get("events") or []:
            kind = event.get("event") if isinstance(event, dict) else None
            check = self.by_kind.get(kind) if isinstance(kind, str) else None
            if check is None or not check.is_valid(event):
                return False
        return True

    def validate(self, result: Any) -> None:
        if not self.passes(result):
            self.full.validate(result)


def _compiled_action_schema() -> None:
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    check = _EventsCheck(RemoteAction.action_response_format_spec())

    def validate(self: Any, result: dict) -> bool:
        try:
            check.validate(result)
            return True
        except ValidationError as e:
            e.message += ". Failed to validate Action server response from API."
            raise e

    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]
