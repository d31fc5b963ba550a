"""The digest as a MIME message, and SMTP delivery with retries and backoff.

Structure: multipart/alternative [text/plain, multipart/related [text/html, image/png ...]];
each PNG carries the Content-ID the HTML's cid: reference names.
"""

from __future__ import annotations

import logging
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Callable

from analytics.digest.links import links_for
from analytics.digest.render import charts_used, cid, render_html, render_text, subject
from analytics.digest.report import Digest
from crm_store.mail import SMTP_ERRORS, deliver, permanent
from crm_store.retry import doubling, retry_call
from crm_store.settings import Settings

log = logging.getLogger(__name__)


class SendFailed(Exception):
    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


def build_message(settings: Settings, digest: Digest, to: str, sections: list[str] | None) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject(digest)
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or "crmbot")
    links = links_for(settings, to)
    msg.set_content(render_text(digest, sections, links))
    msg.add_alternative(render_html(digest, sections, links=links), subtype="html")
    html_part = list(msg.iter_parts())[1]
    for name, png in charts_used(digest, sections).items():
        html_part.add_related(png, "image", "png", cid=f"<{cid(name)}>", filename=f"{name}.png", disposition="inline")
    return msg


def send(settings: Settings, msg: EmailMessage, sleep: Callable[[float], None] = time.sleep) -> int:
    """Deliver msg; returns the attempts it took. Raises SendFailed after SMTP_RETRIES tries
    (or at once for a permanent refusal)."""
    attempts = 0

    def once() -> None:
        nonlocal attempts
        attempts += 1
        deliver(settings, msg)

    def failed(exc: BaseException, attempt: int, wait: float) -> None:
        log.info("SMTP failed, retrying", extra={"attempt": attempt, "delay": wait, "error": type(exc).__name__})

    try:
        retry_call(
            once,
            lambda exc: isinstance(exc, SMTP_ERRORS) and not permanent(exc),
            attempts=settings.smtp_retries,
            delay=doubling(settings.smtp_retry_delay),
            on_retry=failed,
            sleep=sleep,
        )
    except SMTP_ERRORS as exc:
        log.warning("digest email not delivered", extra={"attempts": attempts, "error": type(exc).__name__})
        raise SendFailed(f"{type(exc).__name__}: {exc}".strip()[:500], attempts) from None
    return attempts
