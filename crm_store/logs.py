"""One JSON log formatter and one personal-data filter, set up at startup in every process.

`setup_logging()` runs in the supervisor (`crmbot run`), the Rasa server, the action
server and `crmbot ingest`. Besides the JSON handler it installs `PiiFilter` for every
log record the process makes (as the record factory, so library loggers with their own
handlers, such as Sanic's, are covered too): emails, phone numbers and message texts
are masked before any handler sees them, in the message, its extras and its traceback.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import warnings
from datetime import datetime, timezone
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# A phone number: 7-15 digits with the usual separators, optionally after a "+".
_PHONE = re.compile(r"(?<![\w.:/-])\+?\(?\d[\d ()./-]{5,18}\d(?![\w.:/-])")
# Message texts quoted after the words Rasa and we use for them, and `text` fields in reprs.
_QUOTED_TEXT = re.compile(
    r"((?:message|text|utterance|said)['\"]?\s*[=:]?\s*)(['\"])(.*?)\2", re.IGNORECASE | re.DOTALL
)
_TEXT_FIELD = re.compile(
    r"((?:\btext|\bmessage_text|\bbody)(?:\"|')?\s*[:=]\s*)(?!['\"<])([^,)}\n]{1,2000})", re.IGNORECASE
)
_TEXT_KEYS = {
    "text",
    "message_text",
    "body",
    "utterance",
    "ocr_text",
    "email",
    "phone",
    "name",
    "display_name",
    "address",
}


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if not 7 <= len(digits) <= 15 or re.fullmatch(r"\d{4}-\d{2}-\d{2}", candidate):
        return False
    # Dates, times and version numbers are not phones: a phone has a "+", a leading 0 or spaces/dashes between groups.
    return candidate.startswith(("+", "(", "0")) or bool(re.search(r"\d[ -]\d", candidate))


def mask(text: str) -> str:
    """`text` with emails, phone numbers and quoted message texts replaced by placeholders."""
    text = _QUOTED_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}<text>{m.group(2)}", text)
    text = _TEXT_FIELD.sub(lambda m: f"{m.group(1)}<text>", text)
    text = _EMAIL.sub("<email>", text)
    return _PHONE.sub(lambda m: "<phone>" if _is_phone(m.group(0)) else m.group(0), text)


class PiiFilter(logging.Filter):
    """Masks personal data in a record: its message, string extras and formatted exception.

    Idempotent (placeholders never match again), so a record may pass it twice.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what we have
            message = str(record.msg)
        record.msg, record.args = mask(message), None
        for key, value in list(record.__dict__.items()):
            if key in _STANDARD or key.startswith("_"):
                continue
            if key in _TEXT_KEYS and value is not None:
                record.__dict__[key] = "<text>" if key not in ("email", "phone") else f"<{key}>"
            elif isinstance(value, str):
                record.__dict__[key] = mask(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = mask("".join(traceback.format_exception(*record.exc_info)).rstrip())
        elif record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


_installed = False


def install_pii_filter() -> None:
    """Run PiiFilter on every record this process creates, whichever logger or handler takes it."""
    global _installed
    if _installed:
        return
    pii = PiiFilter()
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        pii.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# Libraries whose own deprecation warnings (one library calling another, or old syntax in their
# source) are theirs to fix, not ours: hidden by category and module. A deprecation warning raised
# by our call into a library is attributed to our module, so it still shows (an upgrade notice).
LIBRARY_DEPRECATIONS = (
    "sanic",
    "sanic_cors",
    "sanic_routing",
    "apscheduler",
    "pkg_resources",
    "tensorflow",
    "keras",
    "jax",
    "flatbuffers",
    "google",
    "absl",
    "h5py",
    "rasa",
    "rasa_sdk",
    "matplotlib",
    "pyparsing",
    "dateparser",
    "jsonschema",
    "spacy",
    "thinc",
    "transformers",
    "sklearn",
    "networkx",
    "aiohttp",
    "ruamel",
    "sqlalchemy",
    "setuptools",
    "_distutils_hack",
    "distutils",
    "websockets",
    "pytz",
)


def filter_library_warnings() -> None:
    """Hide the listed libraries' own DeprecationWarnings; every other warning stays visible.

    Sanic adds a "once" filter for every DeprecationWarning when it is imported, so this runs
    after it (setup_logging in each server): filters added later take precedence.
    """
    pattern = rf"({'|'.join(LIBRARY_DEPRECATIONS)})(\.|$)"
    for category in (DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=pattern)
    # Compiling a library's source (its first import after install) warns about its string escapes.
    warnings.filterwarnings("ignore", "invalid escape sequence", DeprecationWarning, module=".*/site-packages/")
    # A library's old-style import loader, reported by Python's importer.
    warnings.filterwarnings(
        "ignore", r"the load_module\(\) method is deprecated", DeprecationWarning, module=r"importlib\._bootstrap"
    )
    # Rasa 3.6 says this on every domain it loads, whatever the domain holds.
    warnings.filterwarnings("ignore", "Slot auto-fill has been removed", UserWarning, module="rasa")


def setup_logging(level: str = "INFO") -> None:
    install_pii_filter()
    filter_library_warnings()
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # The record factory cannot see `extra` fields (they are added after it runs): handlers filter too.
    pii = PiiFilter()
    loggers = [root, *(lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger))]
    for each in loggers:
        for h in each.handlers:
            if not any(isinstance(f, PiiFilter) for f in h.filters):
                h.addFilter(pii)
    root.setLevel(level)
    # Alembic narrates every plugin it loads at INFO; its migration lines are enough at WARNING.
    logging.getLogger("alembic").setLevel(logging.WARNING)
