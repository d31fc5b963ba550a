"""The slots the forms fill, and the events that forget them when a form ends (or a person takes over).

The action modules share these; this module imports none of them.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

FORM_SLOTS = {
    "order_status_form": ("order_id",),
    "cancel_order_form": ("order_id", "confirm_cancel"),
    "return_form": ("order_id", "item", "reason", "confirmed"),
    "address_form": ("order_id", "address", "confirmed"),
    "lead_form": ("contact_name", "company", "email", "phone", "volume", "confirmed"),
    "feedback_form": ("rating", "feedback_comment"),
}
# The order and product being discussed stay in focus after a form ("when will *it* arrive?")
# until the customer names another; everything else a form collected is forgotten.
FOCUS_SLOTS = ("order_id", "product")
_HELPER_SLOTS = ("order_summary", "return_kind", "requested_info")
ALL_FORM_SLOTS = tuple(
    sorted(({s for slots in FORM_SLOTS.values() for s in slots} | set(_HELPER_SLOTS)) - set(FOCUS_SLOTS))
)


def reset_form_slots() -> list[dict[str, Any]]:
    return [SlotSet(s, None) for s in ALL_FORM_SLOTS] + [SlotSet("failed_attempts", 0.0)]
