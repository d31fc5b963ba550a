"""`crmbot ocr` reads a folder of receipt photos into JSON lines (real tesseract)."""

from __future__ import annotations

import json
import random

from tests.integration.test_cli import crmbot
from tests.support.receipts import make_receipt, write_receipt


def test_ocr_reads_a_folder_into_json_lines_and_reports_the_bad_file(tmp_path):
    folder = tmp_path / "scans"
    (folder / "march").mkdir(parents=True)
    expected = {}
    for index, sub in enumerate(("", "march")):
        receipt = make_receipt(random.Random(100 + index))
        receipt.font, receipt.font_size = "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", 24
        path = write_receipt(receipt, folder / sub, f"receipt{index}")
        expected[str(path)] = receipt.fields
    (folder / "notes.jpg").write_text("not a photo")

    result = crmbot("ocr", str(folder), "--jobs", "2")

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3, result.stderr
    by_file = {line["file"]: line for line in lines}
    for path, fields in expected.items():
        got = by_file[path]["fields"]
        assert (got["order_number"], got["total"], got["currency"]) == (
            fields["order_number"],
            fields["total"],
            fields["currency"],
        )
    assert "not an image" in by_file[str(folder / "notes.jpg")]["error"]
    assert result.returncode == 1 and "2 of 3 images read" in result.stderr
