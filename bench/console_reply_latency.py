"""How fast an agent's console reply reaches the customer's web chat (target: under a second).

Starts the whole system (`crmbot run` on free ports, a throw-away CRM), opens the web chat in
headless Chromium, asks for a person, claims the chat over the console's HTTP API and sends
N replies; each is timed from the POST to the bubble appearing in the widget. The baseline,
measured in the same run, is the assistant answering "hello" in the same widget (a full
NLU + dialogue turn).

    uv run python bench/console_reply_latency.py [--replies 20]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.browser import ChatPage, launch_chromium  # noqa: E402
from bot.local_stack import eventually, start_stack, stop_stack  # noqa: E402
from sqlalchemy import select  # noqa: E402

from crm_store.models import Conversation, Handoff  # noqa: E402

TARGET_SECONDS = 1.0


def handoff_of(stack, sender: str) -> dict | None:
    """The newest handoff of this web chat visitor's conversation, as the CRM holds it."""
    with stack.engine.connect() as conn:
        row = conn.execute(
            select(Handoff.id)
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .where(Conversation.sender_id == sender)
            .order_by(Handoff.id.desc())
        ).first()
    return dict(row._mapping) if row else None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(Path(tmp))
        try:
            stack.say("bench-warm-up", "hello")
            with launch_chromium() as browser:
                chat = ChatPage(browser.new_context().new_page(), stack.rasa_url).open()
                chat.page.set_default_timeout(30_000)
                baseline = []
                for i in range(5):
                    started = time.monotonic()
                    chat.send("hello")
                    chat.page.locator(".crmbot-bot .crmbot-bubble").nth(i).wait_for()
                    baseline.append(time.monotonic() - started)
                chat.send("I want to talk to a person")
                chat.wait_for_bot("handing you over")
                handoff_id = eventually(lambda: handoff_of(stack, chat.session_id()))["id"]
                agent = httpx.Client(base_url=stack.console_url, follow_redirects=True, timeout=30)
                token = re.search(r'name="csrf" value="([^"]+)"', agent.get("/login").text).group(1)
                agent.post("/login", data={"username": "agent", "password": "agent-demo-pass", "csrf": token})
                csrf = re.search(r'data-csrf="([^"]+)"', agent.get("/queue").text).group(1)
                agent.post(f"/handoffs/{handoff_id}/claim", data={"csrf": csrf})
                chat.wait_for_bot("has joined the chat")
                replies = []
                for i in range(args.replies):
                    text = f"Agent reply number {i}"
                    started = time.monotonic()
                    agent.post(
                        f"/handoffs/{handoff_id}/reply",
                        data={"csrf": csrf, "text": text},
                        headers={"Accept": "application/json"},
                    )
                    chat.wait_for_bot(text)
                    replies.append(time.monotonic() - started)
        finally:
            stop_stack(stack)
    rows = [("assistant turn (baseline)", baseline), ("agent reply via console", replies)]
    print(f"{'':28} {'n':>3} {'p50':>8} {'p95':>8} {'max':>8}")
    for name, values in rows:
        print(
            f"{name:28} {len(values):3d} {statistics.median(values):7.3f}s {percentile(values, 0.95):7.3f}s {max(values):7.3f}s"
        )
    ratio = statistics.median(replies) / statistics.median(baseline)
    p95 = percentile(replies, 0.95)
    print(f"ratio agent reply / assistant turn (p50): x{ratio:.2f}")
    print(f"target p95 < {TARGET_SECONDS:.1f} s: {'PASS' if p95 < TARGET_SECONDS else 'FAIL'} ({p95:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
