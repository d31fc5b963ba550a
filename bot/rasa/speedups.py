"""Parts of a Rasa 3.6 turn made cheaper, with the same results.

Each is a function here, applied by `bot.rasa.patches.install_patches()` (once, in a fixed
order, from the Rasa server's entry point). Each was found with bench/turn_cpu.py or py-spy
(docs/benchmarks.md, "Where a turn's CPU goes"):

- RemoteAction._validate_action_result: the same JSON-schema check of the action
  server's answer, with the validators built once instead of on every call
  (jsonschema.validate re-checks the schema itself each time), and each event
  checked against the one alternative of the schema's `oneOf` that its kind names
  instead of against all 23 (`_EventsCheck`).
- RemoteAction.run: one HTTP session, with keep-alive connections, per event loop
  and action endpoint. Rasa opened a new session and TCP connection for every call.
- Event.resolve_by_type: the class of an event kind, looked up in a table instead
  of a walk over every subclass of Event, for each event read from the tracker
  store or from an action's answer.
- RemoteAction._action_call_format: the domain sent with every action call leaves out
  the responses (nine tenths of it: every text in four languages), which the action
  server never reads (Rasa renders them; rasa_sdk and these actions read the slots,
  forms, intents and entities), and is built once per domain instead of on every
  call. Encoding that domain as JSON was a sixth of the Rasa server's CPU under load,
  and decoding it the action server's.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

log = logging.getLogger(__name__)

# Idle keep-alive connections to the action server are closed after this many seconds: below
# Sanic's KEEP_ALIVE_TIMEOUT (5 s), so the client, not the server, closes an idle connection and
# a call is never sent on one the server is closing.
ACTION_KEEPALIVE_SECONDS = 2.0


class _BorrowedSession:
    """`async with` gives the shared session and leaves it open (Rasa's request closes its own)."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc: Any) -> None:
        return None


# Per event loop (a session belongs to the loop it was made on): endpoint id -> (endpoint, session).
_sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, tuple[Any, Any]]]" = (
    weakref.WeakKeyDictionary()
)


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


def pooled_action_calls() -> None:
    """RemoteAction.run sends through one kept-alive session per event loop and endpoint."""
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction.run

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
        if self.action_endpoint is not None and not isinstance(self.action_endpoint, _PooledEndpoint):
            self.action_endpoint = _PooledEndpoint(self.action_endpoint)
        return await original(self, output_channel, nlg, tracker, domain)

    RemoteAction.run = run  # type: ignore[method-assign]


def event_kinds_table() -> None:
    """Event.resolve_by_type looks a kind up in a table before walking Event's subclasses."""
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    kinds: dict[str, type] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        found = kinds.get(type_name)
        if found is not None:
            return found
        # Rasa's own walk, for a kind not seen yet and for its defaults and errors.
        found = original(type_name, default)
        if found is not None and getattr(found, "type_name", None) == type_name:
            kinds[type_name] = found
        return found

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]


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
        ok = (
            "event" in base.get("required", ())
            and all(isinstance(k, str) for k in kinds)
            and len(set(kinds)) == len(kinds)
        )
        self.by_kind = (
            {kind: cls({"allOf": [base, alternative]}) for kind, alternative in zip(kinds, event["oneOf"])}
            if ok
            else {}
        )
        # The answer's shape with the events left to the checks above.
        outer = {
            **spec,
            "properties": {**spec["properties"], "events": {k: v for k, v in events.items() if k != "items"}},
        }
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


def compiled_action_schema() -> None:
    """RemoteAction._validate_action_result checks with validators built once (`_EventsCheck`)."""
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


# The domain an action call carries, built once per domain (a model load makes a new one); keyed
# by identity: a Domain's own hash is a fingerprint of its whole content.
_action_domain: dict[int, tuple["weakref.ref[Any]", dict]] = {}
# What the action server is not sent: Rasa renders the responses itself.
NOT_FOR_ACTIONS = ("responses",)


def action_domain(domain: Any) -> dict:
    """`domain.as_dict()` without what the action server does not read, the same object per domain."""
    entry = _action_domain.get(id(domain))
    if entry is not None and entry[0]() is domain:
        return entry[1]
    lean = {key: value for key, value in domain.as_dict().items() if key not in NOT_FOR_ACTIONS}
    for key, (ref, _lean) in list(_action_domain.items()):
        if ref() is None:
            del _action_domain[key]
    _action_domain[id(domain)] = (weakref.ref(domain), lean)
    return lean


def lean_action_payload() -> None:
    """RemoteAction._action_call_format sends `action_domain(domain)` instead of the whole domain."""
    import rasa
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import EventVerbosity

    def _action_call_format(self: Any, tracker: Any, domain: Any) -> dict:
        # Rasa's own body, with the domain it sends replaced.
        result = {
            "next_action": self._name,
            "sender_id": tracker.sender_id,
            "tracker": tracker.current_state(EventVerbosity.ALL),
            "version": rasa.__version__,
        }
        if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
            result["domain"] = action_domain(domain)
        return result

    RemoteAction._action_call_format = _action_call_format  # type: ignore[method-assign]
