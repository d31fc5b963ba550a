"""The one reply to a message in a language the assistant does not speak.

English, German, French and Spanish are served (actions/language_slot.py, actions/locales.py);
this reply is for the others, and says which languages the assistant speaks.

nlu/components/language.py sets the intent unsupported_language and the message's
`language`; this action answers in that language when it has the words for it (English
otherwise), with two buttons: a person (request_human) or carrying on in English. When
the team answers in that language (AGENT_LANGUAGES), the reply says so.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from crm_store.settings import get_settings


class Wording(NamedTuple):
    only_english: str
    team_speaks_it: str
    connect: str
    english: str


WORDINGS = {
    "en": Wording(
        "I can help in English, German, French or Spanish. Shall I connect you with a colleague?",
        "",
        "Connect me",
        "Continue in English",
    ),
    "it": Wording(
        "Posso aiutarla in inglese, tedesco, francese o spagnolo. Vuole che la metta in contatto con un collega?",
        "Il nostro team può risponderle anche in italiano.",
        "Sì, mettetemi in contatto",
        "Continua in inglese",
    ),
    "nl": Wording(
        "Ik kan helpen in het Engels, Duits, Frans of Spaans. Zal ik u doorverbinden met een collega?",
        "Ons team kan u ook in het Nederlands antwoorden.",
        "Ja, verbind me door",
        "Verder in het Engels",
    ),
    "pt": Wording(
        "Posso ajudar em inglês, alemão, francês ou espanhol. Quer que o ponha em contacto com um colega?",
        "A nossa equipa também pode responder em português.",
        "Sim, falar com um colega",
        "Continuar em inglês",
    ),
    "pl": Wording(
        "Mogę pomóc po angielsku, niemiecku, francusku lub hiszpańsku. Czy połączyć Cię z konsultantem?",
        "Nasz zespół może też odpowiedzieć po polsku.",
        "Tak, połącz mnie",
        "Kontynuuj po angielsku",
    ),
}


def language_of(tracker: Tracker) -> str | None:
    found = tracker.latest_message.get("language") or {}
    code = found.get("code") if isinstance(found, dict) else None
    return code if isinstance(code, str) else None


class ActionReplyInLanguage(Action):
    def name(self) -> str:
        return "action_reply_in_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        code = language_of(tracker) or "en"
        words = WORDINGS.get(code, WORDINGS["en"])
        served = code != "en" and code in get_settings().served_languages
        text = f"{words.only_english} {words.team_speaks_it}" if served else words.only_english
        dispatcher.utter_message(
            text=text,
            buttons=[
                {"title": words.connect, "payload": "/request_human"},
                {"title": words.english, "payload": "/continue_in_english"},
            ],
        )
        return []
