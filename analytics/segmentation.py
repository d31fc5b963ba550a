"""The segment_customers job: SQL features -> cleaning -> k-means -> named, stable segments.

Segments keep their names across runs: each new centroid is matched to the nearest previous
one (within MATCH_DISTANCE standard deviations) and takes over its segment row and name.
Memberships hold each customer's current segment (with the one before it); every move is
also written to segment_changes, so the digest can report shifts.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime

from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Integer, bindparam, select, text, update
from sqlalchemy.engine import Connection, Engine

from analytics.jobs import JobContext, JobSpec, Progress, no_progress, register
from crm_store.models import Segment

if TYPE_CHECKING:
    from analytics.clustering import Clustering
    from analytics.features import Scaler

# numpy, pandas and scikit-learn load when the job runs, so `crmbot job list` stays quick.

log = logging.getLogger(__name__)

MIN_CUSTOMERS = 20


@dataclass(frozen=True)
class SegmentationResult:
    customers: int
    k: int
    segments: dict[str, int]  # name -> size
    moved: int  # customers whose segment changed (or who got their first one)
    silhouettes: dict[int, float]
    comparison: dict[str, float]
    missing: dict[str, int]
    clipped: dict[str, int]
    renamed_from_previous: int  # segments that kept a previous run's name


def segment_customers(engine: Engine, now: datetime, max_k: int = 8, run_id: int | None = None,
                      progress: Progress = no_progress) -> SegmentationResult | None:
    import numpy as np

    from analytics.clustering import cluster
    from analytics.features import Scaler, clean, customer_features

    progress(0, 4, "features")
    with engine.connect() as conn:
        raw = customer_features(conn, now)
    if len(raw) < MIN_CUSTOMERS:
        log.info("too few customers to segment", extra={"customers": len(raw)})
        return None
    data, cleaning = clean(raw)
    scaler = Scaler.fit(data)
    scaled = scaler.transform(data.to_numpy())
    progress(1, 4, "clustering")
    result = cluster(scaled, range(2, max(2, max_k) + 1))
    progress(2, 4, "naming")
    with engine.begin() as conn:
        ids, names, kept = _store_segments(conn, result, scaler, now)
        progress(3, 4, "memberships")
        customer_ids = data.index.to_numpy(dtype=np.int64)
        moved = _store_memberships(conn, customer_ids, ids[result.labels], result.distances, now, run_id)
    sizes = {names[i]: int((result.labels == i).sum()) for i in range(result.k)}
    progress(4, 4, "done")
    return SegmentationResult(len(raw), result.k, sizes, moved, result.silhouettes, result.comparison,
                              cleaning.missing, cleaning.clipped, kept)


def _store_segments(conn: Connection, result: Clustering, scaler: Scaler, now: datetime) -> tuple[Any, list[str], int]:
    """Segment id and name per cluster; previous segments that found no match are retired."""
    import numpy as np

    from analytics.clustering import match_previous, name_clusters
    from analytics.features import FEATURES

    previous = conn.execute(select(Segment.id, Segment.name, Segment.centroid)
                            .where(Segment.active.is_(True), Segment.centroid.is_not(None))).all()
    prev_scaled = scaler.transform(np.array([[float(p.centroid.get(f, 0.0)) for f in FEATURES] for p in previous])) \
        if previous else np.zeros((0, len(FEATURES)))
    matches = match_previous(result.centroids, prev_scaled)
    fresh = [i for i in range(result.k) if i not in matches]
    fresh_names = name_clusters(result.centroids[fresh], {previous[j].name for j in matches.values()}) if fresh else []
    names = [""] * result.k
    for i, j in matches.items():
        names[i] = previous[j].name
    for i, name in zip(fresh, fresh_names):
        names[i] = name
    raw_centroids = scaler.inverse(result.centroids)
    existing = dict(conn.execute(select(Segment.name, Segment.id)).all())
    ids = np.zeros(result.k, dtype=np.int64)
    for i, name in enumerate(names):
        centroid = {f: round(float(v), 4) for f, v in zip(FEATURES, raw_centroids[i])}
        values = {"description": describe(centroid), "centroid": centroid, "size": int((result.labels == i).sum()),
                  "active": True, "updated_at": now}
        if name in existing:
            conn.execute(update(Segment).where(Segment.id == existing[name]).values(**values))
            ids[i] = existing[name]
        else:
            ids[i] = conn.execute(Segment.__table__.insert().values(name=name, created_at=now, **values)).inserted_primary_key[0]
    retired = [p.id for j, p in enumerate(previous) if j not in matches.values() and p.name not in names]
    if retired:
        conn.execute(update(Segment).where(Segment.id.in_(retired)).values(active=False, size=0, updated_at=now))
    return ids, names, len(matches)


def describe(centroid: dict[str, float]) -> str:
    c = {k: max(0.0, v) for k, v in centroid.items()}
    buying = (f"{c['frequency']:.1f} orders, {c['monetary']:.0f} spent, last order {c['recency_days']:.0f} days ago"
              if c["frequency"] >= 0.5 else "no orders")
    return (f"{buying}, returns {c['return_rate']:.0%} of orders, {c['ticket_rate']:.1f} tickets per order, "
            f"{c['conversations']:.1f} chats, {c['handoffs']:.1f} handoffs, CSAT {c['csat']:.1f}, "
            f"customer for {c['tenure_days']:.0f} days")


def _store_memberships(conn: Connection, customer_ids: Any, segment_ids: Any, distances: Any,
                       now: datetime, run_id: int | None) -> int:
    """Set-based: stage the new assignment, log the moves, update the moved, insert the new."""
    import numpy as np

    conn.execute(text("DROP TABLE IF EXISTS segment_assign"))
    conn.execute(text("CREATE TEMPORARY TABLE segment_assign (customer_id INTEGER PRIMARY KEY, segment_id INTEGER NOT NULL, "
                      "score FLOAT, known INTEGER NOT NULL DEFAULT 0)"))
    rows = list(zip(customer_ids.tolist(), segment_ids.tolist(), np.round(distances, 4).tolist()))
    if conn.dialect.name == "postgresql":
        buf = io.StringIO("".join(f"{c}\t{s}\t{d}\n" for c, s, d in rows))
        cursor = conn.connection.cursor()
        cursor.copy_expert("COPY segment_assign (customer_id, segment_id, score) FROM STDIN", buf)
        cursor.close()
    else:
        conn.exec_driver_sql("INSERT INTO segment_assign (customer_id, segment_id, score) VALUES (?, ?, ?)", rows)
    conn.execute(text("ANALYZE segment_assign"))  # temporary tables get no statistics by themselves
    # Who already has a membership, decided before any insert: an INSERT that probes the table it
    # fills can scan its own new rows for every row (measured quadratic on PostgreSQL).
    conn.execute(text("UPDATE segment_assign SET known = 1 WHERE EXISTS "
                      "(SELECT 1 FROM segment_memberships m WHERE m.customer_id = segment_assign.customer_id)"))
    params = [bindparam("now", type_=DateTime()), bindparam("run", type_=Integer())]
    moved = conn.execute(text("""
        INSERT INTO segment_changes (customer_id, from_segment_id, to_segment_id, changed_at, run_id)
        SELECT t.customer_id, m.segment_id, t.segment_id, :now, :run
        FROM segment_assign t LEFT JOIN segment_memberships m ON m.customer_id = t.customer_id
        WHERE m.segment_id IS NULL OR m.segment_id <> t.segment_id""").bindparams(*params), {"now": now, "run": run_id}).rowcount
    conn.execute(text("""
        UPDATE segment_memberships
        SET previous_segment_id = segment_memberships.segment_id, segment_id = t.segment_id, score = t.score,
            assigned_at = :now, run_id = :run
        FROM segment_assign t
        WHERE t.customer_id = segment_memberships.customer_id AND t.segment_id <> segment_memberships.segment_id
        """).bindparams(*params), {"now": now, "run": run_id})
    conn.execute(text("""
        INSERT INTO segment_memberships (segment_id, customer_id, score, assigned_at, run_id)
        SELECT t.segment_id, t.customer_id, t.score, :now, :run FROM segment_assign t WHERE t.known = 0
        """).bindparams(*params), {"now": now, "run": run_id})
    conn.execute(text("DROP TABLE segment_assign"))
    if conn.dialect.name == "postgresql":
        conn.execute(text("ANALYZE segment_memberships"))  # fresh statistics for the next run's joins
    return moved


def segment_customers_job(ctx: JobContext) -> int:
    result = segment_customers(ctx.engine, ctx.now, ctx.settings.segment_max_k, ctx.run_id, ctx.progress)
    if result is None:
        ctx.summary["skipped"] = f"fewer than {MIN_CUSTOMERS} customers"
        return 0
    ctx.summary.update(
        customers=result.customers, k=result.k, segments=result.segments, moved=result.moved,
        kept_names=result.renamed_from_previous,
        silhouette_by_k={str(k): round(v, 3) for k, v in result.silhouettes.items()},
        gmm_comparison={k: round(v, 3) for k, v in result.comparison.items()},
        missing_filled=result.missing, outliers_clipped=result.clipped,
    )
    log.info("customers segmented", extra={"customers": result.customers, "k": result.k, "moved": result.moved})
    return result.moved


register(JobSpec("segment_customers", segment_customers_job, "15 3 * * *",
                 "behavioural customer segments (k-means on SQL features), names kept across runs"))
