"""Segment names a marketer recognises, taken from the members, not from a centroid.

Every buyer gets RFM scores 1-5 (quintiles of recency, order count and spend among the buyers
as of the run). A segment is named from its members' mean scores and traits (champions, loyal,
at risk, hibernating, new, big spenders, support-heavy, ...), and a name is given only where
its members bear it out: a buying name needs members who ordered, a support name members who
asked for help, a chat name members who chatted. A segment that fits no name gets a plain
description of its recency and frequency instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

NEW_DAYS = 90  # a customer for fewer days than this is new


@dataclass(frozen=True)
class Profile:
    size: int
    buyers: float  # share of members with at least one order
    r: float  # mean RFM scores over the buyers (0 when nobody bought)
    f: float
    m: float
    new: float  # share of members who have been customers for under NEW_DAYS
    support: float  # share of members with a ticket or a handoff
    support_per_customer: float
    chatted: float  # share of members with a conversation
    return_rate: float  # mean over buyers; nan when unknown
    csat: float  # mean rating; nan when nobody rated
    median_orders: float
    median_spent: float
    median_recency_days: float


def rfm_scores(raw: pd.DataFrame) -> pd.DataFrame:
    """R, F, M in 1..5 per buyer (quintile of the percent rank; ties share a score); NaN for non-buyers."""
    buyers = raw["frequency"] > 0
    out = pd.DataFrame(index=raw.index, columns=["r", "f", "m"], dtype=float)
    for col, feature, ascending in (("r", "recency_days", False), ("f", "frequency", True), ("m", "monetary", True)):
        pct = raw.loc[buyers, feature].rank(pct=True, method="average", ascending=ascending)
        out.loc[buyers, col] = np.ceil(pct * 5).clip(1, 5)
    return out


def _support(raw: pd.DataFrame) -> pd.Series:
    tickets = raw["ticket_rate"].fillna(0) * raw["frequency"].clip(lower=1)
    return tickets + raw["handoffs"].fillna(0)


def profiles(raw: pd.DataFrame, labels: np.ndarray, k: int) -> list[Profile]:
    scores = rfm_scores(raw)
    support = _support(raw)
    out = []
    for i in range(k):
        mask = labels == i
        members, sc = raw[mask], scores[mask]
        bought = members["frequency"] > 0

        def mean(series: pd.Series) -> float:
            return float(series.mean()) if series.notna().any() else float("nan")

        out.append(
            Profile(
                size=int(mask.sum()),
                buyers=float(bought.mean()) if len(members) else 0.0,
                r=mean(sc["r"]) if bought.any() else 0.0,
                f=mean(sc["f"]) if bought.any() else 0.0,
                m=mean(sc["m"]) if bought.any() else 0.0,
                new=float((members["tenure_days"] < NEW_DAYS).mean()),
                support=float((support[mask] > 0).mean()),
                support_per_customer=float(support[mask].mean()),
                chatted=float((members["conversations"] > 0).mean()),
                return_rate=mean(members.loc[bought, "return_rate"]),
                csat=mean(members["csat"]),
                median_orders=float(members["frequency"].median()),
                median_spent=float(members.loc[bought, "monetary"].median()) if bought.any() else 0.0,
                median_recency_days=float(members.loc[bought, "recency_days"].median())
                if bought.any()
                else float("nan"),
            )
        )
    return out


Rule = tuple[Callable[[Profile, float], bool], Callable[[Profile], float]]


def _buying(p: Profile) -> bool:
    return p.buyers >= 0.8


# In priority order: each name goes to the fitting segment it describes best, then the next name.
# The fit takes the profile and the whole base's support contacts per customer. Quintiles are
# relative, so buying names also hold an absolute bound on recency: on a base of lapsed
# customers the most recent fifth is still not "loyal" if it last bought half a year ago.
RULES: dict[str, Rule] = {
    "no orders yet": (lambda p, s: p.buyers <= 0.2 and p.chatted < 0.5, lambda p: 1 - p.buyers),
    "chatty browsers": (lambda p, s: p.buyers <= 0.3 and p.chatted >= 0.8, lambda p: p.chatted),
    "support-heavy": (
        lambda p, s: p.support >= 0.6 and p.support_per_customer >= 2 * max(s, 0.5),
        lambda p: p.support_per_customer,
    ),
    "champions": (
        lambda p, s: _buying(p) and p.r >= 3.7 and p.f >= 3.7 and p.m >= 3.5 and p.median_recency_days <= 60,
        lambda p: p.r + p.f + p.m,
    ),
    "new customers": (lambda p, s: _buying(p) and p.new >= 0.5, lambda p: p.new),
    "unhappy customers": (lambda p, s: p.csat <= 2.5, lambda p: -p.csat),
    "frequent returners": (lambda p, s: _buying(p) and p.return_rate >= 0.25, lambda p: p.return_rate),
    "at risk": (
        lambda p, s: _buying(p) and (p.r <= 2.5 or p.median_recency_days > 120) and p.f >= 3.0 and p.median_orders >= 2,
        lambda p: p.f + p.m - p.r,
    ),
    "big spenders": (lambda p, s: _buying(p) and p.m >= 3.5 and p.m - p.f >= 0.5, lambda p: p.m - p.f),
    "loyal": (
        lambda p, s: _buying(p) and p.f >= 3.3 and p.r >= 2.7 and p.median_orders >= 3 and p.median_recency_days <= 90,
        lambda p: p.f + p.r,
    ),
    "hibernating": (lambda p, s: _buying(p) and p.r <= 2.2 and p.f < 3.0, lambda p: -(p.r + p.f)),
    "promising": (
        lambda p, s: _buying(p) and p.r >= 3.5 and p.f <= 2.5 and p.median_recency_days <= 60,
        lambda p: p.r - p.f,
    ),
    "needs attention": (
        lambda p, s: _buying(p) and 2.2 < p.r < 3.7 and 2.0 <= p.f < 3.7,
        lambda p: -abs(p.r - 3) - abs(p.f - 3),
    ),
}


def fits(name: str, p: Profile, base_support: float) -> bool:
    rule = RULES.get(name)
    return bool(rule and rule[0](p, base_support))


def name_segments(
    raw: pd.DataFrame, labels: np.ndarray, k: int, keep: dict[int, str] | None = None
) -> tuple[list[str], list[Profile]]:
    """One distinct name per segment. `keep` proposes names (a previous run's) that are kept
    when the members still bear them out."""
    found = profiles(raw, labels, k)
    base = float(_support(raw).mean())
    names: list[str | None] = [None] * k
    for i, name in (keep or {}).items():
        if fits(name, found[i], base):
            names[i] = name
    for name, (fit, strength) in RULES.items():
        if name in names:
            continue
        free = [i for i in range(k) if names[i] is None and found[i].size and fit(found[i], base)]
        if free:
            names[max(free, key=lambda i: strength(found[i]))] = name
    for i in range(k):
        if names[i] is None:
            names[i] = _describe_name(found[i], {n for n in names if n})
    return [str(n) for n in names], found


def _describe_name(p: Profile, taken: set[str]) -> str:
    if p.buyers < 0.5:
        base = "mostly no orders"
    else:
        when = "recent" if p.r >= 3.5 else "lapsed" if p.r <= 2.5 else "mid-recency"
        often = "one-time" if p.median_orders <= 1 else "frequent" if p.f >= 3.5 else "occasional"
        base = f"{when} {often} buyers"
    name, n = base, 2
    if name in taken:
        name = f"{base}, {'higher' if p.m >= 3 else 'lower'} spend"
    while name in taken:
        name, n = f"{base} {n}", n + 1
    return name


def describe(p: Profile) -> str:
    """One line a manager reads beside the name."""
    if p.buyers < 0.05:
        buying = "no orders"
    else:
        buying = (
            f"{p.buyers:.0%} ordered; median {p.median_orders:.0f} orders, {p.median_spent:,.0f} spent, "
            f"last order {p.median_recency_days:.0f} days ago; RFM {p.r:.1f}/{p.f:.1f}/{p.m:.1f}"
        )
    extra = [f"{p.new:.0%} new"] if p.new >= 0.1 else []
    if p.chatted:
        extra.append(f"{p.chatted:.0%} chatted")
    if p.support:
        extra.append(f"{p.support:.0%} asked for help ({p.support_per_customer:.1f} contacts each)")
    if p.csat == p.csat:
        extra.append(f"CSAT {p.csat:.1f}")
    return "; ".join([buying, *extra])
