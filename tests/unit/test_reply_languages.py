"""No English inside a reply to a German, French or Spanish customer.

Every response (domain.yml and the responses in nlu/data) and every sentence actions compose
(actions/locales.py, actions/phrasebook.py) has all four languages, and no action sends a
hard-coded sentence: its text comes from a response or from phrase().
"""

from __future__ import annotations

import ast
import re
import string
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions import locales
from actions.locales import SERVED_LANGUAGES, phrase
from actions.problems import problems_in
from tests.support.action_calls import DOMAIN, tracker

ROOT = Path(__file__).resolve().parents[2]
# A reply that is English on purpose: the answer to "can we speak English?".
ENGLISH_ONLY = {"utter_continue_in_english"}


def _responses() -> dict[str, list[dict]]:
    found = dict(DOMAIN["responses"])
    for path in sorted((ROOT / "nlu" / "data").rglob("*.yml")):
        found.update((yaml.safe_load(path.read_text("utf-8")) or {}).get("responses") or {})
    return found


def _languages(variations: list[dict]) -> set[str]:
    return {
        next((c["value"] for c in v.get("condition") or [] if c.get("name") == "language"), "en") for v in variations
    }


def test_every_response_has_a_variation_in_each_served_language():
    missing = {
        name: sorted(set(SERVED_LANGUAGES) - _languages(variations))
        for name, variations in _responses().items()
        if name not in ENGLISH_ONLY and set(SERVED_LANGUAGES) - _languages(variations)
    }

    assert not missing, missing


def test_every_variation_keeps_its_buttons():
    fewer = [
        name for name, variations in _responses().items() if len({len(v.get("buttons") or []) for v in variations}) > 1
    ]

    assert not fewer, fewer


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_composed_sentence_has_each_served_language_and_only_englishs_values():
    for key, table in locales._PHRASES.items():
        assert set(table) == set(SERVED_LANGUAGES), key
        for code in SERVED_LANGUAGES:
            # A translation may leave a value out (the English plural "s"), never ask for one it is not given.
            assert _fields(table[code]) <= _fields(table["en"]), (key, code)
            assert table[code].strip(), (key, code)


def _written_words(node: ast.AST) -> list[str]:
    """String literals that read as words in a reply's text or button titles: not a phrase() key or
    another identifier ("offer_ticket", "title"), not a payload ("/affirm")."""
    return [
        inner.value
        for inner in ast.walk(node)
        if isinstance(inner, ast.Constant)
        and isinstance(inner.value, str)
        and any(c.isalpha() for c in inner.value)
        and not re.fullmatch(r"[a-z0-9_]+", inner.value)
        and not inner.value.startswith("/")
    ]


def _hard_coded_replies(source: str) -> list[tuple[int, str]]:
    found = []
    for call in ast.walk(ast.parse(source)):
        if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "utter_message":
            for keyword in call.keywords:
                if keyword.arg in ("text", "buttons"):
                    found += [(call.lineno, words) for words in _written_words(keyword.value)]
    return found


def test_no_action_sends_a_sentence_written_in_the_code():
    # actions/languages.py answers languages we do not serve, in their own words (its WORDINGS).
    found = {
        path.name: _hard_coded_replies(path.read_text("utf-8"))
        for path in sorted((ROOT / "actions").glob("*.py"))
        if path.name != "languages.py"
    }

    assert not {name: lines for name, lines in found.items() if lines}


def test_the_scan_finds_a_hard_coded_reply():
    source = (
        "dispatcher.utter_message(text=f'Order {n} is on its way')\n"
        "dispatcher.utter_message(text=phrase('sorry', language), buttons=[{'title': 'Yes', 'payload': '/affirm'}])\n"
        "dispatcher.utter_message(text=phrase('sorry', language))\n"
    )

    assert sorted({line for line, _ in _hard_coded_replies(source)}) == [1, 2]


@pytest.mark.parametrize(
    "text, kinds",
    [
        (
            "Die Tasse kam kaputt an, der Deckel fehlt und sie war eine Woche verspätet",
            ["damaged", "missing_item", "late"],
        ),
        ("le tapis est arrivé abîmé et j'ai été débité deux fois", ["damaged", "double_charge"]),
        ("me cobraron dos veces y me mandaron otro color, talla equivocada", ["wrong_item", "double_charge"]),
        ("¿hace falta la factura para devolverlo?", []),
    ],
)
def test_problems_are_found_in_german_french_and_spanish(text, kinds):
    assert [kind for kind, _ in problems_in(text)] == kinds


def test_the_warranty_route_and_the_bank_days_are_worded_in_the_language():
    now = datetime(2026, 12, 7)

    german = locales.warranty_route(datetime(2026, 8, 3), now, 30, 24, "de")
    french = locales.refund_arrival(None, date(2026, 12, 4), None, 5, 3, "fr")
    spanish = locales.refund_arrival(date(2026, 11, 30), None, None, 5, 3, "es")

    assert german is not None and "3. August 2026" in german and "Garantie von 24 Monaten" in german
    assert "delivered" not in german and "warranty" not in german
    assert french == (
        "le remboursement a été versé le 4 décembre 2026, et les banques mettent jusqu'à 3 jours ouvrés : "
        "il devrait être sur votre compte d'ici le 9 décembre 2026"
    )
    assert spanish is not None and "7 de diciembre de 2026" in spanish and "10 de diciembre de 2026" in spanish
    assert locales.refund_arrival(None, date(2026, 12, 4), None, 5, 3, "en") == (
        "it was paid out on 4 Dec 2026, and banks take up to 3 working days, so it should be on your account by "
        "9 Dec 2026"
    )


def test_the_lead_read_back_is_in_french_with_french_buttons():
    from actions.leads import ActionAskLeadFormConfirmed

    dispatcher = CollectingDispatcher()
    slots = {
        "language": "fr",
        "contact_name": "Claire Martin",
        "company": "Studio Lumière",
        "email": "claire@example.com",
        "phone": "+33 1 23 45 67 89",
        "volume": "200 tapis",
    }

    ActionAskLeadFormConfirmed().run(dispatcher, tracker("lead-fr", "200 tapis", slots), DOMAIN)

    [message] = dispatcher.messages
    assert message["text"] == (
        "Je récapitule : Claire Martin de Studio Lumière, e-mail claire@example.com, téléphone +33 1 23 45 67 89, "
        "volume 200 tapis. Je transmets à notre équipe entreprises ?"
    )
    assert [b["title"] for b in message["buttons"]] == ["Oui, transmettre", "Non"]


def test_an_invoice_correction_is_answered_in_spanish():
    from actions.everyday import ActionOutOfScope

    dispatcher = CollectingDispatcher()

    ActionOutOfScope().run(
        dispatcher,
        tracker("invoice-es", "the invoice has the wrong name", {"language": "es"}, intent="out_of_scope"),
        DOMAIN,
    )

    [message] = dispatcher.messages
    assert message["text"].startswith("Disculpe las molestias. Para corregir una factura")
    assert [b["title"] for b in message["buttons"]] == ["Sí, con una persona", "No, gracias"]


def test_english_sentences_keep_their_wording():
    assert phrase("invoice_fix", "en") == (
        "Sorry about that. Correcting an invoice needs someone from our team. Shall I put you through to a person?"
    )
    assert phrase("problem_line", "en", title=phrase("problem_late", "en"), number="T-00012") == (
        "- late delivery: ticket T-00012"
    )
