"""Wires the registered jobs (analytics/jobs.py) to APScheduler 3 triggers.

The schedule lives in the CRM database (APScheduler's SQLAlchemy job store), so a run missed
while everything was down is found on start and, coalesced, runs once. Exactly one scheduler
is active per database: each one holds or waits for a lease row (scheduler_leases) that the
holder renews; a holder that dies stops renewing and another takes over after
SCHEDULER_LEASE_SECONDS. Lease times come from each host's clock, so the hosts need NTP.
On SQLite, run one process (the embedded profile does).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from analytics.jobs import JOBS, cron_of, get_job, load_jobs, run_job
from crm_store.errors import CrmError, SettingsError
from crm_store.models import SchedulerLease
from crm_store.settings import Settings

log = logging.getLogger(__name__)

LEASE = "analytics"
JOBSTORE_TABLE = "apscheduler_jobs"
FIRE = "analytics.scheduler:fire"


class _Result:
    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows, self.rowcount = rows, rowcount

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def __iter__(self) -> Any:
        return iter(self.rows)


class _Engine:
    """APScheduler 3's job store calls `engine.execute()`, which 2.0-style engines do not have."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.url = engine, engine.url

    def execute(self, stmt: Any) -> _Result:
        with self.engine.begin() as conn:
            result = conn.execute(stmt)
            rows = result.fetchall() if result.returns_rows else []
            return _Result(rows, result.rowcount)

    def dispose(self) -> None:
        """The CRM engine belongs to the process, not to the job store."""


class CrmJobStore(SQLAlchemyJobStore):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine=_Engine(engine), tablename=JOBSTORE_TABLE)

    def start(self, scheduler: Any, alias: str) -> None:
        super(SQLAlchemyJobStore, self).start(scheduler, alias)
        self.jobs_t.create(self.engine.engine, checkfirst=True)


def trigger_for(cron: str, timezone: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(cron, timezone=timezone)
    except ValueError as exc:
        raise SettingsError(f"{cron!r} is not a valid cron expression: {exc}") from None


def build_scheduler(settings: Settings, engine: Engine) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": CrmJobStore(engine)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.scheduler_misfire_grace_seconds,
        },
        timezone=settings.scheduler_timezone,
    )


def sync_jobs(scheduler: BackgroundScheduler, settings: Settings) -> None:
    """Make the job store hold every registered job with its current schedule.

    A job whose schedule did not change is left alone: its stored next run time is what
    lets a run missed during downtime happen once now.
    """
    load_jobs()
    for spec in JOBS.values():
        trigger = trigger_for(cron_of(spec, settings), settings.scheduler_timezone)
        existing = scheduler.get_job(spec.name)
        if existing is not None and str(existing.trigger) == str(trigger) and existing.args == (spec.name,):
            continue
        scheduler.add_job(FIRE, trigger, args=[spec.name], id=spec.name, name=spec.name, replace_existing=True)
        log.info("job scheduled", extra={"job": spec.name, "cron": cron_of(spec, settings)})
    for job in scheduler.get_jobs():
        if job.func_ref == FIRE and job.id not in JOBS:
            scheduler.remove_job(job.id)


_active: AnalyticsScheduler | None = None


def fire(name: str) -> None:
    """What the job store calls at a fire time: run the job once for this minute, record it."""
    runner = _active
    if runner is None:
        log.warning("a job fired with no active scheduler in this process", extra={"job": name})
        return
    fired = datetime.utcnow().replace(second=0, microsecond=0)
    try:
        spec = get_job(name)
    except CrmError:
        log.warning("a stored job is no longer registered", extra={"job": name})
        return
    # Cron has minute granularity: the minute names the fire time, so two schedulers that
    # overlapped for a moment insert the same (job, scheduled_for) and only one runs it. The
    # job counts from that fire time too (its as-of), so a late start does not shift its periods.
    run_job(spec, runner.settings, runner.engine, fired, scheduled_for=fired)


class AnalyticsScheduler:
    """Waits for the lease, then runs APScheduler until stopped or the lease is lost."""

    def __init__(self, settings: Settings, engine: Engine, holder: str | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.scheduler: BackgroundScheduler | None = None
        self.stopped = threading.Event()
        self._said_standing_by = False

    @property
    def leading(self) -> bool:
        return self.scheduler is not None

    def run(self) -> None:
        """Block until stop(): hold the lease and schedule, or wait for it."""
        interval = max(1.0, self.settings.scheduler_lease_seconds / 3)
        load_jobs()  # heavy imports (scikit-learn) now, not while holding a fresh lease
        try:
            while not self.stopped.is_set():
                self.tick()
                self.stopped.wait(interval)
        finally:
            self._stop_scheduling()
            self._release()

    def tick(self) -> None:
        try:
            held = self._acquire_or_renew()
        except SQLAlchemyError as exc:
            log.warning("scheduler lease could not be checked", extra={"error": type(exc).__name__})
            held = False
        if held and not self.leading:
            self._start_scheduling()
        elif not held and self.leading:
            log.warning("scheduler lease lost; standing by", extra={"holder": self.holder})
            self._stop_scheduling()
        elif not held and not self._said_standing_by:
            # Once, so an operator sees which process waits (and tests see that it has looked).
            self._said_standing_by = True
            log.info("scheduler standing by", extra={"holder": self.holder})

    def stop(self) -> None:
        self.stopped.set()

    def _acquire_or_renew(self) -> bool:
        now = datetime.utcnow()
        expires = now + timedelta(seconds=self.settings.scheduler_lease_seconds)
        with self.engine.begin() as conn:
            module = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(
                module.insert(SchedulerLease.__table__)
                .values(name=LEASE, holder=None, expires_at=now)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            # One UPDATE decides: it succeeds for the holder, or for anyone once the lease expired.
            taken = conn.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == LEASE)
                .where((SchedulerLease.holder == self.holder) | (SchedulerLease.expires_at < now))
                .values(holder=self.holder, expires_at=expires)
            ).rowcount
        return taken == 1

    def _release(self) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    update(SchedulerLease)
                    .where(SchedulerLease.name == LEASE, SchedulerLease.holder == self.holder)
                    .values(holder=None, expires_at=datetime.utcnow())
                )
        except SQLAlchemyError:
            log.warning("scheduler lease could not be released; it expires by itself")

    def _start_scheduling(self) -> None:
        global _active
        scheduler = build_scheduler(self.settings, self.engine)
        scheduler.start(paused=True)
        try:
            sync_jobs(scheduler, self.settings)
            # Starting may have outlasted the lease: resume only if it is still ours.
            still_held = self._acquire_or_renew()
        except Exception:
            scheduler.remove_jobstore("default")
            scheduler.shutdown(wait=False)
            raise
        if not still_held:
            scheduler.remove_jobstore("default")
            scheduler.shutdown(wait=False)
            log.warning("scheduler lease lost while starting; standing by", extra={"holder": self.holder})
            return
        _active = self
        self.scheduler = scheduler
        scheduler.resume()
        log.info("scheduler active", extra={"holder": self.holder, "jobs": sorted(JOBS)})

    def _stop_scheduling(self) -> None:
        global _active
        if self.scheduler is not None:
            # Detached first: on its way out APScheduler would process due jobs once more,
            # moving their next run time on without running them.
            self.scheduler.remove_jobstore("default")
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        if _active is self:
            _active = None


def next_run_times(engine: Engine) -> dict[str, datetime | None]:
    """Job id -> next run (UTC) as the job store holds it; empty before the first scheduler ran."""
    from sqlalchemy import inspect, text

    if JOBSTORE_TABLE not in inspect(engine).get_table_names():
        return {}
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, next_run_time FROM {JOBSTORE_TABLE}")).all()
    return {i: (datetime.utcfromtimestamp(t) if t is not None else None) for i, t in rows}
