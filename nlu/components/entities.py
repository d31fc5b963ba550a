"""RuleEntityExtractor: the value parsers in crm_store/values as a Rasa 3.6 NLU component.

Put it after any learned extractor (DIETClassifier) in config.yml: for the entity types
it handles, a learned entity overlapping one of its spans is dropped, because the rules
also normalise the value (order ids, E.164 phones, ISO dates) and the forms rely on that.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from crm_store.values import ENTITY_TYPES, FALLBACK_REGIONS, extract_all

log = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class RuleEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds order ids, emails, phones, amounts, dates and quantities found by crm_store.values."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # entity types to emit; the others still claim their spans. Durations
            # ("3 days") only keep those words from being a date or a quantity: the
            # domain has no duration entity and the training data leaves them unannotated.
            "entities": [kind for kind in ENTITY_TYPES if kind != "duration"],
            "region": None,  # None: the shop's DEFAULT_PHONE_REGION setting
            "fallback_regions": list(FALLBACK_REGIONS),
            # 03/04/2025 is 3 April (the shop is in Europe); False reads it US-style
            "dayfirst": True,
            # a fixed ISO date that relative dates resolve against (tests); None
            # means the day the message is processed
            "today": None,
        }

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RuleEntityExtractor:
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = {**self.get_default_config(), **config}
        self._types = frozenset(self._config["entities"])
        unknown = self._types - set(ENTITY_TYPES)
        if unknown:
            raise ValueError(f"RuleEntityExtractor cannot extract {sorted(unknown)}; it knows {list(ENTITY_TYPES)}")
        self._fallback_regions = tuple(self._config["fallback_regions"])
        fixed = self._config["today"]
        self._today = date.fromisoformat(fixed) if fixed else None

    # No extra parameters on process(): the recipe would read them as graph inputs.
    def process(self, messages: List[Message]) -> List[Message]:
        """Appends rule entities to each message, replacing overlapping learned ones."""
        for message in messages:
            self._process_one(message)
        return messages

    def _process_one(self, message: Message) -> None:
        text = message.get(TEXT)
        existing = list(message.get(ENTITIES) or [])
        if not isinstance(text, str) or not text.strip():
            message.set(ENTITIES, existing, add_to_output=True)
            return
        found = [
            entity
            for entity in extract_all(
                text,
                self._today,
                region=self._config["region"],
                fallback_regions=self._fallback_regions,
                dayfirst=self._config["dayfirst"],
            )
            if entity.entity in self._types
        ]
        kept = [other for other in existing if not _overlaps_any(other, found)]
        added = self.add_extractor_name(
            [
                {
                    ENTITY_ATTRIBUTE_START: entity.start,
                    ENTITY_ATTRIBUTE_END: entity.end,
                    ENTITY_ATTRIBUTE_VALUE: entity.value,
                    ENTITY_ATTRIBUTE_TYPE: entity.entity,
                    ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                    # the key DIET writes and `rasa test` reads
                    ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: 1.0,
                }
                for entity in found
            ]
        )
        if len(kept) < len(existing):
            log.debug(
                "rule entities replaced learned ones",
                extra={"replaced": len(existing) - len(kept)},
            )
        message.set(ENTITIES, kept + added, add_to_output=True)


def _overlaps_any(other: Dict[Text, Any], found: list) -> bool:
    if other.get(EXTRACTOR) == RuleEntityExtractor.__name__:
        return False
    start, end = other.get(ENTITY_ATTRIBUTE_START), other.get(ENTITY_ATTRIBUTE_END)
    if start is None or end is None:
        return False
    return any(
        entity.entity == other.get(ENTITY_ATTRIBUTE_TYPE) and start < entity.end and entity.start < end
        for entity in found
    )
