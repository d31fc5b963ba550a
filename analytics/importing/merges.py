"""The merge log: list what an import merged, and undo one merge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.models import ChannelIdentity, Customer, CustomerMerge


class MergeError(CrmError):
    pass


@dataclass(frozen=True)
class MergeView:
    id: int
    import_run: str
    kept_customer_id: int
    source: str
    reason: str
    merged_at: datetime
    undone_at: datetime | None
    split_customer_id: int | None


def list_merges(uow: UnitOfWork, run: str | None = None, limit: int = 200) -> list[MergeView]:
    with uow:
        stmt = select(CustomerMerge).order_by(CustomerMerge.id).limit(limit)
        if run:
            stmt = stmt.where(CustomerMerge.import_run == run)
        return [_view(m) for m in uow.session.scalars(stmt)]


def undo_merge(uow: UnitOfWork, merge_id: int, now: datetime) -> MergeView:
    """Give the merged row back its own customer: the kept customer loses the fields and identities
    the merge gave it, and a new customer is made from the imported row."""
    with uow:
        s = uow.session
        merge = s.get(CustomerMerge, merge_id)
        if merge is None:
            raise MergeError(f"there is no merge {merge_id} in the merge log")
        if merge.undone_at is not None:
            raise MergeError(f"merge {merge_id} was already undone on {merge.undone_at:%Y-%m-%d %H:%M}")
        kept = s.get(Customer, merge.kept_customer_id)
        row = merge.row
        for field, old in (merge.changes.get("fields") or {}).items():
            if getattr(kept, field) == row.get(field) or (field == "address" and old is None):
                setattr(kept, field, old)
        for identity_id in merge.changes.get("identity_ids") or []:
            identity = s.get(ChannelIdentity, identity_id)
            if identity is not None and identity.customer_id == kept.id:
                s.delete(identity)
        s.flush()
        email = row.get("email")
        if email and s.scalar(select(Customer.id).where(Customer.email == email)) is not None:
            email = None  # the kept customer had this address before the merge: it stays theirs
        created = datetime.fromisoformat(row["created_at"]) if row.get("created_at") else now
        address = ", ".join(p for p in (row.get("address"), row.get("city")) if p) or None
        split = Customer(name=row["name"], email=email, phone=row.get("phone"), address=address, created_at=created)
        s.add(split)
        s.flush()
        merge.undone_at, merge.split_customer_id = now, split.id
        uow.commit()
        return _view(merge)


def _view(m: CustomerMerge) -> MergeView:
    return MergeView(
        m.id, m.import_run, m.kept_customer_id, m.source, m.reason, m.merged_at, m.undone_at, m.split_customer_id
    )
