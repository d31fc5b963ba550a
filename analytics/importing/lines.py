"""Cleaning an order export as a careful analyst would, vectorised: no database here.

The rules, in the order they apply (docs/import.md says the same in plain words):
1. A line that repeats an earlier line exactly (every column) is dropped and counted.
2. A bad line (unreadable number, date or amount, wrong status, a broken row) is reported with its
   reason, and its whole order is held back: an order is imported whole or not at all.
3. Lines that are no sale are held back with a reason: a negative unit price (a write-off), a
   negative quantity at price 0 without a cancellation mark (a stock correction), a date in the
   future or before 1990.
4. An order is a credit note when its number has the cancellation prefix ("C536379"), its status
   says cancelled/refunded/returned, or all its lines are negative. Its lines and total stay negative.
5. Adjustment lines (postage, fees, manual corrections: SKUs or description words) count in the
   order total but are kept apart from products.
6. An order's total is the sum of its lines, quantity x unit price, rounded to cents once per order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.importing.columns import ADJUSTMENT_SKUS
from analytics.importing.columnvalues import (
    dates,
    distinct,
    e4_text,
    fail,
    money_e4,
    money_text,
    whole_numbers,
)
from analytics.importing.sheet import BAD

EARLIEST = pd.Timestamp(1990, 1, 1)
# A description that is only a charge's name, with at most two words before it ("Next Day Carriage",
# "AMAZON FEE"): "FRENCH CARRIAGE LANTERN" is a product.
ADJUSTMENT_WORDS = (
    r"^\s*(?:\S+\s+){0,2}(?:postage|carriage|shipping|delivery charges?|fees?|bank charges?|manual|discount|"
    r"commission|adjust|adjustment)\s*$"
)
CANCEL_PREFIX = r"^C(?=\d)"
CANCEL_STATUSES = {
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "voided": "cancelled",
    "void": "cancelled",
    "refunded": "returned",
    "returned": "returned",
}
UNDATED_NOTE = "the file has no date for this stage: the order's last known date"
STAGE_DATES = (
    ("placed_at", "pending"),
    ("paid_at", "paid"),
    ("shipped_at", "shipped"),
    ("delivered_at", "delivered"),
    ("cancelled_at", "cancelled"),
)


@dataclass(frozen=True)
class Rules:
    now: pd.Timestamp
    max_amount: int = 100_000
    adjustment_skus: frozenset[str] = ADJUSTMENT_SKUS
    adjustment_words: str = ADJUSTMENT_WORDS
    cancel_prefix: str = CANCEL_PREFIX
    skip_anonymous: bool = False
    statuses: tuple[str, ...] = ()


@dataclass
class Cleaned:
    orders: pd.DataFrame  # one row per order to import, by placed_at
    items: pd.DataFrame  # number, sku, quantity, price_e4 (unit price in 1/10,000)
    adjustments: pd.DataFrame  # number, code, description, quantity, amount_cents
    products: pd.DataFrame  # sku, name, price_cents
    table: list[tuple[str, int, str]] = field(default_factory=list)  # the cleaning table: what, how many, what happened
    bad: list[tuple[int, str]] = field(default_factory=list)
    flagged: list[tuple[int, str]] = field(default_factory=list)  # held back, for a person to check
    checks: list[tuple[int, str]] = field(default_factory=list)  # imported, but worth a look
    dated_stages: tuple[str, ...] = ()
    missing: dict[str, int] = field(default_factory=dict)  # field -> lines without a value


def clean_orders(
    frame: pd.DataFrame, header: list[str], mapping: dict[str, str], rules: Rules, customer_keys: pd.DataFrame
) -> Cleaned:
    """customer_keys: per row (same index) ext, email, phone and key (clean, "" where none): see customer_columns."""
    df = pd.DataFrame(index=frame.index)

    def col(f: str) -> pd.Series:
        return frame[mapping[f]] if f in mapping else pd.Series("", index=frame.index)

    reason = frame[BAD].copy()
    lines_read = len(frame)
    dup = frame.duplicated(subset=header, keep="first").to_numpy()
    keep = ~dup
    frame, reason, customer_keys = frame[keep], reason[keep], customer_keys[keep]
    df = df[keep]
    table = [("lines read", lines_read, ""), ("exact duplicate lines", int(dup.sum()), "dropped")]

    df["number"] = distinct(col("number"), lambda u: u.str.upper())
    fail(reason, df["number"] == "", "no order number")
    fail(reason, distinct(df["number"], lambda u: u.str.len() > 20), "order number longer than 20 characters")
    line_level = "quantity" in mapping
    repeated = pd.Series(False, index=df.index)
    if line_level:
        df["quantity"], why = whole_numbers(col("quantity"))
        fail(reason, why.notna(), why)
        df["price_e4"], why = money_e4(col("unit_price"), "unit price")
        fail(reason, why.notna(), why)
        df["sku"] = distinct(col("sku") if "sku" in mapping else col("description"), lambda u: u.str.upper())
        fail(reason, df["sku"] == "", "no SKU")
        fail(reason, distinct(df["sku"], lambda u: u.str.len() > 40), "SKU longer than 40 characters")
        df["description"] = distinct(col("description"), lambda u: u.str.slice(0, 200))
    else:
        df["quantity"] = 1
        df["price_e4"], why = money_e4(col("total"), "total")
        fail(reason, why.notna(), why)
        df["sku"], df["description"] = "", ""
        again = df["number"].duplicated(keep="first") & (df["number"] != "")
        first_line = pd.Series(df.index, index=df.index).groupby(df["number"]).transform("first")
        repeated = again & reason.isna()  # a later copy is bad, and spoils no earlier order
        fail(reason, again, "order " + df["number"][again] + " is already on line " + first_line[again].astype(str))
    df["placed_at"], why = (
        dates(col("placed_at"), "date") if "placed_at" in mapping else (pd.Series(rules.now, index=df.index), None)
    )
    if why is not None:
        fail(reason, why.notna(), why)
    df["placed_at"] = df["placed_at"].fillna(rules.now)
    dated = [stage for f, stage in STAGE_DATES if f in mapping]
    for f, _stage in STAGE_DATES[1:]:
        if f in mapping:
            df[f], why = dates(col(f), f.replace("_at", " date"))
            fail(reason, why.notna(), why)
    status = distinct(col("status"), lambda u: u.str.lower().str.replace(" ", "_"))
    known = status.isin(list(rules.statuses) + list(CANCEL_STATUSES)) | (status == "")
    fail(reason, ~known, "status '" + col("status")[~known] + "' is not one of " + ", ".join(rules.statuses))
    df["status"] = status.replace(CANCEL_STATUSES)
    cancelled_status = status.isin(list(CANCEL_STATUSES))
    for c in ("ext", "email", "phone", "key"):
        df[c] = customer_keys[c]
    fail(reason, customer_keys["bad"].notna(), customer_keys["bad"])
    df["country"] = distinct(col("country"), lambda u: u.str.slice(0, 60))

    bad_lines = reason.notna()
    out_missing: dict[str, int] = {
        f: int((col(f) == "").sum())
        for f in ("placed_at", "status", "total", "quantity", "unit_price")
        if f in mapping and (col(f) == "").any()
    }
    out = Cleaned(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), table)
    out.bad = list(zip(df.index[bad_lines].tolist(), reason[bad_lines].tolist()))
    out.dated_stages = tuple(dated)
    out.missing = out_missing

    prefix = distinct(df["number"], lambda u: u.str.contains(rules.cancel_prefix, regex=True))
    amount = df["quantity"] * df["price_e4"]
    held = pd.Series(None, index=df.index, dtype=object)
    below = (
        (df["price_e4"] < 0) if line_level else pd.Series(False, index=df.index)
    )  # a negative order total is a refund
    held[below] = "unit price " + e4_text(df["price_e4"][below]) + " is negative (a write-off, not a sale)"
    write_off = (df["quantity"] < 0) & (df["price_e4"] == 0) & ~prefix & ~cancelled_status & held.isna()
    held[write_off] = (
        "quantity "
        + df["quantity"][write_off].astype(str)
        + " at price 0 with no cancellation mark: a stock correction, not a sale"
    )
    late = (df["placed_at"] > rules.now + pd.Timedelta(days=1)) & held.isna()
    held[late] = "order date " + df["placed_at"][late].dt.strftime("%Y-%m-%d") + " is in the future"
    early = (df["placed_at"] < EARLIEST) & held.isna()
    held[early] = "order date " + df["placed_at"][early].dt.strftime("%Y-%m-%d") + " is before 1990"
    held[bad_lines] = None
    flagged = held.notna()
    out.flagged = list(zip(df.index[flagged].tolist(), held[flagged].tolist()))

    spoiled = set(df.loc[(bad_lines & ~repeated) | flagged, "number"])
    whole = ~df["number"].isin(spoiled) & ~bad_lines & ~flagged
    table.append(("bad lines", int(bad_lines.sum()), "reported with the reason; their orders held back"))
    table.append(
        (
            "held back: no sale or impossible date",
            int(flagged.sum()),
            "reported with the reason; their orders held back",
        )
    )
    table.append(("other lines of held-back orders", int((~whole & ~bad_lines & ~flagged).sum()), "held back whole"))
    anonymous = df["key"] == ""
    if rules.skip_anonymous:
        table.append(("lines with no customer", int((whole & anonymous).sum()), "skipped (--skip-anonymous)"))
        whole &= ~anonymous
    df, amount, prefix, cancelled_status = df[whole], amount[whole], prefix[whole], cancelled_status[whole]

    negative = (df["quantity"] < 0) if line_level else (df["price_e4"] < 0)
    all_negative = negative.groupby(df["number"]).transform("all")
    # A cancelled status on positive lines is an order that was cancelled: it is kept as it was, and a
    # mirrored credit note below takes its amount back out, so the sum of totals stays the net.
    df["kind"] = np.where(prefix | all_negative, "credit_note", "order")
    credit = df["kind"] == "credit_note"
    if line_level:
        words = distinct(df["description"], lambda u: u.str.contains(rules.adjustment_words, case=False, regex=True))
        adjust = df["sku"].isin(rules.adjustment_skus) | words
    else:
        adjust = pd.Series(False, index=df.index)
    free = (df["price_e4"] == 0) & ~adjust
    huge = amount.abs() > rules.max_amount * 10_000
    out.checks = [
        (ln, f"line amount {e4_text(pd.Series([a]))[0]} is beyond {rules.max_amount:,}: check it")
        for ln, a in zip(df.index[huge].tolist(), amount[huge].tolist())
    ]
    table.append(("cancellation lines", int(credit.sum()), "imported as credit notes (negative), see below"))
    table.append(
        (
            "adjustment lines (postage, fees, manual)",
            int(adjust.sum()),
            f"kept apart from products, counted in totals: {money_text(amount[adjust].sum())}",
        )
    )
    table.append(("free lines (unit price 0)", int(free.sum()), "imported at price 0"))
    table.append(("lines beyond the amount limit", int(huge.sum()), "imported, listed to check"))
    table.append(("lines with no customer", int((df["key"] == "").sum()), "imported as anonymous orders"))

    out.orders = _orders(df, amount, rules, dated, line_level)
    _link_credit_notes(out.orders, df, adjust)
    out.orders, df, amount, adjust = _mirror_cancelled(out.orders, df, amount, adjust)
    n_credit = int((out.orders["kind"] == "credit_note").sum())
    linked = int(out.orders["credit_for"].notna().sum())
    table.append(
        (
            "credit notes",
            n_credit,
            (
                f"{linked} linked to the order they cancel, {n_credit - linked} with no "
                "earlier order of the same customer and SKU in the file"
            ),
        )
    )
    table.append(
        (
            "net amount of credit notes",
            n_credit,
            money_text(out.orders.loc[out.orders["kind"] == "credit_note", "total_e4"].sum()),
        )
    )
    if line_level:
        items = df[~adjust]
        out.items = items[["number", "sku", "quantity", "price_e4"]].reset_index(drop=True)
        adj = df[adjust]
        out.adjustments = pd.DataFrame(
            {
                "number": adj["number"],
                "code": adj["sku"],
                "description": adj["description"],
                "quantity": adj["quantity"],
                "amount_e4": amount[adjust],
            }
        ).reset_index(drop=True)
        out.products = _products(items)
    else:
        out.items = pd.DataFrame(columns=["number", "sku", "quantity", "price_e4"])
        out.adjustments = pd.DataFrame(columns=["number", "code", "description", "quantity", "amount_e4"])
        out.products = pd.DataFrame(columns=["sku", "name", "price_e4"])
    table.append(
        (
            "orders to import",
            int((out.orders["kind"] == "order").sum()),
            (
                f"and {int((out.orders['kind'] == 'credit_note').sum())} credit notes; "
                f"{int((out.orders['key'] == '').sum())} of all these anonymous"
            ),
        )
    )
    return out


def _orders(df: pd.DataFrame, amount: pd.Series, rules: Rules, dated: list[str], line_level: bool) -> pd.DataFrame:
    g = df.assign(amount=amount, line=df.index).groupby("number", sort=False)
    orders = g.agg(
        kind=("kind", "first"),
        placed_at=("placed_at", "min"),
        key=("key", "first"),
        ext=("ext", "first"),
        email=("email", "first"),
        phone=("phone", "first"),
        country=("country", "first"),
        status=("status", "first"),
        total_e4=("amount", "sum"),
        line=("line", "first"),
        lines=("line", "size"),
    )
    for f, _stage in STAGE_DATES[1:]:
        if f in df:
            orders[f] = g[f].min()
    orders["credit_for"] = None
    last_dated = pd.Series("delivered", index=orders.index)
    for f, stage in STAGE_DATES[1:]:
        if f in orders:
            last_dated = last_dated.where(orders[f].isna() | (stage == "cancelled"), stage)
    orders["status"] = orders["status"].where(orders["status"] != "", last_dated)
    # A credit note is the cancellation (or, where the file says so, the return): never "delivered".
    credit = orders["kind"] == "credit_note"
    orders.loc[credit & (orders["status"] != "returned"), "status"] = "cancelled"
    return orders.reset_index().sort_values(["placed_at", "number"], kind="stable").reset_index(drop=True)


def _mirror_cancelled(
    orders: pd.DataFrame, df: pd.DataFrame, amount: pd.Series, adjust: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """A credit note for each order the status column calls cancelled or returned (with its lines negated)."""
    gone = orders[(orders["kind"] == "order") & orders["status"].isin(["cancelled", "returned"])]
    if gone.empty:
        return orders, df, amount, adjust
    names = dict(zip(gone["number"], (gone["number"].str.slice(0, 18) + "-C")))
    notes = gone.assign(
        number=gone["number"].map(names), kind="credit_note", total_e4=-gone["total_e4"], credit_for=gone["number"]
    )
    if "cancelled_at" in gone:
        notes["placed_at"] = gone["cancelled_at"].fillna(gone["placed_at"])
    lines = df[df["number"].isin(names)]
    mirrored = lines.assign(number=lines["number"].map(names), quantity=-lines["quantity"], kind="credit_note")
    merged = pd.concat([orders, notes]).sort_values(["placed_at", "number"], kind="stable").reset_index(drop=True)
    return (
        merged,
        pd.concat([df, mirrored]),
        pd.concat([amount, -amount[lines.index]]),
        pd.concat([adjust, adjust[lines.index]]),
    )


def _link_credit_notes(orders: pd.DataFrame, df: pd.DataFrame, adjust: pd.Series) -> None:
    """A credit note's original: the latest earlier order of the same customer holding the same SKU."""
    lines = df[~adjust & (df["key"] != "")][["number", "key", "sku", "placed_at", "kind"]]
    # One integer per (customer, SKU): merge_asof matches on it far faster than on two text columns.
    lines = lines.assign(pair=pd.factorize(lines["key"] + "\x1f" + lines["sku"])[0])
    notes = lines[lines["kind"] == "credit_note"]
    sales = lines[(lines["kind"] == "order") & lines["pair"].isin(notes["pair"])]
    if notes.empty or sales.empty:
        return
    found = pd.merge_asof(
        notes.sort_values("placed_at"),
        sales.rename(columns={"number": "original"})[["original", "pair", "placed_at"]].sort_values("placed_at"),
        on="placed_at",
        by="pair",
        direction="backward",
    )
    hits = found.dropna(subset=["original"])
    # The order most of the credit note's lines point at; ties go to the latest.
    counts = hits.groupby(["number", "original"]).size().reset_index(name="n").sort_values(["number", "n", "original"])
    first = counts.drop_duplicates("number", keep="last").set_index("number")["original"]
    orders["credit_for"] = orders["number"].map(first).astype(object).where(lambda s: s.notna(), None)


def _products(items: pd.DataFrame) -> pd.DataFrame:
    named = items[items["description"] != ""]
    names = (
        named.groupby(["sku", "description"])
        .size()
        .reset_index(name="n")
        .sort_values(["sku", "n", "description"], ascending=[True, False, True])
        .drop_duplicates("sku")
        .set_index("sku")["description"]
    )
    last = items.sort_values("placed_at").groupby("sku")["price_e4"].last()
    products = pd.DataFrame({"price_e4": last})
    products["name"] = names.reindex(products.index)
    products["name"] = products["name"].fillna(pd.Series(products.index, index=products.index))
    return products.reset_index()
