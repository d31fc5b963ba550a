"""Deals: business inquiries captured by the lead form start in stage "new"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import Deal


@dataclass(frozen=True)
class Lead:
    contact_name: str
    company: str
    email: str
    phone: str
    volume: str


@dataclass(frozen=True)
class DealView:
    id: int
    number: str
    title: str
    stage: str
    created_at: datetime


def deal_number(deal_id: int) -> str:
    return f"D-{deal_id:05d}"


def create_lead(uow: UnitOfWork, lead: Lead, now: datetime, customer_id: int | None = None) -> DealView:
    with uow:
        deal = uow.deals.add(
            Deal(
                customer_id=customer_id,
                title=f"Business inquiry from {lead.company}"[:200],
                contact_name=lead.contact_name[:200],
                company=lead.company[:200],
                email=lead.email[:320],
                phone=lead.phone[:40],
                volume=lead.volume[:100],
                stage=stages.INITIAL["deal"],
                stage_entered_at=now,
                created_at=now,
            )
        )
        stages.record_stage(uow.session, "deal", deal.id, deal.stage, now, note="lead form in chat")
        uow.commit()
        return DealView(deal.id, deal_number(deal.id), deal.title, deal.stage, deal.created_at)
