"""A Sanic server with only our web chat and REST channels, for the integration and browser tests.

Rasa hands every input channel an `on_new_message` coroutine; here it is a small script
that records each UserMessage (one JSON line in --record) and replies through the
message's own output channel, the way Rasa's agent does. The blueprint is mounted with
Rasa's own `register()`, so the routes land where `rasa run` puts them.

    python tests/support/webchat_server.py --port 5099 --record var/messages.jsonl

Settings (VAR_DIR, MAX_UPLOAD_BYTES, DATABASE_URL) come from the environment as usual.
`WebchatServer` starts and stops it as a subprocess.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

ORDER_BUTTONS = [
    {"title": "Where is my order?", "payload": "/order_status"},
    {"title": "Start a return", "payload": "/start_return"},
    {"title": "Talk to a person", "payload": "/human_handoff"},
]
AFTER_STATUS_BUTTONS = [
    {"title": "Thanks!", "payload": "/thank"},
    {"title": "Talk to a person", "payload": "/human_handoff"},
]


class CrmTranscript:
    """Feeds the real CRM ingestion the tracker events Rasa's event broker would publish."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    async def publish(self, event: dict[str, Any]) -> None:
        if not self.enabled:
            return
        from crm_store.db import unit_of_work
        from crm_store.ingestion.events import ingest

        event = {"timestamp": time.time(), **event}
        await asyncio.get_running_loop().run_in_executor(None, ingest, unit_of_work(), event)

    async def user(self, message: Any) -> None:
        await self.publish(
            {
                "event": "user",
                "sender_id": message.sender_id,
                "text": message.text,
                "input_channel": message.input_channel,
                "message_id": message.message_id,
                "metadata": message.metadata or {},
                "parse_data": {"intent": {"name": None, "confidence": None}},
            }
        )

    async def bot(self, sender_id: str, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        await self.publish({"event": "bot", "sender_id": sender_id, "text": text, "data": {"buttons": buttons}})


async def scripted_bot(message: Any, record: Path, delay: float, crm: CrmTranscript) -> None:
    """Record the message, then answer like a tiny order-status assistant."""
    with record.open("a", encoding="utf-8") as f:
        f.write(
            json.dumps(
                {
                    "text": message.text,
                    "sender_id": message.sender_id,
                    "input_channel": message.input_channel,
                    "metadata": message.metadata,
                }
            )
            + "\n"
        )
    await crm.user(message)
    await asyncio.sleep(delay)  # long enough to see the typing indicator
    out, to, text = message.output_channel, message.sender_id, message.text

    async def say(reply: str, buttons: list[dict[str, str]] | None = None) -> None:
        if buttons:
            await out.send_text_with_buttons(to, reply, buttons)
        else:
            await out.send_text_message(to, reply)
        await crm.bot(to, reply, buttons)

    if text == "/send_photo":
        photo = message.metadata["attachments"][0]
        await say(f"Thanks, I got your photo {photo['file_name']}. I'll read the receipt now.")
    elif text == "/order_status":
        await say("Sure. What is your order number? It looks like A-10423.")
    elif re.fullmatch(r"[Aa]-\d{4,6}", text.strip()):
        await say(
            f"Order {text.strip().upper()} was shipped yesterday and should arrive on Friday.", AFTER_STATUS_BUTTONS
        )
    elif text == "/thank":
        await say("You're welcome! Anything else I can do?")
    elif "parcel" in text.lower() and "picture" in text.lower():
        await out.send_image_url(to, "/test/parcel.png")
    elif "order" in text.lower():
        await say("I can help with your order. What do you need?", ORDER_BUTTONS)
    else:
        await say(f"You said: {text}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.4)
    parser.add_argument("--no-crm", action="store_true", help="do not write the transcript to the CRM")
    args = parser.parse_args()
    crm = CrmTranscript(enabled=not args.no_crm)
    if crm.enabled:
        from crm_store.db import engine_for, migrate
        from crm_store.settings import get_settings

        migrate(engine_for(get_settings().database_url))

    from sanic import Sanic, response

    from bot.channels.limits import install_request_limits
    from bot.channels.rest import RestInput
    from bot.channels.webchat import WebChatInput
    from crm_store.settings import get_settings

    from sanic_cors import CORS

    app = Sanic("webchat_test_server")
    # What rasa.server.configure_cors does in the Rasa server (bot.rasa.server): shop origins
    # from settings only (importing rasa.server here would cost this server seconds of start-up).
    CORS(app, resources={r"/*": {"origins": list(get_settings().origins) or ""}}, automatic_options=True)
    install_request_limits(app, get_settings())

    async def on_new_message(message: Any) -> None:
        await scripted_bot(message, args.record, args.delay, crm)

    from urllib.parse import urljoin

    channels = {c.name(): c for c in (WebChatInput(), RestInput())}
    for channel in channels.values():
        # The same URL prefix rule as rasa.core.channels.channel.register().
        app.blueprint(channel.blueprint(on_new_message), url_prefix=urljoin("/webhooks/", channel.url_prefix()))

    @app.route("/test/push", methods=["POST"])
    async def push(request: Any) -> Any:
        # What Rasa does for the console's POST /conversations/<sender>/tracker/events: the bot
        # event's message (its metadata merged in, BotUttered.message()) goes to the channel's
        # output channel, outside any turn of the customer's.
        body = request.json
        output = channels[body["channel"]].get_output_channel()
        await output.send_response(body["sender"], dict(body["message"]))
        return response.json({"sent": True})

    @app.route("/test/parcel.png")
    async def parcel(_: Any) -> Any:
        # The "photo of your parcel" the scripted bot sends back.
        return response.raw(png_bytes(240, 160, (196, 160, 110)), content_type="image/png")

    @app.route("/test/shop")
    async def shop(request: Any) -> Any:
        # A shop page that embeds the widget with one script tag; ?bot=ORIGIN loads it from another origin.
        bot = request.args.get("bot", "")
        if not re.fullmatch(r"(https?://[A-Za-z0-9.:-]+)?", bot):
            return response.text("bad bot origin", status=400)
        return response.html(
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            "<title>Acme Shop</title></head><body style='font-family:system-ui;margin:40px'>"
            "<h1>Acme Shop</h1><p>Fine things for fine people.</p>"
            f"<script src='{bot}/chat/widget.js' data-title='Acme support' defer></script></body></html>"
        )

    app.run(host="127.0.0.1", port=args.port, access_log=False, motd=False, workers=1)


def png_bytes(width: int = 160, height: int = 110, rgb: tuple[int, int, int] = (236, 201, 120)) -> bytes:
    """A valid PNG of one colour with a darker border, `width` x `height` pixels."""
    import struct
    import zlib

    dark = bytes(max(c - 70, 0) for c in rgb)
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            edge = x < 4 or y < 4 or x >= width - 4 or y >= height - 4 or (y % 18 == 9 and 16 < x < width - 16)
            row += dark if edge else bytes(rgb)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebchatServer:
    """The test server as a subprocess: `start()`, `stop()`, `restart()` on the same port."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None, delay: float = 0.4, crm: bool = True) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.record = workdir / "messages.jsonl"
        self.var_dir = workdir / "var"
        self.log_path = workdir / "server.log"
        self.delay = delay
        self.crm = crm
        self.env = {
            **os.environ,
            "VAR_DIR": str(self.var_dir),
            "DATABASE_URL": f"sqlite:///{workdir / 'crm.db'}",
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> WebchatServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.record.touch()
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__)),
                "--port",
                str(self.port),
                "--record",
                str(self.record),
                "--delay",
                str(self.delay),
                *([] if self.crm else ["--no-crm"]),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"webchat test server exited; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(self.url + "/chat/config", timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"webchat test server did not start in {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def messages(self) -> list[dict[str, Any]]:
        """Every UserMessage the channel handed on, oldest first."""
        return [json.loads(line) for line in self.record.read_text(encoding="utf-8").splitlines() if line]

    def __enter__(self) -> WebchatServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


if __name__ == "__main__":
    main()
