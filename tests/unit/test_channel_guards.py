"""The small pure parts of the channel guards: metadata, rate windows, session tokens, log masking."""
from __future__ import annotations

import pytest

from bot.channels.limits import RateLimiter
from bot.channels.metadata import clean_display_name, clean_metadata
from bot.channels.webchat_sessions import SessionSigner
from crm_store.logs import mask


@pytest.mark.parametrize("raw, clean", [
    ("<b>Evil</b>", "Evil"),
    ("Ada\u0000 Lovelace\n", "Ada Lovelace"),
    ("<script>alert(1)</script>Bob", "alert(1)Bob"),
    ("x" * 500, "x" * 60),
    ("   ", None),
    (42, None),
])
def test_display_names_are_plain_bounded_text(raw, clean):
    assert clean_display_name(raw) == clean


def test_metadata_keeps_only_the_display_name():
    assert clean_metadata({"display_name": "Ada", "attachments": [{"path": "/etc/passwd"}], "input_channel": "telegram"}) == {
        "display_name": "Ada"}
    assert clean_metadata("nope") == {}


def test_rate_window_slides():
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])

    allowed = [limiter.allow("k", 2, 60) for _ in range(3)]
    now[0] = 61.0

    assert allowed == [True, True, False]
    assert limiter.allow("k", 2, 60) is True
    assert limiter.allow("other", 2, 60) is True


def test_session_tokens_verify_only_when_signed_with_our_secret():
    ours, theirs = SessionSigner("secret-a"), SessionSigner("secret-b")
    session_id, token = ours.issue()

    assert ours.verify(token) == session_id
    assert theirs.verify(token) is None
    assert ours.verify(session_id) is None
    # The signature's first character: its last one carries base64 padding bits, and changing
    # only those (A -> B) still decodes to the same signature.
    at = token.index(".") + 1
    assert ours.verify(token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1:]) is None
    assert ours.verify(None) is None


@pytest.mark.parametrize("line, gone, kept", [
    ("Received user message 'my parcel is lost' with intent", "my parcel is lost", "Received user message"),
    ("reach me at jo.doe@mail.example or +49 30 1234567", "jo.doe@mail.example", "reach me at"),
    ("reach me at +49 30 1234567 please", "1234567", "please"),
    ("order A-10423 placed 2026-11-30 port 5005", "", "A-10423 placed 2026-11-30 port 5005"),
])
def test_mask_hides_emails_phones_and_message_texts_but_not_ids(line, gone, kept):
    masked = mask(line)

    assert kept in masked
    if gone:
        assert gone not in masked
