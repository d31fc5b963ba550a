"""Links in the digest: into the console, and a signed link that lets a recipient change or
stop their digest without a shell (the console's /digest/manage page checks the signature)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer

from crm_store.settings import Settings

SALT = "crmbot-digest-manage"


def _serializer(settings: Settings) -> URLSafeSerializer:
    from bot.console.auth import console_secret

    return URLSafeSerializer(console_secret(settings), salt=SALT)


def console_base(settings: Settings) -> str:
    return (settings.console_url or f"http://{settings.host}:{settings.console_port}").rstrip("/")


def manage_token(settings: Settings, email: str) -> str:
    return _serializer(settings).dumps(email.strip().lower())


def email_from_token(settings: Settings, token: str) -> str | None:
    """The recipient a token was made for, or None when it was not made by this installation."""
    try:
        value = _serializer(settings).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Links:
    console: str  # base URL of the console
    manage: str | None  # this recipient's signed manage page

    def search(self, what: str) -> str:
        return f"{self.console}/search?q={quote(what)}" if what else f"{self.console}/analytics"


def links_for(settings: Settings, email: str | None) -> Links:
    base = console_base(settings)
    return Links(base, f"{base}/digest/manage?t={manage_token(settings, email)}" if email else None)
