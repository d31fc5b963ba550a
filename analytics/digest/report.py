"""Everything one digest says, gathered for one period: `build_digest(uow, period, now, ...)`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from analytics.bottlenecks import (
    PIPELINES,
    BottleneckReport,
    bottleneck_report,
)
from analytics.digest import charts
from analytics.digest.anomalies import Anomaly, find_anomalies
from analytics.digest.kpis import ChannelRow, LanguageRow, by_channel, by_language, core_kpis, handoff_reasons
from analytics.digest.outlook import Outlook, outlook
from analytics.digest.periods import Period
from analytics.digest.segments import Move, SegmentSizes, moves, segment_sizes
from analytics.digest.stalled import StalledRow, open_flag_count, stalled_processes
from analytics.digest.unanswered import Group, cluster, unanswered_texts
from analytics.pipelines import human_duration
from crm_store.db import UnitOfWork
from crm_store.settings import Settings

log = logging.getLogger(__name__)

ANOMALY_KPIS = [
    "revenue",
    "orders_opened",
    "aov",
    "conversations",
    "messages",
    "containment",
    "fallback_rate",
    "handoff_rate",
    "first_response_min",
    "csat",
    "tickets_opened",
    "returns_opened",
]
SECTIONS = {
    "volume": "Conversations and messages",
    "assistant": "The assistant",
    "agents": "Agents",
    "processes": "Orders, returns and tickets",
    "stalled": "Stalled processes",
    "segments": "Segments",
    "outlook": "Next weeks' sales and customers",
    "unanswered": "What the assistant could not answer",
    "anomalies": "Out of the usual range",
}


@dataclass(frozen=True)
class PipelineRow:
    """One pipeline as a manager reads it: how many started, how many got to the end, where
    time goes, where items are stuck."""

    pipeline: str
    entered: int
    finished: int
    last_stage: str
    slowest_stage: str | None
    slowest_median_hours: float | None
    stalled_stage: str | None
    stalled: int

    @property
    def line(self) -> str:
        share = f" ({self.finished / self.entered:.0%})" if self.entered else ""
        slow = (
            f"slowest stage {self.slowest_stage} (median {human_duration(self.slowest_median_hours)})"
            if self.slowest_stage and self.slowest_median_hours is not None
            else "no stage timings yet"
        )
        stuck = f"most stalled: {self.stalled_stage} ({self.stalled})" if self.stalled_stage else "nothing stalled"
        return f"{self.pipeline}: {self.entered} entered, {self.finished} reached {self.last_stage}{share}; {slow}; {stuck}"


@dataclass
class Bottlenecks:
    rows: list[PipelineRow]
    png: bytes | None

    @property
    def lines(self) -> list[str]:
        return [row.line for row in self.rows]


@dataclass
class Digest:
    period: Period
    now: datetime
    kpis: dict[str, float | None]
    previous: dict[str, float | None]
    history: list[dict[str, float | None]]  # oldest first, without this period
    channels: list[ChannelRow]
    previous_channels: dict[str, ChannelRow]
    handoff_reasons: list[tuple[str, int]]
    stalled: list[StalledRow] | None
    open_flags: int
    segments: SegmentSizes | None
    moves: list[Move]
    unanswered: list[Group]
    unanswered_total: int
    anomalies: list[Anomaly]
    little_history: list[str]
    bottlenecks: Bottlenecks | None
    outlook: Outlook | None = None  # the analytics jobs' latest runs made by `now` (not the period's record)
    charts: dict[str, bytes] = field(default_factory=dict)
    currency: str | None = None  # ISO 4217 code of revenue and order values; None: bare numbers
    locale: str = "en_GB"  # how amounts are written (Babel)
    # Conversations per customer language, this period and the one before (by code).
    languages: list[LanguageRow] = field(default_factory=list)
    previous_languages: dict[str, LanguageRow] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing happened in the period at all."""
        return not _active(self.kpis)

    @property
    def too_little_history(self) -> bool:
        """No KPI with a value this period could be judged against its past."""
        judged = [k for k in ANOMALY_KPIS if self.kpis.get(k) is not None and k not in self.little_history]
        return not judged


def _active(kpis: dict[str, float | None]) -> bool:
    return any(
        kpis.get(k)
        for k in (
            "conversations",
            "messages",
            "handoffs",
            "ratings",
            "orders_opened",
            "orders_closed",
            "returns_opened",
            "returns_closed",
            "tickets_opened",
            "tickets_closed",
        )
    )


def build_digest(
    uow: UnitOfWork,
    period: Period,
    now: datetime,
    top_n: int = 5,
    history_periods: int = 8,
    currency: str | None = Settings.shop_currency,
    locale: str = Settings.shop_locale,
) -> Digest:
    """`currency` and `locale` are the shop's (SHOP_CURRENCY, SHOP_LOCALE): revenue and order
    values are written with them."""
    with uow:
        s = uow.session
        past = period.history(history_periods)
        history = [core_kpis(s, p) for p in past]
        kpis = core_kpis(s, period)
        channels = by_channel(s, period)
        previous_channels = {r.channel: r for r in by_channel(s, period.previous())}
        languages = by_language(s, period)
        previous_languages = {r.language: r for r in by_language(s, period.previous())}
        texts = unanswered_texts(s, period.start, period.end)
        groups = cluster(texts)
        # A period where nothing at all happened (the shop was not live yet) says nothing about what is usual.
        anomalies, little = find_anomalies(kpis, [h for h in history if _active(h)], ANOMALY_KPIS)
        digest = Digest(
            period=period,
            now=now,
            kpis=kpis,
            previous=history[-1] if history else core_kpis(s, period.previous()),
            history=history,
            channels=channels,
            previous_channels=previous_channels,
            languages=languages,
            previous_languages=previous_languages,
            handoff_reasons=handoff_reasons(s, period, top_n),
            stalled=stalled_processes(s, period.end, top_n),
            open_flags=open_flag_count(s, period.end),
            segments=segment_sizes(s, period),
            moves=moves(s, period, top_n),
            unanswered=groups[:top_n],
            unanswered_total=len(texts),
            anomalies=anomalies,
            little_history=little,
            bottlenecks=_bottlenecks(uow, period, now),
            outlook=outlook(uow, now),
            currency=currency,
            locale=locale,
        )
    _draw(digest, past)
    return digest


def _draw(digest: Digest, past: list[Period]) -> None:
    names = sorted({r.channel for r in digest.channels} | set(digest.previous_channels))
    png = charts.channels_png(
        names,
        [next((r.conversations for r in digest.channels if r.channel == n), 0) for n in names],
        [digest.previous_channels[n].conversations if n in digest.previous_channels else 0 for n in names],
        "this " + digest.period.kind,
        "the " + digest.period.kind + " before",
    )
    if png:
        digest.charts["channels"] = png
    series = [*digest.history, digest.kpis]
    png = charts.trend_png(
        [p.short for p in past] + [digest.period.short],
        [k.get("conversations") for k in series],
        {
            "resolved by the assistant": [k.get("containment") for k in series],
            "fallback": [k.get("fallback_rate") for k in series],
            "handoff": [k.get("handoff_rate") for k in series],
        },
    )
    if png:
        digest.charts["trend"] = png
    if digest.bottlenecks and digest.bottlenecks.png:
        digest.charts["funnel"] = digest.bottlenecks.png


def _bottlenecks(uow: UnitOfWork, period: Period, now: datetime) -> Bottlenecks | None:
    """One line per pipeline (time per stage, conversion, the most stalled stage) and the funnel
    of the pipeline with most stalled items; None while no process has entered any stage."""
    # A failure in this section must not cost the managers their digest: logged, and the
    # section says "not computed yet".
    try:
        reports = [bottleneck_report(uow, pipeline, period.end, (period.start, period.end)) for pipeline in PIPELINES]
        reports = [r for r in reports if any(st.entered for st in r.stages)]
        if not reports:
            return None
        worst = max(reports, key=lambda r: r.total_stalled)
        return Bottlenecks([_pipeline_row(r) for r in reports], charts.funnel_png(worst))
    except Exception:  # noqa: BLE001 - the edge of one optional section
        log.exception("bottleneck report failed; the digest goes out without it")
        return None


def _pipeline_row(report: BottleneckReport) -> PipelineRow:
    timed = [st for st in report.stages if st.median_hours is not None]
    slowest = max(timed, key=lambda st: st.median_hours or 0.0, default=None)
    stuck = next((st for st in report.stages if st.stage == report.bottleneck), None)
    return PipelineRow(
        pipeline=report.pipeline,
        entered=report.stages[0].entered,
        finished=report.stages[-1].entered,
        last_stage=report.stages[-1].stage,
        slowest_stage=slowest.stage if slowest else None,
        slowest_median_hours=slowest.median_hours if slowest else None,
        stalled_stage=stuck.stage if stuck else None,
        stalled=stuck.stalled if stuck else 0,
    )
