"""Dialect-aware helpers the services share."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_conflict(session: Session, model: Any, values: dict[str, Any], key: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when a row was inserted.

    The unique key decides, not a look-up first, so two writers racing on the
    same key still leave exactly one row.
    """
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(model.__table__).values(**values).on_conflict_do_nothing(index_elements=key)
    result = session.execute(stmt)
    return bool(result.rowcount)
