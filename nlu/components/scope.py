"""BusinessContextCheck: a shop request about a business the shop does not run is out of scope.

The classifier's out-of-scope rejection judges how far a message is from the training
examples; "cancel my yoga class booking" or "return a library book" is close to
cancel_order and return_item in embedding space, because only the thing being cancelled
or returned is foreign. This second stage looks for exactly that: a message predicted as
a business intent (cancel_order, return_item, refund_status, faq, ...) that names another
business or service (the `foreign_business` lookup in nlu/data/foreign_business.yml:
insurance, library, flight, gym, landlord, another website...) and names nothing of ours
(no order number, no product of the catalogue, no "your shop") becomes out_of_scope.

It sits after the entity extractors, so the order numbers and products they found count,
and before the FallbackClassifier. The lexicon is read from the training data's lookup
tables at training time and persisted with the model (plain JSON), like the classifier.
Emails and links are blanked before the lexicon is searched (an address at library.org
is not a library), and a lexicon word followed by a street word ("12 Library Road",
"Council Street") is an address, not a business.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

log = logging.getLogger(__name__)

# Parse-output key saying why a message was turned out of scope.
BUSINESS_CONTEXT_KEY = "business_context"
_NOT_WORDS = re.compile(r"\S*@\S+|https?://\S+|www\.\S+", re.IGNORECASE)
_STREET = (
    r"road|rd|street|st|lane|ln|avenue|ave|way|close|drive|place|square|terrace|"
    r"crescent|gardens|row|walk|court|parade|hill|strasse|straße"
)


def phrase_pattern(phrases: List[Text]) -> re.Pattern | None:
    """One case-insensitive pattern for whole phrases, longest first, plural 's'/'es' allowed."""
    cleaned = sorted({p.strip().lower() for p in phrases if p and p.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    body = "|".join(r"\s+".join(map(re.escape, p.split())) for p in cleaned)
    return re.compile(rf"(?<![\w-])(?:{body})(?:e?s|'s)?(?![\w-])", re.IGNORECASE)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class BusinessContextCheck(GraphComponent, IntentClassifier):
    """Turns a business intent about another business into `rejection_intent`."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # lookup table (in the training data) of businesses the shop does not run
            "foreign_lookup": "foreign_business",
            # lookup tables whose entries (and their synonyms) name something of ours
            "anchor_lookups": ["product"],
            # entities that tie a message to us, whatever else it names (not the CRF's
            # product: it also tags "library book"; products count by the lookup above)
            "anchor_entities": ["order_id"],
            # phrases that point at this shop, or say the customer is that other
            # business buying from us ("we're a gym, interested in 100 yoga mats")
            "shop_references": [
                "your shop",
                "your store",
                "your website",
                "your site",
                "your app",
                "your company",
                "your product",
                "your item",
                "your catalogue",
                "from you",
                "you sent",
                "you delivered",
                "we are a",
                "we're a",
                "we run a",
                "we own a",
                "i run a",
                "i own a",
                # the same in German, French and Spanish
                "euer shop",
                "eurem shop",
                "ihrem shop",
                "bei euch",
                "bei ihnen",
                "von euch",
                "wir sind ein",
                "wir sind eine",
                "ich betreibe",
                "chez vous",
                "votre boutique",
                "votre site",
                "nous sommes un",
                "nous sommes une",
                "on est un",
                "on est une",
                "je gère un",
                "je gère une",
                "vuestra tienda",
                "su tienda",
                "vuestra web",
                "con vosotros",
                "somos un",
                "somos una",
                "tengo una tienda",
                "tengo un negocio",
            ],
            # the intents that act on an order, an account or the shop itself; answers
            # inside a conversation (affirm, inform, a code...) and small talk are not judged
            "checked_intents": [
                "order_status",
                "cancel_order",
                "change_address",
                "return_item",
                "exchange_item",
                "refund_status",
                "parcel_missing",
                "payment_problem",
                "account_help",
                "reset_not_received",
                "unlink_account",
                "delete_my_data",
                "business_inquiry",
                "faq",
                "product_info",
                "product_availability",
                "complaint",
                "escalate",
                "ticket_status",
                "request_human",
            ],
            "rejection_intent": "out_of_scope",
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        foreign: List[Text] | None = None,
        anchors: List[Text] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._checked = set(self._config["checked_intents"])
        self._use_lexicon(foreign or [], anchors or [])

    def _use_lexicon(self, foreign: List[Text], anchors: List[Text]) -> None:
        self._foreign_terms = list(foreign)
        self._anchor_terms = list(anchors)
        self._foreign = phrase_pattern(self._foreign_terms)
        self._anchors = phrase_pattern([*self._anchor_terms, *self._config["shop_references"]])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> BusinessContextCheck:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        # A table may come in several files (nlu/data/foreign_business.yml and one per language): all count.
        tables: Dict[Text, List[Text]] = {}
        for table in training_data.lookup_tables:
            tables.setdefault(table["name"], []).extend(table["elements"])
        foreign = list(tables.get(self._config["foreign_lookup"]) or [])
        anchors: List[Text] = []
        for name in self._config["anchor_lookups"]:
            anchors += tables.get(name) or []
        # "airpods" -> wireless earbuds: a synonym of an anchor is an anchor too.
        values = {a.lower() for a in anchors}
        anchors += [s for s, v in training_data.entity_synonyms.items() if v.lower() in values]
        if not foreign:
            log.warning("no foreign_business lookup in the training data; the check is off")
        with self._model_storage.write_to(self._resource) as model_dir:
            (model_dir / "lexicon.json").write_text(json.dumps({"foreign": foreign, "anchors": anchors}), "utf-8")
        self._use_lexicon(foreign, anchors)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> BusinessContextCheck:
        try:
            with model_storage.read_from(resource) as model_dir:
                lexicon = json.loads((model_dir / "lexicon.json").read_text("utf-8"))
        except (ValueError, FileNotFoundError):
            log.warning("no business lexicon found; the context check is off")
            lexicon = {}
        return cls(config, model_storage, resource, lexicon.get("foreign"), lexicon.get("anchors"))

    def foreign_business(self, text: Text, entities: List[Dict[Text, Any]] | None = None) -> Text | None:
        """The other business a message names, when it names nothing of ours; else None."""
        if self._foreign is None:
            return None
        entities = entities or []
        anchored = set(self._config["anchor_entities"])
        if any(e.get(ENTITY_ATTRIBUTE_TYPE) in anchored for e in entities):
            return None
        blanked = _NOT_WORDS.sub(lambda m: " " * len(m.group(0)), text.replace("\u2019", "'"))
        if self._anchors is not None and self._anchors.search(blanked):
            return None
        for found in self._foreign.finditer(blanked):
            if not re.match(rf"\s+(?:{_STREET})\b", blanked[found.end() :], re.IGNORECASE):
                return found.group(0).lower()
        return None

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            name = intent.get(INTENT_NAME_KEY)
            text = message.get(TEXT)
            if not name or not isinstance(text, str):
                continue
            if not set(str(name).split("+")) & self._checked:
                continue
            term = self.foreign_business(text, message.get(ENTITIES))
            if term is not None:
                self._reject(message, intent, term)
        return messages

    def _reject(self, message: Message, intent: Dict[Text, Any], term: Text) -> None:
        # As sure as the classifier was of the request; the request was for someone else,
        # so its intent leaves the ranking and the FallbackClassifier judges the rest.
        rejected = str(intent[INTENT_NAME_KEY])
        name = str(self._config["rejection_intent"])
        rejection = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: intent.get(PREDICTED_CONFIDENCE_KEY)}
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) not in (name, rejected)]
        message.set(INTENT, rejection, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [rejection, *ranking], add_to_output=True)
        message.set(BUSINESS_CONTEXT_KEY, {"rejected": rejected, "term": term}, add_to_output=True)
        log.debug("request about another business", extra={"intent": rejected})
