"""One-time codes as typed (crm_store/values/codes.py)."""

from __future__ import annotations

import pytest

from crm_store.values.codes import find_code, is_only_code


@pytest.mark.parametrize("text", ["123456", "123 456", "123-456", " 123.456 ", "code: 123 456", "my code is 123-456"])
def test_a_code_with_spaces_or_dashes_is_six_digits(text):
    assert find_code(text) == "123456" and is_only_code(text)


@pytest.mark.parametrize("text", ["A-10423", "10423", "1234567", "+49 30 1234567", "12 34 56 78"])
def test_order_numbers_and_longer_numbers_are_no_code(text):
    assert not is_only_code(text)


def test_a_code_inside_a_sentence_is_found_but_the_sentence_is_not_only_a_code():
    assert find_code("here you go 987 654 thanks") == "987654"
    assert not is_only_code("here you go 987 654 thanks")
