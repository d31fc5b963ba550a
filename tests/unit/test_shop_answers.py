"""Everyday answers from configuration and dates (crm_store/services/shop_answers.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from crm_store.services import shop_answers as answers


@pytest.mark.parametrize(
    "text, kind",
    [
        ("can I get a copy of my invoice?", answers.INVOICE),
        ("I need a VAT receipt for order A-10423", answers.INVOICE),
        ("do you price match? it's cheaper at MediaMarkt", answers.PRICE_MATCH),
        ("got any discount codes?", answers.PROMO),
        ("what's the weather like", None),
        ("forgot to enter my code AUTUMN15 when I ordered, can you still apply it", answers.PROMO),
        ("I have a 15% code for my order from monday", answers.PROMO),
        ("the code BLACK20 was rejected at checkout", answers.PROMO_FAILED),
        ("my code is 481516", None),  # a one-time code, not a discount code
    ],
)
def test_everyday_requests_are_recognised_by_their_words(text, kind):
    assert answers.everyday_request(text) == kind


def test_a_configured_policy_is_said_word_for_word_and_an_empty_one_never_promises():
    assert answers.price_match_answer("We match Amazon.de within 14 days.") == "We match Amazon.de within 14 days."
    assert "don't match" in answers.price_match_answer("")
    assert "can't create or hand out a discount code" in answers.promo_answer("")


def test_refund_arrival_counts_working_days_after_the_payout_or_the_received_return():
    # Paid out on Friday 4 Dec 2026: three working days at the bank is Wednesday 9 Dec.
    assert "by 9 Dec 2026" in answers.refund_arrival(None, date(2026, 12, 4), None, 5, 3)
    # Received Monday 30 Nov: paid out by Monday 7 Dec (5 working days), on the account by Thursday 10 Dec.
    text = answers.refund_arrival(date(2026, 11, 30), None, None, 5, 3)
    assert "pay it out by 7 Dec 2026" in text and "by 10 Dec 2026" in text
    assert answers.refund_arrival(None, None, None, 5, 3) is None


def test_the_warranty_route_starts_after_the_return_window():
    now = datetime(2026, 12, 7)
    assert answers.warranty_route(datetime(2026, 11, 20), now, 30, 24) is None
    assert "24-month warranty" in answers.warranty_route(datetime(2026, 8, 1), now, 30, 24)
    assert "outside both" in answers.warranty_route(datetime(2023, 1, 1), now, 30, 24)


def test_an_invoice_link_only_from_a_configured_template():
    assert (
        answers.invoice_link("https://shop.example/orders/{order}/invoice.pdf", "A-10423")
        == "https://shop.example/orders/A-10423/invoice.pdf"
    )
    assert answers.invoice_link("", "A-10423") is None


def test_a_wrong_invoice_is_a_correction_for_the_team_not_a_copy():
    assert (
        answers.everyday_request("the invoice for my last order says Mueller instead of Miller") == answers.INVOICE_FIX
    )
    assert answers.everyday_request("there's a mistake on my invoice") == answers.INVOICE_FIX


def test_reservations_are_declined_with_the_stock_as_it_is():
    from crm_store.services import shop_answers

    assert shop_answers.everyday_request("can u hold a smart watch for me until friday?") == shop_answers.RESERVE
    assert shop_answers.everyday_request("can I reserve a smart watch for next month") == shop_answers.RESERVE
    assert shop_answers.everyday_request("hold on a sec") is None
    answer = shop_answers.reservation_answer("smart watch", 40)
    assert "don't take reservations" in answer and "40 available" in answer and "two weeks" in answer


def test_a_vat_question_is_answered_and_a_wrong_vat_number_is_a_fix():
    assert answers.everyday_request("great. does it show the VAT?") == answers.VAT
    assert answers.everyday_request("the VAT number on my invoice is wrong") == answers.INVOICE_FIX


def test_every_catalogue_name_written_out_is_found_in_order_and_no_guess_from_one_word():
    from crm_store.services.products import named_products

    names = ["power bank", "usb-c charger", "usb-c cable", "laptop sleeve"]

    assert named_products(names, "price of the usb c charger and the power bank?") == ["usb-c charger", "power bank"]
    assert named_products(names, "two usb-c cables") == ["usb-c cable"]
    assert named_products(names, "do you sell laptops") == []
