"""Every change this project makes to Rasa's own code, in one list, applied in one place.

Rasa 3.6 has no settings for what bot.rasa.guards and bot.rasa.speedups need, so they
replace a few of its methods. Each patch is a named function; `install_patches()` applies
them once, in the order of `PATCHES`, and only on the Rasa version they were written for.
The Rasa server's entry point (bot/rasa/server.py) calls it before it builds the app; so
do the in-process benchmark (bench/turn_cpu.py) and the tests that drive Rasa in-process.
Nothing patches Rasa at import time or as a side effect of building a store.

tests/unit/test_rasa_patches.py pins the source of every Rasa function listed in
`Patch.replaces`: an upgrade that changes one of them fails there first.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, Callable

from bot.rasa import guards, nlu_pool, speedups
from crm_store.errors import CrmError

log = logging.getLogger(__name__)

SUPPORTED_RASA = "3.6.21"


class UnsupportedRasa(CrmError):
    """The installed Rasa is not the one the patches were written for."""


@dataclass(frozen=True)
class Patch:
    name: str
    apply: Callable[[], None]
    # What the patch replaces or copies, as "module:Class.attribute".
    replaces: tuple[str, ...]


# Order matters: retried_actions wraps the RemoteAction.run that pooled_action_calls made,
# so a retry borrows the pooled session too.
PATCHES: tuple[Patch, ...] = (
    Patch(
        "compiled_action_schema",
        speedups.compiled_action_schema,
        (
            "rasa.core.actions.action:RemoteAction._validate_action_result",
            "rasa.core.actions.action:RemoteAction.action_response_format_spec",
        ),
    ),
    Patch(
        "pooled_action_calls",
        speedups.pooled_action_calls,
        (
            "rasa.core.actions.action:RemoteAction.run",
            "rasa.utils.endpoints:EndpointConfig.session",
            "rasa.utils.endpoints:EndpointConfig.request",
        ),
    ),
    Patch("event_kinds_table", speedups.event_kinds_table, ("rasa.shared.core.events:Event.resolve_by_type",)),
    Patch(
        "lean_action_payload",
        speedups.lean_action_payload,
        ("rasa.core.actions.action:RemoteAction._action_call_format",),
    ),
    Patch(
        "no_silent_fallback",
        guards.no_silent_fallback,
        (
            "rasa.core.tracker_store:FailSafeTrackerStore.retrieve",
            "rasa.core.tracker_store:FailSafeTrackerStore.retrieve_full_tracker",
            "rasa.core.tracker_store:FailSafeTrackerStore.save",
        ),
    ),
    Patch("honest_turns", guards.honest_turns, ("rasa.core.agent:Agent.handle_message",)),
    Patch("retried_actions", guards.retried_actions, ("rasa.core.actions.action:RemoteAction.run",)),
    Patch("pooled_parsing", nlu_pool.pooled_parsing, ("rasa.core.processor:MessageProcessor.parse_message",)),
)

_installed: list[str] = []
# Rasa's own attribute for each target, as it was before the first patch touched it.
_originals: dict[str, Any] = {}


def installed_rasa_version() -> str:
    return version("rasa")


def check_rasa_version() -> None:
    found = installed_rasa_version()
    if found != SUPPORTED_RASA:
        raise UnsupportedRasa(
            f"Rasa {found} is installed, but bot/rasa/patches.py was written for Rasa {SUPPORTED_RASA}: "
            f"install Rasa {SUPPORTED_RASA} (make install), or check each patch against the new Rasa first"
        )


def _resolve(target: str) -> tuple[Any, str]:
    module_name, path = target.split(":")
    owner: Any = importlib.import_module(module_name)
    *parents, attribute = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return owner, attribute


def original(target: str) -> Any:
    """Rasa's own function for `target` ("module:Class.attribute"), whether or not it is patched."""
    if target in _originals:
        return _originals[target]
    owner, attribute = _resolve(target)
    return getattr(owner, attribute)


def installed() -> tuple[str, ...]:
    return tuple(_installed)


def install_patches() -> None:
    """Apply every patch of PATCHES, in order, once per process; refuse an unknown Rasa."""
    if _installed:
        return
    check_rasa_version()
    for patch in PATCHES:
        for target in patch.replaces:
            _originals.setdefault(target, original(target))
        patch.apply()
        _installed.append(patch.name)
    log.info("rasa patched", extra={"patches": ",".join(_installed), "rasa_version": SUPPORTED_RASA})
