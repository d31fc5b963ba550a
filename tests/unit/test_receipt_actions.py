"""The pure parts of the receipt conversation: which file, what to say, how to parse a correction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rasa_sdk import Tracker

from actions.receipts import context_of, parse_value, stored_file, summary
from crm_store.services.receipts import ReadingView


def view(**kw) -> ReadingView:  # type: ignore[no-untyped-def]
    base = dict(
        id=1,
        status="read",
        order_number="A-10423",
        date="2026-03-12",
        total=Decimal("89.90"),
        currency="EUR",
        merchant="Shop",
        process=None,
        process_id=None,
        process_number=None,
    )
    return ReadingView(**{**base, **kw})


def test_summary_reads_like_the_confirmation_question():
    assert summary(view(), today=date(2026, 11, 30)) == "order A-10423 from 12 March, total €89.90"
    assert (
        summary(view(order_number=None, date="2025-12-01", currency="CHF"), today=date(2026, 1, 5))
        == "a receipt from 1 December 2025, total 89.90 CHF"
    )


def test_summary_names_the_month_and_the_ringgit():
    assert (
        summary(
            view(order_number=None, date="2018-12-05", total=Decimal("9.00"), currency="MYR"), today=date(2026, 12, 7)
        )
        == "a receipt from 5 December 2018, total RM 9.00"
    )


def test_only_the_senders_own_upload_can_be_read(tmp_path):
    own = tmp_path / "uploads" / "webchat" / "session-a" / "x.png"
    other = tmp_path / "uploads" / "webchat" / "session-b" / "y.png"
    for path in (own, other):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"png")
    (tmp_path / "crm.db").write_bytes(b"db")

    assert stored_file(tmp_path, "uploads/webchat/session-a/x.png", "session-a") == own.resolve()
    assert stored_file(tmp_path, "uploads/webchat/session-b/y.png", "session-a") is None
    assert stored_file(tmp_path, "uploads/webchat/session-a/../session-b/y.png", "session-a") is None
    assert stored_file(tmp_path, "crm.db", "session-a") is None
    assert stored_file(tmp_path, "uploads/webchat/session-a/missing.png", "session-a") is None


def test_corrections_go_through_the_one_parser_per_value():
    assert parse_value("order_number", " a10423 ") == "A-10423"
    assert parse_value("date", "it was 14.03.2026") == "2026-03-14"
    assert parse_value("total", "89,90 €") == "89.90"
    assert parse_value("total", "21.5") == "21.50"
    assert parse_value("total", "it was 21.50") == "21.50"
    assert parse_value("total", "no idea") is None
    assert parse_value("date", "soon-ish") is None


def test_context_is_the_return_opened_or_the_payment_problem_in_this_session():
    def tracker(events: list[dict], loop: str | None = None) -> Tracker:
        return Tracker("s", {}, {}, events, False, None, {"name": loop} if loop else {}, "action_listen")

    assert context_of(tracker([], loop="return_form")) == "return"
    assert context_of(tracker([{"event": "action", "name": "action_create_return"}])) == "return"
    assert context_of(tracker([{"event": "action", "name": "utter_payment_help"}])) == "payment"
    assert (
        context_of(tracker([{"event": "action", "name": "action_create_return"}, {"event": "session_started"}])) is None
    )
