"""Digests by email against a real SMTP server (aiosmtpd): whole, once, and failures recorded."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import select

from analytics.digest import send_due_digests
from analytics.digest.recipients import add_recipient
from crm_store.models import DigestSent
from crm_store.settings import Settings
from tests.support.digest_data import plant_activity
from tests.support.smtp import SmtpServer, free_port

NOW = datetime(2026, 11, 18, 7, 30)  # Wednesday: the daily digest is for Tue 17 Nov, the weekly for 9-15 Nov
MIDNIGHT = NOW.replace(hour=0, minute=0)


def settings_for(port: int, **kw) -> Settings:  # type: ignore[no-untyped-def]
    values = {
        "smtp_port": port,
        "mail_from": "digest@shop.example",
        "smtp_retries": 3,
        "smtp_retry_delay": 0.05,
        "smtp_timeout": 5,
        **kw,
    }
    return Settings(**values)


def rows(uow_factory) -> list[DigestSent]:  # type: ignore[no-untyped-def]
    uow = uow_factory()
    with uow:
        found = list(uow.session.scalars(select(DigestSent).order_by(DigestSent.id)))
        uow.session.expunge_all()
        return found


def test_each_manager_gets_a_whole_digest_once(uow_factory):
    planted = plant_activity(uow_factory(), MIDNIGHT, days=10)
    truth = planted[MIDNIGHT - timedelta(days=1)]
    add_recipient(uow_factory(), "Ops.Lead@shop.example", NOW, name="Ops", frequency="daily")
    add_recipient(uow_factory(), "ceo@shop.example", NOW, frequency="both", sections=("processes", "anomalies"))

    with SmtpServer() as smtp:
        settings = settings_for(smtp.port)
        sent = send_due_digests(settings, uow_factory, NOW)
        again = send_due_digests(settings, uow_factory, NOW + timedelta(hours=3))
        received = list(smtp.messages)

    assert (sent, again) == (3, 0)
    assert sorted(m["To"] for m in received) == ["ceo@shop.example", "ceo@shop.example", "ops.lead@shop.example"]
    ops = next(m for m in received if m["To"] == "ops.lead@shop.example")
    assert ops["From"] == "digest@shop.example"
    assert ops["Subject"].startswith("Daily digest, Tue 17 Nov 2026: ")
    assert f"{truth['conversations']} conversations" in ops["Subject"]
    # multipart/alternative: text/plain, then multipart/related holding the HTML and its images.
    assert ops.get_content_type() == "multipart/alternative"
    text_part, related = ops.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    html, text = html_part.get_content(), text_part.get_content()
    cids = {img["Content-ID"].strip("<>") for img in images}
    # channels and trend; no funnel: no process entered a stage that day (the funnel counts only the period)
    assert len(images) == 2 and all(img.get_content_type() == "image/png" for img in images)
    assert all(img.get_content().startswith(b"\x89PNG") for img in images)
    referenced = {part.split('"')[0] for part in html.split('src="cid:')[1:]}
    assert referenced == cids
    # The numbers are the planted ones.
    assert f"Messages                     {truth['messages']:>12}" in text
    assert f"Handoffs                     {truth['handoffs']:>12}" in text
    assert (
        f'<td style="padding:5px 6px;border-bottom:1px solid #f1f5f9;font-size:14px;vertical-align:top;text-align:right;font-weight:600;white-space:nowrap;">{truth["conversations"]}</td>'
        in html
    )
    # Sections: the CEO's digest has processes, not the conversation tables or charts.
    ceo = next(m for m in received if m["To"] == "ceo@shop.example" and m["Subject"].startswith("Daily"))
    ceo_text = ceo.get_payload()[0].get_content()
    assert "ORDERS, RETURNS AND TICKETS" in ceo_text and "CONVERSATIONS AND MESSAGES" not in ceo_text
    assert ceo.get_payload()[1].get_content_type() == "text/html"  # no chart of a section not sent, so no related part
    weekly = next(m for m in received if m["Subject"].startswith("Weekly"))
    assert "week 46" in weekly["Subject"]
    recorded = rows(uow_factory)
    assert sorted((r.kind, r.recipients, r.status, r.attempts) for r in recorded) == [
        ("daily", "ceo@shop.example", "sent", 1),
        ("daily", "ops.lead@shop.example", "sent", 1),
        ("weekly", "ceo@shop.example", "sent", 1),
    ]


def test_smtp_down_is_recorded_and_the_next_run_delivers(uow_factory):
    add_recipient(uow_factory(), "ops@shop.example", NOW)
    port = free_port()  # nothing listens here yet
    settings = settings_for(port, smtp_retries=2)

    assert send_due_digests(settings, uow_factory, NOW) == 0

    [failed] = rows(uow_factory)
    assert (failed.status, failed.attempts) == ("failed", 2)
    assert "refused" in failed.error.lower()
    with SmtpServer(port=port) as smtp:
        assert send_due_digests(settings, uow_factory, NOW + timedelta(hours=1)) == 1
        assert len(smtp.messages) == 1
    [row] = rows(uow_factory)
    assert (row.status, row.attempts, row.error) == ("sent", 3, None)
    assert "quiet day" in row.subject


def test_starttls_and_login_from_settings(uow_factory, tmp_path):
    add_recipient(uow_factory(), "ops@shop.example", NOW)
    with SmtpServer(tls_dir=tmp_path, login=("digest-bot", "s3cret")) as smtp:
        good = settings_for(
            smtp.port,
            smtp_starttls=True,
            smtp_user="digest-bot",
            smtp_password="s3cret",
            smtp_ca_file=str(smtp.ca_file),
        )
        wrong = dataclasses.replace(good, smtp_password="wrong")

        refused = send_due_digests(wrong, uow_factory, NOW)
        [row] = rows(uow_factory)
        assert (refused, row.status, row.attempts) == (0, "failed", 1)  # a refused login is not retried
        assert send_due_digests(good, uow_factory, NOW) == 1

    assert smtp.logins == ["digest-bot"] and len(smtp.messages) == 1


def test_the_scheduler_sends_digests_as_a_recorded_job(uow_factory):
    from analytics.jobs import get_job, load_jobs, run_job

    plant_activity(uow_factory(), MIDNIGHT, days=3)
    add_recipient(uow_factory(), "ops@shop.example", NOW, frequency="daily")
    load_jobs()

    with SmtpServer() as smtp:
        first = run_job(get_job("send_digests"), settings_for(smtp.port), uow_factory().engine, NOW, scheduled_for=NOW)
        second = run_job(
            get_job("send_digests"),
            settings_for(smtp.port),
            uow_factory().engine,
            NOW + timedelta(days=0, hours=1),
            scheduled_for=NOW + timedelta(hours=1),
        )
        received = [m["To"] for m in smtp.messages]

    assert (first.status, first.rows) == ("ok", 1)
    assert (second.status, second.rows) == ("ok", 0)
    assert received == ["ops@shop.example"]
