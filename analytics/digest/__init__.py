"""Managers' digests: KPIs, anomalies, stalled processes, segments and unanswered questions by email.

`send_due_digests(settings, uow_factory, now)` is the scheduled entry point: run it daily (any
hour); each run sends the last complete day's digest to daily recipients and the last complete
week's (Monday to Sunday) to weekly ones, each at most once (`digests_sent`), so running it more
often, or again after a failure, is safe. `crmbot digest preview` writes what a recipient would get.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analytics.digest.delivery import send_digest_now, send_due_digests
    from analytics.digest.periods import Period, last_complete
    from analytics.digest.render import render_html, render_text, subject
    from analytics.digest.report import SECTIONS, Digest, build_digest

# Loaded when first asked for: they need pandas and matplotlib, and every `crmbot` command (even
# `crmbot --help`) imports this package to register `crmbot digest`.
_HOME = {
    "send_digest_now": "delivery",
    "send_due_digests": "delivery",
    "Period": "periods",
    "last_complete": "periods",
    "render_html": "render",
    "render_text": "render",
    "subject": "render",
    "SECTIONS": "report",
    "Digest": "report",
    "build_digest": "report",
}


def __getattr__(name: str) -> object:
    if name in _HOME:
        return getattr(importlib.import_module(f"analytics.digest.{_HOME[name]}"), name)
    raise AttributeError(name)


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
