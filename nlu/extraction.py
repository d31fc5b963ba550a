"""Rule-based extraction of order ids, emails, phones, amounts, dates and quantities.

Pure functions with no Rasa import: the NLU component, the OCR receipt parser and the
form validators all call them. Everything is regex based and compiled at import.

Why no spaCy here: with TensorFlow installed, `import spacy` pulls it in through thinc
(7-10 s), which the OCR worker and the action server would otherwise never pay, and a
blank pipeline has no tagger, so token matchers could only match shapes and words that
a regex over characters matches too, with exact character offsets for free.

Overlaps: each extractor runs on a copy of the text in which the spans already claimed
by a stronger entity are blanked out, in the order of `ENTITY_TYPES`; so order_id beats
phone and quantity, date and amount beat phone and quantity, and no character belongs to
two entities.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Callable, Iterable, Iterator

import phonenumbers
from email_validator import EmailNotValidError, validate_email

ENTITY_TYPES = ("email", "order_id", "date", "amount", "phone", "quantity")
DEFAULT_REGION = "DE"
FALLBACK_REGIONS = ("GB", "US")

_MASK = "\x00"


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int
    text: str


Match = tuple[int, int, str]  # start, end, canonical value

# ---------------------------------------------------------------- order ids

_ORDER_EXPLICIT = re.compile(r"(?<![\w#-])(?:[Aa]-?|#\s?)(\d{5})(?![\w-]|[.,]\d)")
_ORDER_CONTEXT = re.compile(
    r"\b(?:orders?|ordine|ordini|parcels?|packages?|shipments?|pacco|bestellung)\b"
    r"(?:[\s:#.,°-]+(?:number|num|no|nr|n|id|is|was|it's|its|my|the|code|ref|reference"
    r"|numero|è|il|mio|with|for|about|of)\b){0,4}[\s:#.,°-]*(\d{5})(?![\w-]|[.,]\d)",
    re.IGNORECASE,
)
_ORDER_ALONE = re.compile(r"^[^\w\x00]*?#?(\d{5})[^\w\x00]*$")
_ORDER_NORMAL = re.compile(r"^\s*(?:[Aa]\s?-?\s?|#\s?)?(\d{5})\s*$")


def normalize_order_id(text: str) -> str | None:
    """'A-10423', 'a10423', '#10423', '10423' -> 'A-10423'; anything else -> None."""
    found = _ORDER_NORMAL.match(text or "")
    return f"A-{found.group(1)}" if found else None


def _order_ids(text: str) -> Iterator[Match]:
    for pattern in (_ORDER_EXPLICIT, _ORDER_CONTEXT, _ORDER_ALONE):
        for found in pattern.finditer(text):
            start = found.start() if pattern is _ORDER_EXPLICIT else found.start(1)
            yield start, found.end(1), f"A-{found.group(1)}"


# ---------------------------------------------------------------- emails

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def normalize_email(text: str) -> str | None:
    """Validated address with a lowercased domain, or None (no DNS lookups)."""
    try:
        return validate_email((text or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _emails(text: str) -> Iterator[Match]:
    for found in _EMAIL.finditer(text):
        raw = found.group().rstrip(".-")
        value = normalize_email(raw)
        if value:
            yield found.start(), found.start() + len(raw), value


# ---------------------------------------------------------------- amounts

_NUM = r"(?:\d{1,3}(?:[.,']\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
_CURRENCY_WORDS = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD",
    "£": "GBP", "gbp": "GBP", "chf": "CHF", "francs": "CHF",
}
_CUR = r"(?:[€$£]|(?:eur|euros?|usd|dollars?|bucks|gbp|chf|francs)\b)"
_AMOUNT = re.compile(
    rf"(?<![\w.,])(?:(?P<cur1>{_CUR})\s?:?\s?(?P<num1>{_NUM})"
    rf"|(?P<num2>{_NUM})\s?(?P<cur2>{_CUR}))(?!\d|[.,]\d)",
    re.IGNORECASE,
)


def _decimal(raw: str) -> Decimal | None:
    raw = raw.replace("'", "")
    separators = [i for i, char in enumerate(raw) if char in ".,"]
    if separators:
        last = separators[-1]
        if len(raw) - last == 4 and all(raw[i] == raw[last] for i in separators):
            raw = raw.replace(raw[last], "")  # "1,000" or "1.000.000": grouping only
        else:
            raw = raw[:last].replace(".", "").replace(",", "") + "." + raw[last + 1:]
    try:
        return Decimal(raw).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def parse_number(text: str) -> Decimal | None:
    """A bare money figure without a currency ('1.299,00', '89.90') as a Decimal, or None."""
    raw = (text or "").strip()
    return _decimal(raw) if re.fullmatch(_NUM, raw) else None


def parse_amount(text: str) -> tuple[str, str] | None:
    """First amount in text as ('49.90', 'EUR'), or None."""
    found = next(_amounts(text or ""), None)
    if found is None:
        return None
    amount, currency = found[2].split(" ")
    return amount, currency


def _amounts(text: str) -> Iterator[Match]:
    for found in _AMOUNT.finditer(text):
        number = _decimal(found.group("num1") or found.group("num2"))
        currency = _CURRENCY_WORDS[(found.group("cur1") or found.group("cur2")).lower()]
        if number is not None:
            yield found.start(), found.end(), f"{number} {currency}"


# ---------------------------------------------------------------- dates

_MONTHS = {
    name: number
    for number, names in enumerate(
        ("january jan", "february feb", "march mar", "april apr", "may", "june jun",
         "july jul", "august aug", "september sept sep", "october oct",
         "november nov", "december dec"),
        start=1,
    )
    for name in names.split()
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_NUMBERS = {word: n for n, word in enumerate(_SMALL) if n}
_WORD_NUMBERS.update({word: 20 + 10 * i for i, word in enumerate(_TENS)})
_WORD_NUM = (
    rf"(?:(?:{'|'.join(_TENS)})(?:[\s-](?:{'|'.join(_SMALL[1:10])}))?"
    rf"|{'|'.join(sorted(_SMALL[1:], key=len, reverse=True))})"
)
_MONTH = rf"(?P<month>{'|'.join(sorted(_MONTHS, key=len, reverse=True))})\.?"
_DAY = r"(?P<day>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d)(?!\d))?"
_DATE_PATTERNS = (
    ("iso", re.compile(r"(?<![\d.])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)")),
    ("numeric", re.compile(
        r"(?<![\d.,/-])(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)"
        r"(?P<y>\d{4}|\d{2})(?!\d|[.,/]\d)")),
    ("day_month", re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?!\w){_YEAR}", re.I)),
    ("month_day", re.compile(rf"\b{_MONTH}\s+(?:the\s+)?{_DAY}\b{_YEAR}", re.I)),
    ("offset", re.compile(
        r"\b(?:the\s+)?day\s+(?P<dir>before\s+yesterday|after\s+tomorrow)\b", re.I)),
    ("word", re.compile(r"\b(?P<word>today|tonight|yesterday|tomorrow|oggi|ieri|domani)\b",
                        re.I)),
    ("weekday", re.compile(
        rf"\b(?:(?P<mod>last|past|this|next|coming)\s+)?(?P<wd>{'|'.join(_WEEKDAYS)})\b",
        re.I)),
    ("ago", re.compile(
        rf"\b(?P<n>\d{{1,3}}|an?|{_WORD_NUM})\s+(?P<unit>day|week|month|year)s?\s+ago\b",
        re.I)),
    ("in", re.compile(
        rf"\bin\s+(?P<n>\d{{1,3}}|an?|{_WORD_NUM})\s+(?P<unit>day|week|month|year)s?\b",
        re.I)),
)


def _count(raw: str) -> int:
    raw = raw.lower().replace("-", " ")
    if raw.isdigit():
        return int(raw)
    if raw in ("a", "an"):
        return 1
    return sum(_WORD_NUMBERS[part] for part in raw.split())


def _add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _nearest_year(today: date, month: int, day: int) -> date | None:
    # "on 3 March" without a year: the occurrence closest to today, so late
    # December "3 January" is next month and early January "20 December" last month.
    options = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            options.append(date(year, month, day))
        except ValueError:
            continue
    return min(options, key=lambda d: abs(d - today)) if options else None


def _resolve(kind: str, g: dict[str, str | None], today: date, dayfirst: bool) -> date | None:
    try:
        if kind == "iso":
            return date(int(g["y"]), int(g["m"]), int(g["d"]))
        if kind == "numeric":
            a, b, year = int(g["a"]), int(g["b"]), int(g["y"])
            year += 2000 if year < 100 else 0
            day, month = (a, b) if (dayfirst or g["sep"] == ".") and a <= 31 else (b, a)
            if month > 12 and day <= 12:  # 12/31/2025 written the US way
                day, month = month, day
            return date(year, month, day)
        if kind in ("day_month", "month_day"):
            month, day = _MONTHS[g["month"].lower()], int(g["day"])
            if g["year"]:
                return date(int(g["year"]), month, day)
            return _nearest_year(today, month, day)
    except ValueError:  # 31.02.2025 and friends are not dates
        return None
    if kind == "offset":
        return today + timedelta(days=-2 if g["dir"].lower().startswith("before") else 2)
    if kind == "word":
        shift = {"yesterday": -1, "ieri": -1, "tomorrow": 1, "domani": 1}
        return today + timedelta(days=shift.get(g["word"].lower(), 0))
    if kind == "weekday":
        target = _WEEKDAYS.index(g["wd"].lower())
        mod = (g["mod"] or "").lower()
        if mod in ("next", "coming"):
            return today + timedelta(days=(target - today.weekday() - 1) % 7 + 1)
        if mod == "this":
            return today + timedelta(days=target - today.weekday())
        back = (today.weekday() - target) % 7
        # A bare weekday leans to the past: customers report what already happened.
        return today - timedelta(days=(back or 7) if mod else back)
    sign = -1 if kind == "ago" else 1
    n, unit = _count(g["n"]) * sign, g["unit"].lower()
    if unit in ("day", "week"):
        return today + timedelta(days=n * (7 if unit == "week" else 1))
    return _add_months(today, n * (12 if unit == "year" else 1))


def _dates(text: str, today: date, dayfirst: bool) -> Iterator[Match]:
    for kind, pattern in _DATE_PATTERNS:
        for found in pattern.finditer(text):
            resolved = _resolve(kind, found.groupdict(), today, dayfirst)
            if resolved is not None:
                yield found.start(), found.end(), resolved.isoformat()


def parse_date(text: str, today: date | None = None, dayfirst: bool = True) -> str | None:
    """First date in text as an ISO string, relative ones resolved against today."""
    found = _pick(_dates(text or "", today or date.today(), dayfirst))
    return found[0][2] if found else None


# ---------------------------------------------------------------- phones

_PHONE_CANDIDATE = re.compile(r"(?<![\w+.,/-])\+?\(?\d[\d \t().\-/]{4,22}\d(?!\w)")
_PHONE_CONTEXT = re.compile(
    r"\b(?:call|phone|tel|telephone|mobile|cell|number|reach|whatsapp|ring|sms|handy"
    r"|telefono|cellulare)\b",
    re.IGNORECASE,
)


def _prefix_ok(raw: str, region: str) -> bool:
    # In DE or GB a national number is written with its trunk "0"; without it,
    # "202-555-0123" is a US number, not one in Wuppertal.
    if raw.startswith(("+", "00")):
        return True
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = metadata.national_prefix if metadata else None
    return prefix != "0" or raw.lstrip("(").startswith("0")


def normalize_phone(
    text: str, region: str = DEFAULT_REGION, fallback_regions: Iterable[str] = FALLBACK_REGIONS
) -> str | None:
    """A whole string such as a form answer as an E.164 number, or None."""
    raw = (text or "").strip()
    for candidate_region in (region, *fallback_regions):
        try:
            number = phonenumbers.parse(raw, candidate_region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number) and _prefix_ok(raw, candidate_region):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _phones(text: str, regions: tuple[str, ...]) -> Iterator[Match]:
    for candidate in _PHONE_CANDIDATE.finditer(text):
        if sum(char.isdigit() for char in candidate.group()) < 7:
            continue
        for region in regions:
            matches = [
                found
                for found in phonenumbers.PhoneNumberMatcher(
                    candidate.group(), region, leniency=phonenumbers.Leniency.VALID
                )
                if _prefix_ok(found.raw_string, region)
            ]
            for found in matches:
                start = candidate.start() + found.start
                raw = found.raw_string
                # A bare run of digits is an id or a reference far more often than
                # a phone number, unless the customer says it is one.
                bare = raw.isdigit() and not raw.startswith("0")
                context = text[max(0, start - 40):start]
                if bare and not _PHONE_CONTEXT.search(context):
                    continue
                value = phonenumbers.format_number(
                    found.number, phonenumbers.PhoneNumberFormat.E164
                )
                yield start, start + len(raw), value
            if matches:
                break


# ---------------------------------------------------------------- quantities

_EDGE = r"(?<![\w#+\-./,:€$£'\x00])"
_N = rf"(?P<n>{_EDGE}\d{{1,3}}(?!\d|[.,:/'-]\d)|\b{_WORD_NUM}\b)"
_N_NOT_ONE = rf"(?P<n>{_EDGE}\d{{1,3}}(?!\d|[.,:/'-]\d)|\b(?!one\b){_WORD_NUM}\b)"
_QUANTITY_PATTERNS = (
    re.compile(r"(?<![\w\x00])x\s?(?P<n>\d{1,3})(?!\w|[.,]\d)", re.I),
    re.compile(rf"{_EDGE}(?P<n>\d{{1,3}})\s?x(?!\w)", re.I),
    re.compile(rf"\b(?:qty|quantity|qnt|menge|quantità)\s*[:.=]?\s*{_N}", re.I),
    re.compile(
        rf"{_N}\s*(?:pcs|pc|pieces?|units?|items?|pairs?|packs?|boxes|box|bottles?|stk"
        rf"|pezzi)\b",
        re.I,
    ),
    re.compile(rf"{_N}\s+of\s+(?:them|these|those|it|each|the|my|your|our|this|that)\b",
               re.I),
    re.compile(
        r"\b(?:ordered|order|bought|buy|purchased|purchase|want|need|received|receive"
        r"|got|get|return|returning|returned|send|sent|missing|only|just|add|take|took"
        rf"|exchange)\s+(?:only\s+|just\s+)?{_N}(?!\w|[.,:/'-]\d)",
        re.I,
    ),
    re.compile(rf"^[^\w\x00]*{_N}[^\w\x00]*$", re.I),
)
_NOUN_AFTER = re.compile(rf"{_N_NOT_ONE}\s+(?P<noun>[^\W\d_][\w'-]*)", re.I)
_NOT_NOUNS = frozenset("""
    second seconds sec secs minute minutes min mins hour hours hrs h day days week weeks
    month months year years yrs times time am pm o'clock oclock euro euros eur dollar
    dollars usd bucks cent cents pound pounds gbp chf francs percent pct kg g gr gram grams
    kilo kilos lb lbs oz cm mm m km ml l liter liters litre litres inch inches ft feet
    meter meters metres of and or to in on at for by with from is are was were be been i
    you he she it we they me him her us them my your his its our their more less than but
    so if the a an as not no yes any some all this that these those which who what when
    where why how st nd rd th star stars out x
""".split())
_NOT_BEFORE = frozenset("""
    size number no nr n # room floor version page step option code id model street str
    apartment apt flat house level chapter article art sku ref plz zip postcode pin line
    gate track season episode ticket case at since until before after around top rated
""".split())


def _quantity_value(raw: str) -> str | None:
    number = _count(raw)
    return str(number) if 1 <= number <= 999 else None


_WORD_BEFORE = re.compile(r"([\w#]+)[^\w\x00]*$")


def _quantities(text: str) -> Iterator[Match]:
    candidates = []
    for index, pattern in enumerate(_QUANTITY_PATTERNS):
        group = 0 if index < 2 else "n"  # "x3" and "3x" are one token: span all of it
        for found in pattern.finditer(text):
            candidates.append((found.start(group), found.end(group), found.group("n")))
    candidates += [
        (found.start("n"), found.end("n"), found.group("n"))
        for found in _NOUN_AFTER.finditer(text)
        if found.group("noun").lower() not in _NOT_NOUNS
    ]
    for start, end, raw in candidates:
        before = _WORD_BEFORE.search(text, max(0, start - 20), start)
        if before and before.group(1).lower() in _NOT_BEFORE:
            continue
        value = _quantity_value(raw)
        if value:
            yield start, end, value


def parse_quantity(text: str) -> int | None:
    """First quantity in text ('2 of them', 'three', 'x3') as an int, or None."""
    value = next((e.value for e in extract_all(text) if e.entity == "quantity"), None)
    return int(value) if value else None


# ---------------------------------------------------------------- all together

def _pick(matches: Iterable[Match]) -> list[Match]:
    """Longest first, then leftmost; a match overlapping a kept one is dropped."""
    kept: list[Match] = []
    for match in sorted(set(matches), key=lambda m: (m[0] - m[1], m[0])):
        if all(match[1] <= other[0] or match[0] >= other[1] for other in kept):
            kept.append(match)
    return sorted(kept)


def extract_all(
    text: str,
    today: date | None = None,
    *,
    region: str = DEFAULT_REGION,
    fallback_regions: Iterable[str] = FALLBACK_REGIONS,
    dayfirst: bool = True,
) -> list[Entity]:
    """Every entity in text, ordered by start; no two share a character."""
    if not text:
        return []
    today = today or date.today()
    regions = (region, *fallback_regions)
    finders: dict[str, Callable[[str], Iterable[Match]]] = {
        "email": _emails,
        "order_id": _order_ids,
        "date": lambda masked: _dates(masked, today, dayfirst),
        "amount": _amounts,
        "phone": lambda masked: _phones(masked, regions),
        "quantity": _quantities,
    }
    masked, found = text, []
    for entity in ENTITY_TYPES:
        for start, end, value in _pick(finders[entity](masked)):
            found.append(Entity(entity, value, start, end, text[start:end]))
            masked = masked[:start] + _MASK * (end - start) + masked[end:]
    return sorted(found, key=lambda e: (e.start, e.end))
