"""The job registry: every scheduled job, its default schedule, and how one run is recorded.

A job is a function `func(ctx) -> rows touched`. Modules register their jobs with
`register(JobSpec(...))` when imported; `load_jobs()` imports the modules named in
JOB_MODULES. Schedules come from settings: `SCHEDULE_<JOB>` overrides a job's default
cron, `SCHEDULER_TIMEZONE` is the zone the cron expressions are read in.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.models import JobRun
from crm_store.settings import Settings

log = logging.getLogger(__name__)

# Modules whose import registers jobs; later issues add theirs (e.g. "analytics.digest").
JOB_MODULES: tuple[str, ...] = (
    "analytics.segmentation",
    "analytics.stalled",
    "analytics.followups",
    "analytics.digest.job",
    "analytics.handoffs",
    "analytics.basket_job",
    "analytics.propensity_job",
    "analytics.forecast_job",
)

Progress = Callable[[int, "int | None", str], None]


def no_progress(done: int, total: int | None = None, what: str = "") -> None:
    return None


@dataclass
class JobContext:
    settings: Settings
    uow_factory: Callable[[], UnitOfWork]
    now: datetime
    progress: Progress = no_progress
    run_id: int | None = None
    # What the run found, for `crmbot job run` and job_runs.summary (JSON-serialisable values).
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def engine(self) -> Engine:
        return self.uow_factory().engine


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[[JobContext], int]
    cron: str
    description: str


JOBS: dict[str, JobSpec] = {}


def register(spec: JobSpec) -> JobSpec:
    JOBS[spec.name] = spec
    return spec


def load_jobs() -> dict[str, JobSpec]:
    """Every job, in JOB_MODULES order whichever module happened to be imported first."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    rank = {module: i for i, module in enumerate(JOB_MODULES)}
    ordered = sorted(JOBS.values(), key=lambda spec: rank.get(spec.func.__module__, len(rank)))
    JOBS.clear()
    JOBS.update((spec.name, spec) for spec in ordered)
    return JOBS


class UnknownJob(CrmError):
    def __init__(self, name: str) -> None:
        super().__init__(f"There is no job called {name!r}; `crmbot job list` shows them.")


def get_job(name: str) -> JobSpec:
    load_jobs()
    if name not in JOBS:
        raise UnknownJob(name)
    return JOBS[name]


def cron_of(spec: JobSpec, settings: Settings) -> str:
    """The job's schedule: SCHEDULE_<JOB> when set, else its default."""
    return getattr(settings, f"schedule_{spec.name}", None) or spec.cron


@dataclass(frozen=True)
class RunResult:
    run_id: int
    job: str
    status: str  # ok | failed | skipped
    rows: int | None
    error: str | None
    summary: dict[str, Any]


def run_job(
    spec: JobSpec,
    settings: Settings,
    engine: Engine,
    now: datetime,
    scheduled_for: datetime | None = None,
    progress: Progress = no_progress,
) -> RunResult:
    """Run one job and record it; a failure is logged and recorded, never raised.

    With `scheduled_for`, the (job, scheduled_for) key lets only one process run that
    fire time, even if two schedulers overlapped for a moment.
    """
    host = f"{socket.gethostname()}:{os.getpid()}"
    # `now` is the run's as-of (what it counts from); the record keeps the wall clock.
    values = {
        "job": spec.name,
        "scheduled_for": scheduled_for,
        "started_at": datetime.utcnow().replace(microsecond=0),
        "status": "running",
        "host": host,
    }
    with engine.begin() as conn:
        module = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = (
            module.insert(JobRun.__table__)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["job", "scheduled_for"])
        )
        result = conn.execute(stmt)
        if not result.rowcount:
            log.info(
                "job run already taken by another scheduler",
                extra={"job": spec.name, "scheduled_for": str(scheduled_for)},
            )
            return RunResult(0, spec.name, "skipped", None, None, {})
        run_id = result.inserted_primary_key[0]
    ctx = JobContext(
        settings=settings,
        uow_factory=lambda: UnitOfWork(engine),
        now=now,
        progress=progress,
        run_id=run_id,
        summary={"as_of": now.isoformat()},
    )
    log.info("job started", extra={"job": spec.name, "run_id": run_id})
    try:
        rows = int(spec.func(ctx))
        status, error = "ok", None
    except Exception as exc:  # noqa: BLE001 - the outermost edge of a job: record, log, carry on
        log.exception("job failed", extra={"job": spec.name, "run_id": run_id})
        rows, status, error = None, "failed", f"{type(exc).__name__}: {exc}"[:2000]
    finished = datetime.utcnow()
    with engine.begin() as conn:
        conn.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(status=status, rows=rows, error=error, summary=_jsonable(ctx.summary), finished_at=finished)
        )
    log.info("job finished", extra={"job": spec.name, "run_id": run_id, "status": status, "rows": rows})
    return RunResult(run_id, spec.name, status, rows, error, ctx.summary)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return str(value)


@dataclass(frozen=True)
class JobRunView:
    id: int
    job: str
    scheduled_for: datetime | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    rows: int | None
    error: str | None
    host: str | None


def job_history(uow: UnitOfWork, job: str | None = None, limit: int = 20) -> list[JobRunView]:
    with uow:
        stmt = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
        if job:
            stmt = stmt.where(JobRun.job == job)
        return [
            JobRunView(r.id, r.job, r.scheduled_for, r.started_at, r.finished_at, r.status, r.rows, r.error, r.host)
            for r in uow.session.scalars(stmt)
        ]
