"""Request limits shared by the customer channels: body size, message length, rates.

Rates are counted by the one limiter (crm_store.rate_limits): in this process's memory in
the embedded profile, in Redis when REDIS_URL or LOCK_STORE_URL is set, so several Rasa
servers behind a load balancer share one count.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sanic import Sanic
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request

from crm_store.rate_limits import Limiter, limiter_for
from crm_store.settings import Settings

UPLOAD_PATH = "/chat/upload"
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0

TOO_LONG = "That message is too long for me (the limit is {limit} characters). Could you send it in shorter parts?"
TOO_FAST = "You're sending messages faster than I can answer. Please wait a minute and try again."
TOO_MANY_UPLOADS = "That's more photos than I can take in an hour. Please try again later or ask for a person."
TOO_MANY_NEW = "Too many new conversations have started from your network. Please try again later."


class ChannelLimits:
    """The limits from settings, checked at each channel before anything reaches Rasa."""

    def __init__(self, settings: Settings, limiter: Limiter | None = None) -> None:
        self.settings = settings
        self.limiter = limiter or limiter_for(settings)
        self._network_secret: bytes | None = None

    def network_of(self, ip: str) -> str:
        """The client's address as a keyed hash: actions can count per address (one-time codes)
        while the address itself never reaches the tracker store. Shared by servers that share
        WEBCHAT_SECRET, so a count holds across them."""
        if self._network_secret is None:
            from bot.keys import ensure_key_file

            s = self.settings
            self._network_secret = (s.webchat_secret or ensure_key_file(s.var_path / "webchat.key")).encode()
        return hmac.new(self._network_secret, ip.encode(), hashlib.sha256).hexdigest()[:24]

    def message_problem(self, channel: str, sender: str, ip: str, text: str) -> str | None:
        """None when the message may go on, else the sentence to answer with."""
        s = self.settings
        too_long = self.length_problem(text)
        if too_long is not None:
            return too_long
        if not self.limiter.hit(f"ip:{ip}", s.messages_per_minute_per_ip, MINUTE):
            return TOO_FAST
        if not self.limiter.hit(f"chat:{channel}:{sender}", s.messages_per_minute, MINUTE):
            return TOO_FAST
        return None

    def length_problem(self, text: str) -> str | None:
        """The polite refusal for a message over MAX_MESSAGE_CHARS, checked by every channel."""
        if len(text) > self.settings.max_message_chars:
            return TOO_LONG.format(limit=self.settings.max_message_chars)
        return None

    def upload_problem(self, channel: str, sender: str) -> str | None:
        if not self.limiter.hit(f"upload:{channel}:{sender}", self.settings.uploads_per_hour, HOUR):
            return TOO_MANY_UPLOADS
        return None

    def newcomer_problem(self, channel: str, sender: str, ip: str) -> str | None:
        """A chat not seen in the last day counts against its address's hourly allowance of new customers.

        "Seen" is a one-per-day counter in the same storage, so it expires instead of growing.
        """
        seen = f"seen:{channel}:{sender}"
        if not self.limiter.allowed(seen, 1, DAY):
            return None
        if not self.limiter.hit(f"new:{ip}", self.settings.new_customers_per_ip_per_hour, HOUR):
            return TOO_MANY_NEW
        self.limiter.hit(seen, 1, DAY)
        return None


def client_ip(request: Request) -> str:
    return request.remote_addr or request.ip or "unknown"


def install_request_limits(app: Sanic, settings: Settings) -> None:
    """Refuse oversized bodies from their Content-Length, before a byte of them is read.

    Sanic's own REQUEST_MAX_SIZE (default 100 MB) becomes the upload limit; every other
    route gets MAX_REQUEST_BYTES. The routing signal runs before Sanic reads the body.
    """
    upload_limit = settings.max_upload_bytes + 64 * 1024  # the multipart envelope around the image
    app.config.REQUEST_MAX_SIZE = max(upload_limit, settings.max_request_bytes)

    @app.signal("http.routing.after")
    async def limit_body(request: Request, route: Any = None, kwargs: Any = None, handler: Any = None) -> None:
        limit = upload_limit if request.path == UPLOAD_PATH else settings.max_request_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"Request body exceeds the size limit of {limit} bytes")
        if request.stream is not None:
            request.stream.request_max_size = min(request.stream.request_max_size, limit)


class LimitedChannel:
    """Mixed into our input channels: this process's settings and the limits they set, built once."""

    _settings: Settings | None = None
    _limits: ChannelLimits | None = None

    @property
    def settings(self) -> Settings:
        from crm_store.settings import get_settings

        return self._settings or get_settings()

    @property
    def limits(self) -> ChannelLimits:
        if self._limits is None:
            self._limits = ChannelLimits(self.settings)
        return self._limits
