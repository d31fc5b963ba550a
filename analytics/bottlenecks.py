"""Bottleneck report per pipeline: time per stage (median, p90), conversion between stages,
the stage holding most stalled items, and a funnel chart (PNG) the digest reuses."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, bindparam, func, select, text
from sqlalchemy.engine import Connection

from analytics.pipelines import MAIN_PATHS
from analytics.stalled import KIND, TABLES, stage_quantiles
from crm_store.db import UnitOfWork
from crm_store.models import Flag, Handoff

PIPELINES = tuple(MAIN_PATHS)


@dataclass(frozen=True)
class StageStats:
    stage: str
    entered: int  # processes that ever entered the stage
    median_hours: float | None
    p90_hours: float | None
    conversion: float | None  # share of the previous stage's entrants that reached this one
    current: int  # processes in this stage now
    stalled: int  # open stalled flags in this stage


@dataclass(frozen=True)
class BottleneckReport:
    pipeline: str
    generated_at: datetime
    stages: tuple[StageStats, ...]
    bottleneck: str | None  # the stage holding most stalled items, None when nothing is stalled

    @property
    def total_stalled(self) -> int:
        return sum(s.stalled for s in self.stages)


def bottleneck_report(
    uow: UnitOfWork, pipeline: str, now: datetime, window: tuple[datetime, datetime] | None = None
) -> BottleneckReport:
    """All time up to now; with a window (a digest's period), only what entered or finished a
    stage inside it and the flags open at its end, so a finished period reads the same later."""
    if pipeline not in MAIN_PATHS:
        raise ValueError(f"unknown pipeline {pipeline!r}; one of {', '.join(PIPELINES)}")
    with uow:
        conn = uow.session.connection()
        entered, current = _counts(conn, pipeline, window)
        quantiles = stage_quantiles(conn, pipeline, window)
        open_at = (
            Flag.cleared_at.is_(None)
            if window is None
            else (Flag.raised_at < window[1]) & (Flag.cleared_at.is_(None) | (Flag.cleared_at >= window[1]))
        )
        stalled = dict(
            conn.execute(
                select(Flag.stage, func.count())
                .where(Flag.process == pipeline, Flag.kind == KIND, open_at)
                .group_by(Flag.stage)
            ).all()
        )
    stages = []
    previous: int | None = None
    for stage in MAIN_PATHS[pipeline]:
        n = entered.get(stage, 0)
        _, p50, p90 = quantiles.get((pipeline, stage), (0, None, None))
        conversion = (n / previous) if previous else None
        stages.append(StageStats(stage, n, p50, p90, conversion, current.get(stage, 0), stalled.get(stage, 0)))
        previous = n
    worst = max(stages, key=lambda s: s.stalled)
    return BottleneckReport(pipeline, now, tuple(stages), worst.stage if worst.stalled else None)


def _counts(
    conn: Connection, pipeline: str, window: tuple[datetime, datetime] | None = None
) -> tuple[dict[str, int], dict[str, int]]:
    if window is not None:
        return _window_counts(conn, pipeline, window), {}
    if pipeline == "handoff":
        row = conn.execute(
            select(
                func.count(),
                func.count(Handoff.claimed_at),
                func.count().filter(Handoff.status == "resolved"),
            )
        ).one()
        entered = {"queued": row[0], "claimed": row[1], "resolved": row[2]}
        current = dict(conn.execute(select(Handoff.status, func.count()).group_by(Handoff.status)).all())
        return entered, current
    entered = dict(
        conn.execute(
            text("SELECT stage, COUNT(DISTINCT process_id) FROM stage_history WHERE process = :p GROUP BY stage"),
            {"p": pipeline},
        ).all()
    )
    model, stage_col, _ = TABLES[pipeline]
    current = dict(conn.execute(select(stage_col, func.count()).group_by(stage_col)).all())
    return entered, current


def _window_counts(conn: Connection, pipeline: str, window: tuple[datetime, datetime]) -> dict[str, int]:
    start, end = window
    if pipeline == "handoff":

        def n(column) -> int:  # type: ignore[no-untyped-def]
            return int(conn.scalar(select(func.count()).select_from(Handoff).where(column >= start, column < end)) or 0)

        resolved = int(
            conn.scalar(
                select(func.count())
                .select_from(Handoff)
                .where(Handoff.status == "resolved", Handoff.closed_at >= start, Handoff.closed_at < end)
            )
            or 0
        )
        return {"queued": n(Handoff.requested_at), "claimed": n(Handoff.claimed_at), "resolved": resolved}
    rows = conn.execute(
        text(
            "SELECT stage, COUNT(DISTINCT process_id) FROM stage_history WHERE process = :p AND entered_at >= :start "
            "AND entered_at < :end GROUP BY stage"
        ).bindparams(bindparam("start", type_=DateTime()), bindparam("end", type_=DateTime())),
        {"p": pipeline, "start": start, "end": end},
    ).all()
    return {stage: int(n) for stage, n in rows}


def summary_line(report: BottleneckReport) -> str:
    """'return  requested 12 (3.1/9.0 h) → approved 10 83% (...)  <- most stalled: approved':
    one pipeline in one line, for `crmbot report` and the managers' digest."""
    parts = []
    for st in report.stages:
        med = f"{st.median_hours:.1f}" if st.median_hours is not None else "-"
        p90 = f"{st.p90_hours:.1f}" if st.p90_hours is not None else "-"
        conv = f" {st.conversion:.0%}" if st.conversion is not None else ""
        stalled = f", {st.stalled} stalled" if st.stalled else ""
        parts.append(f"{st.stage} {st.entered}{conv} ({med}/{p90} h{stalled})")
    worst = f"  <- most stalled: {report.bottleneck}" if report.bottleneck else ""
    return f"{report.pipeline:<8} " + " → ".join(parts) + worst


def funnel_chart_png(report: BottleneckReport) -> bytes:
    """A funnel of the main path: bar width = processes that entered the stage; the
    bottleneck stage is drawn in red with its stalled count."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    stages = list(report.stages)
    fig = Figure(figsize=(7, 0.7 * len(stages) + 1.2), dpi=100)
    ax = fig.subplots()
    widest = max((s.entered for s in stages), default=0) or 1
    for i, s in enumerate(stages):
        y = len(stages) - 1 - i
        colour = "#c0392b" if s.stage == report.bottleneck else "#2e86c1"
        ax.barh(y, s.entered, left=(widest - s.entered) / 2, color=colour, height=0.7)
        conv = f"  {s.conversion:.0%} of previous" if s.conversion is not None else ""
        stalled = f", {s.stalled} stalled" if s.stalled else ""
        ax.text(
            widest / 2,
            y,
            f"{s.stage.replace('_', ' ')}: {s.entered}{conv}{stalled}",
            ha="center",
            va="center",
            color="white" if s.entered > widest * 0.45 else "black",
            fontsize=9,
        )
    ax.set_yticks([])
    ax.set_xticks([])
    ax.set_xlim(0, widest)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    title = f"{report.pipeline} pipeline"
    if report.bottleneck:
        title += f": most stalled in {report.bottleneck.replace('_', ' ')}"
    ax.set_title(title, fontsize=11)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()
