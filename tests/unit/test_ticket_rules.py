"""The one rule for ticket priority, immediate handoff and unasked writes (crm_store/services/ticket_rules.py)."""

from __future__ import annotations

import pytest

from crm_store.services import ticket_rules as rules
from crm_store.services import tickets


@pytest.mark.parametrize(
    "text, expected",
    [
        ("this is fucking ridiculous, where is my stuff", "high"),
        ("what the shit, still nothing", "high"),
        ("This is UNACCEPTABLE, I am furious!!", "high"),
        ("the parcel arrived damaged", "high"),
        ("you charged me twice for one order", "high"),
        ("bit annoying that it's late", "normal"),
        ("your service is terrible", "normal"),
        ("I'm disappointed, to be honest", "normal"),
        ("the delivery was a bit late", "normal"),
    ],
)
def test_priority_is_high_for_profanity_anger_damage_and_double_charges_not_for_milder_words(text, expected):
    assert tickets.priority_for(text) == expected


def test_only_an_angry_complaint_names_a_rule_for_going_to_a_person():
    assert rules.anger_reason("this is bullshit") == "rule: profanity"
    assert rules.anger_reason("I'm fed up with you") == "rule: strong anger"
    assert rules.anger_reason("a bit disappointed") is None
    # "Where the hell is it" colours a question, it swears at nobody: annoyance, not a person by rule.
    assert rules.anger_reason("where the hell is A-89491") is None
    assert rules.tone("where the hell is A-89491") == rules.ANNOYED
    assert rules.anger_reason("where the hell is my stuff, this is fucking ridiculous") == "rule: profanity"


@pytest.mark.parametrize(
    "text, waiting",
    [
        ("ok, I'll wait a few more days", True),
        ("fine, I'll just wait then", True),
        ("no rush, thanks", True),
        ("I'll wait, but please open a ticket", False),
        ("I've waited two weeks, open a complaint", False),
    ],
)
def test_saying_one_will_wait_is_not_a_request(text, waiting):
    assert rules.only_waiting(text) is waiting


def test_the_subject_is_plain_words_and_the_order_not_the_customers_text():
    assert rules.subject_for("Complaint", ["late"], "A-10423") == "Complaint: late delivery (A-10423)"
    assert rules.subject_for("Payment problem", [], None) == "Payment problem"


@pytest.mark.parametrize(
    "text, rule",
    [
        ("this is fucking ridiculous", "rule: profanity"),
        ("i've been waiting 3 weeks", "rule: waited long"),
        ("this bot is useless", "rule: the assistant is not helping"),
        ("this is a bit annoying", None),
        ("ok I'll wait", None),
    ],
)
def test_a_frustrated_message_goes_to_a_person_only_by_a_named_rule(text, rule):
    assert rules.handoff_rule(text) == rule


def test_one_tone_lexicon_for_frustration_and_priority():
    """The reply's "sorry, a lot going wrong" and the ticket priority read the same words."""
    from actions.problems import is_frustrated

    for text in (
        "I'm sick and tired of this",
        "this is a rip-off",
        "bit annoying",
        "WHERE IS MY ORDER",
        "what the hell",
    ):
        assert is_frustrated(text), text
        assert rules.tone(text) != rules.CALM
    for text in ("where is my order", "the lid is missing"):
        assert not is_frustrated(text), text


def test_when_someone_gets_back_is_answered_from_the_newest_record_of_the_conversation():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.forms import answer_when_back
    from tests.support.action_calls import tracker

    said = [{"event": "bot", "text": "I've opened ticket T-00031 for order A-10423."}]
    dispatcher = CollectingDispatcher()
    assert answer_when_back(dispatcher, tracker("s1", "how long till i hear back?", events=said)) is not None
    assert "T-00031" in dispatcher.messages[0]["text"] and "working day" in dispatcher.messages[0]["text"]
    lead = [*said, {"event": "bot", "text": "I've passed your inquiry (reference D-00004) to our business team"}]
    dispatcher = CollectingDispatcher()
    assert answer_when_back(dispatcher, tracker("s1", "when will someone call me?", events=lead)) is not None
    assert "business team" in dispatcher.messages[0]["text"]
    assert answer_when_back(CollectingDispatcher(), tracker("s1", "when will someone call me?")) is None
    assert answer_when_back(CollectingDispatcher(), tracker("s1", "when will it arrive?", events=said)) is None


def test_a_ticket_is_named_by_a_word_of_its_subject():
    from types import SimpleNamespace

    from actions.tickets import ticket_about

    lamp, speaker = SimpleNamespace(subject="Desk lamp flickers"), SimpleNamespace(subject="Speaker does not charge")
    assert ticket_about("the lamp one, what is happening", [lamp, speaker]) is lamp
    assert ticket_about("what is happening", [lamp, speaker]) is None


@pytest.mark.parametrize(
    "text, person",
    [
        ("no thats not what i asked. nobody can help me here, put me through to customer service", True),
        ("can you connect me with an agent", True),
        ("I want to talk to a real person", True),
        ("what are your customer service hours?", False),
        ("cancel, I don't need a person anymore", False),
    ],
)
def test_a_person_asked_for_in_so_many_words(text, person):
    from actions.problems import asks_for_person

    assert asks_for_person(text) is person
