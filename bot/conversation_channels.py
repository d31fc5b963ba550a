"""The two ways a test conversation reaches the assistant: Rasa's REST webhook, and the web chat
widget's socket.io protocol (session_request / session_confirm, user_uttered, bot_uttered)."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
import uuid


# While a person is to take over, the assistant is silent and the handoff service answers each
# message on its own (bot/console/monitor.py, a tick every 0.4 s): a turn that got no reply waits
# this long for that answer, as the customer would.
QUEUED_ANSWER_SECONDS = 8.0


class RestChat:
    def __init__(self, rasa_url: str) -> None:
        self.rasa_url = rasa_url
        self.sender = f"conv-{uuid.uuid4().hex[:16]}"
        self.channel = "rest"
        self._outbox_after = 0

    def open(self) -> None:
        pass

    def say(self, text: str) -> list[dict]:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
        req = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=120) as resp:
            replies = json.loads(resp.read())
        if replies:
            self._outbox()  # what arrived outside earlier turns is not this turn's answer
            return replies
        # No reply in the turn (a paused chat): what the team's side sends goes to the REST outbox.
        deadline = time.monotonic() + QUEUED_ANSWER_SECONDS
        while not replies and time.monotonic() < deadline:
            time.sleep(0.3)
            replies = self._outbox()
        return replies

    def _outbox(self) -> list[dict]:
        query = urllib.parse.urlencode({"sender": self.sender, "after": self._outbox_after})
        with urllib.request.urlopen(f"{self.rasa_url}/webhooks/rest/messages?{query}", timeout=30) as resp:
            messages = json.loads(resp.read()).get("messages") or []
        if messages:
            self._outbox_after = max(int(m.get("id") or 0) for m in messages)
        return [{"text": m.get("text", ""), "buttons": m.get("buttons") or []} for m in messages]

    def close(self) -> None:
        pass


class WebChat:
    """The widget's socket.io protocol: session_request / session_confirm, user_uttered, bot_uttered."""

    def __init__(self, rasa_url: str, api_token: str | None = None) -> None:
        import socketio  # the client half of python-socketio, installed with Rasa

        self.rasa_url = rasa_url
        self.api_token = api_token
        self.token = ""  # the signed session token the server issued (the widget's credential)
        self.channel = "webchat"
        self.client = socketio.Client(reconnection=False)
        self.received: list[dict] = []
        self.sender = ""
        confirmed: list[str] = []
        self.client.on(
            "session_confirm", lambda sid: confirmed.append(sid if isinstance(sid, str) else sid.get("session_id"))
        )
        self.client.on("bot_uttered", lambda data: self.received.append(data))
        self._confirmed = confirmed

    def open(self) -> None:
        # wait_timeout: the namespace handshake may take seconds on a busy machine (the default 1 s
        # failed a test conversation with "Unexpected connection error" at load average 13).
        self.client.connect(self.rasa_url, socketio_path="/socket.io", transports=["polling"], wait_timeout=20)
        self.client.emit("session_request", {"session_id": None})
        deadline = time.monotonic() + 20
        while not self._confirmed and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self._confirmed:
            raise RuntimeError("the web chat did not confirm a session")
        # The server signs the session id: "<session id>.<time>.<signature>"; the id (32 hex
        # digits, no dot) is Rasa's sender. Reading the wrong sender made every turn wait out
        # its deadline, because the tracker polled was an empty one.
        self.token = self._confirmed[0]
        self.sender = self.token.split(".", 1)[0]

    def _tracker(self) -> dict:
        query = f"?token={urllib.parse.quote(self.api_token)}" if self.api_token else ""
        with urllib.request.urlopen(f"{self.rasa_url}/conversations/{self.sender}/tracker{query}", timeout=30) as resp:
            return json.loads(resp.read())

    def _user_events(self) -> int:
        return sum(1 for e in self._tracker().get("events") or [] if e.get("event") == "user")

    def say(self, text: str) -> list[dict]:
        before = self._user_events()
        start = len(self.received)
        self.client.emit("user_uttered", {"message": text, "session_id": self.token})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.15)
            tracker = self._tracker()
            events = tracker.get("events") or []
            users = sum(1 for e in events if e.get("event") == "user")
            last = events[-1] if events else {}
            if users > before and (
                last.get("event") == "action" and last.get("name") == "action_listen" or tracker.get("paused")
            ):
                break
        time.sleep(0.3)  # the last emits may still be on the wire
        deadline = time.monotonic() + QUEUED_ANSWER_SECONDS
        while len(self.received) == start and time.monotonic() < deadline:
            time.sleep(0.2)  # a paused chat: the handoff service's answer comes on its own
        return [
            {"text": m.get("text", ""), "buttons": m.get("quick_replies") or m.get("buttons") or []}
            for m in self.received[start:]
        ]

    def close(self) -> None:
        # socketio's disconnect() waits for engineio's pending long-poll to come back, which the
        # server holds for up to its ping interval (25 s): that was most of a web chat
        # conversation's time. The conversation is over; close without waiting for it.
        self.client.eio.disconnect(abort=True)
