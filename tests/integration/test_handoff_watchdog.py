"""The watchdog with a frozen clock, on SQLite and PostgreSQL, mailing a real SMTP server."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from analytics.jobs import load_jobs, run_job
from crm_store.models import Ticket
from crm_store.services import console_users, handoffs, workspace
from crm_store.services.handoff_watchdog import escalate_stale_handoffs
from crm_store.settings import Settings
from tests.integration.test_handoff_lifecycle import a_chat
from bot.local_stack import free_port

T = datetime(2026, 12, 1, 10, 0)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def settings_for(port: int) -> Settings:
    return Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        support_team_email="team@shop.example",
        mail_from="crmbot@shop.example",
        handoff_escalate_minutes=10,
        handoff_no_agent_minutes=5,
        handoff_expire_minutes=60,
    )


def agent_online(uow_factory, at: datetime) -> None:
    user = console_users.add_user(uow_factory(), f"ana-{uuid.uuid4().hex[:6]}", "agent", "secret-password", at)
    console_users.touch(uow_factory(), user.id, at)


def test_unclaimed_handoff_is_escalated_once_with_an_email(uow_factory, smtp):
    controller, inbox = smtp
    settings = settings_for(controller.port)
    handoff = handoffs.request_handoff(uow_factory(), a_chat(uow_factory), "asked for a person", T)
    agent_online(uow_factory, T + timedelta(minutes=9))

    early = escalate_stale_handoffs(uow_factory, settings, T + timedelta(minutes=9))
    agent_online(uow_factory, T + timedelta(minutes=10))
    due = escalate_stale_handoffs(uow_factory, settings, T + timedelta(minutes=10))
    again = escalate_stale_handoffs(uow_factory, settings, T + timedelta(minutes=11))  # a restart reads the same rows

    assert (early, due, again) == (0, 1, 0)
    row = handoffs.get_handoff(uow_factory(), handoff.id)
    assert (row.status, row.priority) == ("queued", "high")
    assert len(inbox.messages) == 1
    sender, recipients, content = inbox.messages[0]
    assert recipients == ["team@shop.example"] and f"Handoff {handoff.id} has waited 10 minutes" in content


def test_escalation_waits_for_the_mail_server(uow_factory, smtp):
    controller, inbox = smtp
    handoff = handoffs.request_handoff(uow_factory(), a_chat(uow_factory), "asked for a person", T)
    agent_online(uow_factory, T + timedelta(minutes=10))

    refused = escalate_stale_handoffs(
        uow_factory, settings_for(free_port()), T + timedelta(minutes=10)
    )  # nothing listens
    assert refused == 0 and handoffs.get_handoff(uow_factory(), handoff.id).priority == "normal"

    retried = escalate_stale_handoffs(uow_factory, settings_for(controller.port), T + timedelta(minutes=10, seconds=30))
    assert retried == 1 and handoffs.get_handoff(uow_factory(), handoff.id).priority == "high"
    assert len(inbox.messages) == 1


def test_with_no_agent_online_the_handoff_becomes_a_ticket(uow_factory, smtp):
    controller, _inbox = smtp
    handoff = handoffs.request_handoff(uow_factory(), a_chat(uow_factory), "asked for a person", T)

    assert escalate_stale_handoffs(uow_factory, settings_for(controller.port), T + timedelta(minutes=4)) == 0
    assert escalate_stale_handoffs(uow_factory, settings_for(controller.port), T + timedelta(minutes=5)) == 1

    row = handoffs.get_handoff(uow_factory(), handoff.id)
    assert row.status == "ticket" and row.returned_at is None  # the queue monitor hands it back
    uow = uow_factory()
    with uow:
        ticket = uow.session.get(Ticket, row.ticket_id)
        assert "no agent online" in ticket.subject and "customer: I want a person" in ticket.description


def test_a_handoff_nobody_takes_expires_into_a_ticket(uow_factory, smtp):
    controller, _inbox = smtp
    handoff = handoffs.request_handoff(uow_factory(), a_chat(uow_factory), "asked for a person", T)
    agent_online(uow_factory, T + timedelta(minutes=60))

    escalate_stale_handoffs(uow_factory, settings_for(controller.port), T + timedelta(minutes=60))

    row = handoffs.get_handoff(uow_factory(), handoff.id)
    assert row.status == "expired" and row.ticket_id
    uow = uow_factory()
    with uow:
        assert uow.session.scalars(select(Ticket.id).where(Ticket.conversation_id == row.conversation_id)).all() == [
            row.ticket_id
        ]


def test_a_claimed_handoff_is_left_alone(uow_factory, smtp):
    controller, inbox = smtp
    handoff = handoffs.request_handoff(uow_factory(), a_chat(uow_factory), "asked for a person", T)
    handoffs.claim_handoff(uow_factory(), handoff.id, "ana", T + timedelta(minutes=1))

    assert escalate_stale_handoffs(uow_factory, settings_for(controller.port), T + timedelta(hours=3)) == 0
    assert handoffs.get_handoff(uow_factory(), handoff.id).status == "claimed" and inbox.messages == []


def test_the_watchdog_is_a_job_of_the_shared_scheduler(engine, uow_factory, smtp):
    controller, _inbox = smtp
    handoff = handoffs.request_handoff(uow_factory(), a_chat(uow_factory), "asked for a person", T)
    away = console_users.add_user(uow_factory(), f"bo-{uuid.uuid4().hex[:6]}", "agent", "secret-password", T)
    console_users.touch(uow_factory(), away.id, T + timedelta(minutes=5))
    workspace.set_away(uow_factory(), away.username, True, T + timedelta(minutes=5))  # at the console, but away

    result = run_job(load_jobs()["handoff_watchdog"], settings_for(controller.port), engine, T + timedelta(minutes=5))

    at = T + timedelta(minutes=5)
    assert (result.status, result.rows, result.summary) == ("ok", 1, {"acted_on": 1, "as_of": at.isoformat()})
    assert handoffs.get_handoff(uow_factory(), handoff.id).status == "ticket"  # nobody online: a ticket
