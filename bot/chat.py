"""`crmbot chat`: talk to the running assistant from the terminal over the REST channel.

Replies to what you type come back at once; what the shop's team sends in between (an agent's
reply, "Sam from our team has joined", the rating question after the hand-back) is fetched
every second from the REST channel's outbox and printed with who is speaking.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

POLL_SECONDS = 1.0


def _headers() -> dict[str, str]:
    from crm_store.settings import get_settings

    headers = {"Content-Type": "application/json"}
    token = get_settings().rest_token
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def send(rasa_url: str, sender: str, text: str, timeout: float = 30.0) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    req = urllib.request.Request(f"{rasa_url}/webhooks/rest/webhook", data=body, headers=_headers())
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"[]")


def fetch(rasa_url: str, sender: str, after: int, timeout: float = 10.0) -> list[dict]:
    """What the team sent this sender since message `after` (see bot.channels.rest_outbox)."""
    query = urllib.parse.urlencode({"sender": sender, "after": after})
    req = urllib.request.Request(f"{rasa_url}/webhooks/rest/messages?{query}", headers=_headers())
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return list(json.loads(resp.read() or b"{}").get("messages") or [])


def speaker_label(message: dict) -> str:
    sender = message.get("sender") or {}
    if sender.get("role") == "agent":
        return f"{sender.get('name') or 'Our team'} (our team)> "
    if sender.get("role") == "team":
        return "team> "
    return "bot> "


class Screen:
    """The buttons on screen, shared by the prompt and the listener (a number presses one)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.buttons: list[dict] = []
        self.lock = threading.Lock()

    def show(self, replies: list[dict], fresh: bool = True) -> None:
        with self.lock:
            if fresh:
                self.buttons = []
            for reply in replies:
                if reply.get("text"):
                    self.say(f"{speaker_label(reply)}{reply['text']}")
                if reply.get("image"):
                    self.say(f"bot> [image] {reply['image']}")
                for button in reply.get("buttons") or []:
                    self.buttons.append(button)
                    self.say(f"     {len(self.buttons)}. {button.get('title')}")

    def payload(self, text: str) -> str:
        with self.lock:
            if text.isdigit() and 0 < int(text) <= len(self.buttons):
                return str(self.buttons[int(text) - 1].get("payload", text))
        return text


def listen(rasa_url: str, sender: str, screen: Screen, stop: threading.Event, every: float = POLL_SECONDS) -> None:
    after = 0
    while not stop.wait(every):
        try:
            messages = fetch(rasa_url, sender, after)
        except (urllib.error.URLError, OSError, ValueError):
            continue  # the prompt reports an unreachable assistant when the person writes
        if messages:
            after = max(int(m.get("id") or 0) for m in messages)
            screen.show(messages)


def repl(
    rasa_url: str,
    sender: str,
    read: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
    poll_every: float = POLL_SECONDS,
) -> int:
    say(f"Chatting as '{sender}' with {rasa_url} — type /quit to leave, a number to press a button.")
    screen, stop = Screen(say), threading.Event()
    listener = threading.Thread(target=listen, args=(rasa_url, sender, screen, stop, poll_every), daemon=True)
    listener.start()
    try:
        while True:
            try:
                text = read("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                say("")
                return 0
            if not text:
                continue
            if text in ("/quit", "/exit"):
                return 0
            text = screen.payload(text)
            try:
                replies = send(rasa_url, sender, text)
            except (urllib.error.URLError, OSError) as exc:
                say(f"cannot reach the assistant at {rasa_url} ({exc}); is `make run` running?")
                continue
            screen.show(replies)
    finally:
        stop.set()
