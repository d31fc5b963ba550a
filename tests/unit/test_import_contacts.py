"""Whole columns of emails and phones give the same answers as the one-value cleaners, fast path or not."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from analytics.importing.contacts import emails, phones
from analytics.importing.values import BadValue, clean_email, clean_phone


def one_by_one(values: list[str], cleaner) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    out: list[tuple[str, str | None]] = []
    for value in values:
        if not value:
            out.append(("", None))
            continue
        try:
            out.append((cleaner(value), None))
        except BadValue as exc:
            out.append(("", str(exc)))
    return out


def written_numbers(n: int, seed: int) -> list[str]:
    """Numbers as people type them: national, +country, 00country, a trunk 0 after the country code, bare digits,
    extensions, separators anywhere, too short and too long."""
    rng = random.Random(seed)
    shapes = ("0{}", "+49 {}", "0049{}", "+{}", "(0{}", "+49 (0) {}", "00{}", "{} ext 12", "0 049{}", "{}", "+33 {}")
    out = []
    for _ in range(n):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 16)))
        spaced = "".join(ch + (rng.choice(" -./()") if rng.random() < 0.2 else "") for ch in digits)
        out.append(rng.choice(shapes).format(spaced))
    return out + ["", "030 5550 1234", "+49 30 5550 1234", "0170 5550999", "12", "+44 7700 900123", "030-5550-1234x"]


@pytest.mark.parametrize("region", ["DE", "FR", "AT", "GB", "US", "IT"])
def test_a_column_of_phones_is_cleaned_as_each_phone_alone(region):
    values = written_numbers(3000, seed=len(region) * 7 + ord(region[0]))

    clean, why = phones(pd.Series(values, dtype=object), region)

    assert list(zip(clean, why)) == one_by_one(values, lambda v: clean_phone(v, region))


def test_a_column_of_emails_is_cleaned_as_each_email_alone():
    values = [
        "",
        "a.b@example.com",
        "A.B@Example.COM",
        "x@",
        "not-an-email",
        "Jürgen@Bücher.de",
        "a..b@x.de",
        "a@x",
        "a@localhost",
        "a@-x.de",
        '"q"@x.de',
        "a@b@x.de",
        "a b@x.de",
        "a@x.de.",
        "a" * 65 + "@x.de",
        "a@" + "b" * 250 + ".de",
        "a@xn--bcher-kva.de",
        "ab@example.invalid",
        "first+tag@sub.example.org",
    ]

    clean, why = emails(pd.Series(values, dtype=object))

    assert list(zip(clean, why)) == one_by_one(values, clean_email)
