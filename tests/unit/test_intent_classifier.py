"""MiniLMIntentClassifier: train on a tiny set, persist, load, classify."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


# Between the scores of a paraphrase of a training example and of a sentence
# about botany, for this tiny training set.
REJECTION_THRESHOLD = 0.5


def _message(text: str, label: str) -> Message:
    data = {"text": text, "intent": label.split("/")[0]}
    if "/" in label:
        data["intent_response_key"] = label
    return Message(data=data)


@pytest.fixture(scope="module")
def stored(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[LocalModelStorage, Resource, ExecutionContext]:
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

    return storage, resource, context


@pytest.fixture(scope="module")
def trained(
    stored: tuple[LocalModelStorage, Resource, ExecutionContext],
) -> MiniLMIntentClassifier:
    config = MiniLMIntentClassifier.get_default_config()
    return MiniLMIntentClassifier.load(config, *stored)


def _parse(component: MiniLMIntentClassifier, text: str) -> Message:
    message = Message(data={"text": text})
    component.process([message])
    return message


def test_loaded_model_recognises_paraphrases(trained: MiniLMIntentClassifier) -> None:
    assert _parse(trained, "where's my parcel right now?").get("intent")["name"] == ("order_status")
    assert _parse(trained, "please cancel the order I placed").get("intent")["name"] == "cancel_order"


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
    unrelated = _parse(trained, "the quadratic formula solves polynomials").get("intent")["confidence"]

    assert unrelated < clear


def test_untrained_model_loads_and_predicts_nothing(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    component = MiniLMIntentClassifier.load({}, storage, Resource("missing"), context)

    message = _parse(component, "hello")

    assert message.get("intent") is None
    assert message.get("intent_ranking") == []


def test_rejection_turns_far_away_text_into_the_rejection_intent(
    stored: tuple[LocalModelStorage, Resource, ExecutionContext],
) -> None:
    config = {
        **MiniLMIntentClassifier.get_default_config(),
        "rejection_threshold": REJECTION_THRESHOLD,
        "rejection_intent": "out_of_scope",
    }
    component = MiniLMIntentClassifier.load(config, *stored)

    near = _parse(component, "where is my order right now")
    far = _parse(component, "photosynthesis turns sunlight into sugar in the leaves")

    assert near.get("intent")["name"] == "order_status"
    assert near.get("in_scope_score") >= REJECTION_THRESHOLD
    assert far.get("intent")["name"] == "out_of_scope"
    assert far.get("in_scope_score") < REJECTION_THRESHOLD
    # The classifier's own guesses stay below the rejection (for fallback buttons).
    assert [r["name"] for r in far.get("intent_ranking")][0] == "out_of_scope"
    assert len(far.get("intent_ranking")) == 5


def test_without_a_threshold_the_score_is_only_reported(
    trained: MiniLMIntentClassifier,
) -> None:
    far = _parse(trained, "photosynthesis turns sunlight into sugar in the leaves")

    assert far.get("intent")["name"] in {"greet", "order_status", "cancel_order", "faq"}
    assert far.get("in_scope_score") < REJECTION_THRESHOLD


def test_probabilities_are_the_logistic_regression_over_the_stacked_features(
    trained: MiniLMIntentClassifier,
) -> None:
    # The serving path multiplies block by block (cached, pre-converted weights); it must give
    # the very numbers of the model as trained: softmax(features @ coef.T + intercept).
    texts = ["where is my order B-10012?", "how much is shipping?", "hello"]
    trained.component_config["knn_weight"] = 0.0
    try:
        probs = trained.predict_proba(texts)
        probs_again = trained.predict_proba(texts)
    finally:
        trained.component_config["knn_weight"] = MiniLMIntentClassifier.get_default_config()["knn_weight"]
    features = trained._features(texts, trained.encoder.embed(texts))
    logits = np.asarray(features @ trained._coef.T) + trained._intercept
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)

    # The serving path adds the sentence-embedding block in float32 (the reference above in float64).
    # A float32 dot product of n terms is off by at most n*u*sum|x_i*w_i| (u: float32's unit roundoff),
    # the float64 blocks by far less, and a softmax turns logit errors of at most d into relative
    # errors of at most expm1(2d). That bound, not a guess, is the tolerance.
    embeddings = trained.encoder.embed(texts) * float(trained.component_config["embedding_weight"])
    emb_w = trained._weight_blocks()[2]
    n = emb_w.shape[0]
    u = np.finfo(np.float32).eps / 2
    d = (
        n * u / (1 - n * u) * (np.abs(embeddings) @ np.abs(emb_w)).max()
        + features.shape[1] * np.finfo(np.float64).eps * np.abs(logits).max()
    )
    rtol = float(np.expm1(2 * d))
    assert rtol < 1e-3  # still a sharp check: a wrong block or a missing intercept moves logits by far more
    np.testing.assert_allclose(probs, expected, rtol=rtol, atol=0)
    np.testing.assert_array_equal(probs, probs_again)
