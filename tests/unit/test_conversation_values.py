"""Values the conversation needs from free text: addresses, problems, yes / no, malformed order numbers."""

from __future__ import annotations

import pytest

from actions.forms import bad_order_number_in, looks_like_bad_order_number, yes_or_no
from actions.leads import details_in
from crm_store.values.addresses import parse_address
from actions.problems import escalation_cue, item_problem, problems_in, reason_category
from actions.returns import reason_clause


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ok the new address is Torstrasse 5, 10119 Berlin", "Torstrasse 5, 10119 Berlin"),
        ("Invalidenstrasse 12, 10115 Berlin", "Invalidenstrasse 12, 10115 Berlin"),
        (
            "change the address of A-10424 to Karl-Marx-Allee 90, 10243 Berlin please",
            "Karl-Marx-Allee 90, 10243 Berlin",
        ),
        ("my address is Hauptstr. 7a 80331 München", "Hauptstr. 7a, 80331 München"),
        ("please send it to 221b Baker Street, London NW1 6XE thanks", "221b Baker Street, London NW1 6XE"),
    ],
)
def test_an_address_is_taken_out_of_the_words_around_it(text: str, expected: str):
    assert str(parse_address(text)) == expected


@pytest.mark.parametrize("text", ["10115", "hello there", "Berlin", "my order A-10423"])
def test_no_address_is_guessed(text: str):
    assert parse_address(text) is None


def test_every_problem_in_a_long_message_is_found():
    text = "my order finally came but the french press is broken and the grinder is missing, so fed up"

    assert [kind for kind, _ in problems_in(text)] == ["damaged", "missing_item"]


@pytest.mark.parametrize(
    "text, category",
    [
        ("they're too small", "wrong size"),
        ("the left side stopped working", "defective"),
        ("arrived cracked", "damaged"),
        ("just because", "other"),
    ],
)
def test_reason_category(text: str, category: str):
    assert reason_category(text) == category


@pytest.mark.parametrize(
    "intent, text, answer",
    [
        ("affirm", "sure", "yes"),
        ("deny", "no, keep it", "no"),
        ("inform", "👍", "yes"),
        ("nlu_fallback", "yes that's right", "yes"),
        ("inform", "no that's wrong", "no"),
        ("inform", "Torstrasse 5", None),
    ],
)
def test_yes_or_no(intent: str, text: str, answer: str | None):
    assert yes_or_no(intent, text) == answer


@pytest.mark.parametrize(
    "text, bad",
    [
        ("AB-12", True),
        ("A-1042", True),
        ("my order is A-1042", True),
        ("A-10423", False),
        ("5", False),
        ("hello", False),
    ],
)
def test_malformed_order_numbers_are_recognised(text: str, bad: bool):
    assert looks_like_bad_order_number(text) is bad


@pytest.mark.parametrize(
    "text, bad",
    [
        ("is order XY-77 on its way", "XY-77"),
        ("please look at A-9981", "A-9981"),
        ("my order #4411", "#4411"),
        ("where is A-10423", None),
        ("ticket T-00012 please", None),
        ("a usb-c cable", None),
        ("size 42 please", None),
        ("Torstrasse 1, 10119 Berlin", None),
    ],
)
def test_a_malformed_order_number_inside_a_sentence_is_found(text: str, bad: str | None):
    assert bad_order_number_in(text) == bad


@pytest.mark.parametrize(
    "text, cue",
    [
        ("put me through to a manager please", "asked for a person"),
        ("i want a real person, not you", "asked for a person"),
        ("this is the second time i'm writing about the lamp", "has contacted us about this before"),
        ("I already told you the order number", "has contacted us about this before"),
        ("where is my parcel", None),
        ("our human resources team wants 20 chairs", None),
    ],
)
def test_escalation_cues_in_a_message_that_asks_something_else(text: str, cue: str | None):
    assert escalation_cue(text) == cue


@pytest.mark.parametrize(
    "text, clause",
    [
        ("i'd like to return the lamp from A-10423, the light is far too dim", "the light is far too dim"),
        ("hello, can i send back the scarf because the colour is ugly", "the colour is ugly"),
        ("I want to return an item", None),
        ("return A-10423 please", None),
    ],
)
def test_the_reason_in_an_opening_message(text: str, clause: str | None):
    assert reason_clause(text) == clause


@pytest.mark.parametrize(
    "text, problem",
    [
        ("the kettle from A-10423 came dented", "damaged"),
        ("no charger in the box with my phone", "missing part"),
        ("the jeans are one size too big", "wrong size"),
        ("A-10423 came yesterday, thanks", None),
    ],
)
def test_a_problem_with_a_delivered_item(text: str, problem: str | None):
    assert item_problem(text) == problem


def test_business_details_sent_at_once_are_each_found():
    text = "we are Nordlicht Hotels, roughly 300 bath towel sets a year; reach me at ops@nordlicht.example or +44 7700 900123"

    assert details_in(text) == {
        "email": "ops@nordlicht.example",
        "phone": "+447700900123",
        "company": "Nordlicht Hotels",
        "volume": "roughly 300 bath towel sets a year",
    }


def test_a_plain_answer_holds_no_business_details():
    assert details_in("Maria Rossi") == {}


def test_a_rating_keeps_the_comment_written_after_it():
    from actions.values import rating_and_comment

    assert rating_and_comment("2, shipping is too slow") == (2, "shipping is too slow")
    assert rating_and_comment("4 - would be 5 if the colour had been right") == (
        4,
        "would be 5 if the colour had been right",
    )
    assert rating_and_comment("⭐⭐⭐⭐ nice") == (4, "nice")
    assert rating_and_comment("5") == (5, None)
    assert rating_and_comment("I'd give it a 3") == (3, None)
    assert rating_and_comment("no thanks") is None


def test_a_company_is_read_from_the_ways_people_name_it():
    from actions.leads import details_in

    assert details_in("Tom Keller, Keller IT Solutions, t.keller@keller-it.ch")["company"] == "Keller IT Solutions"
    assert details_in("i'm Carla Bianchi, studio is Respiro Yoga, carla@respiroyoga.it")["company"] == "Respiro Yoga"
    found = details_in("Priya Nair here, purchasing at Lumen Labs BV. We'd like 150 usb-c chargers")
    assert (found["company"], found["contact_name"]) == ("Lumen Labs BV", "Priya Nair")


def test_a_person_named_before_their_company_and_a_dotted_legal_form_are_read_whole():
    found = details_in("need 40 phone cases. Lena Roth, Roth Media Solutions, lena@roth.example, +49 30 5551212")
    assert (found["contact_name"], found["company"]) == ("Lena Roth", "Roth Media Solutions")
    found = details_in("hello, this is Jan Novak from Modra Lampa s.r.o., jan@modralampa.example, +420 601 555 111")
    assert (found["contact_name"], found["company"]) == ("Jan Novak", "Modra Lampa s.r.o.")


@pytest.mark.parametrize(
    "text",
    ["my statement shows 2 payments for the lamp", "there's a double payment on my card", "you took my money twice"],
)
def test_a_double_charge_is_recognised_in_the_words_people_use(text):
    assert [kind for kind, _ in problems_in(text)] == ["double_charge"]


def test_a_dead_device_is_a_fault_and_dead_slow_is_not():
    assert item_problem("the motor is dead after a year") == "defective"
    assert item_problem("this chat is dead slow") is None
