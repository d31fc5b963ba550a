"""The REST channel (`POST /webhooks/rest/webhook`), a development channel.

It owns the identity of what it receives: the channel name is always "rest", the
sender must be given (no shared `default` conversation), and the body cannot claim
another channel. It is open on a loopback HOST; anywhere else it is off unless
REST_TOKEN is set, and then every call must carry `Authorization: Bearer <token>`.

What reaches a sender outside its own turn (an agent's reply, the team's notices, the rating
question) waits in an outbox: `GET /webhooks/rest/messages?sender=...&after=<last id>` returns
it, and every webhook answer names that address in a `Link` header (bot.channels.rest_outbox).
"""

from __future__ import annotations

import hmac
import logging
import re
from urllib.parse import quote
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import ChannelLimits, LimitedChannel, client_ip
from bot.channels.metadata import clean_metadata
from bot.channels.rest_outbox import Outbox, OutboxOutput, RedisOutbox, outbox_for
from crm_store.settings import Settings

log = logging.getLogger(__name__)

_SENDER = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")
# Sender ids other channels issue (a web chat session id, a Telegram chat id): Rasa keys
# conversations by sender alone, so REST must not write into theirs.
_OTHER_CHANNELS = re.compile(r"^(?:[0-9a-f]{32}|-?[0-9]+)$")


class RestInput(LimitedChannel, InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self, settings: Settings | None = None, limits: ChannelLimits | None = None) -> None:
        self._settings = settings
        self._limits = limits
        self._outbox: Outbox | RedisOutbox | None = None

    @property
    def outbox(self) -> Outbox | RedisOutbox:
        if self._outbox is None:
            self._outbox = outbox_for(self.settings)
        return self._outbox

    def get_output_channel(self) -> Optional[OutputChannel]:
        return OutboxOutput(self.outbox)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("custom_webhook_RestInput", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.rest_enabled else "off"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = self._refusal(request)
            if refused is not None:
                return refused
            if (request.headers.get("content-type") or "").split(";")[0].strip().lower() != "application/json":
                # A page in the user's browser can post text/plain without a CORS preflight; JSON needs one.
                return response.json({"error": "Send the message as Content-Type: application/json."}, status=415)
            body = _json_body(request)
            sender = body.get("sender")
            text = body.get("message")
            if not isinstance(sender, str) or not _SENDER.match(sender):
                return response.json({"error": "'sender' is required: 1-64 letters, digits or _.:@-"}, status=400)
            if _OTHER_CHANNELS.match(sender):
                return response.json({"error": "That sender id belongs to another channel; pick another."}, status=400)
            if not isinstance(text, str) or not text.strip():
                return response.json({"error": "'message' is required"}, status=400)
            ip = client_ip(request)
            problem = self.limits.newcomer_problem(self.name(), sender, ip)
            status = 429
            if problem is None:
                problem = self.limits.message_problem(self.name(), sender, ip, text)
                status = 200 if problem and len(text) > self.settings.max_message_chars else 429
            if problem is not None:
                return response.json([{"recipient_id": sender, "text": problem}], status=status)
            collector = CollectingOutputChannel()
            message = UserMessage(
                text.strip(),
                collector,
                sender,
                input_channel=self.name(),
                metadata={**clean_metadata(body.get("metadata")), "network": self.limits.network_of(ip)},
            )
            try:
                await on_new_message(message)
            except Exception:
                log.exception("rest message could not be handled", extra={"sender_id": sender})
                return response.json({"error": "The message could not be handled; please try again."}, status=500)
            return response.json(collector.messages, headers=_messages_link(sender))

        @bp.route("/messages", methods=["GET"])
        async def messages(request: Request) -> HTTPResponse:
            refused = self._refusal(request)
            if refused is not None:
                return refused
            sender = request.args.get("sender")
            if not isinstance(sender, str) or not _SENDER.match(sender):
                return response.json({"error": "'sender' is required: 1-64 letters, digits or _.:@-"}, status=400)
            after = request.args.get("after", "0")
            if not after.isdigit():
                return response.json(
                    {"error": "'after' is the id of the last message you have (a whole number)"}, status=400
                )
            return response.json({"messages": self.outbox.fetch(sender, int(after))})

        @bp.route("/listening", methods=["GET"])
        async def listening(request: Request) -> HTTPResponse:
            refused = self._refusal(request)
            if refused is not None:
                return refused
            sender = request.args.get("sender") or ""
            return response.json({"sender": sender, "listening": self.outbox.listening(sender)})

        return bp

    def _refusal(self, request: Request) -> HTTPResponse | None:
        settings = self.settings
        if not settings.rest_enabled:
            return response.json({"error": "The REST channel is off on this server."}, status=404)
        if settings.rest_token:
            given = request.headers.get("authorization", "")
            expected = f"Bearer {settings.rest_token}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return response.json({"error": "This channel needs 'Authorization: Bearer <REST_TOKEN>'."}, status=401)
        return None


def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = request.json
    except Exception:  # Sanic raises InvalidUsage on malformed JSON
        return {}
    return body if isinstance(body, dict) else {}


def _messages_link(sender: str) -> dict[str, str]:
    """Where this sender fetches what the team sends between its turns."""
    return {"Link": f'</webhooks/rest/messages?sender={quote(sender)}&after=0>; rel="messages"'}
