"""The support team's opening hours: weekdays, hours, a time zone and holidays.

`BUSINESS_HOURS="mon-fri 09:00-18:00; sat 10:00-14:00"`, `BUSINESS_TIMEZONE=Europe/Berlin`,
`BUSINESS_HOLIDAYS=2026-12-25,2026-12-26`. Pure: it only answers "open at this instant?".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_store.errors import SettingsError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(r"^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
ALWAYS = "mon-sun 00:00-24:00"


@dataclass(frozen=True)
class BusinessHours:
    # weekday (0 = Monday) -> list of (start minute, end minute) in local time
    windows: dict[int, tuple[tuple[int, int], ...]]
    zone: str
    holidays: frozenset[date]
    spec: str

    @classmethod
    def parse(cls, spec: str, zone: str = "UTC", holidays: str = "") -> BusinessHours:
        windows: dict[int, list[tuple[int, int]]] = {}
        for part in filter(None, (p.strip() for p in spec.lower().split(";"))):
            m = _PART.match(part)
            if not m or m.group(1) not in DAYS or (m.group(2) and m.group(2) not in DAYS):
                raise SettingsError(f"BUSINESS_HOURS={spec!r}: {part!r} is not like 'mon-fri 09:00-18:00'")
            first, last = DAYS.index(m.group(1)), DAYS.index(m.group(2) or m.group(1))
            start, end = int(m.group(3)) * 60 + int(m.group(4)), int(m.group(5)) * 60 + int(m.group(6))
            if not 0 <= start < end <= 24 * 60:
                raise SettingsError(f"BUSINESS_HOURS={spec!r}: {part!r} does not run forwards within one day")
            for day in range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]:
                windows.setdefault(day, []).append((start, end))
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"BUSINESS_TIMEZONE={zone!r} is not a known time zone (e.g. Europe/Berlin)") from None
        days: set[date] = set()
        for item in filter(None, (h.strip() for h in holidays.split(","))):
            try:
                days.add(date.fromisoformat(item))
            except ValueError:
                raise SettingsError(f"BUSINESS_HOLIDAYS: {item!r} is not a date like 2026-12-25") from None
        return cls({d: tuple(sorted(w)) for d, w in windows.items()}, zone, frozenset(days), spec)

    def local(self, now_utc: datetime) -> datetime:
        """`now_utc` is naive UTC, like every CRM time."""
        return now_utc.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(self.zone))

    def is_open(self, now_utc: datetime) -> bool:
        here = self.local(now_utc)
        if here.date() in self.holidays:
            return False
        minute = here.hour * 60 + here.minute
        return any(start <= minute < end for start, end in self.windows.get(here.weekday(), ()))

    def next_opening(self, now_utc: datetime) -> datetime | None:
        """The next local opening time after `now_utc` (within two weeks), or None."""
        here = self.local(now_utc)
        for offset in range(15):
            day = here.date() + timedelta(days=offset)
            if day in self.holidays:
                continue
            for start, _end in self.windows.get(day.weekday(), ()):
                at = datetime.combine(day, time(start // 60, start % 60), tzinfo=here.tzinfo)
                if at > here:
                    return at
        return None

    def describe(self) -> str:
        return f"{self.spec} ({self.zone})"
