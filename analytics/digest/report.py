"""Everything one digest says, gathered for one period: `build_digest(uow, period, now, ...)`."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from analytics.digest import charts
from analytics.digest.anomalies import Anomaly, find_anomalies
from analytics.digest.kpis import ChannelRow, by_channel, core_kpis, handoff_reasons
from analytics.digest.periods import Period
from analytics.digest.segments import Move, SegmentRow, moves, segment_sizes
from analytics.digest.stalled import StalledRow, open_flag_count, stalled_processes
from analytics.digest.unanswered import Group, cluster, unanswered_texts
from crm_store.db import UnitOfWork

log = logging.getLogger(__name__)

ANOMALY_KPIS = ["conversations", "messages", "containment", "fallback_rate", "handoff_rate", "first_response_min",
                "csat", "orders_opened", "tickets_opened", "returns_opened"]
SECTIONS = {
    "volume": "Conversations and messages",
    "assistant": "The assistant",
    "agents": "Agents",
    "processes": "Orders, returns and tickets",
    "stalled": "Stalled processes",
    "segments": "Segments",
    "unanswered": "What the assistant could not answer",
    "anomalies": "Out of the usual range",
}


@dataclass
class Bottlenecks:
    lines: list[str]
    png: bytes | None


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
    segments: list[SegmentRow] | None
    moves: list[Move]
    unanswered: list[Group]
    unanswered_total: int
    anomalies: list[Anomaly]
    little_history: list[str]
    bottlenecks: Bottlenecks | None
    charts: dict[str, bytes] = field(default_factory=dict)

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
    return any(kpis.get(k) for k in ("conversations", "messages", "handoffs", "ratings", "orders_opened", "orders_closed",
                                      "returns_opened", "returns_closed", "tickets_opened", "tickets_closed"))


def build_digest(uow: UnitOfWork, period: Period, now: datetime, top_n: int = 5, history_periods: int = 8) -> Digest:
    with uow:
        s = uow.session
        past = period.history(history_periods)
        history = [core_kpis(s, p) for p in past]
        kpis = core_kpis(s, period)
        channels = by_channel(s, period)
        previous_channels = {r.channel: r for r in by_channel(s, period.previous())}
        texts = unanswered_texts(s, period.start, period.end)
        groups = cluster(texts)
        # A period where nothing at all happened (the shop was not live yet) says nothing about what is usual.
        anomalies, little = find_anomalies(kpis, [h for h in history if _active(h)], ANOMALY_KPIS)
        digest = Digest(
            period=period, now=now, kpis=kpis, previous=history[-1] if history else core_kpis(s, period.previous()),
            history=history, channels=channels, previous_channels=previous_channels,
            handoff_reasons=handoff_reasons(s, period, top_n),
            stalled=stalled_processes(s, now, top_n), open_flags=open_flag_count(s),
            segments=segment_sizes(s, period), moves=moves(s, period, top_n),
            unanswered=groups[:top_n], unanswered_total=len(texts),
            anomalies=anomalies, little_history=little, bottlenecks=_bottlenecks(uow, period, now),
        )
    _draw(digest, past)
    return digest


def _draw(digest: Digest, past: list[Period]) -> None:
    names = sorted({r.channel for r in digest.channels} | set(digest.previous_channels))
    png = charts.channels_png(
        names, [next((r.conversations for r in digest.channels if r.channel == n), 0) for n in names],
        [digest.previous_channels[n].conversations if n in digest.previous_channels else 0 for n in names],
        "this " + digest.period.kind, "the " + digest.period.kind + " before")
    if png:
        digest.charts["channels"] = png
    series = [*digest.history, digest.kpis]
    png = charts.trend_png(
        [p.short for p in past] + [digest.period.short], [k.get("conversations") for k in series],
        {"resolved by the assistant": [k.get("containment") for k in series],
         "fallback": [k.get("fallback_rate") for k in series], "handoff": [k.get("handoff_rate") for k in series]})
    if png:
        digest.charts["trend"] = png
    if digest.bottlenecks and digest.bottlenecks.png:
        digest.charts["funnel"] = digest.bottlenecks.png


def _bottlenecks(uow: UnitOfWork, period: Period, now: datetime) -> Bottlenecks | None:
    """The analytics issue's bottleneck report and funnel chart, when that module exists."""
    try:
        from analytics.bottlenecks import bottleneck_report, funnel_chart_png  # type: ignore[import-not-found]
    except ImportError:
        return None
    # Another team's module behind a guessed interface (uow, now): a failure there must not cost
    # the managers their digest, so it is logged and the section says "not computed yet".
    try:
        report = bottleneck_report(uow, now)
        png = funnel_chart_png(uow, now)
    except Exception:  # noqa: BLE001
        log.exception("bottleneck report failed; the digest goes out without it")
        return None
    if report is None:
        return None
    lines = report.splitlines() if isinstance(report, str) else [str(item) for item in report]
    return Bottlenecks([line for line in lines if line.strip()], png if isinstance(png, (bytes, bytearray)) else None)
