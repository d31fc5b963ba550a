"""PostgreSQL's own log keeps no values of a failed statement from our sessions: a refused insert
(here a duplicate email) leaves the error there, not the row it carried. Read from the real
server's log file through the superuser test role."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from crm_store.db import make_engine
from crm_store.models import Customer
from tests.support.db import POSTGRES_URL, migrated, postgres_available, postgres_schema

LOG_DIR = "/var/log/postgresql"


def server_log() -> str:
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.connect() as conn:
            names = (
                conn.execute(text("SELECT name FROM pg_ls_dir(:d) AS name WHERE name LIKE '%.log'"), {"d": LOG_DIR})
                .scalars()
                .all()
            )
            return "".join(
                conn.execute(text("SELECT pg_read_file(:p)"), {"p": f"{LOG_DIR}/{n}"}).scalar() or "" for n in names
            )
    except Exception:  # noqa: BLE001 - no such folder or no right to read it: nothing to check here
        return ""
    finally:
        admin.dispose()


def test_a_refused_insert_leaves_no_values_in_the_server_log():
    if not postgres_available() or not server_log():
        pytest.skip("PostgreSQL or its log file is not reachable")
    marker = f"leak-{uuid.uuid4().hex[:12]}@example.com"
    with postgres_schema() as (engine, _):
        migrated(engine)
        with engine.begin() as conn:
            conn.execute(Customer.__table__.insert().values(name="A", email=marker, created_at=datetime.utcnow()))
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(Customer.__table__.insert().values(name="B", email=marker, created_at=datetime.utcnow()))
        with engine.connect() as conn:
            assert conn.execute(text("SHOW log_min_error_statement")).scalar() == "panic"

    log = server_log()
    assert "uq_customers_email" in log  # the error itself is still there for the operator
    assert marker not in log
