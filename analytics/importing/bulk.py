"""Writing many rows at once: COPY on PostgreSQL, executemany on SQLite, inside the caller's transaction."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
from sqlalchemy.engine import Connection


def allocate_ids(conn: Connection, table: str, n: int) -> list[int]:
    """n fresh primary keys for rows this transaction is about to insert, so children can point at them."""
    if n == 0:
        return []
    if conn.dialect.name == "postgresql":
        # One row back, not n: the ids are one run unless another writer took some of the sequence meanwhile,
        # and only then do they come back as an array.
        low, high, scattered = conn.exec_driver_sql(
            "SELECT min(v), max(v), CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL ELSE array_agg(v ORDER BY v) END "
            f"FROM (SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS v FROM generate_series(1, {int(n)})) s"
        ).one()
        return list(scattered) if scattered is not None else list(range(low, high + 1))
    # Any write takes SQLite's write lock, so no other writer can take these ids before we commit.
    conn.exec_driver_sql(f"UPDATE {table} SET id = id WHERE 0")
    start = conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").scalar() or 0
    return list(range(start + 1, start + 1 + n))


def insert_frame(conn: Connection, table: str, frame: pd.DataFrame) -> None:
    """Insert every row of frame (columns named as the table's); None/NaN is NULL."""
    if frame.empty:
        return
    columns = ", ".join(frame.columns)
    if conn.dialect.name == "postgresql":
        buf = io.StringIO()
        frame.to_csv(buf, header=False, index=False)
        buf.seek(0)
        cursor = conn.connection.cursor()
        try:
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", buf)
        finally:
            cursor.close()
        return
    marks = ", ".join("?" for _ in frame.columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(_tuples(frame)))


def update_frame(conn: Connection, table: str, frame: pd.DataFrame, key: str = "id") -> None:
    """Set the other columns of frame on the rows whose key it names: one COPY into a temporary table and one
    UPDATE on PostgreSQL (not a round trip per row), executemany on SQLite."""
    if frame.empty:
        return
    others = [c for c in frame.columns if c != key]
    if conn.dialect.name == "postgresql":
        scratch = f"_update_{table}"
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "
            f"SELECT {', '.join(frame.columns)} FROM {table} WHERE false"
        )
        conn.exec_driver_sql(f"TRUNCATE {scratch}")
        insert_frame(conn, scratch, frame)
        sets = ", ".join(f"{c} = u.{c}" for c in others)
        conn.exec_driver_sql(f"UPDATE {table} SET {sets} FROM {scratch} u WHERE {table}.{key} = u.{key}")
        return
    sets = ", ".join(f"{c} = ?" for c in others)
    conn.exec_driver_sql(
        f"UPDATE {table} SET {sets} WHERE {key} = ?",
        list(_tuples(frame[[*others, key]])),  # type: ignore[arg-type]
    )


def _tuples(frame: pd.DataFrame) -> Sequence[tuple]:
    cols = []
    for c in frame.columns:
        s = frame[c]
        values = s.astype(object).where(s.notna(), None).tolist()
        cols.append([v.item() if hasattr(v, "item") else v for v in values] if s.dtype == object else values)
    return list(zip(*cols))


def when(values: pd.Series, conn: Connection) -> pd.Series:
    """Datetimes as the text each database stores (SQLAlchemy's own SQLite format)."""
    fmt = "%Y-%m-%d %H:%M:%S.%f" if conn.dialect.name == "sqlite" else "%Y-%m-%d %H:%M:%S"
    return pd.to_datetime(values).dt.strftime(fmt)


def decimal_text(e4: pd.Series, places: int) -> pd.Series:
    """Exact decimal text of amounts held in 1/10,000: to 4 places as they are, to 2 rounded half away from zero."""
    values = e4.astype("int64")
    sign = pd.Series("", index=values.index).where(values >= 0, "-")
    units = values.abs()
    if places == 2:
        units = (units + 50) // 100
        scale = 100
    else:
        scale = 10_000
    return sign + (units // scale).astype(str) + "." + (units % scale).astype(str).str.zfill(places)


def cents(e4: pd.Series) -> pd.Series:
    """Amounts in 1/10,000 rounded half away from zero to whole cents (int64)."""
    values = e4.astype("int64")
    return ((values.abs() + 50) // 100) * values.map(lambda v: -1 if v < 0 else 1)
