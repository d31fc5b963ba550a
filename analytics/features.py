"""Customer features, aggregated by SQL in the database, and their cleaning.

One query per run: every aggregate is a GROUP BY subquery joined to customers, so the
database does the counting and Python receives one row per customer.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

FEATURES = ("recency_days", "frequency", "monetary", "return_rate", "ticket_rate", "conversations",
            "handoffs", "fallbacks", "csat", "telegram_share", "tenure_days")
# Heavy-tailed features are compared on a log scale.
LOG_SCALED = ("recency_days", "frequency", "monetary", "ticket_rate", "conversations", "handoffs", "fallbacks", "tenure_days")


def _days(dialect: str, start: str) -> str:
    if dialect == "postgresql":
        return f"(EXTRACT(EPOCH FROM (CAST(:now AS TIMESTAMP) - {start})) / 86400.0)"
    return f"(julianday(:now) - julianday({start}))"


def customer_features(conn: Connection, now: datetime) -> pd.DataFrame:
    """One row per customer known at `now` (index customer_id) with the raw FEATURES, counting only what
    happened up to `now` (the run's as-of); NaN where there is nothing to measure."""
    d = conn.dialect.name
    sql = f"""
    SELECT c.id AS customer_id,
           {_days(d, 'o.last_order')} AS recency_days,
           COALESCE(o.n, 0) AS frequency,
           COALESCE(o.spent, 0) AS monetary,
           COALESCE(r.n, 0) AS returns,
           COALESCE(t.n, 0) AS tickets,
           COALESCE(cv.n, 0) AS conversations,
           cv.telegram AS telegram,
           COALESCE(h.n, 0) AS handoffs,
           COALESCE(fb.n, 0) AS fallbacks,
           f.csat AS csat,
           {_days(d, 'c.created_at')} AS tenure_days
    FROM customers c
    LEFT JOIN (SELECT customer_id, COUNT(*) AS n, SUM(total) AS spent, MAX(placed_at) AS last_order
               FROM orders WHERE placed_at <= :now GROUP BY customer_id) o ON o.customer_id = c.id
    LEFT JOIN (SELECT customer_id, COUNT(*) AS n FROM returns WHERE created_at <= :now GROUP BY customer_id) r ON r.customer_id = c.id
    LEFT JOIN (SELECT customer_id, COUNT(*) AS n FROM tickets WHERE created_at <= :now GROUP BY customer_id) t ON t.customer_id = c.id
    LEFT JOIN (SELECT customer_id, COUNT(*) AS n, SUM(CASE WHEN channel = 'telegram' THEN 1 ELSE 0 END) AS telegram
               FROM conversations WHERE customer_id IS NOT NULL AND started_at <= :now GROUP BY customer_id) cv ON cv.customer_id = c.id
    LEFT JOIN (SELECT v.customer_id, COUNT(*) AS n FROM handoffs x JOIN conversations v ON v.id = x.conversation_id
               WHERE v.customer_id IS NOT NULL AND x.requested_at <= :now GROUP BY v.customer_id) h ON h.customer_id = c.id
    LEFT JOIN (SELECT v.customer_id, COUNT(*) AS n FROM messages m JOIN conversations v ON v.id = m.conversation_id
               WHERE v.customer_id IS NOT NULL AND m.direction = 'in' AND m.intent = 'nlu_fallback' AND m.sent_at <= :now
               GROUP BY v.customer_id) fb ON fb.customer_id = c.id
    LEFT JOIN (SELECT customer_id, AVG(rating) AS csat FROM feedback WHERE created_at <= :now GROUP BY customer_id) f ON f.customer_id = c.id
    WHERE c.created_at <= :now
    """
    # Typed, so SQLite compares it in the stored text format (a bare datetime binds without microseconds).
    result = conn.execute(text(sql).bindparams(bindparam("now", type_=DateTime())), {"now": now})
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    frame = frame.set_index("customer_id").astype(float)
    orders = frame["frequency"]
    frame["return_rate"] = np.where(orders > 0, frame["returns"] / orders.where(orders > 0, 1), np.nan)
    frame["ticket_rate"] = frame["tickets"] / orders.clip(lower=1)
    frame["telegram_share"] = np.where(frame["conversations"] > 0, frame["telegram"] / frame["conversations"].clip(lower=1), np.nan)
    return frame[list(FEATURES)]


@dataclass(frozen=True)
class Cleaning:
    missing: dict[str, int]
    clipped: dict[str, int]
    bounds: dict[str, tuple[float, float]]
    fill: dict[str, float]


def clean(frame: pd.DataFrame) -> tuple[pd.DataFrame, Cleaning]:
    """Fill missing values, winsorise outliers at the 0.5 % / 99.5 % quantiles; counts are logged."""
    data = frame.copy()
    missing = {c: int(n) for c, n in data.isna().sum().items() if n}
    fill: dict[str, float] = {}
    # Never bought: as lapsed as their whole tenure. No rating: the typical rating. No chat: no channel lean.
    data["recency_days"] = data["recency_days"].fillna(data["tenure_days"])
    data["return_rate"] = data["return_rate"].fillna(0.0)
    csat_median = float(data["csat"].median()) if data["csat"].notna().any() else 3.0
    data["csat"] = data["csat"].fillna(csat_median)
    fill["csat"] = csat_median
    data["telegram_share"] = data["telegram_share"].fillna(0.5)
    data = data.fillna(0.0)
    clipped: dict[str, int] = {}
    bounds: dict[str, tuple[float, float]] = {}
    for column in data.columns:
        lo, hi = (float(v) for v in data[column].quantile([0.005, 0.995]))
        if hi <= lo:
            continue  # almost constant (e.g. nearly nobody has a handoff): nothing to clip
        outside = int(((data[column] < lo) | (data[column] > hi)).sum())
        if outside:
            clipped[column] = outside
            data[column] = data[column].clip(lo, hi)
        bounds[column] = (lo, hi)
    data["recency_days"] = data["recency_days"].clip(lower=0)
    data["tenure_days"] = data["tenure_days"].clip(lower=0)
    report = Cleaning(missing, clipped, bounds, fill)
    log.info("customer features cleaned", extra={"customers": len(data), "missing": missing, "clipped": clipped})
    return data, report


@dataclass(frozen=True)
class Scaler:
    mean: np.ndarray
    std: np.ndarray

    @staticmethod
    def fit(data: pd.DataFrame) -> Scaler:
        logged = to_log(data.to_numpy())
        std = logged.std(axis=0)
        return Scaler(logged.mean(axis=0), np.where(std > 0, std, 1.0))

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (to_log(values) - self.mean) / self.std

    def inverse(self, scaled: np.ndarray) -> np.ndarray:
        return from_log(scaled * self.std + self.mean)


_LOG_MASK = np.array([f in LOG_SCALED for f in FEATURES])


def to_log(values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=float, copy=True)
    out[..., _LOG_MASK] = np.log1p(np.clip(out[..., _LOG_MASK], 0, None))
    return out


def from_log(values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=float, copy=True)
    out[..., _LOG_MASK] = np.expm1(out[..., _LOG_MASK])
    return out
