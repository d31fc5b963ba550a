"""The small pure parts of the channel guards: metadata, rate windows, session tokens, log masking."""

from __future__ import annotations

import time

import pytest

from bot.channels.limits import ChannelLimits
from bot.channels.metadata import clean_display_name, clean_metadata
from bot.channels.webchat_sessions import SessionSigner
from crm_store.logs import mask
from crm_store.rate_limits import Limiter
from crm_store.settings import Settings


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("<b>Evil</b>", "Evil"),
        ("Ada\u0000 Lovelace\n", "Ada Lovelace"),
        ("<script>alert(1)</script>Bob", "alert(1)Bob"),
        ("x" * 500, "x" * 60),
        ("   ", None),
        (42, None),
    ],
)
def test_display_names_are_plain_bounded_text(raw, clean):
    assert clean_display_name(raw) == clean


def test_metadata_keeps_only_the_display_name():
    assert clean_metadata(
        {"display_name": "Ada", "attachments": [{"path": "/etc/passwd"}], "input_channel": "telegram"}
    ) == {"display_name": "Ada"}
    assert clean_metadata("nope") == {}


def test_rate_window_slides():
    limiter = Limiter()

    allowed = [limiter.hit("k", 2, 1) for _ in range(3)]
    assert allowed == [True, True, False]
    assert limiter.hit("other", 2, 1) is True
    deadline = time.monotonic() + 5
    while not limiter.allowed("k", 2, 1):
        assert time.monotonic() < deadline, "the window never slid"
        time.sleep(0.05)
    assert limiter.hit("k", 2, 1) is True


def test_a_known_chat_is_not_a_newcomer_again_and_newcomers_are_counted_per_address():
    limits = ChannelLimits(Settings(new_customers_per_ip_per_hour=2), Limiter())

    first = [limits.newcomer_problem("rest", "a", "10.0.0.1") for _ in range(3)]
    more = [limits.newcomer_problem("rest", s, "10.0.0.1") for s in ("b", "c")]

    assert first == [None, None, None]
    assert more[0] is None and more[1] is not None
    assert limits.newcomer_problem("rest", "c", "10.0.0.2") is None


def test_session_tokens_verify_only_when_signed_with_our_secret():
    ours, theirs = SessionSigner("secret-a"), SessionSigner("secret-b")
    session_id, token = ours.issue()

    assert ours.verify(token) == session_id
    assert theirs.verify(token) is None
    assert ours.verify(session_id) is None
    # The signature's first character: its last one carries base64 padding bits, and changing
    # only those (A -> B) still decodes to the same signature.
    at = token.index(".") + 1
    assert ours.verify(token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]) is None
    assert ours.verify(None) is None


def test_session_tokens_expire_and_a_renewed_one_lives_on(monkeypatch):
    signer = SessionSigner("secret-a", max_age_seconds=72 * 3600)
    session_id, token = signer.issue()
    now = time.time()

    monkeypatch.setattr(time, "time", lambda: now + 71 * 3600)
    renewed = signer.token_for(session_id)
    assert signer.verify(token) == session_id
    monkeypatch.setattr(time, "time", lambda: now + 73 * 3600)

    assert signer.verify(token) is None
    assert signer.verify(renewed) == session_id


@pytest.mark.parametrize(
    "line, gone, kept",
    [
        ("Received user message 'my parcel is lost' with intent", "my parcel is lost", "Received user message"),
        ("reach me at jo.doe@mail.example or +49 30 1234567", "jo.doe@mail.example", "reach me at"),
        ("reach me at +49 30 1234567 please", "1234567", "please"),
        ("order A-10423 placed 2026-11-30 port 5005", "", "A-10423 placed 2026-11-30 port 5005"),
    ],
)
def test_mask_hides_emails_phones_and_message_texts_but_not_ids(line, gone, kept):
    masked = mask(line)

    assert kept in masked
    if gone:
        assert gone not in masked


def test_memory_counting_starts_no_thread_per_hit_and_still_drops_expired_keys(monkeypatch):
    import threading

    from crm_store.rate_limits import InlineExpiryMemory

    limiter = Limiter()  # the library starts one timer when its storage is made; none after
    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self), real_start(self))[1])
    memory = limiter._memory.storage
    assert isinstance(memory, InlineExpiryMemory)

    for i in range(200):
        assert limiter.hit(f"chat-{i}", 5, 1)
        time.sleep(0.0005)  # longer than nothing: the library's timer (10 ms) would finish between some hits
    assert started == []
    assert len(memory.events) == 200

    time.sleep(1.1)  # every window is over; the next hit sweeps them
    assert limiter.hit("chat-new", 5, 1)
    assert len(memory.events) == 1 and "chat-new" in next(iter(memory.events))
