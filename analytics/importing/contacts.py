"""Whole columns of emails and phone numbers cleaned at once, with the same results as `values.clean_email` and
`values.clean_phone` value by value.

A million-row customer export is a million distinct addresses and numbers, so caching by value does not help, and
phonenumbers' parser takes about 50 µs a number. The common shapes are checked here column-wide instead: a plain
ASCII address (its domain checked once per domain), and a number written in the region's own national or
international form, validated against phonenumbers' own metadata patterns. Anything else, and anything these
checks do not accept, goes value by value through the full parsers, so the fast path can only agree with them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd
import phonenumbers

from analytics.importing.values import _DOT_ATOM, BadValue, clean_email, clean_phone
from crm_store.values.emails import InvalidEmail, check_domain

_NUMBER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
# Only digits and the punctuation people write in numbers; letters (extensions, "ext."), a second number
# ("/ x") and other forms go to the full parser.
_PLAIN_PHONE = r"\(?\+?[0-9][0-9 ()./-]*"


def emails(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Clean addresses ('' where the value is empty or bad) and, row by row, the reason a value is bad (or None)."""
    text = text.fillna("").astype(object)
    parts = text.str.rpartition("@")
    local, at, domain = parts[0], parts[1], parts[2]
    fast = (
        (at != "")
        & text.map(str.isascii).astype(bool)
        & (local.str.len() <= 64)
        & (text.str.len() <= 254)
        & local.str.match(_DOT_ATOM).fillna(False).astype(bool)
    )
    clean = pd.Series("", index=text.index, dtype=object)
    why = pd.Series(None, index=text.index, dtype=object)
    if fast.any():
        checked = _each_distinct(domain[fast].str.lower(), _domain_or_empty)
        good = checked != ""
        ok = good[good].index
        clean[ok] = (local[ok] + "@" + checked[ok]).str.lower()
        bad = good[~good].index
        why[bad] = "email " + text[bad].map(repr) + " is not a valid address"
    _slow(text[~fast & (text != "")], clean_email, clean, why)
    return clean, why.where(why.notna(), None)


def phones(text: pd.Series, region: str) -> tuple[pd.Series, pd.Series]:
    """E.164 numbers ('' where the value is empty or bad) and, row by row, the reason a value is bad (or None)."""
    text = text.fillna("").astype(object)
    clean = pd.Series("", index=text.index, dtype=object)
    why = pd.Series(None, index=text.index, dtype=object)
    shape = _region_shape(region)
    fast = pd.Series(False, index=text.index)
    if shape is not None and (text != "").any():
        code, prefix, validate = shape
        plain = text.str.fullmatch(_PLAIN_PHONE).fillna(False).astype(bool)
        digits = text.where(plain, "").str.replace(r"\D", "", regex=True)
        start = text.str.lstrip("(")
        written_plus = start.str.startswith("+")
        international = plain & written_plus & digits.str.startswith(code)
        by_idd = plain & start.str.startswith("00") & digits.str.startswith("00" + code)
        national = plain & start.str.startswith(prefix) & ~digits.str.startswith("00") & digits.str.startswith(prefix)
        nsn = pd.Series(
            np.select(
                [international.to_numpy(), by_idd.to_numpy(), national.to_numpy()],
                [
                    digits.str.slice(len(code)).to_numpy(),
                    digits.str.slice(2 + len(code)).to_numpy(),
                    digits.str.slice(len(prefix)).to_numpy(),
                ],
                default="",
            ),
            index=text.index,
            dtype=object,
        )
        # A national number that starts with 0 after the country code or trunk prefix is parsed in ways
        # (another prefix, Italian zeros) the full parser should decide.
        candidate = nsn.str.match(r"[1-9]").fillna(False).astype(bool)
        fast = candidate & validate(nsn.where(candidate, ""))
        clean[fast] = "+" + code + nsn[fast]
    _slow(text[~fast & (text != "")], lambda v: clean_phone(v, region), clean, why)
    return clean, why.where(why.notna(), None)


def _slow(values: pd.Series, cleaner: Callable[[str], str], clean: pd.Series, why: pd.Series) -> None:
    """The full parser on each distinct value the fast path left."""
    if values.empty:
        return
    results: dict[str, tuple[str, str | None]] = {}
    for value in pd.unique(values.to_numpy()):
        try:
            results[value] = (cleaner(value), None)
        except BadValue as exc:
            results[value] = ("", str(exc))
    found = values.map(results)
    clean[values.index] = found.str[0]
    why[values.index] = found.str[1]


def _each_distinct(values: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    codes, uniques = pd.factorize(values.to_numpy())
    mapped = np.array([fn(u) for u in uniques], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _domain_or_empty(domain: str) -> str:
    try:
        return check_domain(domain)
    except InvalidEmail:
        return ""


@lru_cache(maxsize=32)
def _region_shape(region: str) -> tuple[str, str, Callable[[pd.Series], pd.Series]] | None:
    """(country code, trunk prefix, a column validator of national significant numbers) for a region whose
    numbers the fast path can read exactly, or None: a country code shared by several regions (+1, +44), a
    trunk prefix that is not a plain digit string, or a rewrite rule all go to the full parser."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region.upper())
    if meta is None or meta.country_code is None:
        return None
    if phonenumbers.region_codes_for_country_code(meta.country_code) != (region.upper(),):
        return None
    prefix = meta.national_prefix or ""
    parsing = meta.national_prefix_for_parsing
    if not prefix.isdigit() or (parsing not in (None, prefix)) or meta.national_prefix_transform_rule:
        return None
    if meta.international_prefix != "00":
        return None
    general = meta.general_desc
    if general is None or not general.national_number_pattern:
        return None
    local_only = set(general.possible_length_local_only or ())
    descs = [general] + [d for d in (getattr(meta, t) for t in _NUMBER_TYPES) if d is not None]

    def accepts(desc: phonenumbers.PhoneNumberDesc, length: int) -> bool:
        lengths = desc.possible_length or ()
        return bool(desc.national_number_pattern) and (not lengths or length in lengths)

    @lru_cache(maxsize=64)
    def pattern_for(length: int) -> re.Pattern[str] | None:
        # phonenumbers: valid = the general pattern and one type's pattern match, lengths allowing.
        if length in local_only or not accepts(general, length):
            return None
        types = [d.national_number_pattern for d in descs[1:] if accepts(d, length)]
        if not types:
            return None
        return re.compile(f"(?=(?:{general.national_number_pattern})\\Z)(?:{'|'.join(f'(?:{t})' for t in types)})\\Z")

    def validate(nsn: pd.Series) -> pd.Series:
        ok = pd.Series(False, index=nsn.index)
        lengths = nsn.str.len()
        for length in pd.unique(lengths[nsn != ""]):
            pattern = pattern_for(int(length))
            if pattern is None:
                continue
            rows = lengths == length
            ok[rows] = nsn[rows].str.match(pattern).fillna(False).astype(bool)
        return ok

    return str(meta.country_code), prefix, validate
