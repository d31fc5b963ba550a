"""Whole columns of an order export parsed at once give each row what the one-value parsers give it."""

from __future__ import annotations

import gc

import pandas as pd
import pytest

from analytics.importing.columnvalues import customer_columns, money_e4
from analytics.importing.heap import collect_young, young_collections_only
from analytics.importing.values import BadValue, clean_email, clean_phone, parse_total


def reason(cleaner, value: str) -> str | None:  # type: ignore[no-untyped-def]
    try:
        cleaner(value)
    except BadValue as exc:
        return str(exc)
    return None


def test_every_row_gets_its_own_email_or_phone_reason_and_the_email_reason_comes_first():
    emails = [f"nobody{i % 700}@" if i % 3 == 0 else f"buyer{i % 50}@Example.org" for i in range(3000)] + ["", "x@"]
    phones = [str(i % 90) if i % 4 == 0 else "030 5550 1234" for i in range(3000)] + ["12", "12"]
    frame = pd.DataFrame({"Email": emails, "Phone": phones, "Customer": ""}, dtype=object)

    out = customer_columns(frame, {"email": "Email", "phone": "Phone", "customer_id": "Customer"}, "DE")

    for i, (email, phone) in enumerate(zip(emails, phones)):
        email_why = reason(clean_email, email) if email else None
        phone_why = reason(lambda v: clean_phone(v, "DE"), phone) if phone else None
        assert out["bad"].iat[i] == (email_why or phone_why), i
        assert out["email"].iat[i] == ("" if email_why or not email else clean_email(email)), i
        assert out["phone"].iat[i] == ("" if phone_why or not phone else clean_phone(phone, "DE")), i
    assert out["bad"].iat[3000] == "phone '12' is not a valid number for region DE"
    assert out["bad"].iat[3001] == "email 'x@' is not a valid address"


def test_a_customer_key_is_the_shops_id_then_the_email_then_the_phone():
    frame = pd.DataFrame(
        {
            "Customer": ["12346.0", "", "", ""],
            "Email": ["a@example.org", "B@Example.org", "", ""],
            "Phone": ["", "030 5550 1234", "030 5550 1234", ""],
        },
        dtype=object,
    )

    out = customer_columns(frame, {"customer_id": "Customer", "email": "Email", "phone": "Phone"}, "DE")

    assert out["key"].tolist() == ["x:12346", "e:b@example.org", "p:+493055501234", ""]
    assert out["bad"].isna().all()


def test_amounts_in_local_formats_are_read_like_one_value_and_bad_ones_named():
    text = pd.Series(
        ["2.55", "€1.234,50", "12,00 EUR", "€1.234,50", "", "n/a", "3", "12,00 EUR", "n/a", "1e9"], dtype=object
    )

    e4, why = money_e4(text, "unit price")

    assert e4.tolist() == [25_500, 12_345_000, 120_000, 12_345_000, 0, 0, 30_000, 120_000, 0, 0]
    assert e4.iat[1] == int(parse_total("€1.234,50") * 10_000)
    assert [w if isinstance(w, str) else None for w in why] == [
        None,
        None,
        None,
        None,
        "no unit price",
        "unit price 'n/a' is not a number",
        None,
        None,
        "unit price 'n/a' is not a number",
        "unit price 1e9 is beyond 100,000,000",
    ]


def test_automatic_collection_is_off_inside_and_back_as_it_was_after():
    assert gc.isenabled()
    with young_collections_only():
        assert not gc.isenabled()
    assert gc.isenabled()

    gc.disable()
    try:
        with young_collections_only():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

    with pytest.raises(RuntimeError), young_collections_only():
        raise RuntimeError("an import failed")
    assert gc.isenabled()


def test_collect_young_frees_a_cycle_made_inside():
    class Node:
        pass

    with young_collections_only():
        gc.collect()
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        del a, b

        assert collect_young() >= 2
