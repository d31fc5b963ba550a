"""BusinessContextCheck: a shop request about another business is out of scope.

The component is trained on the project's own nlu/data (its foreign_business and product
lookups), so these tests hold the shipped lexicon to account, and loaded back from the
model storage as Rasa loads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from nlu.components.scope import BusinessContextCheck

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def check(tmp_path_factory: pytest.TempPathFactory) -> BusinessContextCheck:
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("models")))
    resource = Resource("business_context")
    context = ExecutionContext(GraphSchema({}), "test")
    BusinessContextCheck.create({}, storage, resource, context).train(load_data(str(ROOT / "nlu" / "data")))
    return BusinessContextCheck.load({}, storage, resource, context)


def parsed(check: BusinessContextCheck, text: str, intent: str, entities: list[dict] | None = None) -> Message:
    ranking = [
        {"name": intent, "confidence": 0.8},
        {"name": "out_of_scope", "confidence": 0.1},
        {"name": "greet", "confidence": 0.05},
    ]
    message = Message(
        data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking, "entities": entities or []}
    )
    check.process([message])
    return message


@pytest.mark.parametrize(
    "text, intent",
    [
        ("I want to cancel my yoga class booking for Tuesday", "cancel_order"),
        ("can I return my library books a week late", "return_item"),
        ("how do I renew my car insurance", "account_help"),
        ("what is today's exchange rate for dollars", "exchange_item"),
        ("when do I get my refund from the airline", "refund_status"),
        ("my amazon package says delivered but it never came", "parcel_missing"),
        ("what time does the pharmacy open on sundays", "faq"),
        ("put me through to my solicitor", "request_human"),
        ("my landlord ignores me, I want to make a complaint", "complaint"),
        # German, French and Spanish (their lexicons sit in nlu/data/<code>/lookups.yml, merged with the English one)
        ("ich will meinen Vertrag beim Fitnessstudio kündigen", "cancel_order"),
        ("wann erstattet mir die Fluggesellschaft das Geld", "refund_status"),
        ("je veux annuler ma réservation d'hôtel", "cancel_order"),
        ("quand est-ce que ma mutuelle me rembourse", "refund_status"),
        ("cómo devuelvo un libro a la biblioteca", "return_item"),
        ("mi casero no me devuelve la fianza", "refund_status"),
    ],
)
def test_a_shop_request_about_another_business_is_out_of_scope(check, text, intent):
    message = parsed(check, text, intent)

    assert message.get("intent") == {"name": "out_of_scope", "confidence": 0.8}
    # the rejected intent leaves the ranking; the others stay for the fallback's buttons
    assert [r["name"] for r in message.get("intent_ranking")] == ["out_of_scope", "greet"]
    assert message.get("business_context")["rejected"] == intent
    assert "business_context" in message.as_dict_nlu()


@pytest.mark.parametrize(
    "text, intent, entities",
    [
        (
            "where is order A-10423? I need it before my flight",
            "order_status",
            [{"entity": "order_id", "value": "A-10423", "start": 13, "end": 20}],
        ),
        ("can I return the travel mug I took on my flight, the lid leaks", "return_item", None),
        ("we're a gym, can we get 50 yoga mats at a discount", "business_inquiry", None),
        ("I'd like to sell your products in my other shop", "business_inquiry", None),
        ("please deliver to 12 Library Road instead", "change_address", None),
        ("my login email is anna@library.org and the reset never came", "reset_not_received", None),
        ("do you accept bitcoin", "faq", None),
        ("where is my parcel", "order_status", None),
        ("nous sommes un hôtel et voulons 50 serviettes", "business_inquiry", None),
        ("wir sind ein Hotel und brauchen 40 Handtücher", "business_inquiry", None),
        ("¿aceptáis pagos con tarjeta?", "faq", None),
        ("je veux payer avec ma carte Visa", "payment_problem", None),
        ("¿estás seguro de que llega mañana?", "order_status", None),
    ],
)
def test_the_shops_own_requests_are_kept(check, text, intent, entities):
    message = parsed(check, text, intent, entities)

    assert message.get("intent")["name"] == intent
    assert message.get("business_context") is None


@pytest.mark.parametrize(
    "text, intent",
    [
        ("yes, and book the flight too", "affirm"),
        ("I'm at the hotel reception", "inform"),
    ],
)
def test_answers_inside_a_conversation_are_left_to_the_dialogue(check, text, intent):
    message = parsed(check, text, intent)

    assert message.get("intent")["name"] == intent


def test_without_a_trained_lexicon_nothing_is_rejected(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    untrained = BusinessContextCheck.load({}, storage, Resource("missing"), context)

    message = parsed(untrained, "cancel my gym membership", "cancel_order")

    assert message.get("intent")["name"] == "cancel_order"
