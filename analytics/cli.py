"""`crmbot job list|run NAME|history`, `crmbot scheduler` and `crmbot report segments|stalled`."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any, Callable

from analytics.asof import add_as_of, parse_as_of
from crm_store.settings import Settings


def register(sub: Any) -> dict[str, Callable[[Settings, argparse.Namespace], int]]:
    job = sub.add_parser("job", help="scheduled analytics jobs: list, run one now, history")
    job_sub = job.add_subparsers(dest="job_command", required=True)
    job_sub.add_parser("list", help="every job with its schedule and next run")
    run_p = job_sub.add_parser("run", help="run one job now (recorded like a scheduled run)")
    run_p.add_argument("name")
    add_as_of(run_p)
    hist = job_sub.add_parser("history", help="recent runs: started, status, rows touched, error")
    hist.add_argument("--job", default=None)
    hist.add_argument("--limit", type=int, default=20)
    sub.add_parser("scheduler", help="run the analytics scheduler (one active per database); crmbot run starts it")
    report = sub.add_parser("report", help="analytics results: segments, stalled processes and bottlenecks")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    add_as_of(report_sub.add_parser("segments", help="customer segments, their sizes and recent shifts"))
    stalled = report_sub.add_parser("stalled", help="open stalled flags and the bottleneck per pipeline")
    add_as_of(stalled)
    stalled.add_argument("--chart-dir", default=None, help="also write one funnel PNG per pipeline here")
    stalled.add_argument("--limit", type=int, default=50, help="show at most this many flags (oldest first)")
    return {"job": cmd_job, "scheduler": cmd_scheduler, "report": cmd_report}


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from crm_store.db import check_connection, engine_for, migrate

    engine = engine_for(settings.database_url)
    check_connection(engine)
    migrate(engine)
    return engine


def cmd_job(settings: Settings, args: argparse.Namespace) -> int:
    from analytics.jobs import JOBS, cron_of, get_job, job_history, load_jobs, run_job
    from crm_store.db import UnitOfWork

    engine = _engine(settings)
    if args.job_command == "list":
        from analytics.scheduler import next_run_times

        load_jobs()
        nexts = next_run_times(engine)
        print(f"{'job':<20} {'schedule':<16} {'next run (UTC)':<20} description")
        for spec in JOBS.values():
            nxt = nexts.get(spec.name)
            print(
                f"{spec.name:<20} {cron_of(spec, settings):<16} {nxt.strftime('%Y-%m-%d %H:%M') if nxt else '-':<20} {spec.description}"
            )
        print(f"(cron in {settings.scheduler_timezone}; SCHEDULE_<JOB> overrides a schedule)")
        return 0
    if args.job_command == "run":
        spec = get_job(args.name)
        bar = _ProgressBar()
        result = run_job(spec, settings, engine, parse_as_of(args.as_of), progress=bar)
        bar.close()
        for key, value in result.summary.items():
            print(f"  {key}: {_show(value)}")
        if result.status != "ok":
            print(f"{spec.name} failed: {result.error}", file=sys.stderr)
            return 1
        print(f"{spec.name}: ok, {result.rows} rows touched (run {result.run_id})")
        return 0
    runs = job_history(UnitOfWork(engine), args.job, args.limit)
    print(f"{'run':>5} {'job':<20} {'started (UTC)':<20} {'took':>8} {'status':<8} {'rows':>8}  error")
    for r in runs:
        took = f"{(r.finished_at - r.started_at).total_seconds():.1f}s" if r.finished_at else "-"
        print(
            f"{r.id:>5} {r.job:<20} {r.started_at:%Y-%m-%d %H:%M:%S}  {took:>8} {r.status:<8} {r.rows if r.rows is not None else '-':>8}  {r.error or ''}"
        )
    return 0


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


class _ProgressBar:
    """A tqdm bar per phase a job reports (`ctx.progress(done, total, what)`)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.what = ""

    def __call__(self, done: int, total: int | None = None, what: str = "") -> None:
        from tqdm import tqdm

        if self.bar is None or what != self.what:
            self.close()
            self.bar, self.what = (
                tqdm(total=total, desc=what or "working", unit="row", leave=False, file=sys.stderr),
                what,
            )
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def cmd_scheduler(settings: Settings, args: argparse.Namespace) -> int:
    from analytics.scheduler import AnalyticsScheduler

    engine = _engine(settings)
    runner = AnalyticsScheduler(settings, engine)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: runner.stop())
    print(f"analytics scheduler {runner.holder}: waiting for the lease", flush=True)
    runner.run()
    return 0


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    engine = _engine(settings)
    if args.report_command == "segments":
        from analytics.reports import print_segments

        return print_segments(engine)
    from analytics.reports import print_stalled

    return print_stalled(engine, parse_as_of(args.as_of), args.chart_dir, args.limit)
