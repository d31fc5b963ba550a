"""Web chat session ids: issued and signed by the server, never chosen by a browser.

A session token is `<session id>.<time>.<signature>` (itsdangerous, HMAC with WEBCHAT_SECRET
or the key in var/webchat.key). The session id is the Rasa sender id; only the holder of the
token the server issued for it can continue that conversation or read its history. A token
lives WEBCHAT_SESSION_HOURS from its issue; each visit that shows a live one gets it renewed,
so a token copied from a shared computer stops working, and an active visitor never notices.
"""

from __future__ import annotations

import uuid
from typing import Any

from itsdangerous import BadSignature, TimestampSigner

from bot.keys import ensure_key_file
from crm_store.settings import Settings

_SALT = "crmbot.webchat.session"


class SessionSigner:
    def __init__(self, secret: str, max_age_seconds: int = 72 * 3600) -> None:
        self._signer = TimestampSigner(secret, salt=_SALT)
        self.max_age = max_age_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionSigner:
        return cls(
            settings.webchat_secret or ensure_key_file(settings.var_path / "webchat.key"),
            settings.webchat_session_hours * 3600,
        )

    def issue(self) -> tuple[str, str]:
        """A fresh (session id, token)."""
        session_id = uuid.uuid4().hex
        return session_id, self.token_for(session_id)

    def token_for(self, session_id: str) -> str:
        """The token of a session id this server issues (the load bench plans its sessions ahead)."""
        return self._signer.sign(session_id).decode()

    def verify(self, token: Any) -> str | None:
        """The session id of a live token we issued, else None."""
        if not isinstance(token, str) or len(token) > 200:
            return None
        try:
            session_id = self._signer.unsign(token, max_age=self.max_age).decode()
        except BadSignature:
            return None
        return session_id if len(session_id) == 32 and session_id.isalnum() else None
