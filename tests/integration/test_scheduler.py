"""The scheduler as processes meet it: one active per database, missed runs run once,
a failing job is recorded and does not stop anything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from sqlalchemy import func, select

from analytics.jobs import JobSpec, load_jobs, run_job
from analytics.scheduler import build_scheduler, next_run_times, sync_jobs
from crm_store.db import migrate
from crm_store.models import JobRun, SchedulerLease
from crm_store.settings import PROJECT_ROOT, Settings
from tests.support.db import POSTGRES_URL, postgres_available, postgres_schema, require_service


def test_a_failing_job_is_recorded_with_its_error_and_the_next_run_works(engine):
    calls = []

    def flaky(ctx):  # type: ignore[no-untyped-def]
        calls.append(ctx.now)
        if len(calls) == 1:
            raise RuntimeError("the warehouse API timed out")
        return 7

    spec = JobSpec("flaky", flaky, "* * * * *", "fails once")
    now = datetime(2026, 11, 30, 12, 0)

    first = run_job(spec, Settings(), engine, now, scheduled_for=now)
    second = run_job(spec, Settings(), engine, now + timedelta(minutes=1), scheduled_for=now + timedelta(minutes=1))

    assert (first.status, first.error) == ("failed", "RuntimeError: the warehouse API timed out")
    assert (second.status, second.rows) == ("ok", 7)
    with engine.connect() as conn:
        rows = conn.execute(select(JobRun.status, JobRun.rows, JobRun.error).order_by(JobRun.id)).all()
    assert [tuple(r) for r in rows] == [("failed", None, "RuntimeError: the warehouse API timed out"), ("ok", 7, None)]


def test_the_same_fire_time_runs_once(engine):
    spec = JobSpec("once", lambda ctx: 1, "* * * * *", "")
    at = datetime(2026, 11, 30, 12, 0)

    results = [run_job(spec, Settings(), engine, at, scheduled_for=at).status for _ in range(2)]

    assert results == ["ok", "skipped"]


def _scheduler(env: dict[str, str], log_path) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "scheduler"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_two_schedulers_started_at_once_run_each_missed_job_once(tmp_path):
    require_service(postgres_available(), "PostgreSQL at 127.0.0.1:5432")
    with postgres_schema() as (engine, schema):
        migrate(engine)
        settings = Settings(scheduler_lease_seconds=3)
        # Every job was due three hours ago (the system was down): coalesced, each runs once.
        store = build_scheduler(settings, engine)
        store.start(paused=True)
        sync_jobs(store, settings)
        for job in store.get_jobs():
            store.modify_job(job.id, next_run_time=datetime.now().astimezone() - timedelta(hours=3))
        # Detached first: a stopping APScheduler processes due jobs once more on its way out.
        store.remove_jobstore("default")
        store.shutdown(wait=True)
        names = set(load_jobs())
        url = f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
        env = {**os.environ, "DATABASE_URL": url, "SCHEDULER_LEASE_SECONDS": "6", "LOG_LEVEL": "INFO"}
        started = datetime.utcnow()  # the job runs' times are naive UTC
        procs = [_scheduler(env, tmp_path / f"scheduler{i}.log") for i in range(2)]
        try:
            # A second run could come from the standby (it must have looked at the lease and stood by) or
            # from the active one catching up twice (every job's next run must have moved into the future,
            # which APScheduler does after it hands a due run to its executor). Stopping waits for the
            # runs in the executor, so after these and the stop every run that happened is in the table.
            def settled() -> bool:
                logs = "".join((tmp_path / f"scheduler{i}.log").read_text() for i in range(2))
                with engine.connect() as conn:
                    done = conn.execute(
                        select(func.count()).select_from(JobRun).where(JobRun.finished_at.is_not(None))
                    ).scalar_one()
                upcoming = next_run_times(engine)
                now = datetime.utcnow()  # the job store's times are naive UTC
                return (
                    '"scheduler standing by"' in logs
                    and done >= len(names)
                    and set(upcoming) >= names
                    and all(at is not None and at > now for at in upcoming.values())
                )

            deadline = time.monotonic() + 90
            while not settled() and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            for p in procs:
                os.killpg(p.pid, signal.SIGTERM)
            codes = [p.wait(30) for p in procs]
        logs = "\n".join((tmp_path / f"scheduler{i}.log").read_text() for i in range(2))
        with engine.connect() as conn:
            runs = conn.execute(
                select(JobRun.job, JobRun.status, JobRun.host, JobRun.scheduled_for, JobRun.summary)
            ).all()
            lease = conn.execute(select(SchedulerLease.holder)).scalar_one()
        assert codes == [0, 0], logs
        # A job due every minute or five may also come round regularly while the test runs. A run is
        # recorded for the minute it ran in (one per job and minute), so the missed ones are the runs of
        # the minute the active scheduler took over, or before it (a slow start may cross a minute).
        active_at = next(
            datetime.fromisoformat(json.loads(line)["time"]).astimezone(timezone.utc).replace(tzinfo=None)
            for line in logs.splitlines()
            if '"scheduler active"' in line
        )
        took_over = active_at.replace(second=0, microsecond=0)
        assert started.replace(second=0, microsecond=0) <= took_over
        missed = [r for r in runs if r.scheduled_for <= took_over]
        assert sorted(r.job for r in missed) == sorted(names), logs
        assert {r.status for r in runs} == {"ok"}, runs
        assert len({r.host for r in runs}) == 1  # one active scheduler ran them all
        assert all(r.summary["as_of"] == r.scheduled_for.isoformat() for r in runs), (
            runs
        )  # each counts from its fire time
        assert logs.count('"scheduler active"') == 1, logs
        assert lease is None  # released on a clean stop
