"""Why an image could not be read; each carries a sentence for the customer or the clerk."""

from __future__ import annotations

from crm_store.errors import CrmError


class ImageRejected(CrmError):
    """The file is refused before decoding: too big, too many pixels, or not an image."""


class UnreadableImage(CrmError):
    """The image was decoded but no receipt text could be read from it (or OCR timed out)."""
