"""Engine, unit of work and migrations, built from settings by factories.

Nothing connects at import time: `engine_for(url)` builds (and caches) an engine
on first use; `unit_of_work()` hands out a fresh UnitOfWork over it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import warnings

from sqlalchemy import create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from crm_store.errors import DatabaseUnavailable
from crm_store.repositories import Repositories
from crm_store.settings import PROJECT_ROOT, Settings, get_settings

log = logging.getLogger(__name__)

# Money columns are Numeric(…, 2); on SQLite they round-trip through float, which is exact at two decimals.
warnings.filterwarnings("ignore", message="Dialect sqlite.*Decimal", category=sa_exc.SAWarning)

_engines: dict[str, Engine] = {}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A new engine; SQLite files get WAL mode and a busy timeout, their folder is created.

    hide_parameters: a failed statement's error names no bound values (they hold names,
    emails and message texts), so logging it leaks no personal data.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 gives file SQLite a NullPool: a new connection (and its PRAGMAs) for every unit
        # of work, a fifth of ingestion's CPU under load. A pool keeps them, as SQLAlchemy 2.0 does.
        if path and path != ":memory:":
            kwargs.setdefault("poolclass", QueuePool)
        engine = create_engine(
            url, future=True, hide_parameters=True, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        event.listen(engine, "connect", sqlite_pragmas)
        return engine
    engine = create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True, **kwargs)
    event.listen(engine, "connect", postgres_session)
    return engine


_told_about_error_statements = False


def postgres_session(dbapi_conn: Any, _record: Any) -> None:
    """PostgreSQL writes a failed statement into its own log with the values in it (a lock timeout
    on a message insert would put the message text there), and a unique violation's DETAIL names
    the key's value (an email): this session's failures log the error line only. Changing it takes a superuser; otherwise the operator sets it once for the role
    (docs/security.md) and we say so once."""
    global _told_about_error_statements
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute("SET log_min_error_statement = 'panic'")
        cursor.execute("SET log_error_verbosity = 'terse'")
        dbapi_conn.commit()
    except Exception:  # the driver's InsufficientPrivilege; the session is usable after the rollback
        dbapi_conn.rollback()
        if not _told_about_error_statements:
            _told_about_error_statements = True
            log.warning(
                "cannot keep failed statements out of PostgreSQL's log as this role; "
                "run ALTER ROLE <role> SET log_min_error_statement = panic; ALTER ROLE <role> SET log_error_verbosity = terse"
            )
    finally:
        cursor.close()


def sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets the console and scheduler read while ingestion writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def resolve_url(url: str) -> str:
    """Relative SQLite paths are relative to the project root, wherever we run from."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rel = url[len("sqlite:///") :]
        if rel and rel != ":memory:":
            return f"sqlite:///{PROJECT_ROOT / rel}"
    return url


def engine_for(url: str) -> Engine:
    url = resolve_url(url)
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


class UnitOfWork:
    """One transaction: `with uow: ...; uow.commit()`. Leaving without commit rolls back."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(bind=engine, future=True, expire_on_commit=False)
        self._session: Session | None = None
        self._depth = 0

    @property
    def session(self) -> Session:
        """The open session; only inside `with uow:`."""
        if self._session is None:
            raise RuntimeError("the unit of work is used outside `with uow:`")
        return self._session

    def __enter__(self) -> UnitOfWork:
        if self._depth == 0:
            self._session = self._factory()
            self.repos = Repositories(self._session)
        self._depth += 1
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._depth -= 1
        if self._depth == 0 and self._session is not None:
            try:
                self._session.rollback()
            finally:
                self._session.close()
                self._session = None

    def __getattr__(self, name: str) -> Any:
        # uow.customers, uow.orders ... are the repositories of the open session.
        repos = self.__dict__.get("repos")
        if repos is not None and hasattr(repos, name):
            return getattr(repos, name)
        raise AttributeError(name)

    def commit(self) -> None:
        self.session.commit()

    def flush(self) -> None:
        self.session.flush()


def unit_of_work(settings: Settings | None = None) -> UnitOfWork:
    settings = settings or get_settings()
    return UnitOfWork(engine_for(settings.database_url))


def check_connection(engine: Engine, setting: str = "DATABASE_URL") -> None:
    """Raise DatabaseUnavailable with one readable line when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseUnavailable(
            f"{setting}={engine.url.render_as_string(hide_password=True)!r} cannot be reached: {reason}"
        ) from None


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", resolve_url(url).replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command

    cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
