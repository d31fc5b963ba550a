"""Small server-side SVG charts for the console (no script, so the page's CSP stays strict)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, Sequence


class _Ahead(Protocol):
    @property
    def period_start(self) -> datetime: ...
    @property
    def revenue(self) -> float: ...
    @property
    def lower(self) -> float: ...
    @property
    def upper(self) -> float: ...


def forecast_svg(
    actual: list[tuple[datetime, float]], ahead: Sequence[_Ahead], width: int = 720, height: int = 220
) -> str:
    """Weekly revenue (line), the forecast (dashed) and its 80 % interval (band); '' with no data."""
    if not actual and not ahead:
        return ""
    points = [(d, v) for d, v in actual] + [(f.period_start, f.revenue) for f in ahead]
    top = max([v for _, v in points] + [f.upper for f in ahead] + [1.0]) * 1.1
    n = len(points)
    pad_l, pad_b = 60, 24

    def x(i: int) -> float:
        return pad_l + (width - pad_l - 10) * (i / max(n - 1, 1))

    def y(v: float) -> float:
        return 10 + (height - pad_b - 10) * (1 - v / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="weekly revenue and forecast">'
    ]
    for frac in (0, 0.5, 1):
        v = top * frac / 1.1
        parts.append(
            f'<line x1="{pad_l}" x2="{width - 10}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e2e8f0"/>'
            f'<text x="{pad_l - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" fill="#64748b">{v:,.0f}</text>'
        )
    k = len(actual)
    if ahead:
        band = [(x(k + i), y(f.upper)) for i, f in enumerate(ahead)] + [
            (x(k + i), y(f.lower)) for i, f in reversed(list(enumerate(ahead)))
        ]
        parts.append(
            '<polygon fill="#bfdbfe" opacity="0.7" points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in band) + '"/>'
        )
    if actual:
        parts.append(
            '<polyline fill="none" stroke="#1d4ed8" stroke-width="2" points="'
            + " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(actual))
            + '"/>'
        )
    if ahead:
        start = [(x(k - 1), y(actual[-1][1]))] if actual else []
        line = start + [(x(k + i), y(f.revenue)) for i, f in enumerate(ahead)]
        parts.append(
            '<polyline fill="none" stroke="#1d4ed8" stroke-width="2" stroke-dasharray="6 4" points="'
            + " ".join(f"{a:.1f},{b:.1f}" for a, b in line)
            + '"/>'
        )
    for i, (d, _) in enumerate(points):
        if i % max(1, n // 8) == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 6}" font-size="11" text-anchor="middle" fill="#64748b">{d:%d %b}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
