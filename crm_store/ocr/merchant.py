"""The shop's name from the top block of a receipt.

The name is printed above the address, the phone and the first date. Above it or
among it may stand a logo that OCR turns into noise ("Y ae 7"), and document titles
("SIMPLIFIED TAX INVOICE", "CASH BILL"). Lines with low word confidence, few letters,
or that are titles, addresses, phones or registration numbers are passed over; a line
that carries a company form (Sdn Bhd, Enterprise, GmbH, Ltd) is preferred, and a
name broken over two lines ("AIK HUAT HARDWARE ENTERPRISE" / "(SETIA ALAM) SDN BHD")
is joined again.
"""

from __future__ import annotations

import re

from crm_store.ocr.layout import Line

TOP_LINES = 8
MIN_CONFIDENCE = 30.0

_TITLE = re.compile(
    r"^(?:simplified\s+)?(?:full\s+)?(?:tax\s+)?(?:invoice|receipt|bill)\b|^(?:official|cash|sales|tax)\s+"
    r"(?:receipt|bill|sales?|invoice)|^(?:cash\s+)?(?:bill|receipt|invoice)$|^welcome|^thank|^copy|^duplicate"
    r"|^(?:tax\s+)?invoice|^quotation|^delivery\s+order|^order\s*(?:no|#)|^table|^date|^cashier|^receipt",
    re.I,
)
_TITLE_WORDS = re.compile(
    r"\b(?:invoice|receipt|cash\s+bill|cash\s+sales?|tax\s+inv|kwitansi|rechnung|quittung)\b|^\W*cash\W*$", re.I
)
_CONTACT = re.compile(
    r"\b(?:tel|fax|phone|h/?p|mobile|email|e-mail|www|http|gst|sst|reg|roc|co\.?\s*no|company\s+no|tin)\b", re.I
)
_ADDRESS = re.compile(
    r"\b(?:jalan|jln|lorong|taman|tmn|kawasan|perindustrian|industrial|bandar|darul|ehsan|malaysia|street|road"
    r"|avenue|lane|plaza|mall|floor|level|unit|building|strasse|str\.|no\.\s*\d|lot\s+\d|blok|block|batu|km\s*\d)\b"
    r"|\b\d{5}\b",
    re.I,
)
_COMPANY = re.compile(
    r"\b(?:s[dao]n\.?,?\s*bhd|s/b|bhd|berhad|enterprise|trading|restoran|restaurant|cafe|mart|market|supermarket"
    r"|hardware|store|stores|shop|ltd|limited|plc|llp|plt|gmbh|ag|inc|company|kedai|perniagaan"
    r"|pharmacy|bakery|bookstore|stationery|station|hotel|centre|center)\b|\bco\.",
    re.I,
)
_REGISTRATION = re.compile(
    r"\s*[\(\[]?\s*(?:co\.?\s*(?:reg\.?\s*)?no\.?\s*:?\s*)?\d[\d\s-]{3,}[-\s]?[a-z]?\s*[\)\]]?\s*$", re.I
)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _name_like(line: Line) -> bool:
    text = _tidy(line.text)  # "AEON CO. (M) BHD. (126926-H)": the number is not part of the name
    letters = _letters(text)
    visible = len(text.replace(" ", ""))
    words = [w for w in re.findall(r"[A-Za-z]+", text)]
    long_words = [w for w in words if len(w) >= 3]
    return (
        line.confidence >= MIN_CONFIDENCE
        and letters >= 4
        and letters >= 0.6 * visible
        and bool(long_words)
        and "@" not in line.text
        and not _TITLE.search(text.strip(" .:*-"))
        and not _TITLE_WORDS.search(text)
        and not _CONTACT.search(line.text)
        # "BOOK TA .K (TAMAN DAYA) SDN BHD" is a name with a place in it; "Market Street 44" an address.
        and (not _ADDRESS.search(text) or (bool(_COMPANY.search(text)) and not re.search(r"\d", text)))
    )


def _only_form(text: str) -> bool:
    """A line with nothing but a company form in it ("SDN BHD", "CO. (M) SDN BHD", "TRADING")."""
    return _letters(_COMPANY.sub("", text)) < 3 and bool(_COMPANY.search(text))


def _joinable(line: Line) -> bool:
    """The first half of a name printed over two lines: legible, lettered, not a title or a contact line.

    Unlike a name on its own line it may end in a country ("... Malaysia") but holds no number.
    """
    text = _tidy(line.text)
    return (
        line.confidence >= MIN_CONFIDENCE
        and _letters(text) >= 4
        and not re.search(r"\d", text)
        and not text.islower()
        and not _TITLE.search(text.strip(" .:*-"))
        and not _TITLE_WORDS.search(text)
        and not _CONTACT.search(line.text)
    )


_FORM_END = re.compile(
    r"(?:\b(?:s[dao]n\.?,?\s*bhd|berhad|ltd|limited|gmbh|plt|llp|inc)\b|[s$§5]/b(?![a-z]))\.?\)?", re.I
)
# Symbols OCR reads for letters of a name: "MR. D.I.¥.", "KING'S CONFECTIONERY $/B".
_GLYPH_SLIPS = str.maketrans({"¥": "Y", "§": "S", "€": "E", "£": "E"})
_DOLLAR_S = re.compile(r"\$(?=/B\b|[A-Za-z])|(?<=[A-Za-z])\$")
_ONE_INITIAL = re.compile(r"(?<=\b[A-Za-z]\.)[1l|](?=\.)")


def _repaired(text: str) -> str:
    """A name line with the symbols OCR reads for letters put back ("D.1.¥." -> "D.I.Y.")."""
    text = _DOLLAR_S.sub("S", text.translate(_GLYPH_SLIPS))
    return _ONE_INITIAL.sub("I", text)


def _tidy(text: str) -> str:
    text = _repaired(text)
    # Whatever follows "SDN BHD" on the name's line is a registration number or logo noise.
    ends = list(_FORM_END.finditer(text))
    if ends:
        text = text[: ends[-1].end()]
    return _REGISTRATION.sub("", text).strip(" .,:;*-_|")


def merchant(lines: list[Line]) -> str | None:
    top = lines[:TOP_LINES]
    names = [(i, line) for i, line in enumerate(top) if _name_like(line)]
    # A line all in lower case is a note or a stamp more often than the shop's printed name.
    names = [n for n in names if not n[1].text.islower()] or names
    if not names:
        return None
    with_form = [(i, line) for i, line in names if _COMPANY.search(line.text)]
    index, line = with_form[0] if with_form else names[0]
    text = _tidy(line.text)
    below = top[index + 1] if index + 1 < len(top) else None
    above = top[index - 1] if index > 0 else None
    # A name broken over two lines: "HOME MASTER HARDWARE &" / "ELECTRICAL",
    # "AIK HUAT HARDWARE ENTERPRISE" / "(SETIA ALAM) SDN BHD", or "MR. D.I.Y." / "SDN BHD".
    if (
        below is not None
        and _name_like(below)
        and (
            re.search(r"(?:&|\band)$", text, re.I)
            or (not _FORM_END.search(text) and _FORM_END.search(below.text) and len(below.text.split()) <= 5)
            # "TSH POWER HARDWARE" / "TRADING": a line that is nothing but a company form
            or (not _FORM_END.search(text) and _only_form(below.text))
        )
    ):
        text = f"{text} {_tidy(below.text)}"
    elif above is not None and _only_form(text) and _joinable(above) and not _COMPANY.search(above.text):
        # "POPULAR BOOK" / "CO. (M) SDN BHD"; "Nando's Chickenland Malaysia" / "Sdn Bhd"
        text = f"{_tidy(above.text)} {text}"
    return text or None
