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

from analytics.frames import sales

log = logging.getLogger(__name__)

FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "return_rate",
    "ticket_rate",
    "conversations",
    "handoffs",
    "fallbacks",
    "csat",
    "telegram_share",
    "tenure_days",
)
# Heavy-tailed features are compared on a log scale.
LOG_SCALED = (
    "recency_days",
    "frequency",
    "monetary",
    "ticket_rate",
    "conversations",
    "handoffs",
    "fallbacks",
    "tenure_days",
)


def _days(dialect: str, start: str) -> str:
    if dialect == "postgresql":
        return f"(EXTRACT(EPOCH FROM (CAST(:now AS TIMESTAMP) - {start})) / 86400.0)"
    return f"(julianday(:now) - julianday({start}))"


# The orders that count, as analytics/frames.py counted() says: sales not cancelled, and credit notes
# except the mirror of an order cancelled by its status; spend is then net of credit notes.
COUNTED = (
    "((kind = 'order' AND status NOT IN ('cancelled', 'canceled')) OR (kind <> 'order' AND "
    "(credit_for_order_id IS NULL OR credit_for_order_id NOT IN "
    "(SELECT id FROM orders WHERE status IN ('cancelled', 'canceled')))))"
)


def customer_features(conn: Connection, now: datetime) -> pd.DataFrame:
    """One row per customer known at `now` (index customer_id) with the raw FEATURES, counting only what
    happened up to `now` (the run's as-of); NaN where there is nothing to measure."""
    d = conn.dialect.name
    sql = f"""
    SELECT c.id AS customer_id,
           {_days(d, "o.last_order")} AS recency_days,
           COALESCE(o.n, 0) AS frequency,
           COALESCE(o.spent, 0) AS monetary,
           COALESCE(r.n, 0) AS returns,
           COALESCE(t.n, 0) AS tickets,
           COALESCE(cv.n, 0) AS conversations,
           cv.telegram AS telegram,
           COALESCE(h.n, 0) AS handoffs,
           COALESCE(fb.n, 0) AS fallbacks,
           f.csat AS csat,
           {_days(d, "c.created_at")} AS tenure_days
    FROM customers c
    LEFT JOIN (SELECT customer_id, SUM(CASE WHEN kind = 'order' THEN 1 ELSE 0 END) AS n, SUM(total) AS spent,
                      MAX(CASE WHEN kind = 'order' THEN placed_at END) AS last_order
               FROM orders WHERE placed_at <= :now AND {COUNTED} GROUP BY customer_id) o ON o.customer_id = c.id
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
    frame["telegram_share"] = np.where(
        frame["conversations"] > 0, frame["telegram"] / frame["conversations"].clip(lower=1), np.nan
    )
    return frame[list(FEATURES)]


def features_from_frames(customers: pd.DataFrame, orders: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """The same FEATURES as `customer_features`, from frames shaped like the CRM tables:
    customers (id, created_at) and orders (customer_id, placed_at, total, kind). Frequency and recency
    count sales; a credit note only comes off the spend (monetary is net). A shop without chat
    history has no tickets, chats or ratings: those columns are 0 or missing, as SQL gives them."""
    known = customers[customers["created_at"] <= now]
    placed = orders[orders["placed_at"] <= now]
    bought = sales(placed)
    per = bought.groupby("customer_id").agg(frequency=("total", "size"), last=("placed_at", "max"))
    per = per.join(placed.groupby("customer_id")["total"].sum().rename("monetary"), how="outer")
    frame = pd.DataFrame(index=pd.Index(known["id"].to_numpy(), name="customer_id"))
    frame = frame.join(per)
    day = np.timedelta64(1, "D")
    frame["recency_days"] = (now - frame["last"]) / day
    frame["frequency"] = frame["frequency"].fillna(0.0)
    frame["monetary"] = frame["monetary"].fillna(0.0).astype(float)
    frame["return_rate"] = np.where(frame["frequency"] > 0, 0.0, np.nan)
    frame["ticket_rate"] = 0.0
    frame[["conversations", "handoffs", "fallbacks"]] = 0.0
    frame["csat"] = np.nan
    frame["telegram_share"] = np.nan
    frame["tenure_days"] = ((now - known.set_index("id")["created_at"]) / day).reindex(frame.index).to_numpy()
    return frame[list(FEATURES)].astype(float)


@dataclass(frozen=True)
class Cleaning:
    missing: dict[str, int]  # left missing (counted as neutral when clustering), except recency
    clipped: dict[str, int]
    bounds: dict[str, tuple[float, float]]
    dropped: dict[str, str]  # feature -> why it was left out of clustering


# A feature where this share of customers has one and the same value separates nobody.
FLAT_SHARE = 0.97


def clean(frame: pd.DataFrame) -> tuple[pd.DataFrame, Cleaning]:
    """Winsorise outliers at the 0.5 % / 99.5 % quantiles and leave out flat features; counts are logged.

    A missing rate, share or rating stays missing: filling a missing Telegram share with 0.5
    made customers who never chatted look like the most Telegram-minded ones. Only recency is
    filled (never bought: as lapsed as their whole tenure), because "no order" is a fact about it.
    """
    data = frame.copy()
    missing = {c: int(n) for c, n in data.isna().sum().items() if n and c != "recency_days"}
    data["recency_days"] = data["recency_days"].fillna(data["tenure_days"])
    dropped: dict[str, str] = {}
    for column in list(data.columns):
        values = data[column]
        top = float(values.value_counts(dropna=False, normalize=True).iloc[0]) if len(values) else 1.0
        if values.notna().sum() == 0:
            dropped[column] = "missing for every customer"
        elif values.nunique(dropna=True) < 2:
            dropped[column] = "the same for every customer"
        elif top >= FLAT_SHARE:
            dropped[column] = f"the same for {top:.0%} of customers"
    data = data.drop(columns=list(dropped))
    clipped: dict[str, int] = {}
    bounds: dict[str, tuple[float, float]] = {}
    for column in data.columns:
        lo, hi = (float(v) for v in data[column].quantile([0.005, 0.995]))
        if hi <= lo:
            continue
        outside = int(((data[column] < lo) | (data[column] > hi)).sum())
        if outside:
            clipped[column] = outside
            data[column] = data[column].clip(lo, hi)
        bounds[column] = (lo, hi)
    for column in ("recency_days", "tenure_days"):
        if column in data:
            data[column] = data[column].clip(lower=0)
    report = Cleaning(missing, clipped, bounds, dropped)
    log.info(
        "customer features cleaned",
        extra={"customers": len(data), "missing": missing, "clipped": clipped, "dropped": list(dropped)},
    )
    return data, report


@dataclass(frozen=True)
class Scaler:
    """Log where heavy-tailed, then z-scores; a missing value becomes 0, the average, so it pulls
    a customer toward no segment in particular."""

    columns: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray

    @staticmethod
    def fit(data: pd.DataFrame) -> Scaler:
        columns = tuple(data.columns)
        logged = to_log(data.to_numpy(dtype=float), columns)
        mean, std = np.nanmean(logged, axis=0), np.nanstd(logged, axis=0)
        return Scaler(columns, mean, np.where(std > 0, std, 1.0))

    def transform(self, values: np.ndarray) -> np.ndarray:
        return np.nan_to_num((to_log(values, self.columns) - self.mean) / self.std, nan=0.0)

    def inverse(self, scaled: np.ndarray) -> np.ndarray:
        return from_log(scaled * self.std + self.mean, self.columns)


def _log_mask(columns: tuple[str, ...]) -> np.ndarray:
    return np.array([c in LOG_SCALED for c in columns], dtype=bool)


def to_log(values: np.ndarray, columns: tuple[str, ...] = FEATURES) -> np.ndarray:
    out = np.array(values, dtype=float, copy=True)
    mask = _log_mask(columns)
    out[..., mask] = np.log1p(np.clip(out[..., mask], 0, None))
    return out


def from_log(values: np.ndarray, columns: tuple[str, ...] = FEATURES) -> np.ndarray:
    out = np.array(values, dtype=float, copy=True)
    mask = _log_mask(columns)
    out[..., mask] = np.expm1(out[..., mask])
    return out
