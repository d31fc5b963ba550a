from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy.engine import Engine

from crm_store.db import UnitOfWork, make_engine, migrate
from tests.support.db import postgres_available, postgres_schema, require_service


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A migrated CRM database, on SQLite and on the machine's PostgreSQL."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'crm.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
    else:
        require_service(postgres_available(), "PostgreSQL at 127.0.0.1:5432")
        with postgres_schema() as (eng, _schema):
            migrate(eng)
            yield eng


@pytest.fixture
def uow_factory(engine: Engine):  # type: ignore[no-untyped-def]
    return lambda: UnitOfWork(engine)
