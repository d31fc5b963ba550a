"""Custom actions for the Rasa action server (`rasa run actions --actions actions`).

Thin by design: each action reads slots, calls one crm_store service and replies.
"""
from actions.orders import ActionCheckOrder, ValidateOrderStatusForm

__all__ = ["ActionCheckOrder", "ValidateOrderStatusForm"]
