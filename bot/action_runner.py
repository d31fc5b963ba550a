"""Actions run off the action server's event loop, in a bounded pool of threads.

rasa-sdk calls a synchronous action's `run` on the event loop, so one action waiting on a
locked database froze every other customer's action. Here each action runs in a worker
thread (an async one on a loop of its own there), at most ACTION_THREADS at once, and:

- every database statement an action runs is bounded (ACTION_DB_SECONDS: SQLite's busy
  timeout, PostgreSQL's statement and lock timeouts), so a locked CRM ends in the action's
  own "the CRM is unavailable" reply instead of a long wait;
- an action still running after its reply budget (ACTION_REPLY_SECONDS; reading a receipt
  gets the OCR timeout on top) answers the customer honestly that it is taking long, and
  the thread finishes in the background.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Optional, Text

from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.interfaces import ActionNotFoundException
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from crm_store.settings import Settings

log = logging.getLogger(__name__)

STILL_WORKING = (
    "This is taking longer than it should, sorry: I could not finish that just now. Please ask me again in a minute."
)


class OffLoopExecutor(ActionExecutor):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.pool = ThreadPoolExecutor(max_workers=settings.action_threads, thread_name_prefix="action")
        self.reply_seconds = float(settings.action_reply_seconds)
        # Reading a photo waits for tesseract (bounded by OCR_TIMEOUT_SECONDS), not for the CRM.
        self.budgets = {"action_read_receipt": float(settings.ocr_timeout_seconds + 15)}

    async def run(self, action_call: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
        from rasa_sdk.interfaces import Tracker

        action_name = action_call.get("next_action")
        if not action_name:
            log.warning("action call without an action")
            return None
        action = self.actions.get(action_name)
        if not action:
            raise ActionNotFoundException(action_name)
        tracker = Tracker.from_dict(action_call["tracker"])
        domain = action_call.get("domain", {})
        dispatcher = CollectingDispatcher()
        budget = max(self.reply_seconds, self.budgets.get(action_name, 0.0))
        work = asyncio.get_running_loop().run_in_executor(self.pool, _call, action, dispatcher, tracker, domain)
        try:
            events = await asyncio.wait_for(asyncio.shield(work), timeout=budget)
        except asyncio.TimeoutError:
            log.warning(
                "action exceeded its reply budget",
                extra={"action": action_name, "sender_id": tracker.sender_id, "seconds": budget},
            )
            work.add_done_callback(_log_late_failure)
            late = CollectingDispatcher()
            late.utter_message(text=STILL_WORKING)
            return self._create_api_response([], late.messages)
        validated = self.validate_events(events or [], action_name)
        return self._create_api_response(validated, dispatcher.messages)


def _call(action: Callable[..., Any], dispatcher: CollectingDispatcher, tracker: Any, domain: dict) -> Any:
    result = action(dispatcher, tracker, domain)
    if asyncio.iscoroutine(result):
        return asyncio.run(result)
    return result


def _log_late_failure(future: "asyncio.Future[Any]") -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("an action that had already answered 'still working' failed", exc_info=future.exception())


def bound_statements(engine: Engine, seconds: int) -> None:
    """Every new connection of `engine` gives up on a statement or a lock after `seconds`."""
    ms = int(seconds * 1000)

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        try:
            if engine.dialect.name == "sqlite":
                cursor.execute(f"PRAGMA busy_timeout = {ms}")
            elif engine.dialect.name == "postgresql":
                cursor.execute(f"SET statement_timeout = {ms}")
                cursor.execute(f"SET lock_timeout = {ms}")
                dbapi_conn.commit()
        finally:
            cursor.close()

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # connections made before this listener get replaced by bounded ones


def statement_limit(engine: Engine) -> str:
    """What the server says the bound is (for the health page and tests)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return str(conn.execute(text("PRAGMA busy_timeout")).scalar())
        return str(conn.execute(text("SHOW statement_timeout")).scalar())
