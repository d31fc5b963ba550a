"""`crmbot chat`: talk to the running assistant from the terminal over the REST channel."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Callable


def send(rasa_url: str, sender: str, text: str, timeout: float = 30.0) -> list[dict]:
    from crm_store.settings import get_settings

    body = json.dumps({"sender": sender, "message": text}).encode()
    headers = {"Content-Type": "application/json"}
    token = get_settings().rest_token
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"{rasa_url}/webhooks/rest/webhook", data=body, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"[]")


def repl(rasa_url: str, sender: str, read: Callable[[str], str] = input, say: Callable[[str], None] = print) -> int:
    say(f"Chatting as '{sender}' with {rasa_url} — type /quit to leave, a number to press a button.")
    buttons: list[dict] = []
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
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1].get("payload", text)
        try:
            replies = send(rasa_url, sender, text)
        except (urllib.error.URLError, OSError) as exc:
            say(f"cannot reach the assistant at {rasa_url} ({exc}); is `make run` running?")
            continue
        buttons = []
        for reply in replies:
            if reply.get("text"):
                say(f"bot> {reply['text']}")
            if reply.get("image"):
                say(f"bot> [image] {reply['image']}")
            for button in reply.get("buttons") or []:
                buttons.append(button)
                say(f"     {len(buttons)}. {button.get('title')}")
