"""Stalled processes: thresholds per stage, then one open flag per stalled process and stage.

A process is stalled when its time in the current stage exceeds the stage's threshold: the
configured SLA (STAGE_SLAS) where one exists, else the stage's historical 90th percentile,
recomputed here from stage_history on every run. Abandoned forms (a form started in a
conversation and not finished within FORM_ABANDON_HOURS) are processes too.

All the heavy lifting is set-based SQL in the database; Python only formats the reasons of
the stalled rows it is handed.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import (
    DateTime,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from analytics.jobs import JobContext, JobSpec, Progress, no_progress, register
from analytics.pipelines import (
    FINAL_STAGES,
    FOLLOW_UP_FORMS,
    FORM_TOPICS,
    OWNERS,
    follow_up_text,
    human_duration,
    label,
    waiting_phrase,
)
from crm_store.models import (
    Conversation,
    ConversationEvent,
    Deal,
    Flag,
    FollowUp,
    Handoff,
    Message,
    Order,
    Return,
    StageThreshold,
    Ticket,
)
from crm_store.settings import parse_stage_slas

log = logging.getLogger(__name__)

MIN_SAMPLES = 5  # fewer finished stays than this and a p90 means little: only an SLA flags the stage
KIND = "stalled"
BATCH = 10_000  # rows staged per COPY / executemany


@dataclass(frozen=True)
class Threshold:
    process: str
    stage: str
    sla_hours: float | None
    p50_hours: float | None
    p90_hours: float | None
    samples: int

    @property
    def hours(self) -> float | None:
        if self.sla_hours is not None:
            return self.sla_hours
        return self.p90_hours if self.samples >= MIN_SAMPLES else None

    @property
    def source(self) -> str:
        return "SLA" if self.sla_hours is not None else "p90"


def hours_between(dialect: str, start: str, end: str) -> str:
    if dialect == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"
    return f"((julianday({end}) - julianday({start})) * 24.0)"


def stage_quantiles(
    conn: Connection, process: str | None = None, window: tuple[datetime, datetime] | None = None
) -> dict[tuple[str, str], tuple[int, float, float]]:
    """(process, stage) -> (finished stays, median hours, p90 hours), from stage history and handoffs;
    with a window, only stays that ended inside it (so a finished period's figures never change).

    Nearest-rank quantiles by ROW_NUMBER, so one query runs on SQLite and PostgreSQL alike.
    """
    hours = hours_between(conn.dialect.name, "entered_at", "left_at")
    where = "WHERE process = :process" if process else ""
    handoffs = (
        ""
        if process not in (None, "handoff")
        else """
        UNION ALL
        SELECT 'handoff' AS process, 'queued' AS stage, requested_at AS entered_at,
               COALESCE(claimed_at, closed_at) AS left_at
        FROM handoffs WHERE status <> 'queued'"""
    )
    sql = f"""
    WITH stays AS (
        SELECT process, stage, entered_at,
               LEAD(entered_at) OVER (PARTITION BY process, process_id ORDER BY entered_at, id) AS left_at
        FROM stage_history {where}
        {handoffs}
    ), d AS (
        SELECT process, stage, {hours} AS h FROM stays WHERE left_at IS NOT NULL {"AND left_at >= :start AND left_at < :end" if window else ""}
    ), r AS (
        SELECT process, stage, h,
               ROW_NUMBER() OVER (PARTITION BY process, stage ORDER BY h) AS rn,
               COUNT(*) OVER (PARTITION BY process, stage) AS n
        FROM d
    )
    SELECT process, stage, MAX(n),
           MAX(CASE WHEN rn = (n - 1) / 2 + 1 THEN h END),
           MAX(CASE WHEN rn = ((n - 1) * 9) / 10 + 1 THEN h END)
    FROM r GROUP BY process, stage
    """
    params: dict = {"process": process} if process else {}
    stmt = text(sql)
    if window:
        stmt = stmt.bindparams(bindparam("start", type_=DateTime()), bindparam("end", type_=DateTime()))
        params.update(start=window[0], end=window[1])
    rows = conn.execute(stmt, params)
    return {(p, s): (int(n), float(p50), float(p90)) for p, s, n, p50, p90 in rows}


def recompute_thresholds(
    conn: Connection, now: datetime, slas: dict[tuple[str, str], float]
) -> dict[tuple[str, str], Threshold]:
    quantiles = stage_quantiles(conn)
    keys = set(quantiles) | set(slas)
    thresholds = {}
    for key in sorted(keys):
        n, p50, p90 = quantiles.get(key, (0, None, None))
        thresholds[key] = Threshold(key[0], key[1], slas.get(key), p50, p90, n)
    conn.execute(delete(StageThreshold))
    if thresholds:
        conn.execute(
            insert(StageThreshold),
            [
                {
                    "process": t.process,
                    "stage": t.stage,
                    "sla_hours": t.sla_hours,
                    "p50_hours": t.p50_hours,
                    "p90_hours": t.p90_hours,
                    "samples": t.samples,
                    "computed_at": now,
                }
                for t in thresholds.values()
            ],
        )
    return thresholds


# process -> (table, stage column, display number column or None)
TABLES: dict[str, tuple[Any, Any, Any]] = {
    "order": (Order, Order.status, Order.number),
    "ticket": (Ticket, Ticket.status, None),
    "return": (Return, Return.status, Return.number),
    "deal": (Deal, Deal.stage, None),
}


@dataclass(frozen=True)
class Stalled:
    process: str
    process_id: int
    stage: str
    entered_at: datetime
    customer_id: int | None
    owner: str
    threshold_hours: float
    reason: str

    @property
    def stage_entered_at_text(self) -> str:
        # The format SQLAlchemy stores DateTime in on SQLite, so flags compare equal to the process row.
        return self.entered_at.strftime("%Y-%m-%d %H:%M:%S.%f")


def stalled_processes(
    conn: Connection, now: datetime, thresholds: dict[tuple[str, str], Threshold]
) -> Iterable[Stalled]:
    for process, (model, stage_col, number_col) in TABLES.items():
        conditions = []
        for (p, stage), t in thresholds.items():
            if p == process and stage not in FINAL_STAGES[process] and t.hours is not None:
                conditions.append(and_(stage_col == stage, model.stage_entered_at < now - timedelta(hours=t.hours)))
        if not conditions:
            continue
        number = number_col if number_col is not None else literal(None)
        stmt = select(model.id, stage_col, model.stage_entered_at, model.customer_id, number).where(or_(*conditions))
        for pid, stage, entered, customer_id, num in conn.execute(stmt):
            t = thresholds[(process, stage)]
            yield _stalled(process, pid, stage, entered, customer_id, OWNERS[process], t, now, num)
    queued = thresholds.get(("handoff", "queued"))
    if queued is not None and queued.hours is not None:
        stmt = (
            select(Handoff.id, Handoff.requested_at, Conversation.customer_id, Handoff.agent)
            .join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(Handoff.status == "queued", Handoff.requested_at < now - timedelta(hours=queued.hours))
        )
        for hid, entered, customer_id, agent in conn.execute(stmt):
            owner = agent or OWNERS["handoff"]
            yield _stalled("handoff", hid, "queued", entered, customer_id, owner, queued, now, None)


def _stalled(
    process: str,
    pid: int,
    stage: str,
    entered: datetime,
    customer_id: int | None,
    owner: str,
    t: Threshold,
    now: datetime,
    number: str | None,
) -> Stalled:
    waited = (now - entered).total_seconds() / 3600
    limit = t.hours or 0.0
    reason = (
        f"{label(process, pid, number)} {waiting_phrase(process, stage)} {human_duration(waited)}, "
        f"{t.source} for this stage is {human_duration(limit)}"
    )
    return Stalled(process, pid, stage, entered, customer_id, owner, limit, reason)


def _later_active_loop(event: Any) -> Any:
    later = ConversationEvent.__table__.alias("later")
    return exists().where(
        later.c.conversation_id == event.conversation_id,
        later.c.kind == "active_loop",
        or_(
            later.c.occurred_at > event.occurred_at,
            and_(later.c.occurred_at == event.occurred_at, later.c.id > event.id),
        ),
    )


@dataclass(frozen=True)
class AbandonedForm:
    event_id: int
    conversation_id: int
    form: str
    started_at: datetime
    customer_id: int | None


def abandoned_forms(conn: Connection, now: datetime, after_hours: float) -> list[AbandonedForm]:
    """Forms whose last activation is older than `after_hours` with nothing after it in their conversation."""
    e = ConversationEvent.__table__
    stmt = (
        select(e.c.id, e.c.conversation_id, e.c.name, e.c.occurred_at, Conversation.customer_id)
        .join(Conversation, Conversation.id == e.c.conversation_id)
        .where(e.c.kind == "active_loop", e.c.name.is_not(None), e.c.occurred_at < now - timedelta(hours=after_hours))
        .where(~_later_active_loop(e.c))
    )
    return [AbandonedForm(*row) for row in conn.execute(stmt)]


def _form_stalled(form: AbandonedForm, now: datetime, after_hours: float) -> Stalled:
    waited = (now - form.started_at).total_seconds() / 3600
    topic = FORM_TOPICS.get(form.form, form.form.replace("_", " "))
    reason = (
        f"{topic} ({form.form}) started in conversation {form.conversation_id} and not finished for "
        f"{human_duration(waited)}; forms count as abandoned after {human_duration(after_hours)}"
    )
    return Stalled(
        "form", form.event_id, form.form[:30], form.started_at, form.customer_id, OWNERS["form"], after_hours, reason
    )


def close_moved_on(conn: Connection, now: datetime) -> int:
    """Clear open stalled flags whose process left the stage it was flagged in."""
    closed = 0
    open_flag = and_(Flag.kind == KIND, Flag.cleared_at.is_(None))
    for process, (model, stage_col, _) in TABLES.items():
        still = exists().where(
            model.id == Flag.process_id, stage_col == Flag.stage, model.stage_entered_at == Flag.stage_entered_at
        )
        closed += conn.execute(
            update(Flag)
            .where(open_flag, Flag.process == process, ~still)
            .values(cleared_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    still = exists().where(Handoff.id == Flag.process_id, Handoff.status == "queued")
    closed += conn.execute(
        update(Flag)
        .where(open_flag, Flag.process == "handoff", ~still)
        .values(cleared_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    e = ConversationEvent.__table__.alias("started")
    gone = exists().where(e.c.id == Flag.process_id).where(_later_active_loop(e.c))
    closed += conn.execute(
        update(Flag)
        .where(open_flag, Flag.process == "form", gone)
        .values(cleared_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return closed


_COLUMNS = (
    "process",
    "process_id",
    "kind",
    "stage",
    "reason",
    "raised_at",
    "owner",
    "customer_id",
    "stage_entered_at",
    "threshold_hours",
)


def write_flags(conn: Connection, now: datetime, items: Iterable[Stalled]) -> int:
    """Upsert one open flag per (process, id, stage): new ones are raised, open ones get a fresh reason.

    The stalled rows are staged in a temporary table (COPY on PostgreSQL) and upserted by one
    INSERT ... SELECT ... ON CONFLICT on the partial unique index of open flags.
    """
    before = _open_count(conn)
    conn.execute(text("DROP TABLE IF EXISTS flag_candidates"))
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE flag_candidates (process VARCHAR(20), process_id INTEGER, kind VARCHAR(40), stage VARCHAR(30), "
            "reason TEXT, raised_at TIMESTAMP, owner VARCHAR(100), customer_id INTEGER, stage_entered_at TIMESTAMP, threshold_hours FLOAT)"
        )
    )
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = (
        (
            s.process,
            s.process_id,
            KIND,
            s.stage,
            s.reason,
            stamp,
            s.owner,
            s.customer_id,
            s.stage_entered_at_text,
            s.threshold_hours,
        )
        for s in items
    )
    _stage(conn, "flag_candidates", _COLUMNS, rows)
    cols = ", ".join(_COLUMNS)
    # SQLite needs a WHERE in INSERT ... SELECT ... ON CONFLICT to parse it; "WHERE 1 = 1" is that.
    conn.execute(
        text(f"""
        INSERT INTO flags ({cols}) SELECT {cols} FROM flag_candidates WHERE 1 = 1
        ON CONFLICT (process, process_id, kind, stage) WHERE cleared_at IS NULL
        DO UPDATE SET reason = excluded.reason, threshold_hours = excluded.threshold_hours, owner = excluded.owner""")
    )
    conn.execute(text("DROP TABLE flag_candidates"))
    return _open_count(conn) - before


def _stage(conn: Connection, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            _copy(conn, table, columns, batch)
    _copy(conn, table, columns, batch)


def _copy(conn: Connection, table: str, columns: tuple[str, ...], batch: list[tuple]) -> None:
    if not batch:
        return
    if conn.dialect.name == "postgresql":

        def cell(v: Any) -> str:
            if v is None:
                return "\\N"
            return str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")

        buf = io.StringIO("".join("\t".join(cell(v) for v in row) + "\n" for row in batch))
        cursor = conn.connection.cursor()
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)
        cursor.close()
    else:
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", batch
        )
    batch.clear()


def _open_count(conn: Connection) -> int:
    return conn.execute(
        select(func.count()).select_from(Flag).where(Flag.kind == KIND, Flag.cleared_at.is_(None))
    ).scalar_one()


def schedule_follow_ups(conn: Connection, now: datetime, forms: list[AbandonedForm]) -> int:
    """One durable follow-up per abandoned form of a known customer (the source key keeps it single)."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    created = 0
    for form in forms:
        if form.customer_id is None or form.form not in FOLLOW_UP_FORMS:
            continue
        order = _slot_value(conn, form.conversation_id, "order_id", form.started_at)
        message = follow_up_text(form.form, order, _language(conn, form.conversation_id))
        stmt = (
            module.insert(FollowUp.__table__)
            .values(
                source_key=f"form:{form.event_id}",
                kind="abandoned_form",
                customer_id=form.customer_id,
                conversation_id=form.conversation_id,
                text=message,
                due_at=now,
                status="pending",
                attempts=0,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["source_key"])
        )
        created += conn.execute(stmt).rowcount
    return created


def _language(conn: Connection, conversation_id: int) -> str | None:
    """The language of the customer's latest message that had one."""
    m = Message.__table__
    return conn.execute(
        select(m.c.language)
        .where(m.c.conversation_id == conversation_id, m.c.direction == "in", m.c.language.is_not(None))
        .order_by(m.c.id.desc())
        .limit(1)
    ).scalar()


def _slot_value(conn: Connection, conversation_id: int, slot: str, before: datetime) -> str | None:
    e = ConversationEvent.__table__
    stmt = (
        select(e.c.payload)
        .where(e.c.conversation_id == conversation_id, e.c.kind == "slot", e.c.name == slot)
        .order_by(e.c.occurred_at.desc(), e.c.id.desc())
        .limit(1)
    )
    payload = conn.execute(stmt).scalar()
    value = payload.get("value") if isinstance(payload, dict) else None
    return str(value)[:40] if value else None


@dataclass(frozen=True)
class FlagRunResult:
    raised: int
    closed: int
    open: int
    follow_ups: int
    thresholds: int


def flag_stalled_processes(
    conn: Connection,
    now: datetime,
    slas: dict[tuple[str, str], float],
    form_abandon_hours: float,
    progress: Progress = no_progress,
) -> FlagRunResult:
    progress(0, 4, "thresholds")
    thresholds = recompute_thresholds(conn, now, slas)
    progress(1, 4, "closing flags of processes that moved on")
    closed = close_moved_on(conn, now)
    forms = abandoned_forms(conn, now, form_abandon_hours)
    progress(2, 4, "raising flags")

    def items() -> Iterable[Stalled]:
        yield from stalled_processes(conn, now, thresholds)
        for form in forms:
            yield _form_stalled(form, now, form_abandon_hours)

    raised = write_flags(conn, now, items())
    progress(3, 4, "follow-ups")
    follow_ups = schedule_follow_ups(conn, now, forms)
    progress(4, 4, "done")
    return FlagRunResult(raised, closed, _open_count(conn), follow_ups, len(thresholds))


def flag_stalled_job(ctx: JobContext) -> int:
    slas = parse_stage_slas(ctx.settings.stage_slas)
    with ctx.engine.begin() as conn:
        result = flag_stalled_processes(conn, ctx.now, slas, ctx.settings.form_abandon_hours, ctx.progress)
    ctx.summary.update(
        raised=result.raised,
        closed=result.closed,
        open=result.open,
        follow_ups=result.follow_ups,
        thresholds=result.thresholds,
    )
    log.info("stalled processes flagged", extra=ctx.summary)
    return result.raised + result.closed + result.follow_ups


register(
    JobSpec(
        "flag_stalled",
        flag_stalled_job,
        "0 * * * *",
        "flag processes stalled beyond their stage's SLA or p90; follow up abandoned forms",
    )
)
