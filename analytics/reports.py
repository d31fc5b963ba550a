"""What `crmbot report` prints: open stalled flags with their age, bottlenecks, segments."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from analytics.bottlenecks import PIPELINES, bottleneck_report, summary_line
from analytics.digest.charts import funnel_png
from analytics.pipelines import human_duration
from analytics.stalled import KIND
from crm_store.db import UnitOfWork
from crm_store.models import Flag, Order, Segment, SegmentChange, StageHistory


def print_stalled(engine: Engine, now: datetime, chart_dir: str | None = None, limit: int = 50) -> int:
    open_flag = (Flag.kind == KIND) & Flag.cleared_at.is_(None)
    with Session(engine, future=True) as s:
        total = s.scalar(select(func.count()).select_from(Flag).where(open_flag))
        flags = s.scalars(select(Flag).where(open_flag).order_by(Flag.stage_entered_at, Flag.id).limit(limit)).all()
    shown = f" (the oldest {len(flags)} shown)" if total > len(flags) else ""
    print(f"{total} stalled (open flags), oldest first{shown}:")
    print(f"{'age':>9}  {'owner':<20} reason")
    for f in flags:
        age = human_duration((now - (f.stage_entered_at or f.raised_at)).total_seconds() / 3600)
        print(f"{age:>9}  {(f.owner or '-'):<20} {f.reason}")
    print()
    print("bottlenecks (median / p90 hours in stage, conversion from the previous stage):")
    for pipeline in PIPELINES:
        report = bottleneck_report(UnitOfWork(engine), pipeline, now)
        print(f"  {summary_line(report)}")
        if pipeline == "order":
            undated = _undated_imported_orders(engine)
            if undated:
                print(
                    f"           {undated:,} of these orders were imported from a file with no date for their final "
                    "stage or the ones before it: they are counted as pending and then in that stage, and say "
                    "nothing about time per stage or stalls."
                )
        if chart_dir:
            path = Path(chart_dir) / f"funnel-{pipeline}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(funnel_png(report))
    if chart_dir:
        print(f"funnel charts written to {chart_dir}/funnel-<pipeline>.png")
    return 0


def _undated_imported_orders(engine: Engine) -> int:
    from analytics.importing.lines import UNDATED_NOTE

    with Session(engine, future=True) as s:
        return (
            s.scalar(
                select(func.count(func.distinct(StageHistory.process_id)))
                .join(Order, Order.id == StageHistory.process_id)
                .where(
                    StageHistory.process == "order", Order.kind == "order", StageHistory.note.like(f"%{UNDATED_NOTE}%")
                )
            )
            or 0
        )


def print_segments(engine: Engine) -> int:
    with Session(engine, future=True) as s:
        segments = s.scalars(
            select(Segment).where(Segment.active.is_(True)).order_by(Segment.size.desc(), Segment.id)
        ).all()
        shifts = s.execute(
            select(SegmentChange.from_segment_id, SegmentChange.to_segment_id, func.count())
            .where(SegmentChange.from_segment_id.is_not(None), SegmentChange.to_segment_id.is_not(None))
            .group_by(SegmentChange.from_segment_id, SegmentChange.to_segment_id)
            .order_by(func.count().desc())
            .limit(10)
        ).all()
        names = dict(s.execute(select(Segment.id, Segment.name)).all())
    if not segments:
        print("no segments yet: run `crmbot job run segment_customers`")
        return 0
    print(f"{'segment':<26} {'customers':>9}  profile")
    for seg in segments:
        print(f"{seg.name:<26} {seg.size or 0:>9}  {seg.description or ''}")
    if shifts:
        print("\nmoves between segments (all runs):")
        for a, b, n in shifts:
            print(f"  {names.get(a)} → {names.get(b)}: {n}")
    return 0
