"""Secrets kept in files under var/ (mode 0600), made on first use."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def ensure_key_file(path: Path) -> str:
    """The secret in `path`; a new random one if the file does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text().strip()
        if value:
            return value
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    value = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value
