"""The segment_customers job: SQL features -> cleaning -> k-means -> named, stable segments.

Segments keep their names across runs: each new centroid is matched to the nearest previous
one (within MATCH_DISTANCE standard deviations) and takes over its name while its members
still bear it out (analytics/naming.py).
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
    from analytics.segment_fit import SegmentFit

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
    dropped: dict[str, str]  # features left out of clustering, and why
    k_choice: str
    largest_share: float


def segment_customers(
    engine: Engine, now: datetime, max_k: int = 8, run_id: int | None = None, progress: Progress = no_progress
) -> SegmentationResult | None:
    from analytics.features import customer_features
    from analytics.segment_fit import fit_segments

    progress(0, 4, "features")
    with engine.connect() as conn:
        raw = customer_features(conn, now)
        previous = [
            (p.name, p.centroid)
            for p in conn.execute(
                select(Segment.name, Segment.centroid)
                .where(Segment.active.is_(True), Segment.centroid.is_not(None))
                .order_by(Segment.id)
            ).all()
        ]
    if len(raw) < MIN_CUSTOMERS:
        log.info("too few customers to segment", extra={"customers": len(raw)})
        return None
    progress(1, 4, "clustering")
    fit = fit_segments(raw, range(2, max(2, max_k) + 1), previous)
    progress(2, 4, "naming")
    with engine.begin() as conn:
        ids = _store_segments(conn, fit, now)
        progress(3, 4, "memberships")
        moved = _store_memberships(
            conn, fit.customer_ids, ids[fit.clustering.labels], fit.clustering.distances, now, run_id
        )
    progress(4, 4, "done")
    c = fit.clustering
    return SegmentationResult(
        len(raw),
        c.k,
        fit.sizes,
        moved,
        c.silhouettes,
        c.comparison,
        fit.cleaning.missing,
        fit.cleaning.clipped,
        len(fit.matched),
        fit.cleaning.dropped,
        c.why,
        max(p.size for p in fit.profiles) / len(raw),
    )


def _store_segments(conn: Connection, fit: SegmentFit, now: datetime) -> Any:
    """Segment id per cluster, by name; active segments not named this run are retired."""
    import numpy as np

    from analytics.naming import describe

    existing = dict(conn.execute(select(Segment.name, Segment.id)).all())
    ids = np.zeros(len(fit.names), dtype=np.int64)
    for i, name in enumerate(fit.names):
        values = {
            "description": describe(fit.profiles[i]),
            "centroid": fit.centroids[i],
            "size": fit.profiles[i].size,
            "active": True,
            "updated_at": now,
        }
        if name in existing:
            conn.execute(update(Segment).where(Segment.id == existing[name]).values(**values))
            ids[i] = existing[name]
        else:
            ids[i] = conn.execute(
                Segment.__table__.insert().values(name=name, created_at=now, **values)
            ).inserted_primary_key[0]
    conn.execute(
        update(Segment)
        .where(Segment.active.is_(True), Segment.name.not_in(fit.names))
        .values(active=False, size=0, updated_at=now)
    )
    return ids


def _store_memberships(
    conn: Connection, customer_ids: Any, segment_ids: Any, distances: Any, now: datetime, run_id: int | None
) -> int:
    """Set-based: stage the new assignment, log the moves, update the moved, insert the new."""
    import numpy as np

    conn.execute(text("DROP TABLE IF EXISTS segment_assign"))
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE segment_assign (customer_id INTEGER PRIMARY KEY, segment_id INTEGER NOT NULL, "
            "score FLOAT, known INTEGER NOT NULL DEFAULT 0)"
        )
    )
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
    conn.execute(
        text(
            "UPDATE segment_assign SET known = 1 WHERE EXISTS "
            "(SELECT 1 FROM segment_memberships m WHERE m.customer_id = segment_assign.customer_id)"
        )
    )
    params = [bindparam("now", type_=DateTime()), bindparam("run", type_=Integer())]
    moved = conn.execute(
        text("""
        INSERT INTO segment_changes (customer_id, from_segment_id, to_segment_id, changed_at, run_id)
        SELECT t.customer_id, m.segment_id, t.segment_id, :now, :run
        FROM segment_assign t LEFT JOIN segment_memberships m ON m.customer_id = t.customer_id
        WHERE m.segment_id IS NULL OR m.segment_id <> t.segment_id""").bindparams(*params),
        {"now": now, "run": run_id},
    ).rowcount
    conn.execute(
        text("""
        UPDATE segment_memberships
        SET previous_segment_id = segment_memberships.segment_id, segment_id = t.segment_id, score = t.score,
            assigned_at = :now, run_id = :run
        FROM segment_assign t
        WHERE t.customer_id = segment_memberships.customer_id AND t.segment_id <> segment_memberships.segment_id
        """).bindparams(*params),
        {"now": now, "run": run_id},
    )
    conn.execute(
        text("""
        INSERT INTO segment_memberships (segment_id, customer_id, score, assigned_at, run_id)
        SELECT t.segment_id, t.customer_id, t.score, :now, :run FROM segment_assign t WHERE t.known = 0
        """).bindparams(*params),
        {"now": now, "run": run_id},
    )
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
        customers=result.customers,
        k=result.k,
        segments=result.segments,
        moved=result.moved,
        kept_names=result.renamed_from_previous,
        silhouette_by_k={str(k): round(v, 3) for k, v in result.silhouettes.items()},
        gmm_comparison={k: round(v, 3) for k, v in result.comparison.items()},
        missing_left_missing=result.missing,
        outliers_clipped=result.clipped,
        features_left_out=result.dropped or "none",
        k_choice=result.k_choice,
        largest_segment_share=round(result.largest_share, 3),
    )
    log.info("customers segmented", extra={"customers": result.customers, "k": result.k, "moved": result.moved})
    return result.moved


register(
    JobSpec(
        "segment_customers",
        segment_customers_job,
        "15 3 * * *",
        "behavioural customer segments (k-means on SQL features), names kept across runs",
    )
)
