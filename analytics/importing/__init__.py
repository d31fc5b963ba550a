"""Bringing a shop's existing customers and orders into the CRM, clean: `crmbot import ...`."""
from __future__ import annotations

from analytics.importing.customers import import_customers
from analytics.importing.merges import list_merges, undo_merge
from analytics.importing.orders import import_orders
from analytics.importing.report import ImportInterrupted, ImportReport

__all__ = ["ImportInterrupted", "ImportReport", "import_customers", "import_orders", "list_merges", "undo_merge"]
