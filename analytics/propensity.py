"""Who will buy: the chance that a customer orders within the next `horizon` days.

Pure pandas and scikit-learn over customer and order frames (analytics/frames.py). Training
examples are snapshots of the past: features as of a date, label "ordered in the following
horizon days", with every label inside the history that is allowed (up to the cut-off): one
snapshot every STEP_DAYS back from cut-off - horizon, each label window the same length as the
one scored, so the model learns from more examples than one window gives. The model is gradient
boosting on RFM and behaviour features; `validate` scores a cut-off against what happened after
it, beside recency alone and an RFM logistic regression.

Credit notes (orders.kind "credit_note") are no purchase: order counts, recency and the label
read sales only, and spend is net of what was credited back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from analytics.frames import sales

HORIZON_DAYS = 90
# Training snapshots: every STEP_DAYS back from cut-off - horizon (label windows overlap), as many
# as have MIN_HISTORY_DAYS of orders before them, at most SNAPSHOTS. Chosen on the Online Retail
# validation cut-off (bench/retail_propensity.py; docs/managers.md): every 30 days beat one
# horizon apart and every 7 or 14 days, by less than 0.003 of AUC.
STEP_DAYS = 30
SNAPSHOTS = 12
MIN_HISTORY_DAYS = 30
SEED = 7
DAY = np.timedelta64(1, "D")
MONOTONE = {
    "recency_days": -1,
    "orders": 1,
    "spent": 1,
    "orders_30d": 1,
    "orders_90d": 1,
    "orders_180d": 1,
    "orders_365d": 1,
    "spent_90d": 1,
    "active_months": 1,
}


def behaviour_features(customers: pd.DataFrame, orders: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """One row per customer with a sale on or before `as_of` (index: customer id)."""
    upto = orders[orders["placed_at"] <= as_of]
    past = sales(upto)
    g = past.groupby("customer_id")
    out = pd.DataFrame(
        {
            "recency_days": (as_of - g["placed_at"].max()) / DAY,
            "first_days": (as_of - g["placed_at"].min()) / DAY,
            "orders": g.size().astype(float),
        }
    )
    out["spent"] = upto.groupby("customer_id")["total"].sum().reindex(out.index).astype(float)  # net of credit notes
    for days in (30, 90, 180, 365):
        recent = past[past["placed_at"] > as_of - timedelta(days=days)].groupby("customer_id")
        out[f"orders_{days}d"] = recent.size().reindex(out.index).fillna(0.0)
    out["spent_90d"] = (
        upto[upto["placed_at"] > as_of - timedelta(days=90)]
        .groupby("customer_id")["total"]
        .sum()
        .reindex(out.index)
        .fillna(0.0)
    )
    out["avg_order"] = out["spent"] / out["orders"]
    # Mean days between orders; a one-order customer's gap is unknown (their tenure stands in).
    out["mean_gap"] = np.where(
        out["orders"] > 1,
        (out["first_days"] - out["recency_days"]) / (out["orders"] - 1).clip(lower=1),
        out["first_days"],
    )
    out["overdue"] = out["recency_days"] / out["mean_gap"].clip(lower=1)
    out["active_months"] = (
        past.assign(m=past["placed_at"].dt.to_period("M"))
        .groupby("customer_id")["m"]
        .nunique()
        .reindex(out.index)
        .astype(float)
    )
    known = customers.set_index("id")["created_at"].reindex(out.index)
    out["tenure_days"] = ((as_of - known) / DAY).fillna(out["first_days"])
    out.index.name = "customer_id"
    return out


def bought_within(orders: pd.DataFrame, start: datetime, days: int = HORIZON_DAYS) -> set[int]:
    """Customers with a sale (not a credit note) in (start, start + days]."""
    orders = sales(orders)
    later = orders[(orders["placed_at"] > start) & (orders["placed_at"] <= start + timedelta(days=days))]
    return set(later["customer_id"].astype(np.int64))


def training_set(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    cutoff: datetime,
    horizon: int = HORIZON_DAYS,
    snapshots: int = SNAPSHOTS,
    step: int = STEP_DAYS,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Stacked snapshots at cutoff - horizon, then every `step` days further back while there are
    MIN_HISTORY_DAYS of sales before one; only data up to `cutoff` is read."""
    history = orders[orders["placed_at"] <= cutoff]
    frames, labels = [], []
    first = sales(history)["placed_at"].min()
    for i in range(snapshots):
        at = cutoff - timedelta(days=horizon + step * i)
        if i and not (at - first >= timedelta(days=MIN_HISTORY_DAYS)):
            break
        feats = behaviour_features(customers, history, at)
        if feats.empty:
            continue
        buyers = bought_within(history, at, horizon)
        frames.append(feats)
        labels.append(feats.index.isin(list(buyers)))
    if not frames:
        return pd.DataFrame(), np.array([], dtype=bool)
    return pd.concat(frames), np.concatenate(labels)


@dataclass
class PropensityModel:
    model: object
    columns: list[str]
    trained_rows: int
    base_rate: float

    def score(self, features: pd.DataFrame) -> pd.Series:
        if self.model is None:
            return pd.Series(self.base_rate, index=features.index)
        return pd.Series(self.model.predict_proba(features[self.columns].to_numpy())[:, 1], index=features.index)  # type: ignore[attr-defined]


def fit(
    customers: pd.DataFrame, orders: pd.DataFrame, cutoff: datetime, horizon: int = HORIZON_DAYS
) -> PropensityModel:
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, y = training_set(customers, orders, cutoff, horizon)
    base = float(y.mean()) if len(y) else 0.0
    if len(y) < 50 or y.all() or not y.any():
        return PropensityModel(None, list(x.columns), len(y), base)  # too little to learn from: the base rate
    # Shallow trees, and more recent or more frequent never lowers the score: the training windows
    # fall in other seasons than the one scored, and unconstrained trees learnt their quirks.
    cst = [MONOTONE.get(c, 0) for c in x.columns]
    model = HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.05, max_depth=3, min_samples_leaf=50, monotonic_cst=cst, random_state=SEED
    ).fit(x.to_numpy(), y)
    return PropensityModel(model, list(x.columns), len(y), base)


def rfm_logistic(customers: pd.DataFrame, orders: pd.DataFrame, cutoff: datetime, horizon: int = HORIZON_DAYS):  # type: ignore[no-untyped-def]
    """The baseline: logistic regression on log recency, log order count and log spend."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = training_set(customers, orders, cutoff, horizon)
    cols = ["recency_days", "orders", "spent"]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(np.log1p(x[cols].clip(lower=0)), y)
    return lambda feats: model.predict_proba(np.log1p(feats[cols].clip(lower=0)))[:, 1]


def precision_at(scores: np.ndarray, truth: np.ndarray, share: float = 0.1) -> float:
    top = np.argsort(-scores, kind="mergesort")[: max(1, int(round(len(scores) * share)))]
    return float(truth[top].mean())


@dataclass(frozen=True)
class Validation:
    customers: int
    buyers: int
    auc: dict[str, float]  # model name -> ROC AUC
    precision_top_decile: dict[str, float]
    expected_buyers: float  # sum of the model's scores: a calibrated model expects about `buyers`
    training_rows: int


def validate(
    customers: pd.DataFrame, orders: pd.DataFrame, cutoff: datetime, horizon: int = HORIZON_DAYS
) -> Validation:
    """Learn from history up to `cutoff`, score the customers known then, and compare with who
    ordered in the horizon after it: the model, recency alone, and the RFM logistic regression."""
    from sklearn.metrics import roc_auc_score

    history = orders[orders["placed_at"] <= cutoff]
    feats = behaviour_features(customers, history, cutoff)
    truth = feats.index.isin(list(bought_within(orders, cutoff, horizon)))
    model = fit(customers, history, cutoff, horizon)
    scores = {
        "gradient boosting": model.score(feats).to_numpy(),
        "recency alone": -feats["recency_days"].to_numpy(),
        "RFM logistic regression": rfm_logistic(customers, history, cutoff, horizon)(feats),
    }
    auc = {
        k: float(roc_auc_score(truth, v)) if 0 < truth.sum() < len(truth) else float("nan") for k, v in scores.items()
    }
    return Validation(
        len(feats),
        int(truth.sum()),
        auc,
        {k: precision_at(v, truth) for k, v in scores.items()},
        float(scores["gradient boosting"].sum()),
        model.trained_rows,
    )
