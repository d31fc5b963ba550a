"""Reading a whole export into a table of text: .csv, .csv.gz or .xlsx, each row keeping its line number.

A row that cannot be trusted keeps its place with a reason in the `__bad__` column: more values than
columns, a value too long to be a field, a spreadsheet formula instead of a value, or bytes that are
not text in the file's encoding. The caller holds back whatever such a row belongs to, whole.
"""

from __future__ import annotations

import csv
import re
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO

import pandas as pd

from analytics.importing.csvfile import ImportFileError

BAD = "__bad__"
_EDGE_SPACE = re.compile(r"\x00\s|\s\x00")
MAX_FIELD = 1000  # characters: longer is a broken export (an unclosed quote swallowing lines), not a value


@dataclass(frozen=True)
class Sheet:
    name: str
    header: list[str]
    frame: pd.DataFrame  # one str column per header, BAD (str | None); index: the line number a person sees
    encoding: str


def read_sheet(path: Path) -> Sheet:
    if not path.is_file():
        raise ImportFileError(f"{path} is not a file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        header, lines, values, bad = _xlsx(path)
        encoding = "xlsx"
    else:
        encoding, dialect = _sniff(path)
        with _open_text(path, encoding) as fh:
            header, lines, values, bad = _csv(fh, dialect)
    header = [h.strip() for h in header]
    if not header or not any(header):
        raise ImportFileError(f"{path.name} has no header row")
    if len(set(header)) != len(header):
        twice = sorted({h for h in header if header.count(h) > 1})
        raise ImportFileError(f"{path.name}: the header names {', '.join(map(repr, twice))} more than once")
    frame = pd.DataFrame(values, columns=header, index=pd.Index(lines, name="line"), dtype=object)
    frame[BAD] = pd.Series(bad, index=frame.index, dtype=object)
    _check_values(frame, header, {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}.get(encoding, encoding))
    return Sheet(path.name, header, frame, encoding)


def _open_text(path: Path, encoding: str) -> IO[str]:
    raw = gzip.open(path, "rb") if _is_gzip(path) else path.open("rb")  # noqa: SIM115 - the wrapper closes it
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _sniff(path: Path) -> tuple[str, type[csv.Dialect] | csv.Dialect]:
    with gzip.open(path, "rb") if _is_gzip(path) else path.open("rb") as fh:
        try:
            raw = fh.read(65536)
        except (OSError, EOFError) as exc:
            raise ImportFileError(f"{path.name} is not a readable gzip file ({exc})") from None
    if b"\x00" in raw:
        raise ImportFileError(f"{path.name} is not plain text (UTF-16 or a binary file?): save it as CSV in UTF-8")
    try:
        sample, encoding = raw.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as exc:
        sample = raw.decode("utf-8-sig", errors="replace")
        broken = sample.count("\ufffd")
        fine = sum(1 for ch in sample if ord(ch) > 127) - broken
        # Mostly UTF-8 with a few stray bytes (one line pasted from elsewhere): read it as UTF-8 and let
        # those lines be reported. No UTF-8 at all: a Windows export.
        if exc.start >= len(raw) - 3 or fine > broken:
            encoding = "utf-8-sig"
        else:
            sample, encoding = raw.decode("cp1252", errors="replace"), "cp1252"
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return encoding, dialect


def _csv(
    fh: IO[str], dialect: type[csv.Dialect] | csv.Dialect
) -> tuple[list[str], list[int], list[list[str]], list[str | None]]:
    csv.field_size_limit(max(csv.field_size_limit(), 10 * 1024 * 1024))
    reader = csv.reader(fh, dialect)
    header = next(reader, None) or []
    n = len(header)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ImportFileError(f"line {reader.line_num}: the file cannot be read as CSV ({exc})") from None
    # One physical line per row (no quoted line breaks): a row's line number is its position.
    if reader.line_num != len(rows) + 1:
        fh.seek(0)
        reader = csv.reader(fh, dialect)
        next(reader, None)
        numbers = []
        for _row in reader:
            numbers.append(reader.line_num)
    else:
        numbers = list(range(2, len(rows) + 2))
    lines: list[int] = []
    values: list[list[str]] = []
    bad: list[str | None] = []
    odd = {i for i, row in enumerate(rows) if len(row) != n}
    if not odd:
        return header, numbers, rows, [None] * len(rows)
    for i, row in enumerate(rows):
        if i not in odd:
            values.append(row)
            bad.append(None)
        elif not any(v.strip() for v in row):
            continue
        elif len(row) > n:
            values.append(row[:n])
            bad.append(f"{len(row)} values for {n} columns (an unquoted delimiter?)")
        else:
            values.append(row + [""] * (n - len(row)))
            bad.append(f"{len(row)} values for {n} columns (a cut-off line?)")
        lines.append(numbers[i])
    return header, lines, values, bad


def _xlsx(path: Path) -> tuple[list[str], list[int], list[list[str]], list[str | None]]:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula comes back as its text ("=B2*C2"), so it is reported, not read as empty.
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zipfile, KeyError and its own errors for a broken file
        raise ImportFileError(f"{path.name} cannot be read as an .xlsx workbook ({type(exc).__name__})") from None
    try:
        rows: Iterator[tuple] = book.worksheets[0].iter_rows(values_only=True)
        header: list[str] = []
        lines: list[int] = []
        values: list[list[str]] = []
        bad: list[str | None] = []
        for number, row in enumerate(rows, start=1):
            cells = [_cell(v) for v in row]
            if not header:
                if any(cells):
                    header = [c for c in cells]
                    while header and not header[-1]:
                        header.pop()
                continue
            if not any(c.strip() for c in cells):
                continue
            extra = [c for c in cells[len(header) :] if c.strip()]
            values.append((cells + [""] * len(header))[: len(header)])
            bad.append(f"{len(header) + len(extra)} values for {len(header)} columns" if extra else None)
            lines.append(number)
        return header, lines, values, bad
    finally:
        book.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_values(frame: pd.DataFrame, header: list[str], encoding: str) -> None:
    """Mark rows with a value no export should hold; the first reason per row wins. Checked on each
    column's distinct values: an export repeats its countries, dates and products thousands of times."""
    for column in header:
        # One pass over the column's text in C first: most columns of most files need nothing more.
        values = frame[column].to_numpy()
        joined = "\x00" + "\x00".join(values) + "\x00"
        if (
            max(map(len, values), default=0) <= MAX_FIELD
            and "\x00=" not in joined
            and "\ufffd" not in joined
            and not _EDGE_SPACE.search(joined)
        ):
            continue
        distinct = pd.Series(pd.unique(values), dtype=object)
        lengths = distinct.str.len()
        reasons: dict[str, str] = {}
        for value in distinct[lengths > MAX_FIELD]:
            reasons.setdefault(value, f"{column!r} holds {len(value):,} characters (at most {MAX_FIELD:,})")
        for value in distinct[distinct.str.startswith("=")]:
            reasons.setdefault(value, f"{column!r} holds a formula ({value[:30]}), not a value: export values")
        for value in distinct[distinct.str.contains("\ufffd", regex=False)]:
            reasons.setdefault(value, f"{column!r} holds bytes that are not {encoding} text")
        if reasons:
            hit = frame[column].isin(list(reasons)) & frame[BAD].isna()
            frame.loc[hit, BAD] = frame.loc[hit, column].map(reasons)
        if (distinct.str.strip() != distinct).any():
            frame[column] = frame[column].str.strip()
