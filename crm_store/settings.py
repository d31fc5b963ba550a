"""The one settings object, read from the environment.

Defaults run the embedded profile: SQLite under var/, in-process event broker,
in-memory lock store, no Telegram. A bad value stops startup with one line that
names the variable.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from crm_store.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/crm.db"
    # Rasa's tracker store; None means "same kind of engine as the CRM":
    # a sibling SQLite file, or the same PostgreSQL database.
    tracker_database_url: str | None = None
    lock_store_url: str | None = None  # redis://host:port/db, None = in memory
    event_broker_url: str | None = None  # amqp://..., None = in-process broker
    event_queue: str = "crm_events"
    # The fanout exchange Rasa's events go to; None = "<EVENT_QUEUE>.events" (one per deployment).
    event_exchange: str | None = None
    # fsync the ingestion spool once per turn, before the reply (off: a killed process still loses nothing).
    ingest_fsync: bool = True
    # process: delivered by its own child of `crmbot run`, so the CRM's SQL does not take turns' CPU
    # from Rasa (docs/benchmarks.md, "Where a turn's CPU goes") | thread: delivered from inside the Rasa server.
    ingest_worker: str = "process"
    # A child that does not answer its health check for this long is restarted like a crashed one.
    hang_seconds: int = 60
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    console_port: int = 8080
    # Guards Rasa's HTTP API (trackers, events); needed whenever HOST is not loopback.
    rasa_auth_token: str | None = field(default=None, repr=False)
    model_dir: str = "models"
    var_dir: str = "var"
    telegram_token: str | None = field(default=None, repr=False)
    telegram_mode: str = "webhook"  # webhook | polling
    telegram_secret_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_url: str | None = None
    max_upload_bytes: int = 5 * 1024 * 1024
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    mail_from: str = "crmbot@localhost"
    digest_recipients: str = ""
    # Digests and import
    smtp_timeout: int = 10
    smtp_ca_file: str | None = None  # CA bundle for STARTTLS to a relay with a private CA
    smtp_retries: int = 3  # tries per digest before it is recorded as failed
    smtp_retry_delay: float = 2.0  # seconds before the 2nd try, doubled for each next one
    digest_top_n: int = 5  # stalled processes and unanswered-message groups listed
    digest_history: int = 8  # past periods behind the "usual range" of each KPI
    # The shop's region for phones written without +country: every parser (chat, receipts, import).
    default_phone_region: str = "DE"
    # The shop's locale decides day/month order on receipts ("04/05/2018"); en_US reads the month first.
    shop_locale: str = "en_GB"
    # Amounts with no currency mark on a receipt are in the shop's currency (ISO 4217).
    shop_currency: str = "EUR"
    import_batch_size: int = 10_000  # customer rows per transaction
    import_max_amount: int = 100_000  # an order line beyond this is imported and listed for a person to check
    import_order_lines_per_batch: int = 50_000  # order lines per transaction (an order is never split)
    import_adjustment_skus: str | None = None  # comma-separated; None: the built-in list (POST, M, BANK CHARGES, ...)
    log_level: str = "INFO"
    # Scheduled analytics (analytics/jobs.py): SCHEDULE_<JOB> overrides a job's default cron.
    scheduler_enabled: bool = True
    scheduler_timezone: str = "UTC"
    scheduler_misfire_grace_seconds: int = 86400
    scheduler_lease_seconds: int = 60
    schedule_segment_customers: str | None = None
    schedule_flag_stalled: str | None = None
    schedule_send_follow_ups: str | None = None
    schedule_send_digests: str | None = None
    schedule_handoff_watchdog: str | None = None
    schedule_mine_basket_rules: str | None = None
    schedule_score_propensity: str | None = None
    schedule_forecast_sales: str | None = None
    # "process.stage=hours" pairs, e.g. "ticket.open=24,return.received=72"; other stages use their p90.
    stage_slas: str = ""
    form_abandon_hours: int = 24
    segment_max_k: int = 8
    # OCR of receipt photos (crm_store/ocr): tesseract languages joined by "+", e.g. eng+deu.
    ocr_languages: str = "eng"
    ocr_timeout_seconds: int = 20
    ocr_max_bytes: int = 10 * 1024 * 1024
    ocr_max_pixels: int = 40_000_000
    # --- Who may reach what, and how much ---
    allowed_origins: str = ""  # comma-separated shop origins allowed to call us from a browser
    rasa_auth_token_file: str | None = None  # default var/rasa-api.token (created by `crmbot run`)
    action_server_token: str | None = field(default=None, repr=False)  # default: a fresh one per `crmbot run`
    rest_token: str | None = field(default=None, repr=False)  # turns the REST channel on off loopback
    webchat_secret: str | None = field(default=None, repr=False)  # default: var/webchat.key
    max_request_bytes: int = 64 * 1024  # every request body except uploads
    max_message_chars: int = 2000
    messages_per_minute: int = 20  # per chat
    messages_per_minute_per_ip: int = 60
    uploads_per_hour: int = 10  # per chat
    new_customers_per_ip_per_hour: int = 100
    link_code_delivery: str = "console"  # console (demo: printed by crmbot run) | email
    link_attempts_per_hour: int = 5  # code requests per chat and per customer
    codes_per_ip_per_hour: int = 20  # code requests per network address (a few chats' worth)
    # Handoffs and the agent console
    business_hours: str = "mon-sun 00:00-24:00"
    business_timezone: str = "UTC"
    business_holidays: str = ""
    handoff_escalate_minutes: int = 10
    handoff_expire_minutes: int = 60
    handoff_no_agent_minutes: int = 5
    handoff_notice_minutes: int = 2
    support_team_email: str = "support@localhost"
    console_secret: str | None = field(default=None, repr=False)
    console_url: str | None = None  # how managers reach the console (digest links); default http://HOST:CONSOLE_PORT
    console_secure_cookies: bool = False
    console_demo_users: bool = True
    # Languages people on the team answer in (ISO 639-1, comma-separated). A customer
    # writing in one of them is offered a colleague who speaks it; the console queue shows it.
    agent_languages: str = "en"
    # --- staying up and keeping limits (rate limits, proxies, sessions, slow databases) ---
    redis_url: str | None = None  # shared rate-limit counters; default LOCK_STORE_URL, None = in memory
    trusted_proxies: str = ""  # addresses whose X-Forwarded-For the console believes (comma-separated)
    webchat_session_hours: int = 72  # a web chat token not used for this long starts a new conversation
    action_db_seconds: int = 5  # a statement an action runs is cancelled after this long
    action_reply_seconds: int = 8  # an action still running after this long answers "one moment"
    action_threads: int = 8  # actions that may wait on the database at once
    # NLU parser processes beside the Rasa server (bot/rasa/nlu_pool.py); None: one per core, 0: parse in Rasa.
    nlu_processes: int | None = None
    # Rasa server processes sharing its port (Sanic workers): more than one needs LOCK_STORE_URL (a lock
    # every process sees) and INGEST_WORKER=process; each has its own event loop and model (docs/capacity.md).
    rasa_workers: int = 1
    # Everyday answers the assistant gives from configuration, never guessed (docs/conversations.md).
    refund_processing_days: int = 5  # a received return to the refund paid out
    refund_bank_days: int = 3  # a refund paid out to the money on the customer's account
    return_window_days: int = 30  # after delivery; later, a fault goes the warranty route
    warranty_months: int = 24
    price_match_policy: str = ""  # empty: the shop does not match prices
    promo_policy: str = ""  # empty: no discount codes are given in chat
    invoice_url: str = ""  # "https://shop.example/account/orders/{order}/invoice"; empty: the team emails a copy

    @property
    def served_languages(self) -> tuple[str, ...]:
        return tuple(code.strip().lower() for code in self.agent_languages.split(",") if code.strip())

    @property
    def calendar(self):  # -> BusinessHours (imported here: settings stays import-light)
        from crm_store.business_hours import BusinessHours

        return BusinessHours.parse(self.business_hours, self.business_timezone, self.business_holidays)

    @property
    def resolved_tracker_url(self) -> str:
        if self.tracker_database_url:
            return self.tracker_database_url
        if self.database_url.startswith("sqlite"):
            return f"sqlite:///{self.var_path / 'tracker.db'}"
        return self.database_url

    @property
    def resolved_event_exchange(self) -> str:
        return self.event_exchange or f"{self.event_queue}.events"

    @property
    def origins(self) -> tuple[str, ...]:
        return tuple(o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip())

    @property
    def proxies(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    @property
    def on_loopback(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1")

    @property
    def rest_enabled(self) -> bool:
        """REST is a development channel: open on loopback, elsewhere only with its own token."""
        return self.on_loopback or bool(self.rest_token)

    @property
    def rasa_token_path(self) -> Path:
        return _in_project(self.rasa_auth_token_file) if self.rasa_auth_token_file else self.var_path / "rasa-api.token"

    @property
    def rasa_api_token(self) -> str | None:
        """RASA_AUTH_TOKEN, else the token file that `crmbot run` writes (never a command-line argument)."""
        if self.rasa_auth_token:
            return self.rasa_auth_token
        try:
            return self.rasa_token_path.read_text().strip() or None
        except OSError:
            return None

    @property
    def var_path(self) -> Path:
        return _in_project(self.var_dir)

    @property
    def model_path(self) -> Path:
        return _in_project(self.model_dir)

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}/webhook"


def _in_project(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else PROJECT_ROOT / p


_ENV = {
    "database_url": "DATABASE_URL",
    "tracker_database_url": "TRACKER_DATABASE_URL",
    "lock_store_url": "LOCK_STORE_URL",
    "event_broker_url": "EVENT_BROKER_URL",
    "event_queue": "EVENT_QUEUE",
    "event_exchange": "EVENT_EXCHANGE",
    "ingest_fsync": "INGEST_FSYNC",
    "hang_seconds": "HANG_SECONDS",
    "host": "HOST",
    "rasa_port": "RASA_PORT",
    "action_port": "ACTION_PORT",
    "console_port": "CONSOLE_PORT",
    "rasa_auth_token": "RASA_AUTH_TOKEN",
    "model_dir": "MODEL_DIR",
    "var_dir": "VAR_DIR",
    "telegram_token": "TELEGRAM_TOKEN",
    "telegram_mode": "TELEGRAM_MODE",
    "telegram_secret_token": "TELEGRAM_SECRET_TOKEN",
    "telegram_api_url": "TELEGRAM_API_URL",
    "telegram_file_url": "TELEGRAM_FILE_URL",
    "telegram_webhook_url": "TELEGRAM_WEBHOOK_URL",
    "max_upload_bytes": "MAX_UPLOAD_BYTES",
    "smtp_host": "SMTP_HOST",
    "smtp_port": "SMTP_PORT",
    "smtp_user": "SMTP_USER",
    "smtp_password": "SMTP_PASSWORD",
    "smtp_starttls": "SMTP_STARTTLS",
    "mail_from": "MAIL_FROM",
    "digest_recipients": "DIGEST_RECIPIENTS",
    "smtp_timeout": "SMTP_TIMEOUT",
    "smtp_ca_file": "SMTP_CA_FILE",
    "smtp_retries": "SMTP_RETRIES",
    "smtp_retry_delay": "SMTP_RETRY_DELAY",
    "digest_top_n": "DIGEST_TOP_N",
    "digest_history": "DIGEST_HISTORY",
    "default_phone_region": "DEFAULT_PHONE_REGION",
    "shop_locale": "SHOP_LOCALE",
    "shop_currency": "SHOP_CURRENCY",
    "import_batch_size": "IMPORT_BATCH_SIZE",
    "import_max_amount": "IMPORT_MAX_AMOUNT",
    "import_order_lines_per_batch": "IMPORT_ORDER_LINES_PER_BATCH",
    "import_adjustment_skus": "IMPORT_ADJUSTMENT_SKUS",
    "log_level": "LOG_LEVEL",
    "scheduler_enabled": "SCHEDULER_ENABLED",
    "scheduler_timezone": "SCHEDULER_TIMEZONE",
    "scheduler_misfire_grace_seconds": "SCHEDULER_MISFIRE_GRACE_SECONDS",
    "scheduler_lease_seconds": "SCHEDULER_LEASE_SECONDS",
    "schedule_segment_customers": "SCHEDULE_SEGMENT_CUSTOMERS",
    "schedule_flag_stalled": "SCHEDULE_FLAG_STALLED",
    "schedule_send_follow_ups": "SCHEDULE_SEND_FOLLOW_UPS",
    "ingest_worker": "INGEST_WORKER",
    "schedule_send_digests": "SCHEDULE_SEND_DIGESTS",
    "schedule_handoff_watchdog": "SCHEDULE_HANDOFF_WATCHDOG",
    "schedule_mine_basket_rules": "SCHEDULE_MINE_BASKET_RULES",
    "schedule_score_propensity": "SCHEDULE_SCORE_PROPENSITY",
    "schedule_forecast_sales": "SCHEDULE_FORECAST_SALES",
    "stage_slas": "STAGE_SLAS",
    "form_abandon_hours": "FORM_ABANDON_HOURS",
    "segment_max_k": "SEGMENT_MAX_K",
    "ocr_languages": "OCR_LANGUAGES",
    "ocr_timeout_seconds": "OCR_TIMEOUT_SECONDS",
    "ocr_max_bytes": "OCR_MAX_BYTES",
    "ocr_max_pixels": "OCR_MAX_PIXELS",
    "allowed_origins": "ALLOWED_ORIGINS",
    "rasa_auth_token_file": "RASA_AUTH_TOKEN_FILE",
    "action_server_token": "ACTION_SERVER_TOKEN",
    "rest_token": "REST_TOKEN",
    "webchat_secret": "WEBCHAT_SECRET",
    "max_request_bytes": "MAX_REQUEST_BYTES",
    "max_message_chars": "MAX_MESSAGE_CHARS",
    "messages_per_minute": "MESSAGES_PER_MINUTE",
    "messages_per_minute_per_ip": "MESSAGES_PER_MINUTE_PER_IP",
    "uploads_per_hour": "UPLOADS_PER_HOUR",
    "new_customers_per_ip_per_hour": "NEW_CUSTOMERS_PER_IP_PER_HOUR",
    "link_code_delivery": "LINK_CODE_DELIVERY",
    "link_attempts_per_hour": "LINK_ATTEMPTS_PER_HOUR",
    "codes_per_ip_per_hour": "CODES_PER_IP_PER_HOUR",
    "business_hours": "BUSINESS_HOURS",
    "business_timezone": "BUSINESS_TIMEZONE",
    "business_holidays": "BUSINESS_HOLIDAYS",
    "handoff_escalate_minutes": "HANDOFF_ESCALATE_MINUTES",
    "handoff_expire_minutes": "HANDOFF_EXPIRE_MINUTES",
    "handoff_no_agent_minutes": "HANDOFF_NO_AGENT_MINUTES",
    "handoff_notice_minutes": "HANDOFF_NOTICE_MINUTES",
    "support_team_email": "SUPPORT_TEAM_EMAIL",
    "console_secret": "CONSOLE_SECRET",
    "console_url": "CONSOLE_URL",
    "console_secure_cookies": "CONSOLE_SECURE_COOKIES",
    "console_demo_users": "CONSOLE_DEMO_USERS",
    "agent_languages": "AGENT_LANGUAGES",
    "redis_url": "REDIS_URL",
    "trusted_proxies": "TRUSTED_PROXIES",
    "webchat_session_hours": "WEBCHAT_SESSION_HOURS",
    "action_db_seconds": "ACTION_DB_SECONDS",
    "action_reply_seconds": "ACTION_REPLY_SECONDS",
    "action_threads": "ACTION_THREADS",
    "nlu_processes": "NLU_PROCESSES",
    "rasa_workers": "RASA_WORKERS",
    "refund_processing_days": "REFUND_PROCESSING_DAYS",
    "refund_bank_days": "REFUND_BANK_DAYS",
    "return_window_days": "RETURN_WINDOW_DAYS",
    "warranty_months": "WARRANTY_MONTHS",
    "price_match_policy": "PRICE_MATCH_POLICY",
    "promo_policy": "PROMO_POLICY",
    "invoice_url": "INVOICE_URL",
}
_INTS = {
    "rasa_port",
    "action_port",
    "console_port",
    "smtp_port",
    "max_upload_bytes",
    "scheduler_misfire_grace_seconds",
    "scheduler_lease_seconds",
    "form_abandon_hours",
    "segment_max_k",
}
_CRONS = {"schedule_segment_customers", "schedule_flag_stalled", "schedule_send_follow_ups", "schedule_send_digests"}
_INTS |= {
    "smtp_timeout",
    "smtp_retries",
    "digest_top_n",
    "digest_history",
    "import_batch_size",
    "import_max_amount",
    "import_order_lines_per_batch",
}
_FLOATS = {"smtp_retry_delay"}
_INTS |= {"ocr_timeout_seconds", "ocr_max_bytes", "ocr_max_pixels"}
_PORTS = {"rasa_port", "action_port", "console_port", "smtp_port"}
_BOOLS = {"smtp_starttls", "scheduler_enabled"}
_INTS |= {"hang_seconds"}
_BOOLS |= {"ingest_fsync"}
_CHOICES = {
    "ingest_worker": ("thread", "process"),
    "telegram_mode": ("webhook", "polling"),
    "link_code_delivery": ("console", "email"),
    "log_level": ("DEBUG", "INFO", "WARNING", "ERROR"),
}
_INTS |= {
    "max_request_bytes",
    "max_message_chars",
    "messages_per_minute",
    "messages_per_minute_per_ip",
    "uploads_per_hour",
    "new_customers_per_ip_per_hour",
    "link_attempts_per_hour",
    "codes_per_ip_per_hour",
}
_INTS |= {"handoff_escalate_minutes", "handoff_expire_minutes", "handoff_no_agent_minutes", "handoff_notice_minutes"}
_BOOLS |= {"console_secure_cookies", "console_demo_users"}
_INTS |= {"webchat_session_hours", "action_db_seconds", "action_reply_seconds", "action_threads"}
_INTS |= {"nlu_processes", "rasa_workers"}
_ZERO_OK = {"nlu_processes"}
_INTS |= {"refund_processing_days", "refund_bank_days", "return_window_days", "warranty_months"}
_URL_PREFIXES = {
    "database_url": ("sqlite:///", "postgresql://", "postgresql+psycopg2://"),
    "tracker_database_url": ("sqlite:///", "postgresql://", "postgresql+psycopg2://"),
    "lock_store_url": ("redis://",),
    "redis_url": ("redis://",),
    "event_broker_url": ("amqp://", "amqps://"),
}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every setting from `environ` (default: os.environ); raise SettingsError on a bad value."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for name, var in _ENV.items():
        raw = env.get(var)
        if raw is None or raw.strip() == "":
            continue
        raw = raw.strip()
        values[name] = _parse(name, var, raw)
    settings = Settings(**values)  # type: ignore[arg-type]
    settings.calendar  # noqa: B018 - a bad BUSINESS_HOURS / _TIMEZONE / _HOLIDAYS stops startup here, in one line
    _check_rasa_workers(settings)
    return settings


def _check_rasa_workers(settings: Settings) -> None:
    """Several Rasa processes need what every one of them sees: the lock, the spool's one deliverer, one poller."""
    n = settings.rasa_workers
    if n == 1:
        return
    if not settings.lock_store_url:
        raise SettingsError(
            f"RASA_WORKERS={n} needs LOCK_STORE_URL (redis://...): the in-memory lock holds one process's turns only"
        )
    if settings.ingest_worker != "process":
        raise SettingsError(f"RASA_WORKERS={n} needs INGEST_WORKER=process: one process delivers the spool")
    if settings.telegram_token and settings.telegram_mode == "polling":
        raise SettingsError(f"RASA_WORKERS={n} cannot poll Telegram (one poller per token): use TELEGRAM_MODE=webhook")


def _parse(name: str, var: str, raw: str) -> object:
    if name in _INTS:
        try:
            number = int(raw)
        except ValueError:
            raise SettingsError(f"{var}={raw!r} is not a whole number") from None
        if name in _PORTS and not 0 < number < 65536:
            raise SettingsError(f"{var}={raw!r} is not a port number (1-65535)")
        if number < 0 or (number == 0 and name not in _ZERO_OK):
            raise SettingsError(f"{var}={raw!r} must be positive")
        return number
    if name in _FLOATS:
        try:
            seconds = float(raw)
        except ValueError:
            raise SettingsError(f"{var}={raw!r} is not a number") from None
        if not 0 <= seconds < 3600:
            raise SettingsError(f"{var}={raw!r} must be between 0 and 3600 seconds")
        return seconds
    if name == "default_phone_region":
        import phonenumbers

        if raw.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise SettingsError(f"{var}={raw!r} is not a region code such as DE or GB")
        return raw.upper()
    if name == "shop_locale":
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(raw.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            raise SettingsError(f"{var}={raw!r} is not a locale such as en_GB, de_DE or ms_MY") from None
        return raw.replace("-", "_")
    if name == "shop_currency":
        from crm_store.values.currencies import CURRENCY_CODES

        if raw.upper() not in CURRENCY_CODES:
            raise SettingsError(f"{var}={raw!r} is not one of {', '.join(CURRENCY_CODES)}")
        return raw.upper()
    if name in _BOOLS:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{var}={raw!r} is not true or false")
    if name in _CHOICES:
        value = raw.upper() if name == "log_level" else raw.lower()
        if value not in _CHOICES[name]:
            raise SettingsError(f"{var}={raw!r} is not one of {', '.join(_CHOICES[name])}")
        return value
    if name in _CRONS or name.startswith("schedule_"):
        _check_cron(var, raw)
    if name == "scheduler_timezone":
        _check_timezone(var, raw)
    if name == "stage_slas":
        parse_stage_slas(raw, var)
    if name == "agent_languages" and not re.fullmatch(r"[a-zA-Z]{2}(\s*,\s*[a-zA-Z]{2})*", raw):
        raise SettingsError(f"{var}={raw!r} is not a list of two-letter language codes like en,de")
    if name == "ocr_languages" and not re.fullmatch(r"[a-z_]+(\+[a-z_]+)*", raw):
        raise SettingsError(f"{var}={raw!r} is not a list of tesseract languages like eng+deu")
    if name in _URL_PREFIXES and not raw.startswith(_URL_PREFIXES[name]):
        shown = "<hidden>" if "@" in raw else repr(raw)
        raise SettingsError(f"{var}={shown} must start with one of {', '.join(_URL_PREFIXES[name])}")
    return raw


def _check_cron(var: str, raw: str) -> None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        if len(raw.split()) != 5:
            raise ValueError
        CronTrigger.from_crontab(raw, timezone="UTC")
    except ValueError:
        raise SettingsError(
            f"{var}={raw!r} is not a cron expression (minute hour day month weekday, e.g. '0 * * * *')"
        ) from None


def _check_timezone(var: str, raw: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{var}={raw!r} is not a time zone name (e.g. UTC, Europe/Berlin)") from None


def parse_stage_slas(raw: str, var: str = "STAGE_SLAS") -> dict[tuple[str, str], float]:
    """ "ticket.open=24, return.received=72" -> {("ticket", "open"): 24.0, ...}."""
    slas: dict[tuple[str, str], float] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key, _, hours = part.partition("=")
        process, _, stage = key.strip().partition(".")
        try:
            value = float(hours)
        except ValueError:
            value = -1.0
        if not process or not stage or value <= 0:
            raise SettingsError(f"{var}: {part!r} is not process.stage=hours (e.g. ticket.open=24)")
        slas[(process, stage.strip())] = value
    return slas


_cached: Settings | None = None


def get_settings() -> Settings:
    """Settings of this process, read once."""
    global _cached
    if _cached is None:
        _cached = load_settings()
    return _cached


def reset_settings_cache() -> None:
    global _cached
    _cached = None
