"""The digest as HTML (inline PNGs by Content-ID, or data: URIs for a browser preview) and plain text."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Callable

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from analytics.digest.anomalies import Anomaly
from analytics.digest.kpis import KPIS
from analytics.digest.links import Links
from analytics.digest.report import SECTIONS, Digest
from analytics.pipelines import human_duration
from crm_store.services.propensity import AT_RISK_BELOW
from crm_store.values.languages import language_name

TEMPLATES = Path(__file__).parent / "templates"
# Whether a rise is good news (True), bad news (False) or neither (None): it picks the colour.
UP_IS_GOOD = {
    "revenue": True,
    "aov": True,
    "containment": True,
    "csat": True,
    "orders_opened": True,
    "orders_closed": True,
    "tickets_closed": True,
    "returns_closed": True,
    "fallback_rate": False,
    "handoff_rate": False,
    "first_response_min": False,
    "resolution_min": False,
    "tickets_opened": False,
    "returns_opened": False,
}


def fmt(value: float | None, unit: str, currency: str | None = None, locale: str = "en_GB") -> str:
    """A KPI value as read in the digest; money in `currency` (ISO 4217) written the `locale` way."""
    if value is None:
        return "no data"
    if unit == "%":
        return f"{value * 100:.0f}%"
    if unit == "min":
        return f"{value:.0f} min" if value < 90 else f"{value / 60:.1f} h"
    if unit == "/5":
        return f"{value:.1f} / 5"
    if unit == "money":
        if currency:
            from babel.numbers import format_currency

            return format_currency(value, currency, locale=locale)
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def change(digest: Digest, kpi: str) -> tuple[str, str]:
    """("+3 (+12%)", "good" | "bad" | "flat" | "none") against the previous period."""
    unit = KPIS[kpi][1]
    now, before = digest.kpis.get(kpi), digest.previous.get(kpi)
    if now is None or before is None:
        return ("no comparison" if now is not None else "", "none")
    diff = now - before
    if abs(diff) < 1e-9:
        return ("no change", "flat")
    sign = "+" if diff > 0 else "−"
    if unit == "%":
        text = f"{sign}{abs(diff) * 100:.0f} pts"
    elif unit == "min":
        text = f"{sign}{fmt(abs(diff), 'min')}"
    elif unit == "/5":
        text = f"{sign}{abs(diff):.1f}"
    else:
        amount = money(digest, abs(diff)) if unit == "money" else f"{abs(diff):,.0f}"
        text = f"{sign}{amount}" + (f" ({sign}{abs(diff) / before * 100:.0f}%)" if before else "")
    good = UP_IS_GOOD.get(kpi)
    tone = "flat" if good is None else ("good" if (diff > 0) == good else "bad")
    return (text, tone)


def money(digest: Digest, value: float | None) -> str:
    return fmt(value, "money", digest.currency, digest.locale)


def subject(digest: Digest) -> str:
    what = "Daily" if digest.period.kind == "day" else "Weekly"
    if digest.empty:
        return f"{what} digest, {digest.period.label}: a quiet {digest.period.kind}, nothing happened"
    bits = [f"{fmt(digest.kpis['conversations'], 'n')} conversations"]
    if digest.anomalies:
        bits.append(f"{len(digest.anomalies)} KPI{'s' if len(digest.anomalies) > 1 else ''} out of range")
    if digest.stalled:
        bits.append(f"{digest.open_flags} stalled")
    return f"{what} digest, {digest.period.label}: " + ", ".join(bits)


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(KPIS=KPIS, SECTIONS=SECTIONS, fmt=fmt, AT_RISK_BELOW=AT_RISK_BELOW)
    env.filters["language_name"] = language_name
    return env


def anomaly_note(
    a: Anomaly, kind: str, periods: int, currency: str | None = None, locale: str = "en_GB"
) -> tuple[str, str]:
    """("good" | "bad" | "neither", why it counts as unusual and which way is good), for one anomaly."""
    label, unit = KPIS[a.kpi]
    up = a.value > a.high
    good = UP_IS_GOOD.get(a.kpi)
    tone = "neither" if good is None else ("good" if up == good else "bad")
    side = "above" if up else "below"
    better = "" if good is None else f" Higher is {'better' if good else 'worse'} for {label.lower()}."
    why = (
        f"{side} its usual range of {fmt(a.low, unit, currency, locale)} to {fmt(a.high, unit, currency, locale)} (the middle of the last {periods} "
        f"{kind}s, give or take 3.5 typical deviations).{better}"
    )
    return tone, why


def _context(
    digest: Digest, sections: list[str] | None, image_src: Callable[[str], str], links: Links | None = None
) -> dict:
    periods = len([h for h in digest.history if h])

    def note(a: Anomaly) -> tuple[str, str]:
        return anomaly_note(a, digest.period.kind, periods, digest.currency, digest.locale)

    def value(v: float | None, unit: str) -> str:
        return fmt(v, unit, digest.currency, digest.locale)

    return {
        "d": digest,
        "sections": [s for s in SECTIONS if sections is None or s in sections],
        "img": image_src,
        "change": lambda kpi: change(digest, kpi),
        "subject": subject(digest),
        "kpi": lambda name: value(digest.kpis.get(name), KPIS[name][1]),
        "hours": human_duration,
        "note": note,
        "fmt": value,
        "links": links,
        "chats": bool(digest.kpis.get("conversations") or digest.kpis.get("messages")),
        "anomalies_tone": "bad"
        if any(note(a)[0] == "bad" for a in digest.anomalies)
        else "good"
        if any(note(a)[0] == "good" for a in digest.anomalies)
        else "neither",
    }


def cid(name: str) -> str:
    return f"{name}.digest@crmbot"


def render_html(
    digest: Digest, sections: list[str] | None = None, inline: bool = False, links: Links | None = None
) -> str:
    """inline=False: images as cid: references (email); inline=True: data: URIs (browser preview)."""

    def src(name: str) -> str:
        if inline:
            return "data:image/png;base64," + base64.b64encode(digest.charts[name]).decode()
        return f"cid:{cid(name)}"

    return _env().get_template("digest.html").render(**_context(digest, sections, src, links))


def render_text(digest: Digest, sections: list[str] | None = None, links: Links | None = None) -> str:
    return _env().get_template("digest.txt").render(**_context(digest, sections, lambda name: "", links))


def charts_used(digest: Digest, sections: list[str] | None) -> dict[str, bytes]:
    """The charts a digest with these sections shows (only those are attached)."""
    wanted = {"channels": "volume", "trend": "assistant", "funnel": "stalled"}
    return {n: png for n, png in digest.charts.items() if sections is None or wanted.get(n) in sections}
