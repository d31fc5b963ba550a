"""The web chat channel over real HTTP and socket.io: a Sanic server with only its blueprint.

The `on_new_message` coroutine Rasa passes to every channel is a small script here
(tests/support/webchat_server.py): it records each UserMessage and answers through the
channel's own output, and writes the transcript into a real SQLite CRM via ingestion.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import re
import uuid
from pathlib import Path

import httpx
import pytest
import socketio

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.channels.webchat_sessions import SessionSigner  # noqa: E402
from tests.support.webchat_server import WebchatServer, png_bytes  # noqa: E402

MAX_UPLOAD = 60_000
SECRET = "webchat-test-secret"
SHOP = "http://shop.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {"MAX_UPLOAD_BYTES": str(MAX_UPLOAD), "WEBCHAT_SECRET": SECRET, "ALLOWED_ORIGINS": SHOP}
    with WebchatServer(tmp_path_factory.mktemp("webchat"), env=env, delay=0.05) as srv:
        yield srv


@pytest.fixture()
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def new_session_id() -> str:
    """A session token as the server issues it (`<session id>.<signature>`)."""
    return SessionSigner(SECRET).issue()[1]


def plain_id(token: str) -> str:
    return token.split(".")[0]


class SocketUser:
    """A python-socketio client that holds one widget session."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue = asyncio.Queue()
        self.client.on("session_confirm", lambda sid: self.events.put_nowait(("session_confirm", sid)))
        self.client.on("bot_uttered", lambda msg: self.events.put_nowait(("bot_uttered", msg)))
        self.client.on("webchat_error", lambda msg: self.events.put_nowait(("webchat_error", msg)))
        self.session_id: str | None = None
        self.token: str | None = None

    async def connect(self, url: str, token: str | None, headers: dict | None = None) -> str:
        """Ask for the session of `token`; returns the session id the server confirms."""
        # Polling: the websocket transport of python-engineio needs a newer aiohttp than Rasa pins.
        await self.client.connect(
            url, transports=["polling"], socketio_path="/socket.io", headers=headers or {}, wait_timeout=20
        )
        await self.client.emit("session_request", {"session": token})
        kind, self.token = await self.next("session_confirm")
        self.session_id = plain_id(self.token)
        return self.session_id

    async def say(self, text: str, metadata: dict | None = None) -> None:
        await self.client.emit("user_uttered", {"message": text, "session": self.token, "metadata": metadata or {}})

    async def next(self, kind: str, timeout: float = 10):
        return await self.next_of((kind,), timeout)

    async def next_of(self, kinds: tuple[str, ...], timeout: float = 10):
        while True:
            got = await asyncio.wait_for(self.events.get(), timeout)
            if got[0] in kinds:
                return got

    async def close(self) -> None:
        # A polite polling disconnect waits for the long poll to end (up to 25 s).
        eio = self.client.eio
        with contextlib.suppress(Exception):
            await eio.disconnect(abort=True)
        for task in (getattr(eio, "write_loop_task", None), getattr(eio, "read_loop_task", None)):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task


@pytest.fixture()
async def user(server):
    u = SocketUser()
    yield u
    await u.close()


def messages_for(server: WebchatServer, session: str) -> list[dict]:
    return [m for m in server.messages() if m["sender_id"] == plain_id(session)]


# --- static routes ---------------------------------------------------------------------


def test_chat_page_loads_the_widget_from_our_own_server(http):
    page = http.get("/chat")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="/chat/widget.js"' in page.text
    assert "//cdn" not in page.text and "https://" not in page.text


@pytest.mark.parametrize(
    ("path", "kind", "marker"),
    [
        ("/chat/widget.js", "application/javascript", "window.CrmbotChat"),
        ("/chat/widget.css", "text/css", ".crmbot-root"),
        ("/chat/socket.io.min.js", "application/javascript", "Socket.IO v4"),
    ],
)
def test_widget_files_are_served_for_any_shop_origin(http, path, kind, marker):
    reply = http.get(path, headers={"Origin": "http://any-shop.example"})

    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith(kind)
    # <script> and <link> tags need no CORS header, so none is sent.
    assert "access-control-allow-origin" not in reply.headers
    assert marker in reply.text


def test_widget_never_assigns_inner_html(http):
    source = http.get("/chat/widget.js").text

    assert "innerHTML" not in source.split("*/", 1)[1]
    assert "insertAdjacentHTML" not in source and "document.write" not in source


@pytest.mark.parametrize("path", ["/chat/chat.html", "/chat/webchat.py", "/chat/..%2Fwebchat.py", "/chat/nope.js"])
def test_other_files_are_not_served(http, path):
    assert http.get(path).status_code == 404


def test_rasa_mounts_the_widget_routes_from_credentials_yml():
    from rasa.core import run

    channels = run.create_http_input_channels(None, str(ROOT / "credentials.yml"))
    app = run.configure_app([c for c in channels if c.name() == "webchat"], route="/webhooks/")
    paths = {route.path for route in app.router.routes}

    assert {"chat", "chat/config", "chat/history", "chat/upload", "socket.io"} <= paths


def test_config_tells_the_widget_the_upload_limits(http):
    config = http.get("/chat/config").json()

    assert config == {
        "max_upload_bytes": MAX_UPLOAD,
        "accepted_types": ["image/jpeg", "image/png", "image/webp"],
        "socketio_path": "/socket.io",
        "max_message_chars": 2000,
        # One Rasa process: polling is a fallback (several processes: websocket only, test_rasa_workers_stack).
        "transports": ["websocket", "polling"],
    }


# --- uploads ---------------------------------------------------------------------------


def upload(http, session_id: str, name: str, body: bytes, mime: str) -> httpx.Response:
    return http.post("/chat/upload", data={"session": session_id}, files={"file": (name, body, mime)})


def stored_files(server: WebchatServer, session_id: str) -> list[Path]:
    folder = server.var_dir / "uploads" / "webchat" / plain_id(session_id)
    return sorted(folder.iterdir()) if folder.exists() else []


def test_too_big_upload_is_refused_with_413(server, http):
    session_id = new_session_id()
    body = png_bytes(200, 200)
    assert len(body) <= MAX_UPLOAD  # the image itself is fine; pad it past the limit
    body += b"\0" * (MAX_UPLOAD + 1 - len(body))

    reply = upload(http, session_id, "big.png", body, "image/png")

    assert reply.status_code == 413
    assert reply.json() == {"error": "That file is too large. The limit is 58 KB."}
    assert stored_files(server, session_id) == []
    assert messages_for(server, session_id) == []


@pytest.mark.parametrize(
    ("name", "body", "mime"),
    [
        ("notes.txt", b"just some text", "text/plain"),
        ("fake.png", b"<svg onload=alert(1)></svg>", "image/png"),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        ("mislabelled.jpg", png_bytes(8, 8), "image/jpeg"),
    ],
)
def test_wrong_type_is_refused_with_415(server, http, name, body, mime):
    session_id = new_session_id()

    reply = upload(http, session_id, name, body, mime)

    assert reply.status_code == 415
    assert reply.json() == {"error": "Only JPEG, PNG or WebP images can be sent."}
    assert stored_files(server, session_id) == []
    assert messages_for(server, session_id) == []


def test_upload_needs_a_session_and_a_file(http):
    assert upload(http, "short", "a.png", png_bytes(8, 8), "image/png").status_code == 403
    assert upload(http, uuid.uuid4().hex, "a.png", png_bytes(8, 8), "image/png").status_code == 403
    no_file = http.post("/chat/upload", data={"session": new_session_id()})
    assert no_file.status_code == 400
    assert no_file.json()["error"] == "Attach one image in the form field 'file'."


async def test_good_image_is_stored_and_delivered_to_rasa_as_send_photo(server, user):
    session_id = await user.connect(server.url, new_session_id())
    body = png_bytes(64, 48)

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:  # a loaded machine is slow, not broken
        reply = await http.post(
            "/chat/upload",
            data={"session": user.token, "display_name": "Ada"},
            files={"file": ("../../receipt march.png", body, "image/png")},
        )

    assert reply.status_code == 200
    assert reply.json() == {
        "attachment": {"kind": "photo", "file_name": "receipt march.png", "mime_type": "image/png", "size": len(body)}
    }
    [stored] = stored_files(server, session_id)
    assert stored.read_bytes() == body and stored.suffix == ".png"
    [message] = messages_for(server, session_id)
    assert message["text"] == "/send_photo"
    assert message["input_channel"] == "webchat"
    assert message["metadata"] == {
        "attachments": [
            {
                "kind": "photo",
                "file_name": "receipt march.png",
                "mime_type": "image/png",
                "size": len(body),
                "path": stored.relative_to(server.var_dir).as_posix(),
            }
        ],
        "display_name": "Ada",
    }
    _, answer = await user.next("bot_uttered")
    assert answer["text"].startswith("Thanks, I got your photo receipt march.png")


def test_webp_and_jpeg_are_accepted(server, http):
    session_id = new_session_id()
    jpeg = b"\xff\xd8\xff\xe0" + b"\0" * 100
    webp = b"RIFF\x64\x00\x00\x00WEBPVP8 " + b"\0" * 100

    assert upload(http, session_id, "a.jpg", jpeg, "image/jpeg").status_code == 200
    assert upload(http, session_id, "b.webp", webp, "application/octet-stream").status_code == 200
    assert sorted(p.suffix for p in stored_files(server, session_id)) == [".jpg", ".webp"]


# --- socket.io messages ----------------------------------------------------------------


async def test_session_id_is_the_sender_id_and_metadata_is_filtered(server, user):
    session_id = await user.connect(server.url, new_session_id())

    await user.say("where is my order", {"display_name": "Ada", "attachments": [{"path": "/etc/passwd"}]})
    _, answer = await user.next("bot_uttered")

    assert answer["text"] == "I can help with your order. What do you need?"
    assert [b["payload"] for b in answer["quick_replies"]] == ["/order_status", "/start_return", "/human_handoff"]
    [message] = messages_for(server, session_id)
    network = message["metadata"].pop("network")
    assert message == {
        "text": "where is my order",
        "sender_id": session_id,
        "input_channel": "webchat",
        "metadata": {"display_name": "Ada"},
    }
    # The address as a keyed hash for per-address limits, never the address itself.
    assert re.fullmatch(r"[0-9a-f]{24}", network) and "127.0.0.1" not in network


@pytest.mark.parametrize(
    "asked",
    ["1234", "aaaaaaaaaaaaaaaa", uuid.uuid4().hex, f"{uuid.uuid4().hex}.forged"],
    ids=["short", "not-hex", "unknown-id", "forged-signature"],
)
async def test_a_session_the_server_did_not_sign_gets_a_fresh_one(server, user, asked):
    session_id = await user.connect(server.url, asked)

    assert session_id != asked.split(".")[0] and len(session_id) == 32
    assert SessionSigner(SECRET).verify(user.token) == session_id


async def test_a_token_we_issued_continues_its_session(server, user):
    token = new_session_id()

    assert await user.connect(server.url, token) == plain_id(token)


async def test_second_tab_of_a_session_receives_the_answers(server, user):
    session_id = await user.connect(server.url, new_session_id())
    other_tab = SocketUser()
    try:
        assert await other_tab.connect(server.url, user.token) == session_id

        await user.say("/order_status")

        _, answer = await other_tab.next("bot_uttered")
        assert answer["text"].startswith("Sure. What is your order number?")
    finally:
        await other_tab.close()


# --- history ---------------------------------------------------------------------------


async def test_history_is_the_crm_transcript_of_the_session(server, user):
    session_id = await user.connect(server.url, new_session_id())
    await user.say("where is my order")
    await user.next("bot_uttered")
    await user.say("/order_status")
    await user.next("bot_uttered")

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:  # a loaded machine is slow, not broken
        for _ in range(50):  # ingestion of the last reply may trail the socket event by a moment
            history = (await http.post("/chat/history", data={"session": user.token})).json()
            if len(history["messages"]) == 4:
                break
            await asyncio.sleep(0.1)

    assert history["session_id"] == session_id
    assert [(m["direction"], m["text"]) for m in history["messages"]] == [
        ("in", "where is my order"),
        ("out", "I can help with your order. What do you need?"),
        ("in", "/order_status"),
        ("out", "Sure. What is your order number? It looks like A-10423."),
    ]
    assert history["messages"][1]["buttons"][0] == {"title": "Where is my order?", "payload": "/order_status"}
    assert all(m["created_at"][:2] == "20" for m in history["messages"])


def test_history_of_a_new_session_is_empty(http):
    token = new_session_id()

    assert http.post("/chat/history", data={"session": token}).json() == {"session_id": plain_id(token), "messages": []}


@pytest.mark.parametrize("session", ["x' OR 1=1 --", None])
def test_history_needs_a_session_token(http, session):
    reply = http.post("/chat/history", data={"session": session} if session else {})

    assert reply.status_code == 403
    assert reply.json() == {"error": "This chat session is not valid; the widget will start a new one."}


async def test_no_one_reads_a_session_history_with_its_id_alone(server, user):
    session_id = await user.connect(server.url, None)
    await user.say("my secret order question")
    await user.next("bot_uttered")

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:  # a loaded machine is slow, not broken
        by_id = await http.post("/chat/history", data={"session": session_id})
        old_style = await http.get("/chat/history", params={"session_id": session_id})
        forged = await http.post("/chat/history", data={"session": f"{session_id}.AAAAAAAAAAAAAAAAAAAAAAAAAAA"})

    assert by_id.status_code == 403 and forged.status_code == 403
    assert old_style.status_code in (403, 404, 405)
    assert "secret order" not in by_id.text + old_style.text + forged.text


def test_history_when_the_crm_database_is_down_is_a_503_and_chat_goes_on(tmp_path):
    # Nothing listens on port 1: every connection to this database fails at once.
    down = {"DATABASE_URL": "postgresql://crm@127.0.0.1:1/crm", "WEBCHAT_SECRET": SECRET}
    with (
        WebchatServer(tmp_path, env=down, crm=False, delay=0.05) as srv,
        httpx.Client(base_url=srv.url, timeout=30) as http,
    ):
        reply = http.post("/chat/history", data={"session": new_session_id()})
        page = http.get("/chat")

    assert reply.status_code == 503
    assert reply.json() == {"error": "The conversation history is not available right now."}
    assert page.status_code == 200


# --- origins and limits ------------------------------------------------------------------


@pytest.mark.parametrize("path, method", [("/chat/config", "GET"), ("/chat/history", "POST")])
def test_a_shop_origin_gets_exactly_one_cors_header_and_others_none(http, path, method):
    data = {"session": new_session_id()} if method == "POST" else None

    shop = http.request(method, path, headers={"Origin": SHOP}, data=data)
    evil = http.request(method, path, headers={"Origin": "http://evil.example"}, data=data)

    assert shop.headers.get_list("access-control-allow-origin") == [SHOP]
    assert "access-control-allow-credentials" not in shop.headers
    assert evil.headers.get_list("access-control-allow-origin") == []


async def test_a_socket_from_a_foreign_origin_is_refused(server):
    evil = SocketUser()
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await evil.connect(server.url, None, headers={"Origin": "http://evil.example"})
    finally:
        await evil.close()


async def test_a_shop_origin_socket_is_served(server):
    shop = SocketUser()
    try:
        assert len(await shop.connect(server.url, None, headers={"Origin": SHOP})) == 32
    finally:
        await shop.close()


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    env = {
        "WEBCHAT_SECRET": SECRET,
        "MAX_MESSAGE_CHARS": "100",
        "MESSAGES_PER_MINUTE": "3",
        "UPLOADS_PER_HOUR": "2",
        "NEW_CUSTOMERS_PER_IP_PER_HOUR": "6",
    }
    with WebchatServer(tmp_path_factory.mktemp("strict"), env=env, delay=0, crm=False) as srv:
        yield srv


async def test_a_too_long_message_gets_a_polite_reply_and_goes_no_further(strict_server):
    user = SocketUser()
    try:
        await user.connect(strict_server.url, new_session_id())
        await user.say("x" * 101)
        _, reply = await user.next("bot_uttered")
    finally:
        await user.close()

    assert "too long" in reply["text"] and "100 characters" in reply["text"]
    assert messages_for(strict_server, user.session_id) == []


async def test_messages_per_minute_per_session_are_limited(strict_server):
    user = SocketUser()
    try:
        await user.connect(strict_server.url, new_session_id())
        replies = []
        for i in range(4):
            await user.say(f"hello {i}")
            replies.append((await user.next("bot_uttered"))[1]["text"])
    finally:
        await user.close()

    assert replies[:3] == ["You said: hello 0", "You said: hello 1", "You said: hello 2"]
    assert "faster than I can answer" in replies[3]
    assert len(messages_for(strict_server, user.session_id)) == 3


def test_uploads_per_session_and_hour_are_limited(strict_server):
    token = new_session_id()
    with httpx.Client(base_url=strict_server.url, timeout=30) as http:
        statuses = [upload(http, token, f"{i}.png", png_bytes(8, 8), "image/png").status_code for i in range(3)]
        last = upload(http, token, "x.png", png_bytes(8, 8), "image/png").json()

    assert statuses == [200, 200, 429]
    assert "more photos than I can take in an hour" in last["error"]
    assert len(stored_files(strict_server, token)) == 2


async def test_new_sessions_per_address_and_hour_are_limited(strict_server):
    confirmed, refused = 0, None
    for _ in range(8):
        user = SocketUser()
        try:
            await user.client.connect(strict_server.url, transports=["polling"], socketio_path="/socket.io")
            await user.client.emit("session_request", {})
            kind, payload = await user.next_of(("session_confirm", "webchat_error"))
            if kind == "session_confirm":
                confirmed += 1
            else:
                refused = payload["error"]
        finally:
            await user.close()

    assert confirmed <= 6 and refused and "Too many new conversations" in refused
