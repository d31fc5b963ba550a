"""Which order a message means: the cues (crm_store/values/references.py) and the choice over
the customer's orders (crm_store/services/order_resolver.pick_order), without a database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from crm_store.services.order_resolver import pick_order
from crm_store.services.orders import OrderView
from crm_store.values.references import NOT_ARRIVED, order_numbers, parse_reference

MONDAY = date(2026, 12, 7)


def order(number: str, status: str, placed: date, *items: str) -> OrderView:
    at = datetime(placed.year, placed.month, placed.day, 10)
    return OrderView(
        id=1,
        number=number,
        customer_id=1,
        status=status,
        status_since=at,
        placed_at=at,
        total=Decimal("10"),
        items=tuple(f"1 x {i}" for i in items),
        tracking_code=None,
        shipping_address=None,
    )


# Newest first, as orders_of returns them.
HEADPHONES = order("A-10424", "shipped", date(2026, 12, 1), "over-ear headphones")
MAT = order("A-10423", "delivered", date(2026, 11, 20), "yoga mat", "water bottle")
KETTLE = order("A-10300", "cancelled", date(2026, 3, 3), "electric kettle")
ORDERS = [HEADPHONES, MAT, KETTLE]


@pytest.mark.parametrize(
    "text", ["A-10423", "a10423", "#10423", "order 10423", "where is order number 10423?", "10423"]
)
def test_an_order_number_in_any_usual_format(text):
    assert order_numbers(text) == ("A-10423",)


def test_a_bare_five_digit_number_inside_a_sentence_is_an_order_only_in_a_correction():
    assert order_numbers("no, I meant 10424") == ("A-10424",)
    assert order_numbers("my postcode is 10119 and I live in Berlin") == ()


def test_a_correction_replaces_the_order_and_is_marked_as_one():
    chosen = pick_order(ORDERS, parse_reference("no sorry, I meant 10424", MONDAY), focus="A-10423")

    assert (chosen.chosen, chosen.how, chosen.correction) == ("A-10424", "number", True)


def test_a_number_not_on_the_account_is_reported_as_foreign_not_taken():
    found = pick_order(ORDERS, parse_reference("where is A-99999", MONDAY))

    assert found.chosen is None and found.foreign == "A-99999"


@pytest.mark.parametrize(
    "text, shown, expected",
    [
        ("the second one", ("A-10424", "A-10423", "A-10300"), "A-10423"),
        ("number 3", ("A-10424", "A-10423", "A-10300"), "A-10300"),
        ("the last one", ("A-10424", "A-10423"), "A-10423"),
        ("I mean the 2nd", ("A-10300", "A-10424"), "A-10424"),
    ],
)
def test_a_position_counts_over_the_list_just_shown(text, shown, expected):
    assert pick_order(ORDERS, parse_reference(text, MONDAY), shown=shown).chosen == expected


@pytest.mark.parametrize(
    "text, expected, how",
    [
        ("the one from March 3", "A-10300", "date"),
        ("the order I placed last Tuesday", "A-10424", "date"),
        ("the one that hasn't arrived", "A-10424", "status"),
        ("the one I cancelled", "A-10300", "status"),
        ("the yoga mat order", "A-10423", "item"),
        ("where are my headphones", "A-10424", "item"),
        ("my latest order", "A-10424", "newest"),
    ],
)
def test_date_status_item_and_newest_each_pick_one(text, expected, how):
    found = pick_order(ORDERS, parse_reference(text, MONDAY))

    assert (found.chosen, found.how) == (expected, how)


def test_same_parcel_is_the_order_in_focus():
    assert (
        pick_order(ORDERS, parse_reference("it came in the same parcel", MONDAY), focus="A-10423").chosen == "A-10423"
    )


def test_the_request_narrows_a_bare_question_to_the_one_order_it_can_be_about():
    # Three orders, one still on its way: "where is my order?" can only mean that one.
    found = pick_order(ORDERS, parse_reference("where is my order?", MONDAY), purpose="status")

    # "implied", not "only": the customer has other orders, so the reply says how to pick another one.
    assert (found.chosen, found.how) == ("A-10424", "implied")


def test_several_fitting_orders_are_offered_newest_first_and_none_taken():
    two_open = [
        order("A-20002", "shipped", date(2026, 12, 2), "lamp"),
        order("A-20001", "paid", date(2026, 12, 1), "desk"),
    ]

    found = pick_order(two_open, parse_reference("where is my order?", MONDAY), purpose="status")

    assert found.chosen is None and found.candidates == ("A-20002", "A-20001")


def test_a_date_no_order_has_selects_nothing_rather_than_a_guess():
    found = pick_order(ORDERS, parse_reference("the one from 14 February", MONDAY))

    assert found.chosen is None and found.candidates == ()


def test_status_cues_read_negation():
    assert parse_reference("the parcel that still hasn't come", MONDAY).statuses == NOT_ARRIVED
    assert parse_reference("the one that arrived", MONDAY).statuses == frozenset({"delivered"})


def test_a_negation_typed_without_its_apostrophe_still_negates():
    from datetime import date

    from crm_store.values.references import NOT_ARRIVED, parse_reference

    assert parse_reference("whats up with the one that hasnt arrived", date(2026, 12, 7)).statuses == NOT_ARRIVED


def test_the_day_a_parcel_was_due_is_no_order_date():
    found = pick_order(ORDERS, parse_reference("my parcel was supposed to come yesterday??", MONDAY))

    assert found.chosen or found.candidates


def test_a_status_word_that_fits_none_of_the_orders_is_no_cue():
    # "came" reads as delivered, but the customer's only order is still on its way: the carrier came and missed them.
    found = pick_order([HEADPHONES], parse_reference("the DHL guy came while i was out, what now", MONDAY))

    assert (found.chosen, found.how) == ("A-10424", "only")
