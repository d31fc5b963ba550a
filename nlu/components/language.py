"""LanguageDetector: the language of each message, and a clear intent when it is not served.

The languages in `supported` (config.yml: English, German, French, Spanish) keep the
classifier's intent; the slot `language` (actions/language_slot.py) then picks the reply's
language. The paragraphs below describe the others.

Every message gets `language` in its parse data ({"code": "de", "confidence": 0.97}),
which the event broker carries to the CRM (messages.language). A message written in a
language the assistant does not speak is given the intent `unsupported_language` (the
classifier's guess stays second in the ranking), so the dialogue answers it in that
language instead of acting on a wrong intent.

lingua-language-detector ships its n-gram models inside the wheel: nothing is fetched.
The detector knows only a few languages (the likely ones for a European shop), which
makes it both faster and surer than one over 75 languages. Loading the models takes a
few seconds, so it starts in a thread when the model loads and the first message waits
only if it comes sooner.

Short or mixed messages stay English: an order number, "ok", an emoji, a street name
inside an English sentence. A message is in another language only with `min_words` words
of letters and either of two kinds of evidence:
- lingua's clear majority: at least `min_confidence` for it and at most
  `max_supported_confidence` for every other supported language; or
- its small words: lingua ranks it first, and the message holds at least `min_cue_words`
  of that language's function words ("où", "est", "ma"; "wo", "ist", "mein") and none of
  English's ("the", "my", "is", "please").
Lingua's confidences are shares among the candidates, and on a short message they do not
separate the two cases the guard is for: "Où en est ma commande ?" scores French 0.55 and
English 0.11, "my address is Schönhauser Allee 12 Berlin" German 0.66 and English 0.10.
Names of streets and products bring nouns, not function words, so the second kind of
evidence tells them apart: the English sentence keeps "my" and "is", the French one has
four French function words and no English one.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

log = logging.getLogger(__name__)

LANGUAGE = "language"
UNSUPPORTED_LANGUAGE_INTENT = "unsupported_language"
# Letters only: order numbers, amounts, emails and emojis say nothing about the language.
_WORD = re.compile(r"[^\W\d_]{2,}")
_NOT_WORDS = re.compile(r"\S*@\S+|https?://\S+")
# Function words that belong to one served language (words shared with English, such as
# "die", "was", "in", "so", "me", "no", "ok", "on", "a", are left out; French and Spanish may share).
_CUE_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the my mine is are am were where what when why how please you your yours to of and with it its "
        "this that these those for from have has had can could would should did does do not just about there "
        "here they them their we our us be been being get got want need which who any some "
        # and the shop's everyday English, which names of streets and products do not bring
        "new address order orders parcel package delivery item items refund cancel return send ship "
        "hi hello thanks thank yes".split()
    ),
    "de": frozenset(
        "ich du er wir ihr ist sind bin bist mein meine meinen meiner meinem mir mich dich dir wo wie warum "
        "wann und oder nicht kein keine bitte der das dem den des ein eine einen einem mit auf für noch schon "
        "bei von zu zum zur haben habe hat hab kann können möchte möchten sollte würde ihre ihren euch uns "
        "sich auch aber doch mal nur jetzt hier dass hallo danke ja nein guten tag".split()
    ),
    "fr": frozenset(
        "je tu il elle nous vous est suis sont mon ma mes ton ta tes votre vos notre nos le les du des un une "
        "où et pas ne que qu qui quoi quel quelle quels quelles pour avec dans sur au aux ce cette ces ça "
        "plaît peux pouvez veux voudrais comment pourquoi quand ai avez avoir de la en encore toujours "
        "déjà mais ou si me te bonjour salut merci oui svp stp".split()
    ),
    "es": frozenset(
        "yo tú usted ustedes nosotros es está están estoy soy son mi mis tu tus su sus nuestro el los las del "
        "al un una unos unas dónde donde qué que cuál cuándo cuando cómo como por para con sin pero y o ni "
        "muy ya todavía aún favor puedo puede pueden quiero quisiera tengo tiene hay de la en lo le les se "
        "esto este esta ese esa no me te nos hola gracias sí porfa buenas buenos días".split()
    ),
}
# Small words inside a name ("Rue de la Paix", "Unter den Linden", "Crème de la Mer") say
# nothing about the sentence around it.
_NAME_PARTICLES = frozenset("de la le les des du del den der am von y et da di".split())


def cue_words(words: List[str]) -> Dict[str, int]:
    """How many function words of each language the message holds, names left out: a
    capitalised word past the first ("Pour Homme") and a particle between two capitalised
    words ("Rue de la Paix") do not count."""
    counts = dict.fromkeys(_CUE_WORDS, 0)
    for i, word in enumerate(words):
        lowered = word.lower()
        if (i > 0 and word[0].isupper()) or (lowered in _NAME_PARTICLES and _inside_name(words, i)):
            continue
        for code, cues in _CUE_WORDS.items():
            counts[code] += lowered in cues
    return counts


def _inside_name(words: List[str], i: int) -> bool:
    left = next((w for w in reversed(words[:i]) if w.lower() not in _NAME_PARTICLES), "")
    right = next((w for w in words[i + 1 :] if w.lower() not in _NAME_PARTICLES), "")
    return left[:1].isupper() and right[:1].isupper()


def _build(codes: tuple[str, ...]) -> Any:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in codes]
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LanguageDetector(GraphComponent, IntentClassifier):
    """Sets `language` on every message and `unsupported_language` on foreign ones."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # the languages the assistant speaks
            "supported": ["en"],
            # the languages it can tell apart (ISO 639-1); the first supported one is
            # the default for messages too short to tell
            "candidates": ["en", "de", "fr", "es", "it", "nl", "pt", "pl"],
            "min_words": 3,
            # foreign: the best language is not supported, has at least min_confidence,
            # and no supported language has more than max_supported_confidence
            "min_confidence": 0.5,
            "max_supported_confidence": 0.05,
            # or: ranked first, this many of its function words, none of English's
            "min_cue_words": 2,
        }

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls(config)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageDetector:
        component = cls(config)
        component._start()  # the server is starting: load the models meanwhile
        return component

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = {**self.get_default_config(), **config}
        self._supported = tuple(code.lower() for code in self._config["supported"])
        self._candidates = tuple(
            dict.fromkeys(code.lower() for code in (*self._supported, *self._config["candidates"]))
        )
        if not self._supported:
            raise ValueError("LanguageDetector needs at least one supported language")
        self._min_words = int(self._config["min_words"])
        self._min_confidence = float(self._config["min_confidence"])
        self._max_supported = float(self._config["max_supported_confidence"])
        self._min_cue_words = int(self._config["min_cue_words"])
        self._detector: Future | None = None

    def _start(self) -> Future:
        if self._detector is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lingua")
            self._detector = pool.submit(_build, self._candidates)
            pool.shutdown(wait=False)
        return self._detector

    @property
    def detector(self) -> Any:
        return self._start().result()

    def detect(self, text: str) -> Dict[Text, Any]:
        """{"code": "de", "confidence": 0.97}, or the default language with confidence None."""
        words = _WORD.findall(_NOT_WORDS.sub(" ", text or ""))
        if len(words) < self._min_words:
            return {"code": self._supported[0], "confidence": None}
        values = self.detector.compute_language_confidence_values(" ".join(words))
        scores = {v.language.iso_code_639_1.name.lower(): float(v.value) for v in values}
        code = max(scores, key=scores.__getitem__)
        default = self._supported[0]
        if code == default:
            code = self._told_by_cues(scores, words, extra=1) or default
        elif not (self._clear_majority(code, scores) or self._told_by_cues(scores, words) == code):
            return {"code": default, "confidence": None}
        return {"code": code, "confidence": round(scores[code], 4)}

    def _clear_majority(self, code: str, scores: Dict[str, float]) -> bool:
        """At least min_confidence for `code`, (almost) nothing for the other supported languages."""
        others = max((scores.get(s, 0.0) for s in self._supported if s != code), default=0.0)
        return scores[code] >= self._min_confidence and others <= self._max_supported

    def _told_by_cues(self, scores: Dict[str, float], words: List[str], extra: int = 0) -> str | None:
        """The served language lingua ranks first after the default one, when the message holds
        `min_cue_words` (+ `extra`) of its function words and none of the default language's."""
        counts = cue_words(words)
        if counts.get(self._supported[0], 0):
            return None
        others = [s for s in self._supported[1:] if s in scores]
        if not others:
            return None
        code = max(others, key=scores.__getitem__)
        return code if counts.get(code, 0) >= self._min_cue_words + extra else None

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            found = self.detect(text)
            message.set(LANGUAGE, found, add_to_output=True)
            if found["code"] not in self._supported:
                self._mark_unsupported(message, found["confidence"])
        return messages

    def _mark_unsupported(self, message: Message, confidence: float) -> None:
        intent = {INTENT_NAME_KEY: UNSUPPORTED_LANGUAGE_INTENT, PREDICTED_CONFIDENCE_KEY: confidence}
        ranking = list(message.get(INTENT_RANKING_KEY) or [])
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        log.debug("message in an unsupported language", extra={"language": message.get(LANGUAGE)})
