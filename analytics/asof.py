"""The date an analytics run counts from: `--as-of` on every job and report.

Recency, tenure, thresholds and periods are measured from it, and data after it is left out,
so a run over the same data with the same as-of gives the same answer (and history can be
analysed as it stood). The scheduler passes its fire time; by hand it defaults to now.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

from crm_store.errors import CrmError


class BadAsOf(CrmError):
    def __init__(self, text: str) -> None:
        super().__init__(f"--as-of {text!r} is not a date: write 2011-12-10 or 2011-12-10T06:00 (UTC)")


def parse_as_of(text: str | None) -> datetime:
    """Naive UTC; a date alone means its midnight; a zone, if given, is converted to UTC."""
    if text is None or not text.strip():
        return datetime.utcnow().replace(microsecond=0)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadAsOf(text) from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        dest="as_of",
        default=None,
        metavar="DATE",
        help="count recency, periods and thresholds from this UTC date/time, ignoring later data (default: now)",
    )
