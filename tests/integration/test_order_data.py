"""Shipments, payments, refunds and exchanges: the data order questions are answered from."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from crm_store.models import Customer, Refund, Shipment, StageHistory
from crm_store.seed import seed
from crm_store.services import payments, returns, shipments

NOW = datetime(2026, 3, 2, 10, 0, 0)


def demo_id(uow_factory) -> int:  # type: ignore[no-untyped-def]
    uow = uow_factory()
    with uow:
        return uow.session.scalars(select(Customer.id).where(Customer.email == "alex.demo@example.com")).one()


def test_seed_gives_the_demo_orders_parcels_and_payments(uow_factory):  # type: ignore[no-untyped-def]
    result = seed(uow_factory(), size=10, seed=7, now=NOW)
    demo = demo_id(uow_factory)

    on_its_way = shipments.shipment_of(uow_factory(), "A-10423", demo)
    delivered = shipments.shipment_of(uow_factory(), "A-10425", demo)

    assert result.shipments >= 2 and result.payments >= 3
    assert on_its_way is not None and on_its_way.carrier == "DHL" and on_its_way.status == "in_transit"
    assert on_its_way.eta is not None and on_its_way.eta.date() == (NOW + timedelta(days=2)).date()
    assert on_its_way.tracking_url and on_its_way.tracking_code and on_its_way.tracking_code in on_its_way.tracking_url
    assert delivered is not None and delivered.proof_of_delivery == "left at the front door"
    assert shipments.shipment_of(uow_factory(), "A-10424", demo) is None  # paid, not dispatched


def test_a_duplicate_charge_gets_one_refund_with_a_timeline(uow_factory, engine):  # type: ignore[no-untyped-def]
    seed(uow_factory(), size=3, seed=7, now=NOW)
    demo = demo_id(uow_factory)

    charged = payments.payments_of(uow_factory(), "A-10424", demo)
    first = payments.refund_duplicate_charges(uow_factory(), "A-10424", demo, NOW)
    again = payments.refund_duplicate_charges(uow_factory(), "A-10424", demo, NOW + timedelta(hours=1))

    assert [p.duplicate_of is not None for p in charged] == [False, True]
    assert len(first) == 1 and [r.id for r in again] == [first[0].id]
    refund = first[0]
    assert refund.amount == charged[1].amount and refund.status == "requested" and refund.number.startswith("F-")
    assert refund.expected_by == NOW + timedelta(days=payments.REFUND_DAYS)
    assert refund.timeline == (("requested", NOW),)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Refund).where(Refund.payment_id == charged[1].id)) == 1
        assert (
            conn.scalar(
                select(func.count())
                .select_from(StageHistory)
                .where(StageHistory.process == "refund", StageHistory.process_id == refund.id)
            )
            == 1
        )


def test_an_order_without_duplicates_gets_no_refund(uow_factory):  # type: ignore[no-untyped-def]
    seed(uow_factory(), size=3, seed=7, now=NOW)
    demo = demo_id(uow_factory)

    assert payments.refund_duplicate_charges(uow_factory(), "A-10423", demo, NOW) == []


def test_an_exchange_is_a_return_of_kind_exchange(uow_factory):  # type: ignore[no-untyped-def]
    seed(uow_factory(), size=3, seed=7, now=NOW)
    demo = demo_id(uow_factory)
    item = returns.returnable_items(uow_factory(), "A-10425", demo)[0]

    made = returns.open_return(
        uow_factory(), demo, "A-10425", item, "too small", NOW, kind="exchange", wanted="one size bigger"
    )

    listed = returns.returns_of(uow_factory(), demo)
    assert (made.kind, made.wanted) == ("exchange", "one size bigger")
    assert listed[0].number == made.number and listed[0].kind == "exchange"


def test_seeded_parcels_leave_when_their_order_was_shipped_and_arrive_when_it_was_delivered(uow_factory):  # type: ignore[no-untyped-def]
    seed(uow_factory(), size=40, seed=7, now=NOW)
    uow = uow_factory()
    with uow:
        entered = {
            (p, s): at
            for p, s, at in uow.session.execute(
                select(StageHistory.process_id, StageHistory.stage, StageHistory.entered_at).where(
                    StageHistory.process == "order"
                )
            )
        }
        parcels = uow.session.scalars(select(Shipment)).all()

        assert len(parcels) >= 10
        for parcel in parcels:
            assert parcel.dispatched_at == entered[(parcel.order_id, "shipped")]
            if parcel.delivered_at is not None:
                assert parcel.delivered_at == entered[(parcel.order_id, "delivered")]


def test_a_delivered_order_says_once_when_and_how_it_was_delivered(uow_factory, monkeypatch):  # type: ignore[no-untyped-def]
    from rasa_sdk.executor import CollectingDispatcher

    from actions import orders as order_actions
    from crm_store.services import orders

    seed(uow_factory(), size=3, seed=7, now=NOW)
    monkeypatch.setattr(order_actions, "crm", uow_factory)  # the action's CRM is this test's database
    dispatcher = CollectingDispatcher()

    order_actions.answer_status(dispatcher, orders.lookup(uow_factory(), "A-10425", demo_id(uow_factory)))

    [reply] = dispatcher.messages
    assert reply["response"] == "utter_order_status" and reply["status"] == "delivered"
    assert reply["details"].startswith("DHL delivered it on ") and reply["details"].endswith(
        "(left at the front door)."
    )
    assert "has been delivered" not in reply["details"]
