"""The digest preview at a mail client's width (600 px) in headless Chromium.

The CRM is seeded (`crmbot seed`) and given eight weeks of planted chat activity, stalled flags
and segments; the full-page screenshot is copied to docs/digest.png for the README.
"""

from __future__ import annotations

import shutil
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analytics.digest import build_digest, last_complete, render_html  # noqa: E402
from crm_store.db import UnitOfWork, make_engine, migrate  # noqa: E402
from crm_store.seed import seed  # noqa: E402
from tests.support.browser import screenshot_path  # noqa: E402
from tests.support.digest_data import plant_activity, plant_flags_and_segments  # noqa: E402

NOW = datetime(2026, 12, 1, 6, 0)
MAIL_WIDTH = {"width": 600, "height": 900}


def test_the_preview_reads_well_at_600_px(browser, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    migrate(engine)
    uow = lambda: UnitOfWork(engine)  # noqa: E731
    seed(uow(), size=50, now=NOW)
    plant_activity(uow(), NOW.replace(hour=0), days=56, busy_last_day=2.5)
    plant_flags_and_segments(uow(), NOW)
    page_file = tmp_path / "digest.html"
    page_file.write_text(
        render_html(build_digest(uow(), last_complete("day", NOW), NOW), inline=True), encoding="utf-8"
    )
    engine.dispose()

    page = browser.new_page(viewport=MAIL_WIDTH)
    page.goto(page_file.as_uri())

    assert page.evaluate("document.documentElement.scrollWidth") <= MAIL_WIDTH["width"]  # no sideways scrolling
    sizes = page.evaluate("Array.from(document.images).map(i => [i.naturalWidth, i.getBoundingClientRect().width])")
    assert len(sizes) == 3 and all(
        natural > 0 and 0 < shown <= 560 for natural, shown in sizes
    )  # channels, trend, funnel
    headings = page.locator("h2").all_inner_texts()
    assert headings[:3] == ["Out of the usual range", "Conversations and messages", "The assistant"]
    assert {"Stalled processes", "Segments", "What the assistant could not answer"} <= set(headings)
    body = page.locator("body").inner_text()
    assert "Conversations was" in body and "above its usual range of" in body
    # No text under 12 px (table headers; body text is 13-14 px): readable on a phone without zooming.
    smallest = page.evaluate("""Math.min(...Array.from(document.querySelectorAll('td, p, div'))
        .filter(e => e.innerText && e.innerText.trim() && e.children.length === 0)
        .map(e => parseFloat(getComputedStyle(e).fontSize)))""")
    assert smallest >= 12
    shot = screenshot_path("digest-600px")
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    (ROOT / "docs").mkdir(exist_ok=True)
    shutil.copyfile(shot, ROOT / "docs" / "digest.png")
