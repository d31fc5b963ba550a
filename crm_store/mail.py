"""One way to hand a message to the SMTP server from settings (host, port, STARTTLS with an
optional CA file, login), used by the one-time codes, the handoff watchdog and the digest.
Callers decide what a failure means: `permanent()` tells a refusal that will not get better
by trying again from one that may.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from crm_store.settings import Settings

# What a failed delivery raises: network errors (OSError) and the server's answers.
SMTP_ERRORS = (smtplib.SMTPException, OSError)


def deliver(settings: Settings, msg: EmailMessage) -> None:
    """Send msg over one SMTP connection; raises one of SMTP_ERRORS when it cannot."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context(cafile=settings.smtp_ca_file))
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)


def permanent(exc: Exception) -> bool:
    """5xx answers and refused logins will not get better by trying again."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500
