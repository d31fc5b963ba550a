"""The digest's numbers come from the CRM: planted activity in, the same numbers out."""
from __future__ import annotations

from datetime import datetime, timedelta

from analytics.digest import build_digest, last_complete, render_html, render_text, subject
from analytics.digest.kpis import KPIS
from analytics.digest.render import fmt
from tests.support.digest_data import plant_activity

NOW = datetime(2026, 11, 18, 7, 30)  # a Wednesday
MIDNIGHT = NOW.replace(hour=0, minute=0)


def test_numbers_match_the_planted_data(uow_factory):
    planted = plant_activity(uow_factory(), MIDNIGHT, days=10, busy_last_day=3)
    day = MIDNIGHT - timedelta(days=1)
    truth, before = planted[day], planted[day - timedelta(days=1)]

    digest = build_digest(uow_factory(), last_complete("day", NOW), NOW, top_n=5, history_periods=8)

    k = digest.kpis
    assert k["conversations"] == truth["conversations"]
    assert k["messages"] == truth["messages"]
    assert k["handoffs"] == truth["handoffs"]
    assert k["fallback_rate"] == truth["fallback"] / truth["in"]
    assert k["ratings"] == truth["ratings"]
    assert k["csat"] == truth["rating_sum"] / truth["ratings"]
    assert digest.previous["conversations"] == before["conversations"]
    assert {r.channel: r.conversations for r in digest.channels} == {
        ch[5:]: n for ch, n in truth.items() if ch.startswith("conv:")}
    text = render_text(digest)
    assert f"{KPIS['conversations'][0]:<28} {truth['conversations']:>12}" in text
    assert f"+{truth['conversations'] - before['conversations']}" in text
    # Three times the usual traffic is out of the usual range, and said so with the range.
    assert "conversations" in {a.kpi for a in digest.anomalies}
    assert f"Conversations was {truth['conversations']}; usually" in text
    assert "OUT OF THE USUAL RANGE" in text
    # The unanswered groups hold the planted fallback topics, each counted.
    assert sum(g.count for g in digest.unanswered) <= digest.unanswered_total
    assert digest.unanswered and all(g.examples for g in digest.unanswered)
    html = render_html(digest)
    assert set(digest.charts) == {"channels", "trend", "funnel"}  # planted tickets and handoffs have stages
    for name in digest.charts:
        assert f'src="cid:{name}.digest@crmbot"' in html


def test_an_empty_period_says_so_without_charts(uow_factory):
    digest = build_digest(uow_factory(), last_complete("week", NOW), NOW)

    assert digest.empty and digest.charts == {}
    assert all(digest.kpis[k] is None for k in ("containment", "fallback_rate", "handoff_rate", "csat"))
    assert "nothing happened" in subject(digest)
    text, html = render_text(digest), render_html(digest, inline=True)
    for part in (text, html):
        assert "A quiet week" in part
        assert "Stalled processes: not computed yet" in part
        assert "Segments: not computed yet" in part
        assert "Bottlenecks: not computed yet" in part
        assert "Too little history" in part
    assert "<img" not in html


def test_sections_limit_what_is_rendered(uow_factory):
    plant_activity(uow_factory(), MIDNIGHT, days=3)
    digest = build_digest(uow_factory(), last_complete("day", NOW), NOW, history_periods=2)

    text = render_text(digest, ["processes"])

    assert "ORDERS, RETURNS AND TICKETS" in text
    assert "CONVERSATIONS AND MESSAGES" not in text and "WHAT THE ASSISTANT" not in text


def test_formatting_of_empty_and_rate_values():
    assert fmt(None, "%") == "no data"
    assert fmt(0.426, "%") == "43%"
    assert fmt(125, "min") == "2.1 h"
