"""The product catalogue: fuzzy look-up by name ("earbuds" finds "wireless earbuds")."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.models import Product

_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Words of a question that never name a product on their own.
_NOISE = frozenset(
    "a an the my your our is are do does you have has in on of for to and or what how much many price cost "
    "stock available availability still any about tell me info information can i get buy it this that there "
    "please need want looking with by".split()
)


@dataclass(frozen=True)
class ProductView:
    id: int
    sku: str
    name: str
    category: str | None
    description: str | None
    price: Decimal
    stock: int


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _tokens(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall((text or "").lower()) if w not in _NOISE]


def best_match(names: Iterable[str], query: str) -> str | None:
    """The catalogue name a customer most likely means, or None. Pure, so forms reuse it."""
    names = list(names)
    text = " ".join(_WORD.findall((query or "").lower()))
    if not text:
        return None
    whole = [n for n in names if re.search(rf"(?<![\w-]){re.escape(n.lower())}(?![\w-])", text)]
    if whole:
        return max(whole, key=len)
    squashed = re.sub(r"[\s-]+", "", text)
    glued = [n for n in names if re.sub(r"[\s-]+", "", n.lower()) in squashed]  # "smartwatch", "usbc charger"
    if glued:
        return max(glued, key=len)
    wanted = set(_tokens(text))
    best, best_score = None, 0.0
    for name in names:
        parts = set(_tokens(name)) | {_stem(p) for p in re.split(r"[\s-]+", name.lower())}
        hits = sum(1 for w in wanted if w in parts or difflib.get_close_matches(w, parts, n=1, cutoff=0.8))
        # Coverage of the name, so "wireless earbuds" beats "wireless mouse" for "wireless earbud".
        score = hits / len(parts) if hits else 0.0
        if score > best_score:
            best, best_score = name, score
    return best


def named_products(names: Iterable[str], text: str) -> list[str]:
    """Every catalogue name written out in `text` ("the power bank and the usb c charger"), in the order
    they appear; only whole names (spaces or dashes as typed), never a guess from one word. Pure."""
    said = " ".join(_WORD.findall((text or "").lower()))
    found: dict[str, int] = {}
    for name in names:
        pattern = r"[\s-]*".join(re.escape(part) for part in re.split(r"[\s-]+", name.lower()))
        match = re.search(rf"(?<![\w-]){pattern}s?(?![\w-])", said)
        if match:
            found[name] = match.start()
    # "usb-c cable" inside "usb-c cables" is one product; a name inside a longer one found too is dropped.
    kept = [n for n in found if not any(n != m and n.lower() in m.lower() for m in found)]
    return sorted(kept, key=lambda n: found[n])


def find_products(uow: UnitOfWork, text: str) -> list[ProductView]:
    """The catalogue products written out in `text`, in order (see `named_products`)."""
    with uow:
        rows = list(uow.session.scalars(select(Product).order_by(Product.id)))
        by_name = {p.name: p for p in rows}
        return [_view(by_name[n]) for n in named_products(by_name, text)]


def find_product(uow: UnitOfWork, query: str) -> ProductView | None:
    with uow:
        rows = list(uow.session.scalars(select(Product).order_by(Product.id)))
        name = best_match([p.name for p in rows], query)
        return next((_view(p) for p in rows if p.name == name), None)


def _view(row: Product) -> ProductView:
    return ProductView(row.id, row.sku, row.name, row.category, row.description, Decimal(row.price), row.stock)
