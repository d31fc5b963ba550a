"""Reading a shop's CSV export: any common delimiter and encoding, each row with its line number."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from crm_store.errors import CrmError


class ImportFileError(CrmError):
    """The file cannot be read as a CSV with a header row."""


@dataclass(frozen=True)
class CsvFile:
    path: Path
    header: list[str]
    encoding: str
    dialect: type[csv.Dialect] | csv.Dialect


def open_csv(path: Path) -> CsvFile:
    if not path.is_file():
        raise ImportFileError(f"{path} is not a file")
    raw = path.read_bytes()[:65536]
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            sample = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise ImportFileError(f"{path} is neither UTF-8 nor Windows-1252 text")
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    with path.open(newline="", encoding=encoding) as fh:
        header = next(csv.reader(fh, dialect), None)
    if not header or not any(h.strip() for h in header):
        raise ImportFileError(f"{path} has no header row")
    return CsvFile(path, [h.strip() for h in header], encoding, dialect)


def rows(f: CsvFile) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number as a spreadsheet shows it, {header: value}) for each data row; blank rows skipped."""
    with f.path.open(newline="", encoding=f.encoding, errors="replace") as fh:
        reader = csv.reader(fh, f.dialect)
        next(reader, None)
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            yield (
                reader.line_num,
                {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(f.header)}
                | ({"__extra__": "1"} if len(values) > len(f.header) else {}),
            )


def count_rows(path: Path) -> int:
    with path.open("rb") as fh:
        return max(0, sum(1 for _ in fh) - 1)
