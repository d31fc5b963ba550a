""" "Any news on my ticket?": the latest update the team made or wrote, never an internal note
(the real ticket-status action against a real CRM, SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from rasa_sdk.executor import CollectingDispatcher

from crm_store import stages
from crm_store.models import ConversationNote, Message, Ticket
from crm_store.services import tickets
from tests.support.action_calls import DOMAIN, replies, tracker


def ask(sender: str, text: str) -> str:
    from actions.tickets import ActionTicketStatus

    dispatcher = CollectingDispatcher()
    ActionTicketStatus().run(dispatcher, tracker(sender, text, intent="ticket_status"), DOMAIN)
    return replies(dispatcher)


def test_any_news_reports_what_the_agent_wrote_last_and_not_the_private_note(uow_factory, chat):
    sender, owner = chat
    opened = datetime.utcnow() - timedelta(days=2)
    ticket = tickets.open_ticket(uow_factory(), owner, "Complaint: late delivery", opened, sender_id=sender)
    uow = uow_factory()
    with uow:
        row = uow.session.get(Ticket, ticket.id)
        stages.move(uow.session, "ticket", row, "in_progress", opened + timedelta(hours=3), note="we asked the carrier")
        uow.session.add(
            Message(
                conversation_id=row.conversation_id,
                event_key=uuid.uuid4().hex,
                direction="out",
                author="agent",
                text="DHL found the parcel, it goes out again tomorrow",
                sent_at=opened + timedelta(days=1),
            )
        )
        uow.session.add(
            ConversationNote(
                conversation_id=row.conversation_id,
                author="agent",
                text="customer seems nice",
                created_at=opened + timedelta(days=1, hours=1),
            )
        )
        uow.commit()

    reply = ask(sender, "any news on my complaint?")

    assert f"Latest update on {ticket.number}" in reply and "DHL found the parcel, it goes out again tomorrow" in reply
    assert "customer seems nice" not in reply


def test_a_stage_note_is_the_update_when_nobody_wrote(uow_factory, chat):
    sender, owner = chat
    opened = datetime.utcnow() - timedelta(days=1)
    ticket = tickets.open_ticket(uow_factory(), owner, "Payment problem", opened, sender_id=sender)
    uow = uow_factory()
    with uow:
        stages.move(
            uow.session,
            "ticket",
            uow.session.get(Ticket, ticket.id),
            "waiting",
            opened + timedelta(hours=2),
            note="waiting for the bank's answer",
        )
        uow.commit()

    reply = ask(sender, f"what's happening with {ticket.number}")

    assert "waiting for the bank's answer" in reply and ticket.number in reply


def test_no_update_yet_is_said_plainly(uow_factory, chat):
    sender, owner = chat
    tickets.open_ticket(uow_factory(), owner, "Complaint", datetime.utcnow(), sender_id=sender)

    assert "no update from our team yet" in ask(sender, "any news?")
