"""Several readings of a receipt's lines voting on their digits (crm_store/ocr/vote.py)."""

from __future__ import annotations

import pytest

from crm_store.ocr.layout import Line
from crm_store.ocr.vote import lines_to_vote, matching_line, vote_text, voted_lines


@pytest.mark.parametrize(
    ("readings", "voted"),
    [
        # Two readings agree on the 5 against the first one's 8.
        (["TOTAL RM 78.00", "TOTAL RM 75.00", "TOTAL RM 75.00"], "TOTAL RM 75.00"),
        # Each reading slips on a different digit: every digit has a majority.
        (["Date: 26/01/2018", "Date: 25/07/2018", "Date: 25/01/2016"], "Date: 25/01/2018"),
        # No majority (one against one): the first reading stands.
        (["TOTAL 78.00", "TOTAL 75.00"], "TOTAL 78.00"),
        # A reading whose number has another shape (a digit lost) does not vote.
        (["TOTAL 78.00", "TOTAL 5.00", "TOTAL 75.00"], "TOTAL 78.00"),
        # Numbers are paired from the end of the line: an extra number in front shifts nothing.
        (["2 x 3.50 7.08", "3.50 7.00", "2 x 3.50 7.00"], "2 x 3.50 7.00"),
        # The words are the first reading's, whatever the others read.
        (["CASH 50.00", "CA5H 50.00", "GASH 50.00"], "CASH 50.00"),
    ],
)
def test_readings_vote_digit_by_digit(readings: list[str], voted: str):
    assert vote_text(readings) == voted


def test_a_line_is_matched_by_where_it_stands():
    line = Line("TOTAL 78.00", 60.0, 100, 120)
    reading = [Line("CASH 100.00", 90.0, 125, 146), Line("TOTAL 75.00", 90.0, 99, 121)]

    assert matching_line(line, reading) == reading[1]
    assert matching_line(Line("x", 50.0, 300, 320), reading) is None


def test_the_date_line_is_voted_by_its_cut_out_readings_and_the_same_line_votes_once():
    date_line = Line("Date: 26/01/2018 1:22:56PM", 63.0, 500, 520)
    total_line = Line("TOTAL 9.00", 90.0, 560, 580)
    lines = [date_line, total_line]
    cut_outs = [
        {0: [Line("Date: 25/01/2018 1:22:56PM", 80.0, 10, 40)]},
        {0: [Line("Date 25/01/2018 1:22:56PM", 85.0, 10, 50)]},
    ]

    voted = voted_lines(lines, [lines], cut_outs)
    # The first reading (the same Line objects) is no second vote: alone it changes nothing.
    unvoted = voted_lines(lines, [lines], cut_outs[:1])

    assert lines_to_vote(lines) == [0]
    assert [line.text for line in voted] == ["Date: 25/01/2018 1:22:56PM", "TOTAL 9.00"]
    assert unvoted == lines
