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
    log_level: str = "INFO"
    # OCR of receipt photos (crm_store/ocr): tesseract languages joined by "+", e.g. eng+deu.
    ocr_languages: str = "eng"
    ocr_timeout_seconds: int = 20
    ocr_max_bytes: int = 10 * 1024 * 1024
    ocr_max_pixels: int = 40_000_000

    @property
    def resolved_tracker_url(self) -> str:
        if self.tracker_database_url:
            return self.tracker_database_url
        if self.database_url.startswith("sqlite"):
            return f"sqlite:///{self.var_path / 'tracker.db'}"
        return self.database_url

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
    "log_level": "LOG_LEVEL",
    "ocr_languages": "OCR_LANGUAGES",
    "ocr_timeout_seconds": "OCR_TIMEOUT_SECONDS",
    "ocr_max_bytes": "OCR_MAX_BYTES",
    "ocr_max_pixels": "OCR_MAX_PIXELS",
}
_INTS = {"rasa_port", "action_port", "console_port", "smtp_port", "max_upload_bytes"}
_INTS |= {"ocr_timeout_seconds", "ocr_max_bytes", "ocr_max_pixels"}
_PORTS = {"rasa_port", "action_port", "console_port", "smtp_port"}
_BOOLS = {"smtp_starttls"}
_CHOICES = {"telegram_mode": ("webhook", "polling"), "log_level": ("DEBUG", "INFO", "WARNING", "ERROR")}
_URL_PREFIXES = {
    "database_url": ("sqlite:///", "postgresql://", "postgresql+psycopg2://"),
    "tracker_database_url": ("sqlite:///", "postgresql://", "postgresql+psycopg2://"),
    "lock_store_url": ("redis://",),
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
    return Settings(**values)  # type: ignore[arg-type]


def _parse(name: str, var: str, raw: str) -> object:
    if name in _INTS:
        try:
            number = int(raw)
        except ValueError:
            raise SettingsError(f"{var}={raw!r} is not a whole number") from None
        if name in _PORTS and not 0 < number < 65536:
            raise SettingsError(f"{var}={raw!r} is not a port number (1-65535)")
        if number <= 0:
            raise SettingsError(f"{var}={raw!r} must be positive")
        return number
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
    if name == "ocr_languages" and not re.fullmatch(r"[a-z_]+(\+[a-z_]+)*", raw):
        raise SettingsError(f"{var}={raw!r} is not a list of tesseract languages like eng+deu")
    if name in _URL_PREFIXES and not raw.startswith(_URL_PREFIXES[name]):
        shown = "<hidden>" if "@" in raw else repr(raw)
        raise SettingsError(f"{var}={shown} must start with one of {', '.join(_URL_PREFIXES[name])}")
    return raw


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
