"""Bringing a shop's existing customers and orders into the CRM, clean: `crmbot import ...`."""

from __future__ import annotations

from analytics.importing.customers import import_customers
from analytics.importing.merges import list_merges, undo_merge
from analytics.importing.report import ImportInterrupted, ImportReport


def __getattr__(name: str) -> object:
    # The order import needs pandas; loading it only when asked keeps every other `crmbot` command quick.
    if name == "import_orders":
        from analytics.importing.orders import import_orders

        return import_orders
    raise AttributeError(name)


__all__ = ["ImportInterrupted", "ImportReport", "import_customers", "import_orders", "list_merges", "undo_merge"]
