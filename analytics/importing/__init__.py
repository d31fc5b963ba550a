"""Bringing a shop's existing customers and orders into the CRM, clean: `crmbot import ...`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from analytics.importing.merges import list_merges, undo_merge
from analytics.importing.report import ImportInterrupted, ImportReport

if TYPE_CHECKING:
    from analytics.importing.customers import import_customers
    from analytics.importing.orders import import_orders

# The imports need pandas; loading them only when asked keeps every other `crmbot` command quick.
_HOME = {"import_customers": "customers", "import_orders": "orders"}


def __getattr__(name: str) -> object:
    if name in _HOME:
        return getattr(importlib.import_module(f"analytics.importing.{_HOME[name]}"), name)
    raise AttributeError(name)


__all__ = ["ImportInterrupted", "ImportReport", "import_customers", "import_orders", "list_merges", "undo_merge"]
