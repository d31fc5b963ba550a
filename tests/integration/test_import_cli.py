"""`crmbot import ...` as a person meets it."""

from __future__ import annotations

from tests.integration.test_cli import crmbot
from tests.integration.test_import import MESSY


def test_import_dry_run_then_real_then_undo_a_merge(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    path = tmp_path / "export.csv"
    path.write_text(MESSY.replace("Full Name", "Kunde"), encoding="utf-8")

    dry = crmbot("import", "customers", str(path), "--dry-run", "--map", "name=Kunde", DATABASE_URL=url)
    real = crmbot("import", "customers", str(path), "--map", "name=Kunde", DATABASE_URL=url)
    merges = crmbot("import", "merges", DATABASE_URL=url)
    undo = crmbot("import", "undo", "1", DATABASE_URL=url)
    unmapped = crmbot("import", "orders", str(path), DATABASE_URL=url)

    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == (
        "export.csv: 8 rows; would import 3 new customers, merged 2, 0 already in the CRM, "
        "2 bad, 1 flagged (dry run: nothing was written)"
    )
    assert "columns: name <- 'Kunde', email <- 'E-Mail'" in dry.stdout
    assert real.returncode == 0 and "imported 3 new customers, merged 2" in real.stdout
    assert "  line 9: phone '12' is not a valid number for region DE" in real.stdout
    assert (
        "customers.csv" not in merges.stdout
        and "export.csv line 4 -> customer #1 (close name and same city)" in merges.stdout
    )
    assert undo.returncode == 0 and "undid merge 1: export.csv line 4 is customer #4 again" in undo.stdout
    assert unmapped.returncode == 2 and unmapped.stderr.startswith("crmbot: no column found for number")
