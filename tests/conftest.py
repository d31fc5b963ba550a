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


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Under pytest-xdist (`make test`: --dist loadgroup) each test file stays on one worker, so its
    # module fixtures (a trained classifier, a server) are built once; and the end-to-end tests all
    # share one worker, so one stack (Rasa, actions, console; the session fixture in
    # tests/e2e/conftest.py) serves them all and two workers never train the project model at once.
    for item in items:
        path = item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group("stack" if path.startswith("tests/e2e/") else path))


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
