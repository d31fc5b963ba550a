"""The digest's numbers come from the CRM: planted activity in, the same numbers out."""

from __future__ import annotations

from datetime import datetime, timedelta

from analytics.digest import build_digest, last_complete, render_html, render_text, subject
from analytics.digest.kpis import KPIS
from analytics.digest.render import fmt
from analytics.jobs import get_job, run_job
from crm_store.models import Customer, Segment, SegmentChange, SegmentMembership
from crm_store.settings import Settings
from tests.integration.test_segmentation import buy_like_a_loyal_customer, plant as plant_customers
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
        ch[5:]: n for ch, n in truth.items() if ch.startswith("conv:")
    }
    text = render_text(digest)
    assert f"{KPIS['conversations'][0]:<28} {truth['conversations']:>12}" in text
    assert f"+{truth['conversations'] - before['conversations']}" in text
    # Three times the usual traffic is out of the usual range, and said so with the range.
    assert "conversations" in {a.kpi for a in digest.anomalies}
    assert f"Conversations was {truth['conversations']}, above its usual range of" in text
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
        assert "No stall check had run by the end of this week" in part
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


def _segment_lines(text: str) -> list[str]:
    part = text.split("SEGMENTS", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in part.splitlines() if line.strip()]


def test_segments_computed_after_the_period_show_current_sizes_as_of_then(engine, uow_factory):
    # The weekly digest for last week, computed today; the segmentation job first ran this morning.
    ran_at = NOW.replace(hour=3, minute=15)
    groups = plant_customers(engine, ran_at)
    run_job(get_job("segment_customers"), Settings(segment_max_k=6), engine, ran_at)

    digest = build_digest(uow_factory(), last_complete("week", NOW), NOW)

    sizes = {r.name: r.size for r in digest.segments.rows}
    assert sizes == {name: len(ids) for name, ids in groups.items()}  # not 0 ("no customers")
    assert digest.segments.as_of == ran_at
    text, html = render_text(digest), render_html(digest, inline=True)
    assert "as of Wed 18 Nov 2026 03:15" in text and "as of Wed 18 Nov 2026 03:15" in html
    lines = _segment_lines(text)
    assert any(line.startswith("champions") and " 60" in line for line in lines), lines
    assert not any("no change" in line or "+60" in line for line in lines), (
        lines
    )  # no change against a start we cannot know


def test_segment_sizes_are_those_at_the_period_end_not_the_current_ones(engine, uow_factory):
    week = last_complete("week", NOW)
    groups = plant_customers(engine, week.start - timedelta(days=2))
    run_job(get_job("segment_customers"), Settings(segment_max_k=6), engine, week.start - timedelta(days=2))
    mover = groups["hibernating"][0]
    buy_like_a_loyal_customer(engine, mover, week.end)
    run_job(
        get_job("segment_customers"), Settings(segment_max_k=6), engine, week.end + timedelta(hours=3)
    )  # after the period

    digest = build_digest(uow_factory(), week, NOW)

    assert digest.segments.as_of is None
    # At the week's end the mover was still a lapsed buyer; today's move belongs to next week's digest.
    assert {r.name: (r.size, r.previous) for r in digest.segments.rows} == {
        name: (len(ids), len(ids)) for name, ids in groups.items()
    }
    assert digest.moves == []
    text = render_text(digest)
    assert "as of" not in text.split("SEGMENTS", 1)[1].split("\n\n", 1)[0]

    next_week = build_digest(uow_factory(), week.previous(-1), week.end + timedelta(days=8))

    sizes = {r.name: r.size - r.previous for r in next_week.segments.rows}
    assert sizes == {"champions": 1, "hibernating": -1, "support-heavy": 0}
    assert [(m.from_segment, m.to_segment) for m in next_week.moves] == [("hibernating", "champions")]


def test_memberships_older_than_the_change_log_count_where_they_were(uow_factory):
    week = last_complete("week", NOW)
    before, during, after = (
        week.start - timedelta(days=20),
        week.start + timedelta(days=2),
        week.end + timedelta(hours=3),
    )
    uow = uow_factory()
    with uow:
        s = uow.session
        a, b = Segment(name="a", created_at=before), Segment(name="b", created_at=before)
        c1, c2, c3 = (Customer(name=n, created_at=before) for n in ("Stays In A", "Left A Today", "Joined B"))
        s.add_all([a, b, c1, c2, c3])
        s.flush()
        s.add_all(
            [  # c1 and c2 were in a before the log began; c2 moved to b this morning, c3 joined b in the week
                SegmentMembership(segment_id=a.id, customer_id=c1.id, assigned_at=before),
                SegmentMembership(segment_id=b.id, customer_id=c2.id, assigned_at=after, previous_segment_id=a.id),
                SegmentChange(customer_id=c2.id, from_segment_id=a.id, to_segment_id=b.id, changed_at=after),
                SegmentMembership(segment_id=b.id, customer_id=c3.id, assigned_at=during),
                SegmentChange(customer_id=c3.id, from_segment_id=None, to_segment_id=b.id, changed_at=during),
            ]
        )
        uow.commit()

    digest = build_digest(uow_factory(), week, NOW)

    assert digest.segments.as_of is None
    assert {r.name: (r.size, r.previous) for r in digest.segments.rows} == {"a": (2, 2), "b": (1, 0)}
    assert [(m.customer, m.from_segment, m.to_segment) for m in digest.moves] == [("Joined B", None, "b")]


def test_conversations_are_counted_per_customer_language(uow_factory):
    """Each conversation counts once, in the language most of its customer messages were
    written in; one with no message long enough to tell is "unknown"."""
    import uuid

    from crm_store.models import Conversation, Message

    day = MIDNIGHT - timedelta(days=1)
    # (languages of the customer's messages, in order) per conversation of the day
    planted = [
        ["fr", "fr"],
        ["fr", None, "fr", "en"],  # mostly French, one English sentence
        ["de"],
        ["es", "en", "en"],  # switched to English
        [None],  # "ok": too short to tell
        ["it"],
    ]
    uow = uow_factory()
    with uow:
        for n, languages in enumerate(planted):
            start = day + timedelta(hours=9, minutes=n)
            conv = Conversation(
                sender_id=f"lang-{uuid.uuid4().hex[:12]}",
                channel="rest",
                started_at=start,
                last_event_at=start,
                paused=False,
                status="open",
            )
            uow.session.add(conv)
            uow.session.flush()
            for i, language in enumerate(languages):
                uow.session.add(
                    Message(
                        conversation_id=conv.id,
                        event_key=uuid.uuid4().hex,
                        direction="in",
                        text="…",
                        language=language,
                        sent_at=start + timedelta(seconds=i),
                    )
                )
        uow.commit()

    digest = build_digest(uow_factory(), last_complete("day", NOW), NOW, history_periods=2)

    assert [(r.language, r.conversations) for r in digest.languages] == [
        ("fr", 2),
        ("de", 1),
        ("en", 1),
        ("it", 1),
        ("unknown", 1),
    ]
    text, html = render_text(digest), render_html(digest, inline=True)
    assert "  By the customer's language:\n  French               2 conversations (was 0)\n" in text
    assert "  unknown              1 conversations (was 0)\n" in text
    assert "<td style=" in html and ">French</td>" in html and ">Italian</td>" in html
