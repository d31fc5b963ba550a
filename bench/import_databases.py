"""Fresh databases for the import benches (bench/import.py, bench/import_orders.py), and a forked process per run.

Each measured run (the import, and its baseline) gets its own empty database: a new PostgreSQL schema on the
test server, or a new SQLite file; and runs in a forked child, so its peak memory and CPU seconds are its own.
"""

from __future__ import annotations

import multiprocessing as mp
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

Target = tuple[str, str | None]  # (database URL, PostgreSQL schema or None)


@contextmanager
def fresh_databases(kind: str, n: int = 2) -> Iterator[list[Target]]:
    """n empty databases of one kind ("postgres" or "sqlite"), dropped afterwards."""
    with ExitStack() as stack:
        if kind == "postgres":
            from tests.support.db import POSTGRES_URL, postgres_schema

            yield [(POSTGRES_URL, stack.enter_context(postgres_schema())[1]) for _ in range(n)]
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            yield [(f"sqlite:///{tmp}/bench{i}.db", None) for i in range(n)]


def engine_for(url: str, schema: str | None) -> Any:
    """An engine on the database (and schema) a run was given."""
    from crm_store.db import make_engine

    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"}) if schema else make_engine(url)


def migrated_engine(url: str, schema: str | None) -> Any:
    from crm_store.db import migrate

    engine = engine_for(url, schema)
    migrate(engine)
    return engine


def run_forked(target: Any, *args: Any) -> Any:
    """target(*args, pipe) in a forked child; what it sends down the pipe."""
    parent, child = mp.Pipe()
    p = mp.get_context("fork").Process(target=target, args=(*args, child))
    p.start()
    result = parent.recv()
    p.join()
    return result
