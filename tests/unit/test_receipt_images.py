"""Preparing a scanned receipt: coloured marks on it, measured on small drawn images."""

from __future__ import annotations

from PIL import Image, ImageDraw

from crm_store.ocr.images import without_colour_ink


def _scan(print_colour: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (200, 60), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 60, 50), fill=print_colour)  # a block of the receipt's print
    draw.rectangle((120, 10, 190, 50), fill=(230, 60, 90))  # a red stamp's stroke
    return image


def test_a_red_stamp_turns_to_paper_and_black_print_stays():
    image = _scan((20, 20, 20))

    gray = without_colour_ink(image, image.convert("L"))

    assert gray.getpixel((150, 30)) >= 220  # the stamp is as light as paper
    assert gray.getpixel((30, 30)) <= 30  # the print is still black


def test_print_in_blue_is_kept():
    # Some tills print in blue or purple: that is the receipt's text, not a stamp.
    image = _scan((70, 90, 190))
    plain = image.convert("L")

    gray = without_colour_ink(image, plain)

    assert gray.getpixel((30, 30)) == plain.getpixel((30, 30))
    assert gray.getpixel((150, 30)) >= 220


def test_a_grayscale_scan_is_left_as_it_is():
    image = Image.new("L", (50, 20), 200)

    assert without_colour_ink(image, image) is image


def test_a_weak_line_that_read_again_as_two_lines_stays_two_lines():
    # Tesseract ran the shop's name and its registration number together into one weak line;
    # read again from the cut-out they come apart, and the name is not joined to the number.
    from crm_store.ocr.layout import Line
    from crm_store.ocr.reread import reread

    page = Image.new("L", (300, 200), 250)
    ImageDraw.Draw(page).rectangle((20, 20, 200, 60), fill=30)
    lines = [Line("cont AN CO Rion t725186-V", 23.0, 20, 60, 18), Line("Total 10.45", 95.0, 120, 140, 18)]

    def recognise(strip: Image.Image) -> list[Line]:
        middle = strip.height // 2
        return [
            Line("ADVANCO COMPANY", 93.0, middle - 24, middle - 4, 18),
            Line("Company Reg. No. : 725186-V", 90.0, middle + 2, middle + 22, 18),
        ]

    again = reread(page, lines, recognise)

    assert [line.text for line in again] == ["ADVANCO COMPANY", "Company Reg. No. : 725186-V", "Total 10.45"]
    assert again[0].bottom <= again[1].top


def _page_with_a_dropped_band() -> Image.Image:
    page = Image.new("L", (300, 200), 250)
    draw = ImageDraw.Draw(page)
    for left in range(20, 260, 24):  # a row of glyph-like marks that no line of tesseract's covers
        draw.rectangle((left, 20, left + 14, 50), fill=30)
    draw.rectangle((20, 120, 200, 138), fill=30)
    return page


def test_a_dropped_band_is_put_back_only_when_it_reads_as_text():
    from crm_store.ocr.layout import Line
    from crm_store.ocr.reread import reread

    lines = [Line("Total 10.45", 95.0, 120, 140, 18)]

    def reads_as(text: str, confidence: float):
        def recognise(strip: Image.Image) -> list[Line]:
            middle = strip.height // 2
            return [Line(text, confidence, middle - 12, middle + 12, 24)]

        return recognise

    name = reread(_page_with_a_dropped_band(), lines, reads_as("TEO HENG STATIONERY & BOOKS", 83.0), weak=False)
    logo = reread(_page_with_a_dropped_band(), lines, reads_as("7 ae ee ae I FE", 41.0), weak=False)

    assert [line.text for line in name] == ["TEO HENG STATIONERY & BOOKS", "Total 10.45"]
    assert [line.text for line in logo] == ["Total 10.45"]
