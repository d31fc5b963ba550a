"""Personal data never reaches a log line: plant an email, a phone number and a message text,
force failures on each path (SQL error, ingestion with the database down, a malformed
event, Rasa's and Sanic's own loggers, extras), and grep everything the process logged."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from crm_store.settings import PROJECT_ROOT

EMAIL = "planted.person@example.org"
PHONE = "+49 151 2345 6789"
TEXT = "my secret parcel is lost"

SCRIPT = textwrap.dedent(f'''
    import logging, tempfile, time
    from pathlib import Path
    from datetime import datetime

    from crm_store.logs import setup_logging
    setup_logging("DEBUG")
    log = logging.getLogger("crm_store.test")

    from sqlalchemy.exc import SQLAlchemyError
    from crm_store.db import make_engine, migrate, UnitOfWork
    from crm_store.models import Customer

    tmp = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{{tmp / 'crm.db'}}")
    migrate(engine)

    # 1. an SQL error whose statement carries the planted values
    for _ in range(2):
        try:
            with engine.begin() as conn:
                conn.execute(Customer.__table__.insert().values(name="{TEXT}", email="{EMAIL}", phone="{PHONE}",
                                                                created_at=datetime.utcnow()))
        except SQLAlchemyError:
            log.exception("customer insert failed")

    # 2. ingestion through the in-process broker while the database is down, then a malformed event
    from crm_store.ingestion.spool import EventSink
    down = lambda: UnitOfWork(make_engine("postgresql://crm@127.0.0.1:1/crm"))
    sink = EventSink(down, tmp, retry_seconds=0.2)
    sink.start()
    event = {{"event": "user", "sender_id": "pii-test", "timestamp": time.time(), "text": "{TEXT} {EMAIL} {PHONE}",
              "input_channel": "rest", "metadata": {{"display_name": "{EMAIL}"}}, "parse_data": {{}}}}
    sink.put(event)
    time.sleep(1.5)
    sink.stop()
    (tmp / "bad").mkdir()
    bad = EventSink(lambda: UnitOfWork(engine), tmp / "bad")
    bad.start()
    bad.put({{"event": "user", "sender_id": 7, "text": "{TEXT} {EMAIL}"}})
    bad.wait_idle(5)
    bad.stop()

    # 3. what Rasa and Sanic log themselves (Sanic's loggers have their own handlers)
    logging.getLogger("rasa.core.processor").debug("Received user message '{TEXT} {EMAIL}' with intent 'x'")
    logging.getLogger("rasa.core.channels.rest").exception("An exception occured while handling user message '{TEXT}'.")
    import sanic.log
    sanic.log.error_logger.error("bad request body: {{'message': '{TEXT}', 'email': '{EMAIL}', 'phone': '{PHONE}'}}")
    try:
        raise ValueError("lookup failed for {EMAIL} / {PHONE}")
    except ValueError:
        logging.getLogger("rasa_sdk.executor").exception("action failed")

    # 4. extras with personal data
    log.warning("customer wrote", extra={{"text": "{TEXT}", "email": "{EMAIL}", "note": "call {PHONE}"}})
    print("DONE", flush=True)
''')


def test_no_email_phone_or_message_text_in_any_log_line():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    logged = result.stdout + result.stderr

    assert "DONE" in result.stdout, logged[-3000:]
    # Each path did log something (so the test would see a leak):
    for line in (
        "customer insert failed",
        "event delivery failed",
        "kept in the dead letters",
        "Received user message",
        "bad request body",
        "action failed",
        "customer wrote",
    ):
        assert line in logged, f"{line!r} was not logged:\n{logged[-3000:]}"
    assert EMAIL not in logged
    assert PHONE not in logged and PHONE.replace(" ", "") not in logged and "2345 6789" not in logged
    assert TEXT not in logged
