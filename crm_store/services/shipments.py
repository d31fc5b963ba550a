"""Shipments: where an order's parcel is, when it arrives, and what the carrier says happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.models import Order, Shipment
from crm_store.services.orders import canonical_number

TRACKING_URLS = {
    "DHL": "https://www.dhl.de/en/privatkunden/dhl-sendungsverfolgung.html?piececode={code}",
    "DPD": "https://tracking.dpd.de/status/en_US/parcel/{code}",
    "UPS": "https://www.ups.com/track?tracknum={code}",
}


@dataclass(frozen=True)
class ShipmentView:
    order_number: str
    carrier: str
    tracking_code: str | None
    tracking_url: str | None
    status: str
    dispatched_at: datetime | None
    eta: datetime | None
    delivered_at: datetime | None
    delivery_attempts: int
    proof_of_delivery: str | None


def tracking_url(carrier: str, code: str | None) -> str | None:
    template = TRACKING_URLS.get(carrier)
    return template.format(code=code) if template and code else None


def shipment_of(uow: UnitOfWork, order_number: str, customer_id: int) -> ShipmentView | None:
    """The parcel of the customer's own order, or None if it has not left the warehouse."""
    canonical = canonical_number(order_number)
    with uow:
        row = uow.session.execute(
            select(Shipment, Order.number)
            .join(Order, Shipment.order_id == Order.id)
            .where(Order.number == canonical, Order.customer_id == customer_id)
        ).first()
        return _view(*row) if row else None


def _view(row: Shipment, number: str) -> ShipmentView:
    return ShipmentView(
        number,
        row.carrier,
        row.tracking_code,
        row.tracking_url,
        row.status,
        row.dispatched_at,
        row.eta,
        row.delivered_at,
        row.delivery_attempts or 0,
        row.proof_of_delivery,
    )
