"""What an import did, line by line where it matters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from crm_store.errors import CrmError


@dataclass
class ImportReport:
    kind: str  # customers | orders
    file: str
    run_id: str
    dry_run: bool
    mapping: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    created: int = 0
    unchanged: int = 0  # already in the CRM, nothing new
    merged: list[tuple[int, str, str]] = field(default_factory=list)  # (line, into, reason)
    bad: list[tuple[int, str]] = field(default_factory=list)
    flagged: list[tuple[int, str]] = field(default_factory=list)  # outliers: not imported, for a person to check
    missing: Counter = field(default_factory=Counter)  # field -> rows without it
    committed_through: int = 0  # last line of the last committed batch
    table: list[tuple[str, int, str]] = field(default_factory=list)  # the cleaning table of an order import
    checks: list[tuple[int, str]] = field(default_factory=list)  # imported, but worth a look
    notes: list[str] = field(default_factory=list)  # what the file cannot tell, in words
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase: read, clean, reference, write

    def lines(self, limit: int = 20) -> list[str]:
        verb = "would import" if self.dry_run else "imported"
        out = [
            f"{self.file}: {self.rows} rows; {verb} {self.created} new {self.kind}, "
            f"merged {len(self.merged)}, {self.unchanged} already in the CRM, "
            f"{len(self.bad)} bad, {len(self.flagged)} flagged"
            + (" (dry run: nothing was written)" if self.dry_run else "")
        ]
        if self.mapping:
            out.append("columns: " + ", ".join(f"{f} <- {c!r}" for f, c in self.mapping.items()))
        if self.table:
            width = max(len(what) for what, _n, _how in self.table)
            out.append("cleaning:")
            out += [f"  {what:<{width}}  {n:>9,}  {how}".rstrip() for what, n, how in self.table]
        out += self.notes
        for title, items in (
            ("merged", [(ln, f"into {into} ({why})") for ln, into, why in self.merged]),
            ("bad rows", self.bad),
            ("flagged (not imported)", self.flagged),
            ("imported, worth a look", self.checks),
        ):
            if items:
                out.append(f"{title}:")
                out += [f"  line {ln}: {why}" for ln, why in items[:limit]]
                if len(items) > limit:
                    out.append(f"  ... and {len(items) - limit} more")
        if self.missing:
            out.append("missing values: " + ", ".join(f"{f} in {n} rows" for f, n in sorted(self.missing.items())))
        if not self.dry_run and self.merged:
            out.append(
                f"merges are in the merge log (run {self.run_id}): crmbot import merges --run {self.run_id}; "
                "undo one with crmbot import undo MERGE_ID"
            )
        return out


class ImportInterrupted(CrmError):
    """The import stopped part-way; every committed batch is whole, the rest is not written."""

    def __init__(self, report: ImportReport, cause: BaseException) -> None:
        if report.kind == "orders":
            done = f"{report.created} orders are imported" if report.created else "no order was imported"
        else:
            done = (
                f"rows up to line {report.committed_through} are imported"
                if report.committed_through
                else "nothing was imported"
            )
        super().__init__(
            f"the import of {report.file} stopped ({type(cause).__name__}: {cause}); {done}, "
            "the batch in progress was rolled back; run the same import again to finish it"
        )
        self.report = report
