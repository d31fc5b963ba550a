"""Sending one-time codes: by SMTP from settings, or (demo) printed on the console.

With LINK_CODE_DELIVERY=console (the default, for `make run`) the action server prints
the code on its standard output, which `crmbot run` shows: the README's demo flow works
without a mail server. Never through logging: log lines must not carry codes.
"""

from __future__ import annotations

import sys
from email.message import EmailMessage

from crm_store.errors import CrmError
from crm_store.mail import SMTP_ERRORS, deliver
from crm_store.settings import Settings

_WHY = {
    "link": "to link a chat with your account",
    "reauth": "to confirm it's you before changing an order",
    "forget": "to confirm that we should delete your personal data",
}


class DeliveryFailed(CrmError):
    def __init__(self) -> None:
        super().__init__("The code could not be sent right now.")


def masked(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def deliver_code(settings: Settings, email: str, code: str, purpose: str) -> None:
    why = _WHY.get(purpose, "")
    if settings.link_code_delivery == "console":
        print(
            f"[demo] one-time code {code} for {masked(email)} ({why}); valid for 10 minutes",
            file=sys.stdout,
            flush=True,
        )
        return
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.mail_from, email, f"Your code: {code}"
    message.set_content(
        f"Your one-time code is {code}. It is valid for 10 minutes and was asked for {why}.\n\n"
        "If you did not ask for it, ignore this email; nothing changes without the code."
    )
    try:
        deliver(settings, message)
    except SMTP_ERRORS:
        raise DeliveryFailed() from None
