"""Stage history for imported orders from the dates the file has, and a sentence on what it lacks."""

from __future__ import annotations

import pandas as pd

from analytics.importing.lines import STAGE_DATES, UNDATED_NOTE


def stage_history(orders: pd.DataFrame, dated: tuple[str, ...]) -> pd.DataFrame:
    """number, stage, entered_at, note: a row per dated stage, and the current stage when the file has no date for it."""
    parts = []
    sales = orders["kind"] == "order"
    for f, stage in STAGE_DATES:
        if stage not in dated or f not in orders:
            continue
        mask = orders[f].notna() & (sales if stage != "cancelled" else True)
        parts.append(
            pd.DataFrame(
                {"number": orders.loc[mask, "number"], "stage": stage, "entered_at": orders.loc[mask, f], "note": None}
            )
        )
    have = pd.concat(parts) if parts else pd.DataFrame(columns=["number", "stage", "entered_at", "note"])
    current = orders[["number", "status", "placed_at"]].rename(columns={"status": "stage"})
    missing = ~current.set_index(["number", "stage"]).index.isin(have.set_index(["number", "stage"]).index)
    last = have.groupby("number")["entered_at"].max()
    filler = current[missing].assign(
        entered_at=lambda d: d["number"].map(last).fillna(d["placed_at"]), note=UNDATED_NOTE
    )
    return pd.concat([have, filler[["number", "stage", "entered_at", "note"]]], ignore_index=True)


def stage_note(dated: tuple[str, ...], mapping: dict[str, str]) -> str:
    if len(dated) > 1:
        return (
            "stage history: each order gets the stages the file dates ("
            + ", ".join(dated)
            + "); its current stage without a date of its own takes the order's last known date"
        )
    if dated:
        return (
            f"stage history: the file dates only when an order was placed ({mapping['placed_at']!r}); it has no "
            "payment, shipping or delivery dates, so each order is recorded as placed and then in its final stage on "
            "that same date. Time per stage and stalled-order checks say nothing about these orders."
        )
    return (
        "stage history: the file has no dates at all, so orders are dated by the import and their stage history "
        "says nothing about how long each stage took"
    )
