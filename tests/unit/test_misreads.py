"""Misreads that context prevents: "off"/"stop" inside a phrase, emoji-only messages."""

from __future__ import annotations

import pytest

from actions.forms import yes_or_no
from actions.interruptions import ASIDE, interruption


@pytest.mark.parametrize(
    "text",
    [
        "drop it off at the back door please",
        "the strap came off after a day",
        "could the courier stop by my neighbour at no. 5",
    ],
)
def test_stop_or_off_inside_an_answer_does_not_stop_the_form(text):
    # The classifier said "stop" for the word; the message answers the question.
    assert interruption("return_form", "reason", "stop", 0.9, text, fits=False) is None
    assert interruption("address_form", "address", "stop", 0.9, text, fits=True) is None


@pytest.mark.parametrize("text", ["stop", "ok stop please", "never mind", "cancel that", "forget it"])
def test_a_real_stop_still_steps_out(text):
    assert interruption("return_form", "reason", "stop", 0.9, text, fits=False) == ASIDE


@pytest.mark.parametrize("text", ["🙂", "😂😂", "🤔", "🙏", "..."])
def test_an_emoji_alone_is_no_yes_even_when_classified_affirm(text):
    assert yes_or_no("affirm", text) is None


def test_thumbs_up_and_tick_are_still_yes_and_thumbs_down_no():
    assert yes_or_no("affirm", "👍") == "yes" and yes_or_no(None, "✅") == "yes" and yes_or_no("affirm", "👎") == "no"


def test_another_colour_named_is_an_exchange_and_a_broken_item_a_replacement():
    from actions.problems import exchange_kind

    assert exchange_kind("could I get the phone case for the blue one? the black is boring") == "exchange"
    assert exchange_kind("can I have the jacket in black instead") == "exchange"
    assert exchange_kind("the lamp arrived cracked, I'd like a new one") == "replacement"
