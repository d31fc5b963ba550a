"""The strict judge of a conversation turn: whole-word phrases, anchored record numbers, default
"did not understand" checks, and the file rules (a turn without a positive check is an error).

Pure functions over the reply and the tracker's events of the turn; the CRM half is in
bot/conversation_crm.py. The format is in tests/conversations/README.md.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Numbers of records the assistant creates during a conversation, matched whole.
ID_PATTERNS = {
    "ticket_no": r"T-\d{5}",
    "return_no": r"R-\d{5}",
    "refund_no": r"F-\d{5}",
    "lead_no": r"D-\d{5}",
    "order_no": r"A-\d{5}",
    "code_no": r"\d{6}",
}
# A hyphen joins words ("t-shirt", "over-ear", "usb-c"), so it counts as part of a word: "T-"
# or "ear" can never match inside one.
_WORD = r"[\w-]"
_BARE_PREFIX = re.compile(r"^[A-Za-z]-$")

# The replies that mean "I did not understand"; a turn fails on them unless it allows them.
# By text (any channel) and by the response name Rasa records with each bot message.
DEFAULT_NOT_SAYS = {
    "fallback": ["can't make sense of that", "can't make sense"],
    "rephrase": ["say it in other words", "not sure I understood"],
    "out_of_scope": ["sorry, I can't help with that"],
}
_UTTER_KINDS = {
    "utter_default": "fallback",
    "utter_fallback_handoff": "fallback",
    "utter_ask_rephrase": "rephrase",
    "utter_ask_affirmation": "rephrase",
    "utter_out_of_scope": "out_of_scope",
}

EXPECT_KEYS = {"says", "not_says", "buttons", "no_buttons", "silent", "allow", "crm", "intent", "action", "form"}
TURN_KEYS = {"user", "new_session", "expect", "note"}
CRM_KINDS = {"ticket", "return", "handoff", "deal", "feedback", "refund", "linked", "messages"}
_ORDER_KEY = re.compile(r"^order\d+$")


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\u2019", "'").replace("\u2018", "'")).strip()


def _alt_regex(alt: str) -> str:
    """One alternative as a regular expression: whole words, `*` for any ending, id tokens."""
    if alt.startswith("re:"):
        return alt[3:]
    parts = []
    for piece in re.split(r"(\{\w+\}|\s+|\*)", _normalise(alt)):
        if not piece:
            continue
        if piece.isspace():
            parts.append(r"\s+")
        elif piece == "*":
            parts.append(r"[\w-]*")
        elif piece[0] == "{" and piece[1:-1] in ID_PATTERNS:
            parts.append(ID_PATTERNS[piece[1:-1]])
        else:
            parts.append(re.escape(piece))
    body = "".join(parts)
    plain = re.sub(r"\{\w+\}", "x", alt.strip())  # an id token starts and ends with a word character
    start = f"(?<!{_WORD})" if re.match(_WORD, plain[:1]) else ""
    end = f"(?!{_WORD})" if re.match(_WORD, plain[-1:]) and not plain.endswith("*") else ""
    return start + body + end


@lru_cache(maxsize=4096)
def _compiled(alt: str) -> re.Pattern[str]:
    return re.compile(_alt_regex(alt), re.IGNORECASE)


def alternatives(entry: Any) -> list[str]:
    text = str(entry)
    if text.startswith("re:"):  # a regular expression may contain `|` itself
        return [text]
    return [a.strip() for a in text.split("|") if a.strip()]


def matches(text: str, entry: Any) -> bool:
    """Does `text` contain one of the entry's `|` alternatives as whole words?"""
    haystack = _normalise(text)
    return any(_compiled(alt).search(haystack) for alt in alternatives(entry))


# ------------------------------------------------------------------ file rules


def _has_positive_crm(crm: Any) -> bool:
    if not isinstance(crm, dict):
        return False
    for kind, spec in crm.items():
        if kind == "linked" and spec is True:
            return True
        if not isinstance(spec, dict):
            continue
        if kind == "messages" or _ORDER_KEY.match(kind):
            if any(k != "unchanged" for k in spec) or kind == "messages":
                return True
            continue
        count = spec.get("count", 1)
        if spec and min(count if isinstance(count, list) and count else [count]) > 0:
            return True
    return False


def turn_errors(turn: Any, index: int, placeholders: set[str]) -> list[str]:
    """What is wrong with one turn of a file (empty: nothing)."""
    where = f"turn {index}"
    if not isinstance(turn, dict):
        return [f"{where}: not a mapping"]
    errors = [f"{where}: unknown key {k!r}" for k in turn if k not in TURN_KEYS]
    if "user" not in turn and not turn.get("new_session"):
        errors.append(f"{where}: needs `user` (or `new_session: true`)")
    expect = turn.get("expect") or {}
    if not isinstance(expect, dict):
        return errors + [f"{where}: `expect` must be a mapping"]
    errors += [f"{where}: unknown expect key {k!r}" for k in expect if k not in EXPECT_KEYS]
    for key in ("says", "not_says", "buttons"):
        value = expect.get(key)
        if value is not None and not isinstance(value, list):
            errors.append(f"{where}: `{key}` must be a list")
            continue
        for entry in value or []:
            for alt in alternatives(entry):
                if _BARE_PREFIX.match(alt):
                    errors.append(
                        f"{where}: {key} {alt!r} is a bare number prefix; write the anchored token "
                        "({ticket_no}, {return_no}, ...) instead"
                    )
                try:
                    _compiled(alt)
                except re.error as exc:
                    errors.append(f"{where}: {key} {alt!r} is not a valid pattern: {exc}")
    for name in expect.get("allow") or []:
        if name not in DEFAULT_NOT_SAYS:
            errors.append(f"{where}: allow {name!r} is not one of {sorted(DEFAULT_NOT_SAYS)}")
    crm = expect.get("crm")
    if crm is not None and not isinstance(crm, dict):
        errors.append(f"{where}: `crm` must be a mapping")
    for kind in crm or {}:
        if kind not in CRM_KINDS and not _ORDER_KEY.match(kind):
            errors.append(f"{where}: unknown crm check {kind!r}")
        elif _ORDER_KEY.match(kind) and kind not in placeholders:
            errors.append(f"{where}: crm check {kind!r} but no such order under `given`")
    for name in re.findall(r"\{(\w+)\}", str(turn)):
        if name not in placeholders and name not in ID_PATTERNS and name != "code":
            errors.append(f"{where}: unknown placeholder {{{name}}}")
    positive = (
        expect.get("says")
        or expect.get("buttons")
        or expect.get("silent")
        or expect.get("intent")
        or expect.get("action")
        or "form" in expect
        or _has_positive_crm(crm)
    )
    if not positive and not turn.get("new_session"):
        errors.append(f"{where}: no positive check (says, buttons, silent, intent, action, form or a CRM record)")
    return errors


CONVERSATION_KEYS = {"name", "class", "channel", "given", "turns", "note"}
GIVEN_KEYS = {"customer", "name", "email", "orders", "tickets", "returns"}
TICKET_KEYS = {"subject", "status", "priority", "days_ago", "order"}
RETURN_KEYS = {"order", "item", "reason", "status", "kind", "days_ago"}
RETURN_STATUSES = {"requested", "approved", "rejected", "received", "refunded"}
ORDER_KEYS = {"status", "items", "days_ago", "shipment", "payments"}
ORDER_STATUSES = {"pending", "paid", "packed", "shipped", "delivered", "cancelled", "returned"}
PAYMENTS = {"captured", "duplicate", "failed", "refunded"}
CARRIERS = {"DHL", "DPD", "UPS"}


def given_errors(given: Any) -> list[str]:
    """A `given` the runner could not set up (an unknown product, status or carrier), found at load."""
    from crm_store.seed import CATALOGUE

    if not isinstance(given, dict):
        return ["given: must be a mapping"]
    products = {name for name, _category, _price in CATALOGUE}
    errors = [f"given: unknown key {k!r}" for k in given if k not in GIVEN_KEYS]
    if given.get("customer", "known") not in ("known", "visitor"):
        errors.append(f"given: customer {given['customer']!r} is neither known nor visitor")
    for i, order in enumerate(given.get("orders") or [], start=1):
        if not isinstance(order, dict):
            errors.append(f"given order {i}: must be a mapping")
            continue
        errors += [f"given order {i}: unknown key {k!r}" for k in order if k not in ORDER_KEYS]
        if order.get("status", "delivered") not in ORDER_STATUSES:
            errors.append(f"given order {i}: status {order['status']!r} is not one of {sorted(ORDER_STATUSES)}")
        for raw in order.get("items") or []:
            name = re.sub(r"^\s*\d+\s*x\s*", "", str(raw)).strip()
            if name not in products:
                errors.append(f"given order {i}: {name!r} is not in the catalogue (docs/shop.md)")
        errors += [
            f"given order {i}: payment {k!r} is not one of {sorted(PAYMENTS)}"
            for k in order.get("payments") or []
            if k not in PAYMENTS
        ]
        carrier = (order.get("shipment") or {}).get("carrier", "DHL")
        if carrier not in CARRIERS:
            errors.append(f"given order {i}: carrier {carrier!r} is not one of {sorted(CARRIERS)}")
    orders = given.get("orders") or []
    for what, keys in (("ticket", TICKET_KEYS), ("return", RETURN_KEYS)):
        for i, spec in enumerate(given.get(f"{what}s") or [], start=1):
            if not isinstance(spec, dict):
                errors.append(f"given {what} {i}: must be a mapping")
                continue
            errors += [f"given {what} {i}: unknown key {k!r}" for k in spec if k not in keys]
            number = spec.get("order", 1 if what == "return" else None)
            if number is not None and not (isinstance(number, int) and 1 <= number <= len(orders)):
                errors.append(f"given {what} {i}: order {number!r} is not the number of a given order (1, 2, ...)")
            elif what == "return":
                ordered = [
                    re.sub(r"^\s*\d+\s*x\s*", "", str(x)).strip()
                    for x in orders[(number or 1) - 1].get("items") or ["yoga mat"]
                ]
                if spec.get("item") and spec["item"] not in ordered:
                    errors.append(f"given return {i}: {spec['item']!r} is not in order {number}")
                if spec.get("status", "requested") not in RETURN_STATUSES:
                    errors.append(
                        f"given return {i}: status {spec['status']!r} is not one of {sorted(RETURN_STATUSES)}"
                    )
                if spec.get("kind", "return") not in ("return", "exchange", "replacement"):
                    errors.append(f"given return {i}: kind {spec['kind']!r} is not return, exchange or replacement")
    return errors


def conversation_errors(conv: Any) -> list[str]:
    if not isinstance(conv, dict):
        return ["a conversation must be a mapping"]
    given = conv.get("given") or {}
    placeholders = {"email", "name", "first_name"}
    for i, _ in enumerate(given.get("orders") or [], start=1):
        placeholders |= {f"order{i}", f"total{i}"}
    for i, _ in enumerate(given.get("tickets") or [], start=1):
        placeholders.add(f"ticket{i}")
    for i, _ in enumerate(given.get("returns") or [], start=1):
        placeholders.add(f"return{i}")
    errors = [] if conv.get("name") else ["a conversation needs a `name`"]
    errors += [f"unknown key {k!r}" for k in conv if k not in CONVERSATION_KEYS]
    if conv.get("channel", "rest") not in ("rest", "webchat"):
        errors.append(f"channel {conv['channel']!r} is neither rest nor webchat")
    errors += given_errors(given)
    if not isinstance(given, dict):
        return errors
    turns = conv.get("turns") or []
    if not turns:
        errors.append("no turns")
    for index, turn in enumerate(turns, start=1):
        errors += turn_errors(turn, index, placeholders)
    return errors


# ------------------------------------------------------------------ one turn


def turn_facts(events: list[dict]) -> dict[str, Any]:
    """Intent, actions, form and response names of one turn, from the tracker's events after its user event."""
    intents: set[str] = set()
    actions: list[str] = []
    forms: list[str | None] = []
    utters: list[str] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            name = (parse.get("intent") or {}).get("name") or ""
            intents |= {name, *name.split("+")} - {""}
            for selector in (parse.get("response_selector") or {}).values():
                if isinstance(selector, dict):
                    key = (selector.get("response") or {}).get("intent_response_key") or ""
                    if key and name.split("+")[0] == key.split("/")[0]:
                        intents.add(key)
        elif kind == "action" and event.get("name") != "action_listen":
            actions.append(event.get("name") or "")
        elif kind == "active_loop":
            forms.append(event.get("name"))
        elif kind == "bot":
            utter = (event.get("metadata") or {}).get("utter_action")
            if utter:
                utters.append(utter)
    return {"intents": intents, "actions": actions, "forms": forms, "utters": utters}


def _names(value: Any) -> list[list[str]]:
    """`a` / `a|b` / [a, b]: a list of requirements, each a list of acceptable names."""
    items = value if isinstance(value, list) else [value]
    return [[n.strip() for n in str(item).split("|") if n.strip()] for item in items]


def check_reply(
    expect: dict[str, Any], replies: list[dict], facts: dict[str, Any] | None = None, form_before: str | None = None
) -> list[str]:
    """Problems with one turn's reply (empty: it passes). `facts` from `turn_facts`, None when
    the tracker could not be read."""
    text = " ".join(r.get("text") or "" for r in replies)
    titles = [str(b.get("title", "")) for r in replies for b in (r.get("buttons") or [])]
    problems: list[str] = []
    if expect.get("silent"):
        return ["expected no reply"] if text.strip() else []
    if not text.strip():
        problems.append("no reply")
    for entry in expect.get("says") or []:
        if not matches(text, entry):
            problems.append(f"reply lacks {entry!r}")
    for entry in expect.get("not_says") or []:
        if matches(text, entry):
            problems.append(f"reply has {entry!r}")
    allowed = set(expect.get("allow") or [])
    for kind, phrases in DEFAULT_NOT_SAYS.items():
        if kind in allowed:
            continue
        said = [p for p in phrases if matches(text, p)]
        said += [u for u in (facts or {}).get("utters", []) if _UTTER_KINDS.get(u) == kind]
        if said:
            problems.append(f"reply is the {kind.replace('_', '-')} answer ({said[0]!r})")
    for entry in expect.get("buttons") or []:
        if not any(matches(title, entry) for title in titles):
            problems.append(f"no button {entry!r} (buttons: {titles})")
    if expect.get("no_buttons") and titles:
        problems.append(f"buttons offered: {titles}")
    wants_tracker = any(k in expect for k in ("intent", "action", "form"))
    if wants_tracker and facts is None:
        return problems + ["the tracker could not be read for the intent / action / form check"]
    if "intent" in expect:
        accepted = {n for group in _names(expect["intent"]) for n in group}
        if not accepted & facts["intents"]:  # type: ignore[index]
            problems.append(f"intent {sorted(facts['intents'])}, expected {sorted(accepted)}")  # type: ignore[index]
    for group in _names(expect["action"]) if "action" in expect else []:
        if not set(group) & set(facts["actions"]):  # type: ignore[index]
            problems.append(f"action {'|'.join(group)} did not run (ran: {facts['actions']})")  # type: ignore[index]
    if "form" in expect:
        form = facts["forms"][-1] if facts["forms"] else form_before  # type: ignore[index]
        if (form or None) != (expect["form"] or None):
            problems.append(f"active form {form!r}, expected {expect['form']!r}")
    return problems
