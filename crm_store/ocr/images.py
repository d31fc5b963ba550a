"""Safe loading and Pillow preprocessing of receipt photos.

Loading checks the file size before reading and the pixel count from the header
before decoding, so a small file that decompresses into gigabytes (a "decompression
bomb") is refused without allocating it. Preprocessing turns a phone photo into
what tesseract reads best: upright (EXIF orientation), grayscale, large enough,
denoised, binarised with a local (adaptive) threshold so shadows and uneven light
do not swallow the print, the surface around the paper blanked, then deskewed.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from crm_store.ocr.errors import ImageRejected

TARGET_WIDTH = 1400  # px: narrower photos are upscaled to this width
SCAN_MAX_WIDTH = 2000  # px: a wider scan (an A4 page at 600 dpi) is reduced to this first
COLOUR_SATURATION = 60  # brightest minus darkest channel: above this a pixel is coloured ink, not print
PHOTO_SURFACE = 0.05  # share of the image that is dark surface around the paper: a photo, not a scan
MAX_UPSCALE = 4.0
DESKEW_RANGE = 12.0  # degrees either way
THRESHOLD_WINDOW = 101  # px at TARGET_WIDTH: wider than the thickest glyph, or letters turn hollow
THRESHOLD_OFFSET = 20  # a pixel is ink when darker than its neighbourhood by this much (above noise)


def load_image(path: Path, max_bytes: int, max_pixels: int) -> Image.Image:
    """The decoded image, or ImageRejected with a reason a person can read."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise ImageRejected("The file could not be opened.") from None
    if size > max_bytes:
        raise ImageRejected(f"The file is larger than {max_bytes // (1024 * 1024) or 1} MB.")
    if size == 0:
        raise ImageRejected("The file is empty.")
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; our limit is strict.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path)
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRejected(
                    f"The image has too many pixels ({width}x{height}); the limit is {max_pixels // 1_000_000} megapixels."
                )
            image.load()
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected("The image has too many pixels.") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise ImageRejected("The file is not an image I can open (JPEG, PNG, WebP, TIFF or GIF).") from None
    return image


def prepare(image: Image.Image) -> tuple[Image.Image, bool]:
    """What tesseract reads best, for a phone photo or a flat scan alike.

    A photo (paper on a darker surface) is binarised and deskewed by preprocess().
    A scan is already flat, upright and evenly lit; tesseract's own threshold reads it
    better than ours, so it stays grayscale, only reduced when it is larger than
    tesseract needs (a 5,000 x 7,000 px A4 scan costs seconds and reads no better).
    Returns the image and whether it is a scan.
    """
    image = ImageOps.exif_transpose(image)
    gray = image.convert("L")
    if _surface_share(gray) > PHOTO_SURFACE:
        return preprocess(gray), False
    gray = without_colour_ink(image, gray)
    if gray.width > SCAN_MAX_WIDTH:
        gray = gray.resize((SCAN_MAX_WIDTH, round(gray.height * SCAN_MAX_WIDTH / gray.width)), Image.Resampling.LANCZOS)
    return gray, True


def without_colour_ink(image: Image.Image, gray: Image.Image) -> Image.Image:
    """gray with red ink (a "PAID" stamp, a red pen mark) turned to paper.

    A receipt is printed in black or grey; a stamp across its top otherwise reads as
    mid-grey strokes through the shop's name. A strongly red pixel takes the value of its
    lightest channel, so the stamp fades while black print under it stays black. Only red:
    some receipts are printed in blue or purple, and their print must stay.
    """
    if image.mode not in ("RGB", "RGBA", "P", "CMYK", "YCbCr"):
        return gray
    channels = np.asarray(image.convert("RGB"), dtype=np.int16)
    lightest, darkest = channels.max(axis=2), channels.min(axis=2)
    red = channels[:, :, 0] == lightest
    coloured = red & (lightest - darkest > COLOUR_SATURATION)
    if not coloured.any():
        return gray
    return Image.fromarray(np.where(coloured, lightest, np.asarray(gray)).astype(np.uint8))


def darken(gray: Image.Image) -> Image.Image:
    """Faint thermal print made darker: contrast stretched, then mid-tones pulled toward black."""
    stretched = ImageOps.autocontrast(gray, cutoff=1)
    return stretched.point([round(255 * (value / 255) ** 2.0) for value in range(256)])


def _surface_share(gray: Image.Image) -> float:
    small = gray.copy()
    small.thumbnail((350, 350))
    pixels = np.asarray(small)
    dark = Image.fromarray(np.where(pixels < _otsu(pixels), 255, 0).astype(np.uint8))
    surfaces = dark.filter(ImageFilter.MinFilter(5)).filter(ImageFilter.MaxFilter(9))
    return float((np.asarray(surfaces) > 0).mean())


def preprocess(image: Image.Image) -> Image.Image:
    """Upright, grayscale, upscaled, binarised and deskewed (mode "L", 0 or 255)."""
    image = ImageOps.exif_transpose(image)
    # Sensor noise would survive the threshold. A light blur after upscaling read better
    # than a median filter (before or after) on the development set, and costs less.
    gray = _upscale(image.convert("L")).filter(ImageFilter.GaussianBlur(1))
    binary = adaptive_threshold(gray)
    binary = _blank_background(gray, binary)
    return deskew(binary)


def _upscale(gray: Image.Image) -> Image.Image:
    width, height = gray.size
    if width >= TARGET_WIDTH:
        return gray
    factor = min(TARGET_WIDTH / width, MAX_UPSCALE)
    return gray.resize((round(width * factor), round(height * factor)), Image.Resampling.LANCZOS)


def _blank_background(gray: Image.Image, binary: Image.Image) -> Image.Image:
    """White out large dark areas (the table around the paper) and their edges.

    Found on a small copy: dark pixels (Otsu) that survive an opening wider than a
    text stroke are surfaces, not print; their border would otherwise become lines.
    """
    small = gray.copy()
    small.thumbnail((350, 350))
    pixels = np.asarray(small)
    dark = Image.fromarray(np.where(pixels < _otsu(pixels), 255, 0).astype(np.uint8))
    surfaces = dark.filter(ImageFilter.MinFilter(5)).filter(ImageFilter.MaxFilter(9))
    mask = np.asarray(surfaces.resize(binary.size, Image.Resampling.NEAREST)) > 0
    if mask.mean() > 0.9:  # no paper found: leave the image alone
        return binary
    return Image.fromarray(np.where(mask, 255, np.asarray(binary)).astype(np.uint8))


def skew_angle(binary: Image.Image) -> float:
    """The rotation (degrees, counter-clockwise) that makes text lines horizontal.

    Text lines are horizontal when the ink's row profile is sharpest: the variance of
    the row sums peaks. Searched coarse (1 degree) then fine (0.2) on a small copy.
    """
    small = binary.copy()
    small.thumbnail((700, 700))
    ink = Image.fromarray(np.where(np.asarray(small) < 128, 255, 0).astype(np.uint8))

    def sharpness(angle: float) -> float:
        rotated = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST, expand=False))
        rows = rotated.sum(axis=1, dtype=np.float64)
        return float(np.var(rows))

    coarse = max(np.arange(-DESKEW_RANGE, DESKEW_RANGE + 0.1, 1.0), key=sharpness)
    fine = max(np.arange(coarse - 1.0, coarse + 1.01, 0.2), key=sharpness)
    return float(round(fine, 1))


def deskew(binary: Image.Image) -> Image.Image:
    angle = skew_angle(binary)
    if abs(angle) < 0.3:
        return binary
    return binary.rotate(angle, resample=Image.Resampling.NEAREST, expand=True, fillcolor=255)


def adaptive_threshold(gray: Image.Image) -> Image.Image:
    """Ink where a pixel is darker than the mean of its neighbourhood minus an offset."""
    window = max(15, round(THRESHOLD_WINDOW * gray.width / TARGET_WIDTH)) | 1
    local_mean = np.asarray(gray.filter(ImageFilter.BoxBlur(window // 2)), dtype=np.int16)
    pixels = np.asarray(gray, dtype=np.int16)
    ink = pixels < local_mean - THRESHOLD_OFFSET
    return Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))


def _otsu(pixels: np.ndarray) -> int:
    histogram = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    total = pixels.size
    cumulative = np.cumsum(histogram)
    cumulative_mean = np.cumsum(histogram * np.arange(256))
    background = cumulative[:-1]
    foreground = total - background
    valid = (background > 0) & (foreground > 0)
    mean_b = np.where(valid, cumulative_mean[:-1] / np.maximum(background, 1), 0)
    mean_f = np.where(valid, (cumulative_mean[-1] - cumulative_mean[:-1]) / np.maximum(foreground, 1), 0)
    between = background * foreground * (mean_b - mean_f) ** 2
    return int(np.argmax(np.where(valid, between, -1)))
