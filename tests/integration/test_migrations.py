from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from crm_store.db import alembic_config, migrate
from crm_store.models import Base

EXPECTED = {
    "customers",
    "channel_identities",
    "conversations",
    "messages",
    "conversation_events",
    "attachments",
    "products",
    "orders",
    "order_items",
    "stage_history",
    "tickets",
    "returns",
    "deals",
    "handoffs",
    "segments",
    "segment_memberships",
    "flags",
    "digests_sent",
}


def test_migrations_create_every_table(engine):
    tables = set(inspect(engine).get_table_names())

    assert EXPECTED <= tables
    assert set(Base.metadata.tables) <= tables


def test_migrating_twice_is_harmless(engine):
    migrate(engine)

    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert len(versions) == 1


def test_downgrade_to_base_and_back(engine):
    cfg = alembic_config(str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert "customers" not in inspect(engine).get_table_names()

    migrate(engine)

    assert EXPECTED <= set(inspect(engine).get_table_names())


def test_sqlite_runs_in_wal_mode(tmp_path):
    from crm_store.db import make_engine

    eng = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with eng.connect() as conn:
        mode = conn.execute(text("PRAGMA journal_mode")).scalar()
    assert mode == "wal"
