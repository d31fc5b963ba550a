"""The agent workspace over HTTP (Starlette's test client, a real SQLite CRM): counts and unread,
the next chat after a resolve, conversations without a handoff, identities, and a customer who
cannot receive live messages. Live delivery is covered by tests/e2e/test_workspace_shift.py."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from crm_store.db import unit_of_work
from crm_store.models import ChannelIdentity, Conversation, Customer, Message, Segment, SegmentMembership
from crm_store.services import console_views, handoffs, workspace
from tests.integration.test_console import app, csrf_of, login, settings  # noqa: F401 - fixtures

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def chat(
    settings,  # noqa: F811
    channel: str = "webchat",
    text: str = "I want a person",
    handoff: bool = True,
    names: tuple[str, ...] = (),
) -> tuple[int, int | None]:
    """A customer's conversation with one message; (conversation id, handoff id or None)."""
    now = datetime.utcnow()
    uow = unit_of_work(settings)
    with uow:
        customer = uow.customers.add(Customer(name="Alex Demo", created_at=now))
        for name in names:
            uow.identities.add(
                ChannelIdentity(
                    customer_id=customer.id,
                    channel="rest",
                    external_id=f"r-{uuid.uuid4().hex[:6]}",
                    display_name=name,
                    created_at=now,
                )
            )
        conv = uow.conversations.add(
            Conversation(
                sender_id=f"s-{uuid.uuid4().hex[:8]}",
                channel=channel,
                customer_id=customer.id,
                opened_by_event=uuid.uuid4().hex,
                started_at=now,
                last_event_at=now,
            )
        )
        uow.messages.add(
            Message(
                conversation_id=conv.id,
                event_key=uuid.uuid4().hex,
                direction="in",
                text=text,
                sent_at=now - timedelta(seconds=5),
            )
        )
        uow.commit()
        conv_id, sender = conv.id, conv.sender_id
    if not handoff:
        return conv_id, None
    return conv_id, handoffs.request_handoff(
        unit_of_work(settings), sender, "asked for a person", now - timedelta(seconds=4)
    ).id


def say(settings, conversation_id: int, text: str, direction: str = "in", author: str | None = None) -> None:  # noqa: F811
    uow = unit_of_work(settings)
    with uow:
        uow.messages.add(
            Message(
                conversation_id=conversation_id,
                event_key=uuid.uuid4().hex,
                direction=direction,
                text=text,
                author=author,
                author_name="ana" if author else None,
                sent_at=datetime.utcnow(),
            )
        )
        uow.commit()


def test_a_shift_in_one_page_counts_unread_and_goes_on_to_the_next_waiting_customer(app, settings):  # noqa: F811
    first_conv, first = chat(settings)
    _, second = chat(settings)
    ana = login(app, "ana")
    token = csrf_of(ana)
    assert workspace.counts(unit_of_work(settings), "ana").waiting == 2

    assert ana.post(f"/handoffs/{first}/claim", data={"csrf": token}, follow_redirects=False).status_code == 303
    say(settings, first_conv, "hello? my parcel arrived damaged")
    say(settings, first_conv, "are you there?")
    page = ana.get(f"/handoffs/{first}").text
    assert workspace.counts(unit_of_work(settings), "ana") == workspace.Counts(waiting=1, mine=1, unread=2)
    assert f'data-handoff="{second}"' in page  # the queue and my chats beside the chat
    # The open page shows both messages: read, in this page and the next (the header's count too).
    assert 'class="unread"' not in page and 'class="unread"' not in ana.get("/queue").text
    say(settings, first_conv, "still waiting")
    assert (
        '<span class="unread" title="unread messages">1</span>' in ana.get("/queue").text
    )  # arrived while away from the chat
    ana.get(f"/handoffs/{first}")
    say(settings, first_conv, "Sorry to hear that, checking now.", "out", "agent")
    assert workspace.counts(unit_of_work(settings), "ana").unread == 0

    resolved = ana.post(f"/handoffs/{first}/resolve", data={"csrf": token}, follow_redirects=False)
    assert resolved.headers["location"] == f"/handoffs/{second}"  # straight on to the next customer waiting
    assert ana.get("/next", follow_redirects=False).headers["location"] == f"/handoffs/{second}"
    ana.post(f"/handoffs/{second}/claim", data={"csrf": token})
    last = ana.post(f"/handoffs/{second}/resolve", data={"csrf": token}, follow_redirects=False)
    assert last.headers["location"] == f"/handoffs/{second}"  # nobody waiting: stay and see the rating come in
    assert ana.get("/next", follow_redirects=False).headers["location"] == "/queue"


def test_any_conversation_found_by_search_opens_with_or_without_a_handoff(app, settings):  # noqa: F811
    word = f"zebra{uuid.uuid4().hex[:5]}"
    plain, _ = chat(settings, text=f"do you sell {word} print shirts?", handoff=False)
    handed_conv, handed = chat(settings, text=f"{word} shirt arrived torn, get me a person")
    ana = login(app, "ana")

    found = ana.get("/search", params={"q": word}).text
    opened = ana.get(f"/conversations/{plain}")

    assert f"/conversations/{plain}" in found and f"/handoffs/{handed}" in found
    assert opened.status_code == 200 and f"do you sell {word} print shirts?" in opened.text
    assert "never handed to a person" in opened.text
    assert ana.get(f"/conversations/{handed_conv}", follow_redirects=False).headers["location"] == f"/handoffs/{handed}"
    assert ana.get("/conversations/999999").status_code == 404


def test_identities_are_listed_once_each_by_channel_and_id(settings):  # noqa: F811
    conv, _ = chat(settings, handoff=False, names=("Alex Demo", "Alex Demo", "Alex Demo"))

    shown = console_views.profile_for_conversation(unit_of_work(settings), conv).identities

    assert len(shown) == 3 and len(set(shown)) == 3
    assert all(str(s).startswith("rest: r-") and str(s).endswith("(Alex Demo)") for s in shown)


def test_a_customer_who_cannot_receive_live_messages_is_shown_before_the_agent_types(app, settings):  # noqa: F811
    _, handoff_id = chat(settings, channel="rest")  # a REST caller whose client fetches nothing
    ana = login(app, "ana")
    token = csrf_of(ana)
    ana.post(f"/handoffs/{handoff_id}/claim", data={"csrf": token})

    page = ana.get(f"/handoffs/{handoff_id}").text
    refused = ana.post(
        f"/handoffs/{handoff_id}/reply", data={"csrf": token, "text": "hello"}, headers={"Accept": "application/json"}
    )
    ticket = ana.post(f"/handoffs/{handoff_id}/ticket", data={"csrf": token}, follow_redirects=False)

    assert "This customer cannot receive live messages" in page and 'id="reply-text"' not in page
    assert refused.status_code == 409 and "cannot receive live messages" in refused.json()["error"]
    assert ticket.status_code == 303
    view = handoffs.get_handoff(unit_of_work(settings), handoff_id)
    assert view.status == "ticket" and view.ticket_id is not None


def test_labels_away_status_and_the_audit_log(app, settings):  # noqa: F811
    from crm_store.services import audit, handoff_queue

    conv, handoff_id = chat(settings)
    ben = login(app, "ben")
    token = csrf_of(ben)
    page = f"http://127.0.0.1/handoffs/{handoff_id}"
    ben.post(f"/handoffs/{handoff_id}/claim", data={"csrf": token})
    ben.post(
        f"/conversations/{conv}/labels", data={"csrf": token, "label": "  Damaged   Parcel "}, headers={"referer": page}
    )
    ben.post(f"/conversations/{conv}/labels", data={"csrf": token, "label": "vip"}, headers={"referer": page})
    ben.post(f"/conversations/{conv}/labels/remove", data={"csrf": token, "label": "vip"}, headers={"referer": page})
    bad = ben.post(f"/conversations/{conv}/labels", data={"csrf": token, "label": "<b>"})

    assert workspace.labels_by_conversation(unit_of_work(settings), [conv]) == {conv: ["damaged parcel"]}
    assert bad.status_code == 400 and "A label is" in bad.text
    assert "damaged parcel" in ben.get("/queue").text  # on the chat in the left column

    online_before = handoff_queue.agents_online(unit_of_work(settings), datetime.utcnow())
    ben.post("/status", data={"csrf": token, "status": "away"})
    assert "I'm back" in ben.get("/queue").text
    assert handoff_queue.agents_online(unit_of_work(settings), datetime.utcnow()) == online_before - 1
    ben.post("/status", data={"csrf": token, "status": "online"})
    assert handoff_queue.agents_online(unit_of_work(settings), datetime.utcnow()) == online_before

    ben.post(f"/handoffs/{handoff_id}/notes", data={"csrf": token, "text": "photo of the box requested"})
    ben.post(f"/handoffs/{handoff_id}/resolve", data={"csrf": token})
    logged = [(e.action, e.subject_type) for e in audit.recent(unit_of_work(settings), actor="agent:ben")]
    for action, subject in (
        ("claim", "handoff"),
        ("label", "conversation"),
        ("unlabel", "conversation"),
        ("away", "console_user"),
        ("online", "console_user"),
        ("note", "handoff"),
        ("resolve", "handoff"),
    ):
        assert (action, subject) in logged, (action, logged)


def test_canned_replies_fill_from_the_conversation_and_never_show_a_placeholder(app, settings):  # noqa: F811
    from crm_store.models import Order, Ticket
    from crm_store.services import canned
    from crm_store.services.tickets import ticket_number

    visitor_conv, _ = chat(settings, text="hello", handoff=False)
    uow = unit_of_work(settings)
    with uow:
        conv = uow.session.get(Conversation, visitor_conv)
        uow.session.get(Customer, conv.customer_id).name = "webchat customer 3f9c0a1b2c3d"  # made up for a visitor
        uow.commit()
    known_conv, _ = chat(settings, text="my parcel A-10423 arrived damaged", handoff=False)
    now = datetime.utcnow()
    with uow:
        conv = uow.session.get(Conversation, known_conv)
        customer = uow.session.get(Customer, conv.customer_id)
        customer.name = "Alex Demo"
        uow.orders.add(
            Order(
                number="A-99999",
                customer_id=customer.id,
                status="pending",
                stage_entered_at=now,
                placed_at=now,
                total=5,
            )
        )  # newer, but not the one the chat is about
        ticket = Ticket(
            customer_id=customer.id,
            conversation_id=known_conv,
            subject="damaged parcel",
            status="open",
            priority="normal",
            stage_entered_at=now,
            created_at=now,
        )
        uow.session.add(ticket)
        uow.commit()
        ticket_id = ticket.id

    visitor = canned.conversation_variables(unit_of_work(settings), visitor_conv, "Sam")
    known = canned.conversation_variables(unit_of_work(settings), known_conv, "Sam")
    check, opened = canned.DEFAULT_CANNED["Order check"], canned.DEFAULT_CANNED["Ticket opened"]

    assert canned.fill(check, visitor) == "Thanks, I'm checking your order for you right now."
    assert canned.fill(check, known) == "Thanks Alex, I'm checking order A-10423 for you right now."
    assert (
        canned.fill(opened, known)
        == f"I've opened ticket {ticket_number(ticket_id)} for this; our team answers it by email."
    )
    for body in canned.DEFAULT_CANNED.values():
        for filled in (canned.fill(body, visitor), canned.fill(body, {})):
            assert "{" not in filled and "[" not in filled and "  " not in filled and " ," not in filled, filled


def test_the_handoff_reason_is_the_customers_request_in_plain_words(app, settings):  # noqa: F811
    _conv, handoff_id = chat(settings, text="My parcel A-10423 arrived damaged, I want a human")
    ana = login(app, "ana")

    queue_page, page = ana.get("/queue").text, ana.get(f"/handoffs/{handoff_id}").text

    plain = "parcel arrived damaged (order A-10423); asked for a person"
    assert plain in queue_page and f"Reason: {plain}" in page


def test_a_label_finds_its_conversations(app, settings):  # noqa: F811
    conv, _ = chat(settings, text="the box was wet", handoff=False)
    workspace.add_label(unit_of_work(settings), conv, "Water damage", "ana", datetime.utcnow())
    ana = login(app, "ana")

    assert f"/conversations/{conv}" in ana.get("/search", params={"q": "water damage"}).text


def test_the_profile_shows_the_customers_segment_beside_the_conversation(app, settings):  # noqa: F811
    conv_id, _ = chat(settings, handoff=False)
    now = datetime.utcnow()
    uow = unit_of_work(settings)
    with uow:
        customer_id = uow.session.get(Conversation, conv_id).customer_id
        segment = Segment(
            name=f"champions {uuid.uuid4().hex[:6]}", description="bought often and lately", created_at=now, active=True
        )
        uow.session.add(segment)
        uow.session.flush()
        uow.session.add(SegmentMembership(segment_id=segment.id, customer_id=customer_id, assigned_at=now))
        uow.commit()
        name = segment.name
    ana = login(app, "ana")

    page = ana.get(f"/conversations/{conv_id}").text

    assert f"<dt>Segment</dt><dd>{name}</dd>" in page
    assert "not scored yet" in page  # no propensity run yet: said, not invented
