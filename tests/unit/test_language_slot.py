"""The conversation's language: detection with hysteresis, the way back to English, locale formats."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.language_slot import ActionDetectLanguage, chosen_language
from actions.locales import day, money, order_summary, status_word
from nlu.components.language import LanguageDetector


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    # as config.yml runs it
    return LanguageDetector({"supported": ["en", "de", "fr", "es"]})


def parsed(detector: LanguageDetector, text: str) -> Message:
    message = Message(
        data={
            "text": text,
            "intent": {"name": "order_status", "confidence": 0.9},
            "intent_ranking": [{"name": "order_status", "confidence": 0.9}],
        }
    )
    detector.process([message])
    return message


@pytest.mark.parametrize(
    "text, code",
    [
        ("wo ist meine bestellung, ich warte seit einer woche", "de"),
        ("je voudrais annuler ma commande", "fr"),
        ("quiero devolver la esterilla", "es"),
    ],
)
def test_german_french_and_spanish_keep_the_classifiers_intent(detector, text, code):
    message = parsed(detector, text)

    assert message.get("language")["code"] == code
    assert message.get("intent")["name"] == "order_status"


@pytest.mark.parametrize("text, code", [("vorrei restituire il prodotto", "it"), ("gdzie jest moja paczka", "pl")])
def test_other_languages_still_get_the_unsupported_language_intent(detector, text, code):
    message = parsed(detector, text)

    assert message.get("language")["code"] == code
    assert message.get("intent")["name"] == "unsupported_language"


def test_an_english_sentence_naming_a_german_street_stays_english(detector):
    message = parsed(detector, "I moved, please send the parcel to Hauptstraße 12, 10115 Berlin instead")

    assert message.get("language")["code"] == "en"


@pytest.mark.parametrize(
    "text, code",
    [
        # lingua gives French only 0.30 here, Spanish 0.15 and English 0.12
        ("Où est mon colis ?", "fr"),
        # French 0.55 with English 0.11: the share an English sentence naming a German street gets
        ("Où en est ma commande A-31337 ?", "fr"),
        ("Wo ist mein Paket?", "de"),
        ("la talla no me queda bien", "es"),
    ],
)
def test_a_short_first_message_is_read_in_its_language(detector, text, code):
    detected = parsed(detector, text).get("language")

    assert detected["code"] == code
    assert chosen_language(None, detected, "order_status") == code


@pytest.mark.parametrize(
    "text",
    [
        "my address is Schönhauser Allee 12 Berlin",
        "new address: Rue de la Paix 4, 75002 Paris",
        "does the Crème de la Mer come in a bigger size",
        "I ordered the Eau de Toilette Pour Homme last week",
        "ship it to Calle Mayor 10 Madrid please",
        "Unter den Linden 5, 10117 Berlin",
        "Plaza de la Villa 5 Madrid",
    ],
)
def test_an_english_message_naming_a_foreign_street_or_product_stays_english(detector, text):
    detected = parsed(detector, text).get("language")

    assert detected["code"] == "en"
    assert chosen_language(None, detected, "inform") is None


def test_a_weakly_detected_language_does_not_switch_a_conversation_already_in_another(detector):
    detected = parsed(detector, "Où est mon colis ?").get("language")

    assert detected["code"] == "fr" and detected["confidence"] < 0.45
    assert chosen_language("de", detected, "order_status") is None


@pytest.mark.parametrize("text", ["ok", "ja", "oui", "sí", "A-10423", "Die Matte ist zu klein"])
def test_a_short_or_unclear_message_does_not_switch_a_german_conversation(detector, text):
    detected = parsed(detector, text).get("language")

    assert chosen_language("de", detected, "affirm") is None


@pytest.mark.parametrize(
    "text, current, code",
    [
        ("wo ist meine bestellung, ich warte seit einer woche", None, "de"),
        ("je voudrais annuler ma commande", "de", "fr"),
        ("please cancel my order", "es", "en"),
    ],
)
def test_a_clear_sentence_switches(detector, text, current, code):
    assert chosen_language(current, parsed(detector, text).get("language"), "cancel_order") == code


def test_the_same_language_again_sets_nothing(detector):
    assert (
        chosen_language("de", parsed(detector, "wo ist meine bestellung bitte").get("language"), "order_status") is None
    )


def test_asking_for_english_switches_back_even_when_asked_in_german(detector):
    detected = parsed(detector, "können wir englisch sprechen").get("language")

    assert detected["code"] == "de"
    assert chosen_language("de", detected, "continue_in_english") == "en"


def test_an_unsupported_language_leaves_the_slot(detector):
    assert (
        chosen_language("fr", parsed(detector, "vorrei restituire il prodotto").get("language"), "unsupported_language")
        is None
    )


def test_the_action_sets_the_slot_only_on_a_switch():
    latest = {"text": "x", "intent": {"name": "cancel_order"}, "language": {"code": "es", "confidence": 0.93}}
    switching = Tracker("s", {"language": "de"}, latest, [], False, None, {}, "action_listen")
    staying = Tracker("s", {"language": "es"}, latest, [], False, None, {}, "action_listen")

    assert ActionDetectLanguage().run(CollectingDispatcher(), switching, {}) == [
        {"event": "slot", "timestamp": None, "name": "language", "value": "es"}
    ]
    assert ActionDetectLanguage().run(CollectingDispatcher(), staying, {}) == []


def test_money_dates_and_statuses_in_the_customers_locale():
    when = datetime(2026, 12, 3, 14, 0)

    assert money(Decimal("1234.5"), "de") == "1.234,50\xa0€"
    assert money(Decimal("29.90"), "fr") == "29,90\xa0€"
    assert money(Decimal("29.90"), "en") == "29.90 EUR"
    assert day(when, "de") == "3. Dezember 2026"
    assert day(when, "es") == "3 de diciembre de 2026"
    assert day(when, "en") == "3 Dec 2026"
    assert status_word("shipped", "fr") == "expédiée"
    assert order_summary(("1 x yoga mat",), Decimal("29.90"), "es") == "1 x yoga mat, 29,90\xa0€"
