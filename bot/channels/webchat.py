"""The web chat widget channel: Rasa's socket.io channel plus the page, script and upload routes.

Routes (absolute, whatever prefix Rasa asks for):
  GET  /chat                   full-page chat for customers
  GET  /chat/widget.js|.css    the embeddable widget (one <script> tag on any shop page)
  GET  /chat/socket.io.min.js  the vendored socket.io client (no CDN at run time)
  GET  /chat/config            limits the widget checks before uploading
  POST /chat/history           the transcript of the session whose token is posted, from the CRM
  POST /chat/upload            one image (multipart), delivered to Rasa as "/send_photo"
  *    /socket.io/             socket.io (engine.io) endpoint

The server issues every session: `session_request` with a token we signed continues that
conversation, anything else starts a new one (bot.channels.webchat_sessions). The session id
inside the token is the Rasa sender_id. Browsers on other origins reach these routes only
when their origin is in ALLOWED_ORIGINS; the CORS header comes from the app (Rasa's CORS
set up by bot.rasa.server), so there is exactly one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text
from urllib.parse import urlsplit

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.limits import ChannelLimits, LimitedChannel, client_ip
from bot.channels.metadata import clean_metadata
from bot.channels.speakers import speaker
from bot.channels.webchat_history import HistoryLoader, crm_history
from bot.channels.webchat_sessions import SessionSigner
from bot.channels.webchat_uploads import ACCEPTED_TYPES, UploadRejected, check_image, store_image
from crm_store.settings import Settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
SEND_PHOTO = "/send_photo"
_STATIC_FILES = {
    "widget.js": "application/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "socket.io.min.js": "application/javascript; charset=utf-8",
}


def json_error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def asked_token(data: Any) -> Any:
    """The session token a client sends (`session`, or Rasa's socket.io name `session_id`)."""
    if not isinstance(data, dict):
        return None
    return data.get("session") or data.get("session_id")


def socket_options(settings: Settings) -> dict[str, Any]:
    """With several Rasa worker processes (RASA_WORKERS) on one port:

    - websocket only: a polling client sends each request anew, and the next one may reach
      another process, which does not know its engine.io session; a websocket stays on one;
    - emits go through Redis (python-socketio's AsyncRedisManager), so a message sent to a room
      from any process (an agent's reply arrives at whichever process took the console's call)
      reaches the customer's socket in the process that holds it.
    """
    if settings.rasa_workers == 1:
        return {}
    from socketio import AsyncRedisManager

    url = settings.redis_url or settings.lock_store_url or ""
    # Redis pub/sub channels are not per database: name the deployment's own (its database and port).
    channel = f"crmbot.webchat.{urlsplit(url).path.strip('/') or '0'}.{settings.rasa_port}"
    return {"transports": ["websocket"], "client_manager": AsyncRedisManager(url, channel=channel)}


def own_host_id(sio: AsyncServer) -> Callable[..., Awaitable[None]]:
    """A listener giving each worker process its own id on the Redis channel.

    The manager is built before Sanic forks its workers, so they would all inherit one id, and
    each drops what comes from "its own" id: an emit from the other process would never arrive.
    """

    async def new_host_id(_app: Any, _loop: Any) -> None:
        sio.manager.host_id = uuid.uuid4().hex

    return new_host_id


def widget_transports(settings: Settings) -> list[str]:
    return ["websocket"] if settings.rasa_workers > 1 else ["websocket", "polling"]


class WebChatOutput(SocketIOOutput):
    """Rasa's socket.io output; its own name lets domain responses vary by `channel: webchat`.

    A message an agent wrote, or the team's announcement (joined, taken over, handed back),
    carries `sender` so the widget shows who is speaking (name and initials, or a team notice).
    """

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        sender = speaker(kwargs)
        if sender is None:
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        await self._send_message(recipient_id, {"text": text.strip(), "sender": sender})


class WebChatInput(LimitedChannel, SocketIOInput):
    """Rasa's socket.io channel with session persistence, serving the widget it talks to."""

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
        )

    def __init__(
        self,
        user_message_evt: Text = "user_uttered",
        bot_message_evt: Text = "bot_uttered",
        socketio_path: Text = "/socket.io",
        settings: Settings | None = None,
        history: HistoryLoader = crm_history,
    ) -> None:
        super().__init__(
            user_message_evt=user_message_evt,
            bot_message_evt=bot_message_evt,
            namespace=None,
            session_persistence=True,
            socketio_path=socketio_path,
        )
        self._settings = settings
        self._history = history
        self._limits: ChannelLimits | None = None
        self._signer: SessionSigner | None = None

    @property
    def signer(self) -> SessionSigner:
        if self._signer is None:
            self._signer = SessionSigner.from_settings(self.settings)
        return self._signer

    def origin_allowed(self, origin: str | None, host: str | None) -> bool:
        """No Origin (not a browser), our own origin, or a shop origin from ALLOWED_ORIGINS."""
        if not origin:
            return True
        return origin.rstrip("/") in self.settings.origins or urlsplit(origin).netloc == (host or "")

    def url_prefix(self) -> Text:
        # "/" makes Sanic mount the routes as written (/chat, ...), not under /webhooks/webchat.
        return "/"

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Origins are checked in `connect` (WebSockets ignore CORS); a frame larger than any request body is refused.
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=[],
            max_http_buffer_size=self.settings.max_request_bytes,
            **socket_options(self.settings),
        )
        self.sio = sio
        bp = SocketBlueprint(sio, self.socketio_path, "webchat", __name__)
        self._add_socket_handlers(sio, on_new_message)
        self._add_http_routes(bp, on_new_message)
        if hasattr(sio.manager, "host_id"):
            bp.listener("before_server_start")(own_host_id(sio))
        return bp

    # --- socket.io -----------------------------------------------------------------

    def _add_socket_handlers(self, sio: AsyncServer, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        @sio.on("connect")
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            request = environ.get("sanic.request")
            await sio.save_session(sid, {"ip": client_ip(request) if request is not None else "unknown"})
            # WebSockets ignore CORS: the origin check is ours.
            return self.origin_allowed(environ.get("HTTP_ORIGIN"), environ.get("HTTP_HOST"))

        async def join(sid: Text, session_id: str) -> None:
            state = await sio.get_session(sid)
            await sio.save_session(sid, {**state, "session_id": session_id})
            await sio.enter_room(sid, session_id)

        @sio.on("session_request")
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            token = asked_token(data)
            session_id = self.signer.verify(token)
            if session_id is not None:
                token = self.signer.token_for(session_id)  # renewed: a live session keeps going
            else:
                ip = (await sio.get_session(sid)).get("ip", "unknown")
                session_id, token = self.signer.issue()
                problem = self.limits.newcomer_problem(self.name(), session_id, ip)
                if problem:
                    await sio.emit("webchat_error", {"error": problem}, room=sid)
                    return
            await join(sid, session_id)
            await sio.emit("session_confirm", token, room=sid)

        @sio.on(self.user_message_evt)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict):
                return
            text = data.get("message")
            if not isinstance(text, str) or not text.strip():
                return
            state = await sio.get_session(sid)
            session_id = state.get("session_id")
            if session_id is None:
                # A message racing a reconnect's session_request: it must carry a token we issued.
                session_id = self.signer.verify(asked_token(data))
                if session_id is None:
                    log.warning("webchat message without a session was ignored", extra={"sid": sid})
                    return
                await join(sid, session_id)
            problem = self.limits.message_problem(self.name(), session_id, state.get("ip", "unknown"), text)
            if problem:
                await sio.emit(self.bot_message_evt, {"text": problem}, room=sid)
                return
            message = UserMessage(
                text.strip(),
                WebChatOutput(sio, self.bot_message_evt),
                session_id,
                input_channel=self.name(),
                metadata={
                    **clean_metadata(data.get(self.metadata_key)),
                    "network": self.limits.network_of(state.get("ip", "unknown")),
                },
            )
            try:
                await on_new_message(message)
            except Exception:
                log.exception("webchat message could not be handled", extra={"sender_id": session_id})
                await sio.emit("webchat_error", {"error": "Sorry, something went wrong. Please try again."}, room=sid)

    # --- HTTP ----------------------------------------------------------------------

    def _add_http_routes(self, bp: Blueprint, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        @bp.route("/chat", methods=["GET"])
        async def chat_page(_: Request) -> HTTPResponse:
            return await response.file(
                STATIC_DIR / "chat.html",
                mime_type="text/html; charset=utf-8",
                headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
            )

        @bp.route("/chat/<name:(widget\\.js|widget\\.css|socket\\.io\\.min\\.js)>", methods=["GET"])
        async def static_file(_: Request, name: str) -> HTTPResponse:
            # Our own files change with deploys; the vendored client only with its version.
            cache = "public, max-age=86400" if name == "socket.io.min.js" else "no-cache"
            return await response.file(
                STATIC_DIR / name,
                mime_type=_STATIC_FILES[name],
                headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
            )

        @bp.route("/chat/config", methods=["GET"])
        async def config(_: Request) -> HTTPResponse:
            return response.json(
                {
                    "max_upload_bytes": self.settings.max_upload_bytes,
                    "accepted_types": sorted(ACCEPTED_TYPES),
                    "socketio_path": self.socketio_path,
                    "max_message_chars": self.settings.max_message_chars,
                    "transports": widget_transports(self.settings),
                },
            )

        @bp.route("/chat/history", methods=["POST"])
        async def history(request: Request) -> HTTPResponse:
            session_id = self.signer.verify(request.form.get("session") if request.form else None)
            if session_id is None:
                return json_error(403, "This chat session is not valid; the widget will start a new one.")
            try:
                messages = await asyncio.get_running_loop().run_in_executor(None, self._history, session_id, 50)
            except Exception:
                # History is a nicety: the widget carries on without it.
                log.exception("webchat history unavailable", extra={"sender_id": session_id})
                return json_error(503, "The conversation history is not available right now.")
            return response.json({"session_id": session_id, "messages": messages})

        @bp.route("/chat/upload", methods=["POST"])
        async def upload(request: Request) -> HTTPResponse:
            session_id = self.signer.verify(request.form.get("session") if request.form else None)
            if session_id is None:
                return json_error(403, "This chat session is not valid; please reload the page.")
            file = request.files.get("file") if request.files else None
            if file is None:
                return json_error(400, "Attach one image in the form field 'file'.")
            try:
                mime_type = check_image(file.body, file.type, self.settings.max_upload_bytes)
            except UploadRejected as rejected:
                return json_error(rejected.status, rejected.message)
            problem = self.limits.upload_problem(self.name(), session_id)
            if problem:
                return json_error(429, problem)
            attachment = store_image(self.settings.var_path, session_id, file.name, mime_type, file.body)
            log.info("webchat photo stored", extra={"sender_id": session_id, "size": attachment["size"]})
            metadata: dict[str, Any] = {"attachments": [attachment]}
            metadata.update(clean_metadata({"display_name": request.form.get("display_name")}))
            message = UserMessage(
                SEND_PHOTO,
                WebChatOutput(self.sio, self.bot_message_evt),
                session_id,
                input_channel=self.name(),
                metadata=metadata,
            )
            try:
                await on_new_message(message)
            except Exception:
                log.exception("webchat photo could not be delivered", extra={"sender_id": session_id})
                return json_error(500, "The photo was saved but could not be delivered. Please try again.")
            shown = {k: attachment[k] for k in ("kind", "file_name", "mime_type", "size")}  # type: ignore[literal-required]
            return response.json({"attachment": shown})
