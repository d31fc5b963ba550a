"""The handoff state machine: every allowed transition works, every other one is refused
by the service layer (on a real SQLite file)."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta

import pytest

from crm_store import stages
from crm_store.db import UnitOfWork, make_engine, migrate
from crm_store.errors import InvalidTransition
from crm_store.models import StageHistory
from crm_store.services import handoffs

NOW = datetime(2026, 12, 1, 10, 0)
STATES = tuple(stages.TRANSITIONS["handoff"])
LEGAL = {
    ("queued", "claimed"),
    ("queued", "expired"),
    ("queued", "ticket"),
    ("queued", "cancelled"),
    ("claimed", "claimed"),
    ("claimed", "queued"),
    ("claimed", "resolved"),
    ("resolved", "bot"),
    ("expired", "bot"),
    ("ticket", "bot"),
    ("cancelled", "bot"),
}


@pytest.fixture(scope="module")
def uow_factory(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('states') / 'crm.db'}")
    migrate(engine)
    yield lambda: UnitOfWork(engine)
    engine.dispose()


def test_the_table_allows_exactly_the_lifecycle():
    allowed = {(a, b) for a, b in itertools.product(STATES, STATES) if stages.can_move("handoff", a, b)}
    assert allowed == LEGAL
    assert stages.INITIAL["handoff"] == "queued"


def in_state(uow_factory, state: str) -> int:
    """A fresh handoff driven through the services into `state`."""
    h = handoffs.request_handoff(uow_factory(), f"s-{uuid.uuid4().hex[:10]}", "asked for a person", NOW)
    at = NOW + timedelta(minutes=1)
    if state in ("claimed", "resolved"):
        handoffs.claim_handoff(uow_factory(), h.id, "ana", at)
    if state == "resolved":
        handoffs.resolve_handoff(uow_factory(), h.id, "ana", at)
    if state == "expired":
        handoffs.expire_handoff(uow_factory(), h.id, at, "nobody took it")
    if state == "ticket":
        handoffs.ticket_handoff(uow_factory(), h.id, at, "no agent online")
    if state == "cancelled":
        handoffs.cancel_handoff(uow_factory(), h.id, at)
    if state == "bot":
        handoffs.cancel_handoff(uow_factory(), h.id, at)
        handoffs.mark_returned(uow_factory(), h.id, at)
    return h.id


def move(uow_factory, handoff_id: int, target: str):
    at = NOW + timedelta(minutes=2)
    return {
        "claimed": lambda: (
            handoffs.transfer_handoff(uow_factory(), handoff_id, "ana", "ben", at)
            if handoffs.get_handoff(uow_factory(), handoff_id).status == "claimed"
            else handoffs.claim_handoff(uow_factory(), handoff_id, "ana", at)
        ),
        "queued": lambda: handoffs.release_handoff(uow_factory(), handoff_id, "ana", at),
        "resolved": lambda: handoffs.resolve_handoff(uow_factory(), handoff_id, "ana", at),
        "expired": lambda: handoffs.expire_handoff(uow_factory(), handoff_id, at, "nobody took it"),
        "ticket": lambda: handoffs.ticket_handoff(uow_factory(), handoff_id, at, "no agent online"),
        "cancelled": lambda: handoffs.cancel_handoff(uow_factory(), handoff_id, at),
        "bot": lambda: handoffs.mark_returned(uow_factory(), handoff_id, at),
    }[target]()


def history(uow_factory, handoff_id: int) -> list[str]:
    uow = uow_factory()
    with uow:
        rows = (
            uow.session.query(StageHistory)
            .filter_by(process="handoff", process_id=handoff_id)
            .order_by(StageHistory.id)
        )
        return [(r.stage, r.entered_at) for r in rows]


@pytest.mark.parametrize("current,target", sorted(LEGAL))
def test_every_legal_transition_is_made_and_timestamped(uow_factory, current, target):
    handoff_id = in_state(uow_factory, current)

    move(uow_factory, handoff_id, target)

    after = handoffs.get_handoff(uow_factory(), handoff_id)
    if target == "bot":
        assert after.returned_at == NOW + timedelta(minutes=2) and after.status == current
    else:
        assert after.status == target
    assert history(uow_factory, handoff_id)[-1] == (target, NOW + timedelta(minutes=2))


ILLEGAL = sorted(
    (a, b) for a, b in itertools.product(STATES, STATES) if (a, b) not in LEGAL and b != "bot" and a != "bot"
)


@pytest.mark.parametrize("current,target", ILLEGAL)
def test_every_other_transition_is_refused(uow_factory, current, target):
    handoff_id = in_state(uow_factory, current)
    before = history(uow_factory, handoff_id)

    with pytest.raises(InvalidTransition):
        move(uow_factory, handoff_id, target)

    assert handoffs.get_handoff(uow_factory(), handoff_id).status == current
    assert history(uow_factory, handoff_id) == before


@pytest.mark.parametrize("current", ["queued", "claimed"])
def test_an_open_handoff_cannot_be_handed_back(uow_factory, current):
    handoff_id = in_state(uow_factory, current)

    with pytest.raises(InvalidTransition):
        handoffs.mark_returned(uow_factory(), handoff_id, NOW)

    assert handoffs.get_handoff(uow_factory(), handoff_id).returned_at is None


def test_handing_back_twice_records_bot_once(uow_factory):
    handoff_id = in_state(uow_factory, "resolved")

    handoffs.mark_returned(uow_factory(), handoff_id, NOW + timedelta(minutes=3))
    handoffs.mark_returned(uow_factory(), handoff_id, NOW + timedelta(minutes=4))

    assert [s for s, _ in history(uow_factory, handoff_id)] == ["queued", "claimed", "resolved", "bot"]
