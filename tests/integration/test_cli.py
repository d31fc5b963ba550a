"""The crmbot command as a person meets it: one clear line for a bad setting."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from crm_store.settings import PROJECT_ROOT


def crmbot(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_unreachable_database_gives_one_line_naming_the_setting():
    result = crmbot("migrate", DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crmbot: DATABASE_URL=") and "cannot be reached" in lines[0]


def test_bad_port_value_gives_one_line():
    result = crmbot("migrate", RASA_PORT="abc")

    assert result.returncode == 2
    assert result.stderr.strip() == "crmbot: RASA_PORT='abc' is not a whole number"


def test_taken_port_is_reported_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = crmbot("run", RASA_PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'crm.db'}")

    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"crmbot: RASA_PORT={port} is already in use on 127.0.0.1; stop what runs there or set RASA_PORT to a free port"
    )


def test_seed_fills_an_empty_database_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"

    first = crmbot("seed", "--size", "5", DATABASE_URL=url)
    again = crmbot("seed", "--size", "5", "--if-empty", DATABASE_URL=url)

    assert first.returncode == 0, first.stderr
    assert "seeded 6 customers, 30 products" in first.stdout
    assert "not seeding" in again.stdout


def test_an_exposed_host_without_an_api_token_is_refused(tmp_path):
    result = crmbot("run", HOST="0.0.0.0", DATABASE_URL=f"sqlite:///{tmp_path / 'crm.db'}")

    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "crmbot: HOST=0.0.0.0 exposes Rasa's HTTP API beyond this machine; set RASA_AUTH_TOKEN too"
    )
