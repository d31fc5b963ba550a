"""Slots from parsers, not sentences: person names, companies, sizes (crm_store/values/)."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from crm_store.values.people import parse_company, parse_person_name
from crm_store.values.sizes import parse_size
from tests.support.action_calls import DOMAIN, tracker


@pytest.mark.parametrize(
    "text, name",
    [
        ("my name is jana novak", "Jana Novak"),
        ("ok it's Peter Müller thanks", "Peter Müller"),
        ("Hi, I'm Jana Novak from Bohnenhaus", "Jana Novak"),
        ("This is Anne-Marie O'Neil", "Anne-Marie O'Neil"),
    ],
)
def test_a_name_without_the_words_around_it(text, name):
    assert parse_person_name(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "jana@bohnenhaus.de",
        "why do you need my name?",
        "yes",
        "I would like to order 40 coffee machines for our offices",
    ],
)
def test_no_name_in_an_email_a_question_or_a_sentence(text):
    assert parse_person_name(text) is None


@pytest.mark.parametrize(
    "text, company",
    [
        ("we're Bohnenhaus GmbH", "Bohnenhaus GmbH"),
        ("company is Bohnenhaus, email jana@bohnenhaus.de", "Bohnenhaus"),
        ("the company is called Blue Bean Roasters", "Blue Bean Roasters"),
        ("Bohnenhaus", "Bohnenhaus"),
    ],
)
def test_a_company_without_the_lead_in_or_what_follows(text, company):
    assert parse_company(text) == company


def test_an_email_is_never_a_company():
    assert parse_company("jana@bohnenhaus.de") is None


@pytest.mark.parametrize(
    "text, size",
    [
        ("can I get a 43 instead?", "size 43"),
        ("size M please", "size M"),
        ("could I have it in a medium?", "size M"),
        ("UK 9 would be great", "size UK 9"),
        ("one size up please", "one size larger"),
        ("I want it in 42.5", "size 42.5"),
    ],
)
def test_the_size_wanted_not_the_question_around_it(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["I paid 45 euros", "they are too small", "it took 40 days"])
def test_no_size_where_none_is_named(text):
    assert parse_size(text) is None


def lead_form_turn(text: str, slots: dict) -> dict:
    from actions.leads import ValidateLeadForm

    asked = [{"event": "action", "name": "lead_form"}]
    turn = tracker("lead-test", text, {**slots}, asked, form="lead_form", intent="inform")
    # Rasa's from_text mapping puts the whole message into the requested slot before validation.
    turn.events.append({"event": "slot", "name": slots["requested_slot"], "value": text})
    turn.slots[slots["requested_slot"]] = text
    events = asyncio.run(ValidateLeadForm().run(CollectingDispatcher(), turn, DOMAIN))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_several_details_in_one_answer_fill_several_slots_and_only_the_name_is_the_name():
    filled = lead_form_turn(
        "Hi, I'm Jana Novak from Bohnenhaus GmbH, jana@bohnenhaus.de, +49 30 1234567",
        {"requested_slot": "contact_name"},
    )

    assert filled["contact_name"] == "Jana Novak"
    assert (filled["company"], filled["email"], filled["phone"]) == (
        "Bohnenhaus GmbH",
        "jana@bohnenhaus.de",
        "+49301234567",
    )


def test_an_email_given_for_the_company_fills_the_email_not_the_company():
    filled = lead_form_turn(
        "oh just use jana@bohnenhaus.de", {"requested_slot": "company", "contact_name": "Jana Novak"}
    )

    assert filled.get("company") is None and filled["email"] == "jana@bohnenhaus.de"


@pytest.mark.parametrize(
    "text, stored",
    [
        ("please send my order to my new place, it's 12 Rue de Rivoli, 75001 Paris", "12 Rue de Rivoli, 75001 Paris"),
        (
            "could you pls send it to Mariahilfer Strasse 88, 1070 Wien instead? oh and",
            "Mariahilfer Strasse 88, 1070 Wien",
        ),
        ("I moved, it's Kastanienallee 14, 10435 Berlin", "Kastanienallee 14, 10435 Berlin"),
        ("change the address on my order to Lindenstrasse 8, 10969 Berlin", "Lindenstrasse 8, 10969 Berlin"),
    ],
)
def test_an_address_is_stored_without_the_words_around_it(text, stored):
    from crm_store.values.addresses import parse_address

    assert str(parse_address(text)) == stored


def test_a_size_question_about_something_too_small_is_an_exchange_not_a_stock_question():
    from actions.products import exchange_instead

    assert parse_size("do you have them in W34 so i can swap?") == "size W34"
    events = exchange_instead(tracker("s1", "the running shoes are too small, could i get them in 44 instead of 42?"))
    assert events and events[-1] == {"event": "followup", "name": "return_form", "timestamp": None}
    assert exchange_instead(tracker("s1", "do you have the running shoes in 44?")) is None
