"""The serial read from a photo of the laptop's label (issue 23, item 4): Code128, Code39, QR and
Data Matrix as a phone photographs them (tilted, scaled, noisy, JPEG); None, never an error, when
there is no serial to read. Also the fake-camera file the browser test plays."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from laptop_pricing.purchase.barcode import most_plausible_serial, read_serial
from tests.purchase_media_support import (
    LABEL_SERIAL,
    SERIAL_LABEL_PNG,
    barcode_image,
    heic,
    jpeg,
    label_photo,
    photo_like,
    png,
    png_declaring,
    read_y4m_first_frame,
    serial_label,
    write_serial_label_y4m,
)


@pytest.mark.parametrize("kind", ["code128", "code39", "qr", "datamatrix"])
@pytest.mark.parametrize("angle", [7.0, -12.0])
def test_each_kind_of_code_is_read_from_a_tilted_noisy_label_photo(kind, angle):
    serial = "PF3ABC12" if kind == "code39" else "5CG2345XQ7"

    assert read_serial(label_photo(serial, kind, angle=angle)) == serial


@pytest.mark.parametrize("kind", ["code128", "code39"])
@pytest.mark.parametrize("angle", [30.0, -35.0, 90.0])
def test_a_bar_code_photographed_at_a_slant_or_sideways_is_still_read(kind, angle):
    assert read_serial(label_photo("R90X1Y2Z", kind, angle=angle)) == "R90X1Y2Z"


def test_serials_with_dashes_dots_and_slashes_are_kept_whole():
    serial = "SN-2024/07.AB 12"

    assert read_serial(label_photo(serial, "code128")) == serial


def test_a_lower_case_serial_comes_back_as_the_purchase_stores_it():
    assert read_serial(label_photo("c02xk1abjgh5", "datamatrix")) == "C02XK1ABJGH5"


def test_a_heic_photo_of_the_label_is_read():
    label = serial_label("5CD9876ABC", "code128").convert("RGB")

    assert read_serial(heic(label)) == "5CD9876ABC"


def label_with(*codes: Image.Image) -> bytes:
    """Several codes stacked on one label, as on a laptop's underside."""
    width = max(code.width for code in codes) + 40
    label = Image.new("L", (width, sum(code.height + 20 for code in codes) + 20), 255)
    top = 20
    for code in codes:
        label.paste(code, (20, top))
        top += code.height + 20
    return png(label)


def test_the_products_ean_beside_the_serial_is_not_taken_for_it():
    photo = label_with(
        barcode_image("7891234567895", "ean13"), barcode_image("5CD1234XYZ", "code128")
    )

    assert read_serial(photo) == "5CD1234XYZ"


def test_the_longest_serial_like_code_wins_over_a_short_part_number():
    photo = label_with(barcode_image("A12", "code128"), barcode_image("SN5CD1234XYZ9", "code128"))

    assert read_serial(photo) == "SN5CD1234XYZ9"


@pytest.mark.parametrize(
    "text",
    ["https://suporte.example.com/?sn=5CD1", "SN\tWITH\x01CONTROL", "AB", "X" * 41, "Série:ÁÉ"],
    ids=["url", "control-chars", "too-short", "too-long", "accents"],
)
def test_a_code_whose_text_is_no_serial_gives_none(text):
    kind = "code128" if text.isascii() else "qr"

    assert read_serial(png(barcode_image(text, kind, scale=4))) is None


def test_a_photo_without_any_code_gives_none():
    assert read_serial(jpeg(photo_like(1280, 960))) is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage bytes, not a picture at all",
        b"\xff\xd8\xff\xe0" + b"\x13" * 3000,  # a JPEG start, then nonsense
        png_declaring(50_000, 50_000),  # a decompression bomb
        b"\x00" * (9 * 1024 * 1024),  # over the upload limit
    ],
    ids=["empty", "text", "broken-jpeg", "bomb", "too-large"],
)
def test_what_is_not_a_readable_photo_gives_none_and_never_raises(data):
    assert read_serial(data) is None


def test_a_truncated_label_photo_gives_none():
    whole = label_photo("5CD1234XYZ", "code128")

    assert read_serial(whole[: len(whole) // 3]) is None


def test_most_plausible_serial_trims_upper_cases_and_prefers_the_longest():
    assert most_plausible_serial([" abc123 ", "5CD1234XYZ", "https://x.y/z", "7891"]) == (
        "5CD1234XYZ"
    )
    assert most_plausible_serial(["SN1", "SN2"]) == "SN1"  # a tie: the first read
    assert most_plausible_serial(["", "  ", "a\nb"]) is None
    assert most_plausible_serial([]) is None


def test_the_committed_label_picture_shows_the_label_serial():
    data = SERIAL_LABEL_PNG.read_bytes()
    assert len(data) < 20_000  # a small fixture, not a binary blob

    assert read_serial(data) == LABEL_SERIAL


def test_the_fake_camera_file_plays_a_frame_whose_barcode_is_the_serial(tmp_path):
    path = write_serial_label_y4m(tmp_path)

    assert path.name == "serial_label.y4m"
    assert path.read_bytes().startswith(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
    frame = read_y4m_first_frame(path)
    assert frame.size == (640, 480)
    buffer = io.BytesIO()
    frame.save(buffer, "PNG")
    assert read_serial(buffer.getvalue()) == LABEL_SERIAL
