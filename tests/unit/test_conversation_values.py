"""Values the conversation needs from free text: addresses, problems, yes / no, malformed order numbers."""
from __future__ import annotations

import pytest

from actions.forms import looks_like_bad_order_number, yes_or_no
from actions.postal import parse_address
from actions.problems import problems_in, reason_category


@pytest.mark.parametrize("text, expected", [
    ("ok the new address is Torstrasse 5, 10119 Berlin", "Torstrasse 5, 10119 Berlin"),
    ("Invalidenstrasse 12, 10115 Berlin", "Invalidenstrasse 12, 10115 Berlin"),
    ("change the address of A-10424 to Karl-Marx-Allee 90, 10243 Berlin please", "Karl-Marx-Allee 90, 10243 Berlin"),
    ("my address is Hauptstr. 7a 80331 München", "Hauptstr. 7a, 80331 München"),
    ("please send it to 221b Baker Street, London NW1 6XE thanks", "221b Baker Street, London NW1 6XE"),
])
def test_an_address_is_taken_out_of_the_words_around_it(text: str, expected: str):
    assert str(parse_address(text)) == expected


@pytest.mark.parametrize("text", ["10115", "hello there", "Berlin", "my order A-10423"])
def test_no_address_is_guessed(text: str):
    assert parse_address(text) is None


def test_every_problem_in_a_long_message_is_found():
    text = "my order finally came but the french press is broken and the grinder is missing, so fed up"

    assert [kind for kind, _ in problems_in(text)] == ["damaged", "missing_item"]


@pytest.mark.parametrize("text, category", [
    ("they're too small", "wrong size"), ("the left side stopped working", "defective"),
    ("arrived cracked", "damaged"), ("just because", "other"),
])
def test_reason_category(text: str, category: str):
    assert reason_category(text) == category


@pytest.mark.parametrize("intent, text, answer", [
    ("affirm", "sure", "yes"), ("deny", "no, keep it", "no"), ("inform", "👍", "yes"),
    ("nlu_fallback", "yes that's right", "yes"), ("inform", "no that's wrong", "no"), ("inform", "Torstrasse 5", None),
])
def test_yes_or_no(intent: str, text: str, answer: str | None):
    assert yes_or_no(intent, text) == answer


@pytest.mark.parametrize("text, bad", [
    ("AB-12", True), ("A-1042", True), ("my order is A-1042", True), ("A-10423", False), ("5", False), ("hello", False),
])
def test_malformed_order_numbers_are_recognised(text: str, bad: bool):
    assert looks_like_bad_order_number(text) is bad
