"""bot.rasa.speedups gives Rasa's own answers: the check of an action server's answer accepts and
refuses what Rasa's schema does, and an event kind resolves to the class Rasa's walk finds."""

from __future__ import annotations

import copy

import pytest
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot.rasa.patches import install_patches, original
from bot.rasa.speedups import _EventsCheck

SPEC = RemoteAction.action_response_format_spec()

USER = {
    "event": "user",
    "timestamp": 1.0,
    "text": "hi",
    "parse_data": {
        "text": "hi",
        "intent": {"name": "greet", "confidence": 0.9},
        "intent_ranking": [{"name": "greet", "confidence": 0.9}],
        "entities": [{"entity": "order_id", "value": "B-1", "start": 0, "end": 3, "extractor": None}],
        "response_selector": {"all_retrieval_intents": ["faq"]},
    },
}
VALID = [
    {"events": [], "responses": []},
    {},
    {
        "events": [{"event": "slot", "name": "order_id", "value": "B-10012", "timestamp": None}],
        "responses": [{"text": "Order B-10012 is shipped."}],
    },
    {
        "events": [
            {"event": "active_loop", "name": "order_form"},
            {"event": "bot", "text": "hi", "metadata": {}},
            {"event": "followup", "name": "action_listen"},
            USER,
        ]
    },
    {"events": [{"event": "action", "name": "utter_greet", "policy": None, "confidence": 1, "hide_rule_turn": False}]},
]
INVALID = [
    [],  # not an object
    {"events": {}},  # not a list
    {"events": [{"name": "order_id", "value": 1}]},  # no kind
    {"events": [{"event": "slot", "name": "order_id"}]},  # a slot without a value
    {"events": [{"event": "teleport"}]},  # no such kind
    {"events": [{"event": 5}]},
    {"events": [{"event": ["slot"]}]},
    {"events": ["slot"]},
    {"events": [{"event": "action", "hide_rule_turn": "no"}]},
    {"events": [{"event": "bot", "timestamp": "yesterday"}]},
    {"events": [{**USER, "parse_data": {**USER["parse_data"], "entities": [{"entity": "x"}]}}]},
    {
        "events": [
            {
                **USER,
                "parse_data": {
                    **USER["parse_data"],
                    "response_selector": {"all_retrieval_intents": [], "faq": {"response": {"confidence": "high"}}},
                },
            }
        ]
    },
    {"responses": [3]},
]


@pytest.mark.parametrize("answer", VALID + INVALID)
def test_the_check_agrees_with_rasas_schema(answer: object) -> None:
    rasa_says = validator_for(SPEC)(SPEC).is_valid(answer)
    check = _EventsCheck(copy.deepcopy(SPEC))

    assert check.passes(answer) == rasa_says
    if rasa_says:
        check.validate(answer)
    else:
        with pytest.raises(ValidationError):
            check.validate(answer)


def test_every_kind_rasa_knows_is_checked_by_its_own_alternative() -> None:
    check = _EventsCheck(copy.deepcopy(SPEC))

    assert len(check.by_kind) == len(SPEC["properties"]["events"]["items"]["oneOf"]) == 23


def test_each_event_kind_resolves_to_the_class_rasas_walk_finds() -> None:
    install_patches()
    walk = {}
    for cls in all_subclasses(Event):
        walk.setdefault(cls.type_name, cls)

    for _ in range(2):  # the second time from the table
        assert {kind: Event.resolve_by_type(kind) for kind in walk} == walk
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such kind", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no such kind")
    assert isinstance(Event.from_parameters({"event": "user", "text": "hi", "parse_data": {}}), UserUttered)


def test_an_action_call_carries_rasas_payload_with_the_domain_minus_its_responses() -> None:
    from pathlib import Path

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    install_patches()
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    tracker = DialogueStateTracker.from_events("lean-1", [UserUttered("where is my order?")])
    action = RemoteAction("validate_order_form", EndpointConfig("http://localhost:5055/webhook"))

    rasas = original("rasa.core.actions.action:RemoteAction._action_call_format")(action, tracker, domain)
    ours = action._action_call_format(tracker, domain)

    assert rasas["domain"]["responses"]  # what is left out is there to leave out
    assert {k: v for k, v in ours.items() if k != "domain"} == {k: v for k, v in rasas.items() if k != "domain"}
    assert ours["domain"] == {k: v for k, v in rasas["domain"].items() if k != "responses"}
    assert ours["domain"]["forms"] and ours["domain"]["slots"]  # what the forms' validation reads
    # Built once per domain: the next call reuses it; another domain gets its own.
    assert action._action_call_format(tracker, domain)["domain"] is ours["domain"]
    other = Domain.from_dict({**domain.as_dict(), "slots": {}, "forms": {}})
    sent = action._action_call_format(tracker, other)["domain"]
    assert sent == {k: v for k, v in other.as_dict().items() if k != "responses"} and sent != ours["domain"]
