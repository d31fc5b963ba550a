"""What the analytics know about each process kind: its main path, final stages, owner and
how a person says "waiting in this stage"."""

from __future__ import annotations

# The path a process normally takes; the bottleneck funnel follows it.
MAIN_PATHS: dict[str, tuple[str, ...]] = {
    "order": ("pending", "paid", "packed", "shipped", "delivered"),
    "ticket": ("open", "in_progress", "resolved"),
    "return": ("requested", "approved", "received", "refunded"),
    "deal": ("new", "qualified", "proposal", "won"),
    "handoff": ("queued", "claimed", "resolved"),
}
# Stages where a process rests for good (or for as long as nobody acts): never "stalled".
FINAL_STAGES: dict[str, frozenset[str]] = {
    "order": frozenset({"delivered", "cancelled", "returned"}),
    "ticket": frozenset({"resolved"}),
    "return": frozenset({"refunded", "rejected"}),
    "deal": frozenset({"won", "lost"}),
    "handoff": frozenset({"claimed", "resolved", "returned", "expired", "ticket"}),
}
OWNERS: dict[str, str] = {
    "order": "fulfilment",
    "ticket": "support",
    "return": "returns desk",
    "deal": "sales",
    "handoff": "agents",
    "form": "assistant follow-up",
}
WAITING: dict[tuple[str, str], str] = {
    ("order", "pending"): "waiting for payment",
    ("order", "paid"): "waiting to be packed",
    ("order", "packed"): "waiting to be shipped",
    ("order", "shipped"): "in transit",
    ("ticket", "open"): "waiting for a first answer",
    ("ticket", "in_progress"): "in progress",
    ("ticket", "waiting"): "waiting on the customer",
    ("return", "requested"): "waiting for approval",
    ("return", "approved"): "waiting for the parcel",
    ("return", "received"): "waiting for refund",
    ("deal", "new"): "waiting to be qualified",
    ("deal", "qualified"): "waiting for a proposal",
    ("deal", "proposal"): "waiting for a decision",
    ("handoff", "queued"): "waiting for an agent",
}
FORM_TOPICS: dict[str, str] = {
    "return_form": "a return",
    "cancel_order_form": "a cancellation",
    "address_form": "an address change",
    "lead_form": "a request for a quote",
    "feedback_form": "feedback",
    "order_status_form": "an order look-up",
}
# Forms worth a follow-up message when abandoned (a dropped feedback form is not).
FOLLOW_UP_FORMS = frozenset({"return_form", "cancel_order_form", "address_form", "lead_form"})
# The follow-up itself, in the language the customer last wrote in ({topic}, {order}: " for A-10423").
_FOLLOW_UP: dict[str, tuple[str, str, dict[str, str]]] = {
    "en": ("You were starting {topic}{order}: shall we finish it?", " for {order}", FORM_TOPICS),
    "de": (
        "Sie hatten {topic}{order} begonnen: Wollen wir sie jetzt abschließen?",
        " für Bestellung {order}",
        {
            "return_form": "eine Rücksendung",
            "cancel_order_form": "eine Stornierung",
            "address_form": "eine Adressänderung",
            "lead_form": "eine Angebotsanfrage",
        },
    ),
    "fr": (
        "Vous aviez commencé {topic}{order} : voulez-vous la terminer maintenant ?",
        " pour la commande {order}",
        {
            "return_form": "une demande de retour",
            "cancel_order_form": "une demande d'annulation",
            "address_form": "une demande de changement d'adresse",
            "lead_form": "une demande de devis",
        },
    ),
    "es": (
        "Había empezado {topic}{order}: ¿la terminamos ahora?",
        " del pedido {order}",
        {
            "return_form": "una solicitud de devolución",
            "cancel_order_form": "una solicitud de cancelación",
            "address_form": "una solicitud de cambio de dirección",
            "lead_form": "una solicitud de presupuesto",
        },
    ),
}


def follow_up_text(form: str, order: str | None, language: str | None) -> str:
    """ "You were starting a return for A-10423: shall we finish it?" in the customer's language."""
    sentence, for_order, topics = _FOLLOW_UP.get(language or "en", _FOLLOW_UP["en"])
    return sentence.format(topic=topics[form], order=for_order.format(order=order) if order else "")


def waiting_phrase(process: str, stage: str) -> str:
    return WAITING.get((process, stage), f"in {stage.replace('_', ' ')}")


def label(process: str, process_id: int, number: str | None = None) -> str:
    """How a person names the item: "return R-01042", "ticket T-7", "deal D-3"."""
    if number:
        return f"{process} {number}"
    prefix = {"ticket": "T", "deal": "D", "handoff": "H", "order": "O", "return": "R"}.get(process, "#")
    return f"{process} {prefix}-{process_id}"


def human_duration(hours: float) -> str:
    if hours >= 48:
        return f"{hours / 24:.0f} days"
    if hours >= 2:
        return f"{hours:.0f} hours"
    return f"{hours * 60:.0f} minutes"
