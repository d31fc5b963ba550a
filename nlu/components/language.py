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
inside an English sentence. A message is foreign only with `min_words` words of letters,
a confidence of at least `min_confidence` for another language and at most
`max_supported_confidence` for English. Lingua's confidences are shares among the
candidates, so a short French or Italian question may score only 0.55 (the rest going to
Spanish or Portuguese) while English gets nothing; an English sentence that holds a
German street name scores 0.72 German but still 0.17 English.
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
        # Any language but the default needs a clear majority and (almost) nothing for the
        # other supported ones: an English sentence naming a German street stays English.
        if code != self._supported[0] and (
            scores[code] < self._min_confidence
            or max((scores.get(s, 0.0) for s in self._supported if s != code), default=0.0) > self._max_supported
        ):
            return {"code": self._supported[0], "confidence": None}
        return {"code": code, "confidence": round(scores[code], 4)}

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
