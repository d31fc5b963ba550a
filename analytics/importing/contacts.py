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
_PLAIN_PHONE = re.compile(r"\(?\+?[0-9][0-9 ()./-]*")
_NOT_DIGITS = str.maketrans("", "", " ()./-+")
_PLAIN_EMAIL = re.compile(rf"({_DOT_ATOM.pattern[1:-1]})@([^@]*)")


def emails(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Clean addresses ('' where the value is empty or bad) and, row by row, the reason a value is bad (or None)."""
    values = text.fillna("").to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    why = np.full(len(values), None, dtype=object)
    domains: dict[str, str] = {}
    slow = []
    for i, value in enumerate(values):
        if not value:
            out[i] = ""
            continue
        m = _PLAIN_EMAIL.fullmatch(value) if len(value) <= 254 and value.isascii() else None
        if m is None or len(m.group(1)) > 64:
            slow.append(i)
            continue
        domain = m.group(2).lower()
        checked = domains.get(domain)
        if checked is None:
            checked = domains[domain] = _domain_or_empty(domain)
        if checked:
            out[i] = f"{m.group(1)}@{checked}".lower()
        else:
            out[i] = ""
            why[i] = f"email {value!r} is not a valid address"
    _slow(values, slow, clean_email, out, why)
    return pd.Series(out, index=text.index, dtype=object), pd.Series(why, index=text.index, dtype=object)


def phones(text: pd.Series, region: str) -> tuple[pd.Series, pd.Series]:
    """E.164 numbers ('' where the value is empty or bad) and, row by row, the reason a value is bad (or None)."""
    values = text.fillna("").to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    why = np.full(len(values), None, dtype=object)
    shape = _region_shape(region)
    slow = []
    code, prefix, pattern_for = shape if shape is not None else ("", "", None)
    idd = "00" + code
    for i, value in enumerate(values):
        if not value:
            out[i] = ""
            continue
        if pattern_for is None or _PLAIN_PHONE.fullmatch(value) is None:
            slow.append(i)
            continue
        start = value.lstrip("(")
        digits = value.translate(_NOT_DIGITS)
        if start[0] == "+":
            nsn = digits[len(code) :] if digits.startswith(code) else ""
        elif start.startswith("00"):
            nsn = digits[len(idd) :] if digits.startswith(idd) else ""
        elif start.startswith(prefix) and digits.startswith(prefix) and not digits.startswith("00"):
            nsn = digits[len(prefix) :]
        else:
            nsn = ""
        # A national number that starts with 0 after the country code or trunk prefix is parsed in ways
        # (another prefix, Italian zeros) the full parser should decide.
        pattern = pattern_for(len(nsn)) if nsn and nsn[0] != "0" else None
        if pattern is not None and pattern.match(nsn):
            out[i] = f"+{code}{nsn}"
        else:
            slow.append(i)
    _slow(values, slow, lambda v: clean_phone(v, region), out, why)
    return pd.Series(out, index=text.index, dtype=object), pd.Series(why, index=text.index, dtype=object)


def _slow(values: np.ndarray, todo: list[int], cleaner: Callable[[str], str], out: np.ndarray, why: np.ndarray) -> None:
    """The full parser on each distinct value the fast path left."""
    results: dict[str, tuple[str, str | None]] = {}
    for i in todo:
        value = values[i]
        if value not in results:
            try:
                results[value] = (cleaner(value), None)
            except BadValue as exc:
                results[value] = ("", str(exc))
        out[i], why[i] = results[value]


def _domain_or_empty(domain: str) -> str:
    try:
        return check_domain(domain)
    except InvalidEmail:
        return ""


@lru_cache(maxsize=32)
def _region_shape(region: str) -> tuple[str, str, Callable[[int], re.Pattern[str] | None]] | None:
    """(country code, trunk prefix, the pattern a valid national significant number of a length matches) for a region whose
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

    return str(meta.country_code), prefix, pattern_for
