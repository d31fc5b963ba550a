"""Languages: the detector component, the reply in the customer's language, the setting."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.languages import WORDINGS, ActionReplyInLanguage
from crm_store.errors import SettingsError
from crm_store.settings import load_settings
from nlu.components.language import LanguageDetector


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector({})


def parsed(detector: LanguageDetector, text: str, intent: str = "order_status") -> Message:
    message = Message(
        data={
            "text": text,
            "intent": {"name": intent, "confidence": 0.91},
            "intent_ranking": [{"name": intent, "confidence": 0.91}],
        }
    )
    detector.process([message])
    return message


@pytest.mark.parametrize(
    "text, code",
    [
        ("wo ist meine bestellung, ich warte seit einer woche", "de"),
        ("je voudrais retourner mon colis", "fr"),
        ("hola, necesito ayuda con mi pedido", "es"),
        ("vorrei restituire il prodotto", "it"),
        ("waar blijft mijn pakket", "nl"),
        ("gdzie jest moja paczka", "pl"),
    ],
)
def test_a_message_in_another_language_gets_the_unsupported_language_intent(detector, text, code):
    message = parsed(detector, text)

    assert message.get("language")["code"] == code
    assert message.get("intent")["name"] == "unsupported_language"
    # the classifier's guess stays in the ranking, second
    assert [i["name"] for i in message.get("intent_ranking")] == ["unsupported_language", "order_status"]
    assert "language" in message.as_dict_nlu()


@pytest.mark.parametrize(
    "text",
    [
        "A-10423",
        "ok",
        "👍😀",
        "10423",
        "hallo",
        "danke!",
        "bist du ein bot",
        "I moved, please send the parcel to Hauptstraße 12, 10115 Berlin instead",
        "anna.schmidt@example.com",
        "where is my order",
        "got to go now",
        "Torstrasse 5, 10119 Berlin",
    ],
)
def test_short_ambiguous_and_english_messages_stay_english(detector, text):
    message = parsed(detector, text)

    assert message.get("language")["code"] == "en"
    assert message.get("intent")["name"] == "order_status"


def reply(code: str | None, agent_languages: str, monkeypatch) -> dict:
    monkeypatch.setenv("AGENT_LANGUAGES", agent_languages)
    from crm_store.settings import reset_settings_cache

    reset_settings_cache()
    latest = {"text": "x", "intent": {"name": "unsupported_language"}, "language": {"code": code, "confidence": 0.9}}
    tracker = Tracker("s", {}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    ActionReplyInLanguage().run(dispatcher, tracker, {})
    reset_settings_cache()
    (message,) = dispatcher.messages
    return message


def test_the_reply_is_in_the_customers_language_with_two_buttons(monkeypatch):
    message = reply("it", "en", monkeypatch)

    assert message["text"] == WORDINGS["it"].only_english
    assert message["text"].startswith("Posso aiutarla in inglese, tedesco, francese o spagnolo")
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Sì, mettetemi in contatto", "/request_human"),
        ("Continua in inglese", "/continue_in_english"),
    ]


def test_a_language_the_team_speaks_is_offered(monkeypatch):
    message = reply("it", "en,it", monkeypatch)

    assert message["text"].endswith("Il nostro team può risponderle anche in italiano.")


def test_a_language_without_words_gets_the_english_offer(monkeypatch):
    message = reply("sv", "en", monkeypatch)

    assert message["text"] == "I can help in English, German, French or Spanish. Shall I connect you with a colleague?"
    assert [b["payload"] for b in message["buttons"]] == ["/request_human", "/continue_in_english"]


def test_agent_languages_setting():
    assert load_settings({}).served_languages == ("en",)
    assert load_settings({"AGENT_LANGUAGES": "en, DE,fr"}).served_languages == ("en", "de", "fr")
    with pytest.raises(SettingsError, match="AGENT_LANGUAGES='german' is not a list of two-letter language codes"):
        load_settings({"AGENT_LANGUAGES": "german"})


@pytest.mark.parametrize(
    ("language", "titles"),
    [
        ("de", ["Wo ist meine Bestellung?", "Mit einem Menschen sprechen", "Etwas anderes"]),
        ("fr", ["Où est ma commande ?", "Parler à une personne", "Autre chose"]),
        ("en", ["Where is my order?", "Talk to a person", "Something else"]),
    ],
)
def test_the_rephrase_menu_offers_its_buttons_in_the_customers_language(language, titles):
    from actions.fallback import ActionDefaultAskAffirmation

    ranking = [{"name": "order_status", "confidence": 0.4}, {"name": "request_human", "confidence": 0.3}]
    latest = {"text": "hmm", "intent": ranking[0], "intent_ranking": ranking}
    tracker = Tracker("s", {"language": language}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    ActionDefaultAskAffirmation().run(dispatcher, tracker, {})

    (message,) = dispatcher.messages
    assert message["response"] == "utter_ask_affirmation"
    assert [b["title"] for b in message["buttons"]] == titles
    assert message["buttons"][-1]["payload"] == "/out_of_scope"
