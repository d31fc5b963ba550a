"""MiniLMIntentClassifier: train on a tiny set, persist, load, classify."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.classifier import MiniLMIntentClassifier

EXAMPLES = {
    "greet": ["hi", "hello there", "good morning", "hey", "hello, anyone there?"],
    "order_status": [
        "where is my order",
        "has my parcel shipped yet",
        "track my package",
        "when will my order arrive",
        "what's the status of my delivery",
    ],
    "cancel_order": [
        "cancel my order",
        "I want to cancel the purchase",
        "please stop my order",
        "I no longer want what I ordered, cancel it",
        "can I cancel order 1234",
    ],
    "faq/opening_hours": [
        "when are you open",
        "what are your opening hours",
        "are you open on sunday",
        "what time do you close",
        "business hours?",
    ],
    "faq/shipping_cost": [
        "how much is shipping",
        "what does delivery cost",
        "is shipping free",
        "shipping fees?",
        "how much do you charge for delivery",
    ],
}


def _message(text: str, label: str) -> Message:
    data = {"text": text, "intent": label.split("/")[0]}
    if "/" in label:
        data["intent_response_key"] = label
    return Message(data=data)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> MiniLMIntentClassifier:
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("models")))
    resource = Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    config = MiniLMIntentClassifier.get_default_config()
    component = MiniLMIntentClassifier.create(config, storage, resource, context)
    data = TrainingData(
        [_message(text, label) for label, texts in EXAMPLES.items() for text in texts],
        responses={
            "utter_faq/opening_hours": [{"text": "We are open 9-17."}],
            "utter_faq/shipping_cost": [{"text": "Shipping is 4.90."}],
        },
    )

    component.train(data)

    return MiniLMIntentClassifier.load(config, storage, resource, context)


def _parse(component: MiniLMIntentClassifier, text: str) -> Message:
    message = Message(data={"text": text})
    component.process([message])
    return message


def test_loaded_model_recognises_paraphrases(trained: MiniLMIntentClassifier) -> None:
    assert _parse(trained, "where's my parcel right now?").get("intent")["name"] == (
        "order_status"
    )
    assert _parse(trained, "please cancel the order I placed").get("intent")[
        "name"
    ] == "cancel_order"


def test_ranking_is_a_sorted_distribution_over_base_intents(
    trained: MiniLMIntentClassifier,
) -> None:
    message = _parse(trained, "hello!")

    ranking = message.get("intent_ranking")
    confidences = [entry["confidence"] for entry in ranking]
    assert [entry["name"] for entry in ranking][0] == message.get("intent")["name"]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0, abs=1e-4)
    assert {entry["name"] for entry in ranking} == {
        "greet",
        "order_status",
        "cancel_order",
        "faq",
    }


def test_retrieval_intent_fills_response_selector(
    trained: MiniLMIntentClassifier,
) -> None:
    message = _parse(trained, "until what time are you open today?")

    assert message.get("intent")["name"] == "faq"
    selector = message.get("response_selector")
    assert selector["all_retrieval_intents"] == ["faq"]
    response = selector["faq"]["response"]
    assert response["intent_response_key"] == "faq/opening_hours"
    assert response["utter_action"] == "utter_faq/opening_hours"
    assert response["responses"] == [{"text": "We are open 9-17."}]
    assert 0.5 < response["confidence"] <= 1.0


def test_unrelated_text_gets_lower_confidence_than_a_clear_request(
    trained: MiniLMIntentClassifier,
) -> None:
    clear = _parse(trained, "I want to cancel my order").get("intent")["confidence"]
    unrelated = _parse(trained, "the quadratic formula solves polynomials").get(
        "intent"
    )["confidence"]

    assert unrelated < clear


def test_untrained_model_loads_and_predicts_nothing(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    component = MiniLMIntentClassifier.load(
        {}, storage, Resource("missing"), context
    )

    message = _parse(component, "hello")

    assert message.get("intent") is None
    assert message.get("intent_ranking") == []
