"""Digest periods: the last complete day (00:00-24:00 UTC) or week (Monday to Monday)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

KINDS = {"day": "daily", "week": "weekly"}


@dataclass(frozen=True)
class Period:
    kind: str  # "day" | "week"
    start: datetime
    end: datetime  # exclusive

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self, n: int = 1) -> Period:
        return Period(self.kind, self.start - n * self.length, self.end - n * self.length)

    def history(self, n: int) -> list[Period]:
        """The n periods before this one, oldest first."""
        return [self.previous(i) for i in range(n, 0, -1)]

    @property
    def label(self) -> str:
        if self.kind == "day":
            return f"{self.start:%a %d %b %Y}"
        last = self.end - timedelta(days=1)
        return f"week {self.start.isocalendar()[1]}, {self.start:%d %b} – {last:%d %b %Y}"

    @property
    def short(self) -> str:
        return f"{self.start:%d %b}" if self.kind == "day" else f"wk {self.start.isocalendar()[1]}"

    @property
    def schedule(self) -> str:
        """How recipients and digests_sent name it: daily | weekly."""
        return KINDS[self.kind]


def last_complete(kind: str, now: datetime) -> Period:
    """The newest period of `kind` that has ended at `now` (naive UTC)."""
    if kind not in KINDS:
        raise ValueError(f"period must be day or week, not {kind!r}")
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "day":
        return Period("day", midnight - timedelta(days=1), midnight)
    monday = midnight - timedelta(days=midnight.weekday())
    return Period("week", monday - timedelta(days=7), monday)
