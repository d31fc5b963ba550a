"""`crmbot digest ...` and `crmbot nlu candidates` as a manager meets them."""
from __future__ import annotations

from datetime import datetime

from crm_store.db import UnitOfWork, make_engine, migrate
from tests.integration.test_cli import crmbot
from tests.support.digest_data import plant_activity


def test_preview_writes_a_readable_html_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    out = tmp_path / "digest.html"

    result = crmbot("digest", "preview", "--period", "week", "--out", str(out), DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert "weekly digest" in html and "A quiet week" in html and "cid:" not in html


def test_nlu_candidates_exports_grouped_fallbacks_as_yaml(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = make_engine(url)
    migrate(engine)
    today = datetime.utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    plant_activity(UnitOfWork(engine), today, days=5)
    engine.dispose()
    out = tmp_path / "candidates.yml"

    result = crmbot("nlu", "candidates", "--days", "10", "--out", str(out), DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    import yaml

    data = yaml.safe_load(out.read_text())
    examples = [e for item in data["nlu"] for e in item["examples"].split("\n") if e]
    assert data["nlu"][0]["intent"].startswith("candidate_01_")
    assert any("switzerland" in e.lower() for e in examples)
