"""The manager's analytics page in headless Chromium, over a CRM where every analytics job has
run on planted data; and the digest's signed manage link, used without logging in.

The full-page screenshot is copied to docs/analytics.png for docs/managers.md.
"""

from __future__ import annotations

import shutil
import socket
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analytics.digest.links import links_for  # noqa: E402
from analytics.digest.recipients import add_recipient, list_recipients  # noqa: E402
from analytics.jobs import get_job, run_job  # noqa: E402
from analytics.stalled import KIND  # noqa: E402
from crm_store.db import UnitOfWork, make_engine, migrate  # noqa: E402
from crm_store.models import Flag  # noqa: E402
from crm_store.services import console_users  # noqa: E402
from crm_store.settings import Settings  # noqa: E402
from tests.integration.test_baskets import planted_lines  # noqa: E402
from tests.integration.test_propensity import AS_OF  # noqa: E402
from tests.integration.test_propensity import plant as plant_buyers  # noqa: E402
from tests.support.browser import DESKTOP, screenshot_path  # noqa: E402

PASSWORD = "manager-test-pass-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _plant(engine) -> None:  # type: ignore[no-untyped-def]
    from crm_store.models import Order, OrderItem, Product

    groups = plant_buyers(engine)  # weekly buyers, lapsed, one-timers: orders over 400 days
    with engine.begin() as conn:
        pids = [
            conn.execute(
                insert(Product).values(sku=f"A{i}-{uuid.uuid4().hex[:5]}", name=name, price=5, stock=3)
            ).inserted_primary_key[0]
            for i, name in enumerate(
                ["herb marker thyme", "herb marker rosemary"] + [f"gift item {i}" for i in range(3, 23)], 1
            )
        ]
        cid = groups["weekly"][0]
        for n, items in planted_lines():
            at = AS_OF - timedelta(days=1 + n % 300, hours=1)
            oid = conn.execute(
                insert(Order).values(
                    number=f"K-{uuid.uuid4().hex[:10]}",
                    customer_id=cid,
                    status="delivered",
                    stage_entered_at=at,
                    placed_at=at,
                    total=10,
                )
            ).inserted_primary_key[0]
            conn.execute(
                insert(OrderItem),
                [{"order_id": oid, "product_id": pids[p - 1], "quantity": 1, "unit_price": 5} for p in items],
            )
        conn.execute(
            insert(Flag).values(
                process="order",
                process_id=1,
                kind=KIND,
                reason="packed for 5 days (usually under 2)",
                raised_at=AS_OF - timedelta(days=1),
                stage="packed",
                owner="warehouse",
                customer_id=groups["lapsed"][0],
                stage_entered_at=AS_OF - timedelta(days=5),
                threshold_hours=48,
            )
        )
    for job in ("segment_customers", "mine_basket_rules", "score_propensity", "forecast_sales"):
        result = run_job(get_job(job), Settings(segment_max_k=6), engine, AS_OF)
        assert result.status == "ok", (job, result.error)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    import uvicorn

    from bot.console.app import create_app

    tmp = tmp_path_factory.mktemp("analytics")
    port = _free_port()
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'crm.db'}",
        var_dir=str(tmp / "var"),
        console_secret="test-only-secret",
        console_demo_users=False,
        console_url=f"http://127.0.0.1:{port}",
    )
    engine = make_engine(settings.database_url)
    migrate(engine)
    _plant(engine)
    console_users.ensure_user(UnitOfWork(engine), "max", "manager", PASSWORD, datetime.utcnow())
    add_recipient(UnitOfWork(engine), "ops@shop.example", datetime.utcnow(), frequency="daily")
    app = create_app(settings, run_monitor=False)
    app.state.console.clock = lambda: AS_OF + timedelta(hours=6)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield settings, engine, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_a_manager_sees_segments_stalled_rules_buyers_and_the_forecast(browser, console):
    settings, engine, base = console
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{base}/login?next=/analytics")
    page.fill("input[name=username]", "max")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/analytics")

    headings = page.locator("h2").all_inner_texts()
    assert headings == [
        "Segments",
        "Stalled, most overdue first",
        "Funnels",
        "Sales forecast",
        "Who will buy in the next 90 days",
        "Bought together",
    ]
    segments = page.locator("#segments tbody tr td:first-child").all_inner_texts()
    assert {"hibernating"} <= set(segments) and len(segments) >= 2
    stalled = page.locator("#stalled tbody tr").first.inner_text()
    assert "warehouse" in stalled and "×2.6" in stalled  # 5 days 6 hours in stage against 48 hours
    assert "herb marker thyme" in page.locator("#rules").inner_text()
    assert page.locator("#forecast svg polyline").count() == 2
    likely = page.locator("#propensity table").first.locator("tbody tr").count()
    assert likely == 15
    shot = screenshot_path("analytics-page")
    page.screenshot(path=str(shot), full_page=True)
    (ROOT / "docs").mkdir(exist_ok=True)
    shutil.copyfile(shot, ROOT / "docs" / "analytics.png")

    page.click("#segments tbody tr:first-child a")
    assert page.locator("h1").inner_text() == segments[0]
    assert page.locator("tbody tr").count() >= 1
    page.close()


def test_the_digest_manage_link_changes_only_its_recipient_without_a_login(browser, console):
    settings, engine, base = console
    link = links_for(settings, "ops@shop.example").manage
    page = browser.new_page(viewport=DESKTOP)

    page.goto(link)
    page.check("input[value=weekly]")
    page.click("button[type=submit]")

    assert "Done: you will get the weekly digest." in page.locator("main").inner_text()
    assert [(r.email, r.frequency) for r in list_recipients(UnitOfWork(engine), settings)] == [
        ("ops@shop.example", "weekly")
    ]
    page.goto(link[:-3] + "abc")
    assert "This link is not valid" in page.locator("main").inner_text()
    page.close()
