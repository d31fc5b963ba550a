"""A KPI outside its usual range: robust z-score (median and MAD) over the last N periods."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

MIN_HISTORY = 4  # periods with a value before a usual range means anything
THRESHOLD = 3.5  # |robust z| above this is called out (Iglewicz and Hoaglin)


@dataclass(frozen=True)
class Anomaly:
    kpi: str
    value: float
    low: float
    high: float
    z: float


def usual_range(history: list[float]) -> tuple[float, float, float] | None:
    """(median, low, high), or None with too little history."""
    if len(history) < MIN_HISTORY:
        return None
    med = median(history)
    scale = 1.4826 * median(abs(x - med) for x in history)
    if scale == 0:
        # A flat history: allow 10% (at least one unit of the smallest step seen) before calling it out.
        steps = [abs(a - b) for a, b in zip(history, history[1:]) if a != b]
        scale = max(0.1 * abs(med), min(steps) if steps else 0.0, 1e-9) / THRESHOLD
    return med, med - THRESHOLD * scale, med + THRESHOLD * scale


def find_anomalies(
    current: dict[str, float | None], history: list[dict[str, float | None]], kpis: list[str]
) -> tuple[list[Anomaly], list[str]]:
    """(anomalies, KPIs with too little history to judge)."""
    found, unknown = [], []
    for kpi in kpis:
        value = current.get(kpi)
        if value is None:
            continue
        past = [h[kpi] for h in history if h.get(kpi) is not None]
        rng = usual_range(past)  # type: ignore[arg-type]
        if rng is None:
            unknown.append(kpi)
            continue
        med, low, high = rng
        if value < low or value > high:
            half_width = (high - low) / 2 or 1e-9
            found.append(Anomaly(kpi, value, max(low, 0.0), high, THRESHOLD * (value - med) / half_width))
    return found, unknown
