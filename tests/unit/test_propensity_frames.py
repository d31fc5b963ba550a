"""Propensity features on frames: a credit note is no purchase, and the training snapshots stay
inside the history, one every STEP_DAYS."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from analytics.propensity import HORIZON_DAYS, STEP_DAYS, behaviour_features, bought_within, training_set

AS_OF = datetime(2011, 9, 10)


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customer 1: a sale 100 days before the as-of, credited back in part 5 days before it.
    Customer 2: a sale 20 days before."""
    at = [AS_OF - timedelta(days=d) for d in (100, 5, 20)]
    orders = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "number": ["1", "C2", "3"],
            "customer_id": [1, 1, 2],
            "placed_at": pd.to_datetime(at),
            "total": [100.0, -40.0, 30.0],
            "kind": ["order", "credit_note", "order"],
        }
    )
    customers = pd.DataFrame({"id": [1, 2], "created_at": pd.to_datetime([at[0], at[2]])})
    return customers, orders


def test_a_credit_note_is_not_a_purchase_but_comes_off_the_spend():
    customers, orders = frames()

    feats = behaviour_features(customers, orders, AS_OF)

    assert feats.loc[1, "orders"] == 1 and feats.loc[1, "recency_days"] == 100
    assert feats.loc[1, "spent"] == 60 and feats.loc[1, "spent_90d"] == -40
    assert bought_within(orders, AS_OF - timedelta(days=10), 10) == set()
    assert bought_within(orders, AS_OF - timedelta(days=30), 30) == {2}


def test_snapshots_have_their_labels_inside_the_history_one_every_step():
    days = range(0, 400, 3)
    orders = pd.DataFrame(
        {
            "id": list(days),
            "customer_id": [d % 7 for d in days],
            "placed_at": pd.to_datetime([AS_OF - timedelta(days=d) for d in days]),
            "total": 10.0,
            "kind": "order",
        }
    )
    customers = pd.DataFrame({"id": range(7), "created_at": pd.to_datetime([AS_OF - timedelta(days=400)] * 7)})
    later = orders.assign(placed_at=orders["placed_at"] + timedelta(days=500))

    x, y = training_set(customers, pd.concat([orders, later]), AS_OF)

    # every snapshot leaves at least 30 days of history before it: 400 - 90 - 30 = 280 days to go back
    assert len(x) == 7 * (1 + 280 // STEP_DAYS)
    assert y.all() and HORIZON_DAYS == 90
