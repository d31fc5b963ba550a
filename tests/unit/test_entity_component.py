from __future__ import annotations

import time

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from nlu.components.entities import RuleEntityExtractor

SENTENCE = "I ordered 2 on 12.03.2025 for 49.90 EUR, order A-10423, call me at +49 30 1234567"


@pytest.fixture
def make_extractor(tmp_path):
    def make(**overrides) -> RuleEntityExtractor:
        config = {**RuleEntityExtractor.get_default_config(), "today": "2025-03-14", **overrides}
        return RuleEntityExtractor.create(
            config,
            LocalModelStorage(tmp_path),
            Resource("rule_entity_extractor"),
            ExecutionContext(GraphSchema({}), "test-model"),
        )

    return make


def entities_of(extractor: RuleEntityExtractor, text: str, **data) -> list[dict]:
    message = Message(data={"text": text, **data})
    extractor.process([message])
    return message.get("entities")


def test_component_adds_rule_entities_with_spans(make_extractor):
    entities = entities_of(make_extractor(), SENTENCE)

    assert [(e["entity"], e["value"], SENTENCE[e["start"] : e["end"]]) for e in entities] == [
        ("quantity", "2", "2"),
        ("date", "2025-03-12", "12.03.2025"),
        ("amount", "49.90 EUR", "49.90 EUR"),
        ("order_id", "A-10423", "A-10423"),
        ("phone", "+49301234567", "+49 30 1234567"),
    ]
    assert {e["extractor"] for e in entities} == {"RuleEntityExtractor"}
    assert {e["confidence"] for e in entities} == {1.0}


def test_entities_are_part_of_the_parse_output(make_extractor):
    message = Message(data={"text": "where is order 10423"})

    make_extractor().process([message])

    assert message.as_dict_nlu()["entities"][0]["value"] == "A-10423"
    assert "entities" in message.output_properties


def test_learned_entity_of_the_same_type_overlapping_a_rule_span_is_replaced(
    make_extractor,
):
    learned = [
        {
            "entity": "order_id",
            "value": "10423",
            "start": 9,
            "end": 14,
            "extractor": "DIETClassifier",
            "confidence_entity": 0.71,
        },
        {
            "entity": "product",
            "value": "mat",
            "start": 19,
            "end": 22,
            "extractor": "DIETClassifier",
            "confidence_entity": 0.9,
        },
        {
            "entity": "quantity",
            "value": "10423",
            "start": 9,
            "end": 14,
            "extractor": "DIETClassifier",
            "confidence_entity": 0.4,
        },
    ]

    entities = entities_of(make_extractor(), "my order 10423 the mat", entities=learned)

    assert [(e["entity"], e["value"], e["extractor"]) for e in entities] == [
        ("product", "mat", "DIETClassifier"),
        ("quantity", "10423", "DIETClassifier"),  # another type: not ours to judge
        ("order_id", "A-10423", "RuleEntityExtractor"),
    ]


def test_learned_entity_elsewhere_in_the_text_is_kept(make_extractor):
    learned = [{"entity": "order_id", "value": "A-55555", "start": 0, "end": 5, "extractor": "DIETClassifier"}]

    entities = entities_of(make_extractor(), "hello order A-10423", entities=learned)

    assert [e["value"] for e in entities] == ["A-55555", "A-10423"]


def test_configured_entity_types_limit_the_output(make_extractor):
    entities = entities_of(make_extractor(entities=["order_id", "quantity"]), SENTENCE)

    assert [e["entity"] for e in entities] == ["quantity", "order_id"]


def test_unknown_entity_type_in_config_is_refused(make_extractor):
    with pytest.raises(ValueError, match="shoe_size"):
        make_extractor(entities=["order_id", "shoe_size"])


def test_region_and_today_come_from_config(make_extractor):
    extractor = make_extractor(region="GB", today="2025-01-05")

    entities = entities_of(extractor, "call 0161 496 0000 about the order from yesterday")

    assert [(e["entity"], e["value"]) for e in entities] == [
        ("phone", "+441614960000"),
        ("date", "2025-01-04"),
    ]


@pytest.mark.parametrize("text", ["", "   ", "😀🙈👍", None])
def test_empty_or_emoji_text_gives_no_entities(make_extractor, text):
    message = Message(data={"text": text} if text is not None else {})

    make_extractor().process([message])

    assert message.get("entities") == []


def test_very_long_text_is_processed(make_extractor):
    text = ("order A-10423 😀 call +49 30 1234567 for €49,90 x3 " * 300)[:10_000]

    started = time.perf_counter()
    entities = entities_of(make_extractor(), text)

    assert time.perf_counter() - started < 2.0
    assert {e["entity"] for e in entities} >= {"order_id", "phone", "amount", "quantity"}
    assert all(0 <= e["start"] < e["end"] <= len(text) for e in entities)


def test_component_builds_into_a_rasa_nlu_graph():
    config = {
        "recipe": "default.v1",
        "language": "en",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "nlu.components.entities.RuleEntityExtractor"},
        ],
    }

    graphs = DefaultV1Recipe().graph_config_for_recipe(config, {})

    nodes = graphs.predict_schema.nodes
    (name,) = [n for n, node in nodes.items() if node.uses is RuleEntityExtractor]
    assert nodes[name].fn == "process"
    assert not any(node.uses is RuleEntityExtractor for node in graphs.train_schema.nodes.values())
