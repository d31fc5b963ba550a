from __future__ import annotations

from typing import Iterator

import pytest
import sanic  # noqa: F401
from sqlalchemy.engine import Engine

from crm_store.db import UnitOfWork, make_engine, migrate
from tests.support.db import postgres_available, postgres_schema, require_service

# Sanic adds a filter showing every DeprecationWarning once, in front of pyproject's filters, when
# it is first imported. Imported here, during pytest's start-up, that filter is dropped with the
# start-up's own warning filters and never overrides the module filters in the test modules.


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Under pytest-xdist (`make test`: --dist loadgroup) the end-to-end tests share one worker, so one
    # stack (Rasa, actions, console; the session fixture in tests/e2e/conftest.py) serves them all and
    # two workers never train the shared project model at once.
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("stack"))


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
