"""Managers' digests: KPIs, anomalies, stalled processes, segments and unanswered questions by email.

`send_due_digests(settings, uow_factory, now)` is the scheduled entry point: run it daily (any
hour); each run sends the last complete day's digest to daily recipients and the last complete
week's (Monday to Sunday) to weekly ones, each at most once (`digests_sent`), so running it more
often, or again after a failure, is safe. `crmbot digest preview` writes what a recipient would get.
"""

from __future__ import annotations

from analytics.digest.delivery import send_digest_now, send_due_digests
from analytics.digest.periods import Period, last_complete
from analytics.digest.render import render_html, render_text, subject
from analytics.digest.report import SECTIONS, Digest, build_digest

__all__ = [
    "SECTIONS",
    "Digest",
    "Period",
    "build_digest",
    "last_complete",
    "render_html",
    "render_text",
    "send_digest_now",
    "send_due_digests",
    "subject",
]
