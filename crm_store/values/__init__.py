"""Values in messages and OCR text, one module per kind, each on a maintained parser
where one exists: dates (dateparser), durations, amounts (price-parser), phones
(phonenumbers), emails (email-validator), order ids and quantities (rules).

Pure functions with no Rasa import, in crm_store because every part reads them: the
NLU component (nlu/), the form validators (actions/), OCR (crm_store/ocr) and the CSV
import (analytics/) all sit above crm_store in the data flow, and crm_store imports
none of them.

Why no spaCy here: with TensorFlow installed, `import spacy` pulls it in through thinc
(7-10 s), which the OCR worker and the action server would otherwise never pay.
"""

from __future__ import annotations

from crm_store.values.amounts import parse_amount, parse_number
from crm_store.values.dates import parse_date
from crm_store.values.emails import normalize_email
from crm_store.values.entities import ENTITY_TYPES, extract_all, parse_quantity
from crm_store.values.order_ids import normalize_order_id
from crm_store.values.phones import DEFAULT_REGION, FALLBACK_REGIONS, normalize_phone, shop_region
from crm_store.values.spans import Entity

__all__ = [
    "DEFAULT_REGION",
    "ENTITY_TYPES",
    "FALLBACK_REGIONS",
    "Entity",
    "extract_all",
    "normalize_email",
    "normalize_order_id",
    "normalize_phone",
    "parse_amount",
    "parse_date",
    "parse_number",
    "parse_quantity",
    "shop_region",
]
