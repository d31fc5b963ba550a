from __future__ import annotations

from datetime import datetime

from analytics.digest.anomalies import find_anomalies, usual_range
from analytics.digest.periods import last_complete
from analytics.digest.unanswered import clean, cluster, nlu_yaml


def test_last_complete_periods():
    now = datetime(2026, 11, 18, 7, 30)  # Wednesday
    day, week = last_complete("day", now), last_complete("week", now)
    assert (day.start, day.end) == (datetime(2026, 11, 17), datetime(2026, 11, 18))
    assert (week.start, week.end) == (datetime(2026, 11, 9), datetime(2026, 11, 16))
    assert week.previous().start == datetime(2026, 11, 2)


def test_a_kpi_far_outside_its_history_is_an_anomaly():
    history = [{"conversations": v} for v in (10, 12, 11, 9, 10, 13, 11, 10)]

    found, unknown = find_anomalies({"conversations": 40}, history, ["conversations"])
    calm, _ = find_anomalies({"conversations": 12}, history, ["conversations"])

    assert [a.kpi for a in found] == ["conversations"] and unknown == []
    assert found[0].low <= 12 <= found[0].high
    assert calm == []


def test_too_little_history_is_said_not_guessed():
    found, unknown = find_anomalies({"csat": 1.0}, [{"csat": 4.5}, {"csat": None}, {"csat": 4.4}], ["csat"])
    assert found == [] and unknown == ["csat"]


def test_a_flat_history_still_has_a_range():
    med, low, high = usual_range([5, 5, 5, 5, 5])
    assert low < 5 < high


def test_similar_questions_share_a_group():
    texts = [
        "do you ship to switzerland",
        "do you deliver to Switzerland?",
        "shipping to switzerland possible?",
        "can I pay with paypal",
        "do you take paypal",
        "can I pay with paypal",
    ]

    groups = cluster(texts)

    assert [g.count for g in groups] == [3, 3]
    assert {frozenset(g.examples) for g in groups} == {
        frozenset(
            {"do you ship to switzerland", "do you deliver to Switzerland?", "shipping to switzerland possible?"}
        ),
        frozenset({"can I pay with paypal", "do you take paypal"}),
    }
    yaml = nlu_yaml(groups)
    assert yaml.startswith('version: "3.1"') and yaml.count("- intent: candidate_") == 2


def test_personal_data_is_masked_in_unanswered_texts():
    assert clean("mail me at jo.doe@example.com or +49 30 5550100 ") == "mail me at [email] or [phone]"


def test_import_value_cleaning():
    import pytest

    from analytics.importing.values import BadValue, clean_email, clean_name, clean_phone, parse_total, parse_when

    assert clean_email(" Anna.Schmidt@Example.COM ") == "anna.schmidt@example.com"
    assert clean_email("Jürgen@Bücher.de") == "jürgen@bücher.de"  # non-ASCII: the full email-validator path
    for bad in ("a..b@example.com", "nobody@", "x@localhost", "@example.com", "a b@example.com"):
        with pytest.raises(BadValue):
            clean_email(bad)
    assert clean_phone("030 5550 1234", "DE") == "+493055501234"
    assert clean_name("  ANNA   SCHMIDT ") == "Anna Schmidt" and clean_name("Ann McDonald") == "Ann McDonald"
    assert parse_when("01.02.2023").date().isoformat() == "2023-02-01"
    assert str(parse_total("€1.234,50")) == "1234.50" and str(parse_total("-12,00 EUR")) == "-12.00"


def test_close_names_in_one_city_match_unless_their_phones_differ():
    from analytics.importing.duplicates import Matcher

    m = Matcher()
    m.add("anna", email="anna@a.example", phone="+4930111", name="Anna Schmidt", city="Berlin")

    assert m.find(name="Schmidt, Ana", city="berlin").reason == "close name and same city"
    assert m.find(name="Anna Schmidt", city="Hamburg") is None
    assert m.find(name="Anna Schmidt", city="Berlin", phone="+4930999") is None
    assert m.find(email="x@b.example", phone="+4930111").reason == "same phone"


def test_digest_and_import_settings_give_one_line_errors():
    import pytest

    from crm_store.errors import SettingsError
    from crm_store.settings import load_settings

    ok = load_settings({"SMTP_RETRY_DELAY": "0.5", "DEFAULT_PHONE_REGION": "gb", "SMTP_RETRIES": "5"})
    assert (ok.smtp_retry_delay, ok.default_phone_region, ok.smtp_retries) == (0.5, "GB", 5)
    with pytest.raises(SettingsError, match="SMTP_RETRY_DELAY='soon' is not a number"):
        load_settings({"SMTP_RETRY_DELAY": "soon"})
    with pytest.raises(SettingsError, match="DEFAULT_PHONE_REGION='Germany' is not a region code"):
        load_settings({"DEFAULT_PHONE_REGION": "Germany"})
    with pytest.raises(SettingsError, match="IMPORT_BATCH_SIZE='0' must be positive"):
        load_settings({"IMPORT_BATCH_SIZE": "0"})
