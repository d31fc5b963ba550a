"""The patches to Rasa live in one list (bot.rasa.patches), are installed once, in order, on the
Rasa they were written for, and every Rasa function they replace or copy is still the one they
were written against: an upgrade that changes any of them fails here, not in production."""

from __future__ import annotations

import hashlib
import inspect

import pytest
from rasa.core.actions.action import RemoteAction

from bot.rasa import patches
from bot.rasa.patches import PATCHES, SUPPORTED_RASA, UnsupportedRasa, install_patches, original

# sha256 (first 16 hex digits) of the source of each replaced or copied Rasa function in Rasa 3.6.21.
# When one differs, read the new Rasa code, check the patch against it, and only then update the pin.
PINNED = {
    "rasa.core.actions.action:RemoteAction._validate_action_result": "f8cdb4be68123961",
    "rasa.core.actions.action:RemoteAction.action_response_format_spec": "091b74aa3738d126",
    "rasa.core.actions.action:RemoteAction.run": "ccabf6f1160d527a",
    "rasa.core.actions.action:RemoteAction._action_call_format": "428795b944f22edb",
    "rasa.utils.endpoints:EndpointConfig.session": "e55aa13d9d4fb4bc",
    "rasa.utils.endpoints:EndpointConfig.request": "ccdb778aed8208e2",
    "rasa.shared.core.events:Event.resolve_by_type": "b5cf570fa7f286c7",
    "rasa.core.tracker_store:FailSafeTrackerStore.retrieve": "35d77318b0cc7977",
    "rasa.core.tracker_store:FailSafeTrackerStore.retrieve_full_tracker": "5272a6be0919b511",
    "rasa.core.tracker_store:FailSafeTrackerStore.save": "8426dc08f58d7110",
    "rasa.core.agent:Agent.handle_message": "ba53507e4d5532a3",
    "rasa.core.processor:MessageProcessor.parse_message": "b98d8e49b9f2c433",
}


def source_hash(function: object) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]  # type: ignore[arg-type]


@pytest.mark.parametrize("patch", PATCHES, ids=[p.name for p in PATCHES])
def test_what_each_patch_replaces_is_unchanged_in_the_installed_rasa(patch: patches.Patch) -> None:
    assert patches.installed_rasa_version() == SUPPORTED_RASA
    for target in patch.replaces:
        assert source_hash(original(target)) == PINNED[target], f"{target} changed: check {patch.name} against it"


def test_every_pinned_function_belongs_to_a_patch() -> None:
    assert {target for patch in PATCHES for target in patch.replaces} == set(PINNED)


def test_patches_install_once_in_their_order_and_the_action_call_wraps_the_pooled_one() -> None:
    install_patches()
    first = RemoteAction.run
    install_patches()

    assert RemoteAction.run is first  # not stacked a second time
    assert patches.installed() == tuple(p.name for p in PATCHES)
    retried = inspect.getclosurevars(RemoteAction.run).nonlocals["original"]
    assert RemoteAction.run.__module__ == "bot.rasa.guards"
    assert retried.__module__ == "bot.rasa.speedups"
    assert inspect.getclosurevars(retried).nonlocals["original"] is original(
        "rasa.core.actions.action:RemoteAction.run"
    )


def test_another_rasa_version_is_refused_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patches, "installed_rasa_version", lambda: "3.7.0")

    with pytest.raises(UnsupportedRasa) as refused:
        patches.check_rasa_version()

    message = str(refused.value)
    assert "Rasa 3.7.0 is installed" in message and SUPPORTED_RASA in message and "\n" not in message


def test_the_rasa_server_does_not_start_on_another_rasa(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.rasa import server

    for name in server.THREAD_POOLS:  # main() sets them for its own process; not for this one's children
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(patches, "installed_rasa_version", lambda: "3.7.0")

    assert server.main(["--model", "models/none.tar.gz"]) == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith("rasa server: Rasa 3.7.0 is installed") and "\n" not in said
