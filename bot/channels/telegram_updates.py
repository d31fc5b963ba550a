"""From a Telegram Update to what Rasa needs: text, sender, metadata, downloaded files."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from telegram import Message, Update, User

from bot.channels.metadata import clean_display_name
from bot.channels.telegram_send import TelegramSender
from crm_store.errors import CrmError

log = logging.getLogger(__name__)

SEND_PHOTO = "/send_photo"
DOCUMENT_TYPES = ("image/", "application/pdf")  # what the OCR pipeline can read
UPLOAD_DIR = PurePosixPath("uploads", "telegram")
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/tiff": ".tif",
    "application/pdf": ".pdf",
}
_COMMAND = re.compile(r"^/(?P<name>[A-Za-z0-9_]+)(?:@[A-Za-z0-9_]+)?(?P<rest>.*)$", re.DOTALL)


class FileTooLarge(CrmError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is larger than {limit // (1024 * 1024)} MB.")
        self.limit = limit


@dataclass(frozen=True)
class MediaRef:
    kind: str  # photo | document
    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    size: int | None


@dataclass(frozen=True)
class Incoming:
    """One update worth handling. kind: text | callback | media | unsupported | too_large."""

    update_id: int
    chat_id: int
    kind: str
    text: str = ""
    user: dict[str, Any] = field(default_factory=dict)
    display_name: str = ""
    media: MediaRef | None = None
    callback_query_id: str | None = None
    message_id: int | None = None  # the message whose keyboard was pressed
    caption: str | None = None  # the text sent with a photo or document


def parse_update(update: Update, max_bytes: int) -> Incoming | None:
    """What to do with an update; None when there is nothing for the assistant.

    Only private chats are served: in a group, one chat would mix several customers.
    Edited messages, channel posts, membership changes etc. are ignored.
    """
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message is not None else None
        if chat is not None and chat.type != "private":
            return None
        return Incoming(
            update_id=update.update_id,
            chat_id=chat.id if chat is not None else query.from_user.id,
            kind="callback",
            text=query.data or "",
            callback_query_id=query.id,
            message_id=query.message.message_id if query.message is not None else None,
            **_who(query.from_user),
        )
    message = update.message
    if message is None or message.chat.type != "private":
        return None
    base = dict(update_id=update.update_id, chat_id=message.chat.id, **_who(message.from_user))
    if message.text is not None:
        return Incoming(kind="text", text=normalize_command(message.text), **base)
    # A photo is a receipt to read whatever its caption says ("my receipt", "is this right?"):
    # the assistant gets /send_photo, and the caption travels in the metadata.
    caption = (message.caption or "").strip() or None
    media = _media(message, max_bytes)
    if media is None:
        return Incoming(kind="unsupported", **base)
    if media.kind == "document" and not (media.mime_type or "").startswith(DOCUMENT_TYPES):
        return Incoming(kind="unsupported", **base)
    if media.size is not None and media.size > max_bytes:
        return Incoming(kind="too_large", media=media, **base)
    return Incoming(kind="media", text=SEND_PHOTO, media=media, caption=caption, **base)


def normalize_command(text: str) -> str:
    """ "/help@shop_bot" -> "/help"; "/start <deep-link payload>" -> "/greet".

    Telegram sends /start when a customer opens the bot: to the assistant that is a greeting.
    """
    match = _COMMAND.match(text.strip())
    if not match:
        return text
    if match["name"] == "start":
        return "/greet"
    return "/" + match["name"] + match["rest"]


def _who(user: User | None) -> dict[str, Any]:
    if user is None:
        return {"user": {}, "display_name": ""}
    names = " ".join(n for n in (user.first_name, user.last_name) if n)
    return {
        "user": {
            "user_id": user.id,
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language_code": user.language_code,
        },
        # Telegram names are chosen by their owners: plain text of bounded length, like every channel's.
        "display_name": clean_display_name(names or (user.username or "")) or "",
    }


def _media(message: Message, max_bytes: int) -> MediaRef | None:
    if message.photo:  # sizes come smallest first: take the largest within the limit
        fitting = [p for p in message.photo if p.file_size is None or p.file_size <= max_bytes]
        best = (fitting or message.photo)[-1]
        return MediaRef("photo", best.file_id, best.file_unique_id, None, "image/jpeg", best.file_size)
    doc = message.document
    if doc is not None:
        return MediaRef("document", doc.file_id, doc.file_unique_id, doc.file_name, doc.mime_type, doc.file_size)
    return None


def user_metadata(incoming: Incoming, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    """The UserMessage metadata the CRM ingestion reads."""
    return {
        "telegram": dict(incoming.user),
        "display_name": incoming.display_name,
        "attachments": attachments,
        **({"caption": incoming.caption} if incoming.caption else {}),
    }


async def download(sender: TelegramSender, incoming: Incoming, var_path: Path, max_bytes: int) -> dict[str, Any]:
    """Fetch the file through getFile, store it under var/uploads/telegram/, describe it."""
    media = incoming.media
    assert media is not None
    tg_file = await sender.call("getFile", lambda: sender.bot.get_file(media.file_id))
    if tg_file.file_size is not None and tg_file.file_size > max_bytes:
        raise FileTooLarge(max_bytes)
    data = bytes(await sender.call("downloadFile", tg_file.download_as_bytearray))
    if len(data) > max_bytes:
        raise FileTooLarge(max_bytes)
    ext = _extension(media.mime_type, tg_file.file_path)
    # Never a user-chosen name in the path: chat id, update id and Telegram's unique id.
    name = f"{incoming.update_id}-{_safe(media.file_unique_id)}{ext}"
    relative = UPLOAD_DIR / str(incoming.chat_id) / name
    target = Path(var_path) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    log.info(
        "telegram file stored",
        extra={"chat_id": incoming.chat_id, "update_id": incoming.update_id, "bytes": len(data)},
    )
    return {
        "kind": media.kind,
        "file_name": media.file_name or name,
        "mime_type": media.mime_type,
        "size": len(data),
        "path": str(relative),
    }


def _extension(mime_type: str | None, file_path: str | None) -> str:
    if mime_type in _EXTENSIONS:
        return _EXTENSIONS[mime_type]
    suffix = PurePosixPath(file_path or "").suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".bin"


def _safe(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", value)[:64]
