"""Image uploads from the web chat widget: check size and type, store under var/.

The widget posts one image; we trust neither its file name nor its declared type:
the type comes from the first bytes of the file, and the stored name is ours.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from pathlib import Path
from typing import TypedDict

ACCEPTED_TYPES: dict[str, str] = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
UPLOAD_DIR = Path("uploads") / "webchat"


class Attachment(TypedDict):
    kind: str
    file_name: str
    mime_type: str
    size: int
    path: str  # relative to settings.var_path


class UploadRejected(Exception):
    """An upload we refuse; `status` is the HTTP status, `message` a sentence for the customer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type of a JPEG, PNG or WebP image from its magic bytes, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB" if n % (1024 * 1024) == 0 else f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} bytes"


def check_image(body: bytes, declared_type: str | None, max_bytes: int) -> str:
    """The image's MIME type, or UploadRejected (413 too big, 415 not an accepted image)."""
    if len(body) > max_bytes:
        raise UploadRejected(413, f"That file is too large. The limit is {human_size(max_bytes)}.")
    if not body:
        raise UploadRejected(400, "That file is empty.")
    sniffed = sniff_image_type(body)
    declared = (declared_type or "").split(";")[0].strip().lower()
    if sniffed is None or (declared and declared != "application/octet-stream" and declared != sniffed):
        raise UploadRejected(415, "Only JPEG, PNG or WebP images can be sent.")
    return sniffed


def clean_file_name(name: str | None, mime_type: str) -> str:
    """A display name without folders or control characters, at most 100 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    base = re.sub(r"\s+", " ", base)[:100]
    return base or f"photo{ACCEPTED_TYPES[mime_type]}"


def store_image(var_path: Path, session_id: str, file_name: str | None, mime_type: str, body: bytes) -> Attachment:
    """Write the image under var_path/uploads/webchat/<session>/ and describe it for Rasa."""
    relative = UPLOAD_DIR / session_id / f"{uuid.uuid4().hex}{ACCEPTED_TYPES[mime_type]}"
    target = var_path / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(body)
    tmp.replace(target)  # readers never see half a file
    return Attachment(
        kind="photo",
        file_name=clean_file_name(file_name, mime_type),
        mime_type=mime_type,
        size=len(body),
        path=relative.as_posix(),
    )
