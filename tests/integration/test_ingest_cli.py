"""`crmbot ingest status` and `crmbot ingest replay-dead` as an operator uses them."""

from __future__ import annotations

import json

from crm_store.db import make_engine, migrate
from tests.integration.test_cli import crmbot
from tests.support.events import unique_sender, user_uttered
from tests.support.queries import messages_of


def test_status_reports_the_spool_and_replay_dead_stores_what_now_fits(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = make_engine(url)
    migrate(engine)
    var = tmp_path / "var"
    var.mkdir()
    sender = unique_sender()
    fixed = user_uttered(sender, "stored once the bug was fixed", intent="greet", ts=1_800_000_000)
    broken = {"event": "user", "text": "still no sender"}
    (var / "ingest-dead.jsonl").write_text(
        "".join(json.dumps({"error": "X", "event": e}) + "\n" for e in (fixed, broken))
    )
    (var / "ingest-spool.jsonl").write_text(json.dumps(user_uttered(sender, "waiting", ts=1_800_000_001)) + "\n")
    env = {"DATABASE_URL": url, "VAR_DIR": str(var)}

    status = crmbot("ingest", "status", "--json", **env)
    replay = crmbot("ingest", "replay-dead", **env)
    after = crmbot("ingest", "status", "--json", **env)

    report = json.loads(status.stdout)
    assert status.returncode == 1, "no worker is running, and status says so"
    assert report["spool"]["queued"] == 1 and report["spool"]["dead_letters_in_file"] == 2
    assert "spool worker is not running" in report["problems"]
    assert replay.returncode == 1 and "1 stored, 1 still dead" in replay.stdout
    assert [m["text"] for m in messages_of(engine, sender)] == ["stored once the bug was fixed"]
    assert json.loads(after.stdout)["spool"]["dead_letters_in_file"] == 1
    engine.dispose()
