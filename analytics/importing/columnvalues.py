"""Whole columns of an export parsed at once: whole numbers, money in 1/10,000, dates, customer keys.

Each parser returns the values and, row by row, the reason a value could not be read (or None).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from analytics.importing.contacts import emails, phones
from analytics.importing.values import BadValue, parse_total, parse_when


def distinct(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """fn applied to each distinct value once: exports repeat their SKUs, numbers and countries thousands of times."""
    codes, uniques = pd.factorize(values.to_numpy(), use_na_sentinel=False)
    mapped = fn(pd.Series(uniques, dtype=object)).to_numpy()
    return pd.Series(mapped[codes], index=values.index)


def fail(reason: pd.Series, mask: pd.Series, why: str | pd.Series) -> None:
    hit = mask & reason.isna()
    if hit.any():
        reason[hit] = why[hit] if isinstance(why, pd.Series) else why


def whole_numbers(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    number = pd.to_numeric(text, errors="coerce")
    ok = number.notna() & (number == number.round()) & (number.abs() < 2**31)
    why = pd.Series(None, index=text.index, dtype=object)
    why[~ok] = "quantity '" + text[~ok] + "' is not a whole number"
    return number.where(ok, 0).astype("int64"), why


def money_e4(text: pd.Series, what: str) -> tuple[pd.Series, pd.Series]:
    """Amounts in 1/10,000 as int64: exact for the file's own decimals, which floats are not."""
    number = pd.to_numeric(text, errors="coerce")
    why = pd.Series(None, index=text.index, dtype=object)
    odd = (number.isna() & (text != "")).to_numpy()
    if odd.any():
        # "€1.234,50", "12,00 EUR": each distinct value parsed once, its result spread by code (not by a
        # comparison over the whole column per value, which grew with the square of a German export).
        codes, uniques = pd.factorize(text[odd].to_numpy(), use_na_sentinel=False)
        parsed = np.full(len(uniques), np.nan)
        reasons = np.full(len(uniques), None, dtype=object)
        for i, value in enumerate(uniques):
            try:
                parsed[i] = float(parse_total(value))
            except BadValue:
                reasons[i] = f"{what} {value!r} is not a number"
        number[odd] = parsed[codes]
        why[odd] = reasons[codes]
    why[text == ""] = f"no {what}"
    number = number.fillna(0)
    huge = number.abs() >= 10**8
    why[huge] = f"{what} " + text[huge] + " is beyond 100,000,000"
    return (number.where(why.isna(), 0) * 10_000).round().astype("int64"), why


def dates(text: pd.Series, what: str) -> tuple[pd.Series, pd.Series]:
    distinct = pd.Series(pd.unique(text.to_numpy()), dtype=object)
    parsed = pd.Series(pd.NaT, index=distinct.index, dtype="datetime64[ns]")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y", "%d/%m/%Y"):
        todo = parsed.isna() & (distinct != "")
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(distinct[todo], format=fmt, errors="coerce")
    failed: dict[str, str] = {}
    for i in parsed.index[parsed.isna() & (distinct != "")]:
        try:
            parsed[i] = parse_when(distinct[i])
        except (BadValue, OverflowError, ValueError):
            failed[distinct[i]] = f"{what} {distinct[i]!r} cannot be read"
    by_text = pd.Series(parsed.to_numpy(), index=distinct.to_numpy())
    dates = text.map(by_text)
    why = text.map(failed).astype(object)
    why = why.where(why.notna(), None)
    return pd.to_datetime(dates), why


def e4_text(values: pd.Series) -> pd.Series:
    return (values / 10_000).map(lambda v: f"{v:,.2f}")


def money_text(e4: int) -> str:
    return f"{e4 / 10_000:,.2f}"


def customer_columns(frame: pd.DataFrame, mapping: dict[str, str], region: str) -> pd.DataFrame:
    """ext, email, phone, key ("x:…", "e:…", "p:…" or "") and bad (a reason or None), row by row.

    Emails and phones go through the column-wide cleaners (contacts.py) once per distinct value, and each
    reason reaches its rows by the value's code: no pass over the whole column per bad value."""
    out = pd.DataFrame(index=frame.index)
    ext = frame[mapping["customer_id"]] if "customer_id" in mapping else pd.Series("", index=frame.index)
    out["ext"] = distinct(
        ext, lambda u: u.str.replace(r"\.0$", "", regex=True).str.slice(0, 200)
    )  # a spreadsheet's 12346.0
    bad = np.full(len(frame), None, dtype=object)
    for f, cleaner in (("email", emails), ("phone", lambda v: phones(v, region))):
        if f not in mapping:
            out[f] = ""
            continue
        codes, uniques = pd.factorize(frame[mapping[f]].fillna("").to_numpy(), use_na_sentinel=False)
        clean, why = cleaner(pd.Series(uniques, dtype=object))
        out[f] = clean.to_numpy()[codes]
        reasons = why.to_numpy()[codes]
        bad = np.where(pd.isna(bad), reasons, bad)  # the email's reason first, as the row reads
    out["bad"] = pd.Series(bad, index=frame.index, dtype=object).where(lambda b: b.notna(), None)
    key = np.where(
        out["ext"] != "",
        "x:" + out["ext"],
        np.where(out["email"] != "", "e:" + out["email"], np.where(out["phone"] != "", "p:" + out["phone"], "")),
    )
    out["key"] = key
    return out
