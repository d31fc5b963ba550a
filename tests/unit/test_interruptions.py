"""What a message in the middle of a form is: an answer, another request, closing words, a stray yes."""

from __future__ import annotations

import pytest

from actions.interruptions import ASIDE, LEAVE, REASK, STOP, interruption, meant_as_answer


@pytest.mark.parametrize(
    "form, slot, intent, text",
    [
        ("return_form", "item", "payment_problem", "I was charged twice for A-10424"),
        ("return_form", "reason", "cancel_order", "forget the return, just cancel my other order"),
        ("address_form", "address", "order_status", "wait, where is my parcel actually?"),
        ("lead_form", "company", "delete_my_data", "please delete all my personal data"),
        ("cancel_order_form", "order_id", "parcel_missing", "it says delivered but nothing came"),
    ],
)
def test_a_confident_other_task_leaves_the_form(form, slot, intent, text):
    assert interruption(form, slot, intent, 0.9, text, fits=False) == LEAVE


@pytest.mark.parametrize(
    "slot, intent, text",
    [
        ("confirmed", "thank", "thanks, that's all"),
        ("item", "goodbye", "bye"),
        ("address", "deny", "no, I'm good"),
        ("confirmed", "goodbye", "see you"),
    ],
)
def test_closing_words_leave_the_form(slot, intent, text):
    assert interruption("return_form", slot, intent, 0.8, text, fits=False) == LEAVE


def test_a_question_steps_aside_and_the_form_asks_again_after():
    assert interruption("return_form", "item", "product_info", 0.8, "how much did it cost?", fits=False) == ASIDE
    assert interruption("address_form", "address", "faq", 0.9, "do you ship to Austria?", fits=False) == ASIDE
    assert interruption("lead_form", "email", "request_human", 0.4, "a human please", fits=False) == ASIDE


def test_a_stray_yes_where_no_yes_or_no_was_asked_asks_again():
    assert interruption("return_form", "order_id", "affirm", 0.95, "yes", fits=False) == REASK
    assert interruption("address_form", "address", "deny", 0.9, "no", fits=False) == REASK


def test_thanks_leaves_a_question_but_not_a_read_back():
    assert interruption("order_status_form", "order_id", "thank", 0.9, "ok never mind, thanks", fits=False) == LEAVE
    assert interruption("return_form", "confirmed", "thank", 0.9, "thanks", fits=False) is None


@pytest.mark.parametrize(
    "form, slot, intent, confidence, text, fits",
    [
        # the message parses as the value asked for, whatever the classifier guessed
        ("return_form", "item", "product_info", 0.9, "the wireless earbuds", True),
        ("return_form", "confirmed", "affirm", 0.9, "yes that's it", True),
        ("feedback_form", "feedback_comment", "complaint", 0.9, "the parcel came late", True),
        # the form's own request, reworded, and a complaint given as the reason for a return
        ("return_form", "item", "return_item", 0.9, "I want to send back the lamp", False),
        ("return_form", "reason", "complaint", 0.9, "the quality is awful", False),
        # a question intent on a statement
        ("return_form", "reason", "product_info", 0.64, "honestly the material feels cheap", False),
        # the classifier is guessing: read as an attempt to answer
        ("lead_form", "company", "complaint", 0.35, "Nordwind Handel", False),
        ("return_form", "reason", "inform", 0.9, "I just don't like it much", False),
    ],
)
def test_answers_stay_answers(form, slot, intent, confidence, text, fits):
    assert interruption(form, slot, intent, confidence, text, fits) is None


@pytest.mark.parametrize(
    "slot, text",
    [
        ("reason", "i'll keep them after all, thanks"),
        ("confirmed", "actually I'd rather keep it"),
        ("address", "I don't want to change anything anymore"),
    ],
)
def test_a_change_of_mind_about_the_form_itself_stops_it(slot, text):
    assert interruption("return_form", slot, "goodbye", 0.42, text, fits=False) == STOP


def test_the_forms_own_request_at_a_read_back_starts_it_afresh():
    text = "no wait, I want to return the headphones instead"
    assert interruption("return_form", "confirmed", "return_item", 0.8, text, fits=False) == LEAVE


def test_only_attempts_at_an_answer_count_as_failed_answers():
    assert meant_as_answer("inform", 0.9)
    assert meant_as_answer("nlu_fallback", 0.2)
    assert meant_as_answer("payment_problem", 0.3)
    assert not meant_as_answer("thank", 0.9)
    assert not meant_as_answer("payment_problem", 0.8)


def test_an_order_named_for_another_task_leaves_the_look_up_for_that_task():
    text = "the first one, can u send it to my office instead: Friedrichstrasse 100, 10117 Berlin"
    assert interruption("order_status_form", "order_id", "change_address", 0.9, text, True) == LEAVE
    assert interruption("order_status_form", "order_id", "order_status", 0.9, "the first one", True) is None
    assert interruption("return_form", "order_id", "change_address", 0.9, text, True) is None


def test_keeping_the_old_address_stops_the_address_form():
    text = "no actually its fine, keep the old address"
    assert interruption("address_form", "address", "change_address", 0.9, text, False) == STOP
