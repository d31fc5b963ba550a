"""Money, opening hours and the queue's wait in the customer's language (Babel and the catalogues)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from actions.locales import money, opening_hours, opening_time
from crm_store.business_hours import BusinessHours
from crm_store.services.handoff_queue import WaitEstimate, describe_wait

HOURS = BusinessHours.parse("mon-fri 09:00-18:00; sat 10:00-14:00", "Europe/Berlin")


@pytest.mark.parametrize(
    "language, expected", [("en", "29.90 EUR"), ("de", "29,90\xa0€"), ("fr", "29,90\xa0€"), ("es", "29,90\xa0€")]
)
def test_money_is_written_the_way_the_language_writes_it(language, expected):
    assert money(Decimal("29.90"), language) == expected


@pytest.mark.parametrize(
    "language, hours, opening",
    [
        ("en", "mon-fri 09:00-18:00; sat 10:00-14:00 (Europe/Berlin)", "Monday 09:00"),
        ("de", "Mo.-Fr. 09:00-18:00; Sa. 10:00-14:00 (Europe/Berlin)", "Montag 09:00"),
        ("fr", "lun.-ven. 09:00-18:00; sam. 10:00-14:00 (Europe/Berlin)", "lundi 09:00"),
        ("es", "lun-vie 09:00-18:00; sáb 10:00-14:00 (Europe/Berlin)", "lunes 09:00"),
    ],
)
def test_opening_hours_come_from_the_setting_in_the_customers_words(language, hours, opening):
    saturday_night = datetime(2026, 12, 5, 20, 0)  # UTC: the next opening is Monday 09:00 in Berlin
    assert opening_hours(HOURS, language) == hours
    assert opening_time(HOURS.next_opening(saturday_night), language) == opening


def test_days_with_different_hours_are_not_merged():
    split = BusinessHours.parse("mon-tue 09:00-17:00; wed 12:00-20:00; thu-fri 09:00-17:00", "UTC")
    assert opening_hours(split, "de") == "Mo.-Di. 09:00-17:00; Mi. 12:00-20:00; Do.-Fr. 09:00-17:00 (UTC)"


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "en",
            "You're number 3 in the queue. Recent chats were answered after about 1 minute, so the expected wait is about 4 minutes.",
        ),
        (
            "de",
            "Sie sind auf Platz 3 der Warteschlange. Zuletzt kam die Antwort nach etwa 1 Minute, Sie warten also voraussichtlich etwa 4 Minuten.",
        ),
        (
            "fr",
            "Vous êtes en position 3 dans la file d'attente. Les dernières conversations ont eu une réponse après environ 1 minute ; l'attente prévue est donc d'environ 4 minutes.",
        ),
        (
            "es",
            "Está en el puesto 3 de la cola. Los últimos chats se respondieron en alrededor de 1 minuto, así que la espera prevista es de alrededor de 4 minutos.",
        ),
        (
            "it",
            "You're number 3 in the queue. Recent chats were answered after about 1 minute, so the expected wait is about 4 minutes.",
        ),
    ],
)
def test_the_wait_is_told_in_the_customers_language(language, expected):
    assert describe_wait(WaitEstimate(3, 4, 1, 0.8), 5, language) == expected


def test_with_nobody_at_the_console_the_ticket_deadline_is_named_in_the_language():
    text = describe_wait(WaitEstimate(1, None, 0, None), 7, "fr")
    assert text.startswith("C'est bientôt à vous") and "d'ici 7 minutes" in text
