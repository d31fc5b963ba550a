"""Who will buy: the chance that a customer orders within the next `horizon` days.

Pure pandas and scikit-learn over customer and order frames (analytics/frames.py). Training
examples are snapshots of the past: features as of a date, label "ordered in the following
horizon days", with every label inside the history that is allowed (up to the cut-off). The
model is gradient boosting on RFM and behaviour features; `validate` scores a cut-off against
what happened after it, beside recency alone and an RFM logistic regression.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

HORIZON_DAYS = 90
SNAPSHOTS = 2  # training snapshots, one horizon apart, ending at the cut-off (a third, older one did not help)
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
    """One row per customer with an order on or before `as_of` (index: customer id)."""
    past = orders[orders["placed_at"] <= as_of]
    g = past.groupby("customer_id")
    out = pd.DataFrame(
        {
            "recency_days": (as_of - g["placed_at"].max()) / DAY,
            "first_days": (as_of - g["placed_at"].min()) / DAY,
            "orders": g.size().astype(float),
            "spent": g["total"].sum().astype(float),
        }
    )
    for days in (30, 90, 180, 365):
        recent = past[past["placed_at"] > as_of - timedelta(days=days)].groupby("customer_id")
        out[f"orders_{days}d"] = recent.size().reindex(out.index).fillna(0.0)
    out["spent_90d"] = (
        past[past["placed_at"] > as_of - timedelta(days=90)]
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
    later = orders[(orders["placed_at"] > start) & (orders["placed_at"] <= start + timedelta(days=days))]
    return set(later["customer_id"].astype(np.int64))


def training_set(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    cutoff: datetime,
    horizon: int = HORIZON_DAYS,
    snapshots: int = SNAPSHOTS,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Stacked snapshots at cutoff - horizon, cutoff - 2 horizon, ...; only data up to `cutoff` is read."""
    history = orders[orders["placed_at"] <= cutoff]
    frames, labels = [], []
    for i in range(1, snapshots + 1):
        at = cutoff - timedelta(days=horizon * i)
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


def validate(
    customers: pd.DataFrame, orders: pd.DataFrame, cutoff: datetime, horizon: int = HORIZON_DAYS
) -> Validation:
    """Learn from history up to `cutoff`, score the customers known then, and compare with who
    ordered in the horizon after it: the model, recency alone, and the RFM logistic regression."""
    from sklearn.metrics import roc_auc_score

    history = orders[orders["placed_at"] <= cutoff]
    feats = behaviour_features(customers, history, cutoff)
    truth = feats.index.isin(list(bought_within(orders, cutoff, horizon)))
    scores = {
        "gradient boosting": fit(customers, history, cutoff, horizon).score(feats).to_numpy(),
        "recency alone": -feats["recency_days"].to_numpy(),
        "RFM logistic regression": rfm_logistic(customers, history, cutoff, horizon)(feats),
    }
    auc = {
        k: float(roc_auc_score(truth, v)) if 0 < truth.sum() < len(truth) else float("nan") for k, v in scores.items()
    }
    return Validation(len(feats), int(truth.sum()), auc, {k: precision_at(v, truth) for k, v in scores.items()})
