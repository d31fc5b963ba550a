"""As-of runs: the same data and the same as-of give the same answer, whatever happened later."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from analytics.asof import BadAsOf, parse_as_of
from analytics.features import customer_features
from crm_store.models import Customer
from tests.integration.test_segmentation import (
    NOW,
    buy_like_a_loyal_customer,
    memberships,
    plant,
    run,
)


def test_later_data_changes_nothing_as_of_the_same_date(engine):
    groups = plant(engine)
    with engine.connect() as conn:
        before = customer_features(conn, NOW)
    first = run(engine, NOW)
    assigned = memberships(engine)
    # What happens after the as-of: a lapsed customer buys a lot, a new customer signs up.
    buy_like_a_loyal_customer(engine, groups["hibernating"][0], NOW + timedelta(days=30))
    with engine.begin() as conn:
        conn.execute(
            insert(Customer).values(
                name="x", email=f"{uuid.uuid4().hex[:12]}@example.com", created_at=NOW + timedelta(days=2)
            )
        )

    with engine.connect() as conn:
        after = customer_features(conn, NOW)
    again = run(engine, NOW)

    assert after.equals(before)
    assert memberships(engine) == assigned
    assert again.summary["moved"] == 0 and again.summary["segments"] == first.summary["segments"]
    assert again.summary["as_of"] == NOW.isoformat()
    # The same data counted from a later date sees the comeback.
    with engine.connect() as conn:
        later = customer_features(conn, NOW + timedelta(days=31))
    assert later.loc[groups["hibernating"][0], "frequency"] > before.loc[groups["hibernating"][0], "frequency"]
    assert len(later) == len(before) + 1


def test_as_of_parsing():
    assert parse_as_of("2011-12-10") == datetime(2011, 12, 10)
    assert parse_as_of("2011-12-10T06:30") == datetime(2011, 12, 10, 6, 30)
    assert parse_as_of("2011-12-10T07:30+01:00") == datetime(2011, 12, 10, 6, 30)
    assert abs(parse_as_of(None) - datetime.utcnow()) < timedelta(seconds=5)
    with pytest.raises(BadAsOf, match="not a date"):
        parse_as_of("last tuesday")


def test_features_from_frames_match_the_sql_features(engine):
    from analytics.features import features_from_frames
    from analytics.frames import load_customers, load_orders

    plant(engine)
    with engine.connect() as conn:
        sql = customer_features(conn, NOW)
        frames = features_from_frames(load_customers(conn, NOW), load_orders(conn, NOW), NOW)

    columns = ["recency_days", "frequency", "monetary", "tenure_days"]
    assert (frames.loc[sql.index, columns] - sql[columns]).abs().max().max() < 1e-6
