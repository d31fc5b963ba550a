"""`crmbot digest ...` and `crmbot nlu candidates` as a manager meets them."""

from __future__ import annotations

from datetime import datetime

from crm_store.db import UnitOfWork, make_engine, migrate
from tests.integration.test_cli import crmbot
from tests.support.digest_data import plant_activity


def test_preview_writes_a_readable_html_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    out = tmp_path / "digest.html"

    result = crmbot("digest", "preview", "--period", "week", "--out", str(out), DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert "weekly digest" in html and "A quiet week" in html and "cid:" not in html


def test_nlu_candidates_exports_grouped_fallbacks_as_yaml(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = make_engine(url)
    migrate(engine)
    today = datetime.utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    plant_activity(UnitOfWork(engine), today, days=5)
    engine.dispose()
    out = tmp_path / "candidates.yml"

    result = crmbot("nlu", "candidates", "--days", "10", "--out", str(out), DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    import yaml

    data = yaml.safe_load(out.read_text())
    examples = [e for item in data["nlu"] for e in item["examples"].split("\n") if e]
    assert data["nlu"][0]["intent"].startswith("candidate_01_")
    assert any("switzerland" in e.lower() for e in examples)


def test_recipients_are_added_changed_listed_and_removed(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"

    added = crmbot(
        "digest",
        "recipients",
        "add",
        "Boss@Shop.example",
        "--frequency",
        "weekly",
        "--sections",
        "stalled,anomalies",
        DATABASE_URL=url,
    )
    bad = crmbot("digest", "recipients", "add", "not-an-address", DATABASE_URL=url)
    unknown = crmbot("digest", "recipients", "set", "boss@shop.example", "--sections", "gossip", DATABASE_URL=url)
    changed = crmbot(
        "digest", "recipients", "set", "boss@shop.example", "--frequency", "both", "--pause", DATABASE_URL=url
    )
    listed = crmbot("digest", "recipients", "list", DATABASE_URL=url, DIGEST_RECIPIENTS="ops@shop.example")
    removed = crmbot("digest", "recipients", "remove", "boss@shop.example", DATABASE_URL=url)
    after = crmbot("digest", "recipients", "list", DATABASE_URL=url)

    assert added.returncode == 0 and "added boss@shop.example: weekly, stalled,anomalies" in added.stdout
    assert bad.returncode == 2 and bad.stderr.startswith("crmbot: 'not-an-address' is not an email address")
    assert unknown.returncode == 2 and "unknown section(s) gossip" in unknown.stderr
    assert changed.returncode == 0, changed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["boss@shop.example", "both", "stalled,anomalies", "(paused)"]
    assert lines[1].split() == ["ops@shop.example", "both", "all", "sections", "(from", "DIGEST_RECIPIENTS)"]
    assert removed.returncode == 0 and "no digest recipients yet" in after.stdout


def test_send_now_delivers_once_then_says_already_sent(tmp_path):
    from tests.support.smtp import SmtpServer

    url = f"sqlite:///{tmp_path / 'crm.db'}"
    with SmtpServer() as smtp:
        env = {"DATABASE_URL": url, "SMTP_PORT": str(smtp.port), "MAIL_FROM": "digest@shop.example"}
        first = crmbot("digest", "send", "--to", "ops@shop.example", **env)
        second = crmbot("digest", "send", "--to", "ops@shop.example", **env)
        forced = crmbot("digest", "send", "--to", "ops@shop.example", "--again", **env)

    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "sent to ops@shop.example"
    assert second.stdout.strip().startswith("already sent to ops@shop.example")
    assert forced.stdout.strip() == "sent to ops@shop.example"
    assert [m["To"] for m in smtp.messages] == ["ops@shop.example", "ops@shop.example"]


def test_send_without_period_names_the_day_and_points_to_the_weekly_recipients(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    crmbot("digest", "recipients", "add", "boss@shop.example", "--frequency", "weekly", DATABASE_URL=url)

    result = crmbot("digest", "send", "--as-of", "2026-12-02T08:00", DATABASE_URL=url)
    weekly_nobody = crmbot("digest", "recipients", "set", "boss@shop.example", "--pause", DATABASE_URL=url)
    nobody = crmbot("digest", "send", "--period", "week", "--as-of", "2026-12-02T08:00", DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "nobody gets the daily digest (Tue 01 Dec 2026, the default without --period); "
        "1 recipient gets the weekly one: send it with `crmbot digest send --period week`"
    )
    assert weekly_nobody.returncode == 0, weekly_nobody.stderr
    assert nobody.stdout.strip() == (
        "nobody gets the weekly digest (week 48, 23 Nov – 29 Nov 2026): "
        "add someone with `crmbot digest recipients add EMAIL` or use --to"
    )


def test_preview_writes_money_in_the_shops_currency(tmp_path):
    out = tmp_path / "digest.html"

    result = crmbot(
        "digest",
        "preview",
        "--period",
        "week",
        "--out",
        str(out),
        DATABASE_URL=f"sqlite:///{tmp_path / 'crm.db'}",
        SHOP_CURRENCY="GBP",
        SHOP_LOCALE="en_GB",
    )

    assert result.returncode == 0, result.stderr
    assert "£0.00" in out.read_text()
