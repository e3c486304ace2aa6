"""Purchase photos (issue 23, item 4): what the store keeps is upright, small, JPEG and carries no
metadata (GPS!); what it cannot keep is refused in one pt-BR sentence, before decoding when the
upload or the declared size is too big."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from laptop_pricing.purchase import photos
from laptop_pricing.purchase.photos import (
    MAX_SIDE,
    MAX_STORED_BYTES,
    MAX_UPLOAD_BYTES,
    InvalidPhoto,
    normalize_photo,
)
from tests.purchase_media_support import (
    DESCRIPTION_MARKER,
    GPS_IFD,
    GPS_MARKER,
    exif_with_gps,
    halves,
    heic,
    jpeg,
    photo_like,
    png,
    png_declaring,
)

METADATA_MARKERS = (b"Exif", b"GPS", GPS_MARKER, DESCRIPTION_MARKER.encode(), b"ICC_PROFILE")


def stored(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG"
    return picture


def assert_no_metadata(data: bytes) -> None:
    picture = stored(data)
    assert len(picture.getexif()) == 0
    assert "exif" not in picture.info and "icc_profile" not in picture.info
    assert "xmp" not in picture.info
    assert data.endswith(b"\xff\xd9")  # nothing carried after the image's end
    header = data[: data.index(b"\xff\xda")]  # metadata segments all come before the scan
    for marker in METADATA_MARKERS:
        assert marker not in header, marker


def test_three_letters_the_pixels_happen_to_spell_are_not_metadata():
    """A stored JPEG's scan is compressed pixels, where any three bytes can occur: this photo's
    scan holds b"GPS" by chance (its seed was found by a search) and it carries no metadata.
    Searching the whole file failed the damaged-header test below about once in twenty runs."""
    data = jpeg(photo_like(320, 240, seed=1221))
    scan = data.index(b"\xff\xda")
    assert b"GPS" in data[scan:] and b"GPS" not in data[:scan]
    assert_no_metadata(data)


def test_exif_with_gps_goes_in_and_nothing_comes_out():
    source = jpeg(photo_like(800, 600), exif_with_gps())
    assert GPS_MARKER in source and b"Exif" in source  # the fixture does carry it
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)

    photo = normalize_photo(source)

    assert_no_metadata(photo.jpeg)
    assert (photo.width, photo.height) == (800, 600)


def test_xmp_and_icc_profile_are_dropped_too():
    buffer = io.BytesIO()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><GPSLatitude>23,33S</GPSLatitude></x:xmpmeta>'
    photo_like(640, 480).save(buffer, "JPEG", icc_profile=srgb, xmp=xmp)
    assert b"GPSLatitude" in buffer.getvalue()

    photo = normalize_photo(buffer.getvalue())

    assert_no_metadata(photo.jpeg)
    assert b"xmpmeta" not in photo.jpeg


@pytest.mark.parametrize(
    ("orientation", "size", "red_at"),
    [
        (1, (400, 300), (50, 150)),  # as stored: red on the left
        (3, (400, 300), (350, 150)),  # upside down: red on the right
        (6, (300, 400), (150, 50)),  # held sideways (turn 90° clockwise): red on top
        (8, (300, 400), (150, 350)),  # the other way: red at the bottom
    ],
)
def test_the_exif_orientation_is_applied_then_dropped(orientation, size, red_at):
    photo = normalize_photo(jpeg(halves(400, 300), exif_with_gps(orientation)))

    picture = stored(photo.jpeg)
    assert picture.size == size == (photo.width, photo.height)
    red, _, blue = picture.convert("RGB").getpixel(red_at)
    assert red > 200 and blue < 60
    assert picture.getexif().get(0x0112) is None  # not rotated twice by a viewer


def test_a_12_megapixel_photo_is_resized_and_fits_the_stored_size():
    source = jpeg(photo_like(4000, 3000))
    assert MAX_STORED_BYTES < len(source) <= MAX_UPLOAD_BYTES

    photo = normalize_photo(source)

    assert (photo.width, photo.height) == (MAX_SIDE, 1200)
    assert len(photo.jpeg) <= MAX_STORED_BYTES
    assert stored(photo.jpeg).size == (MAX_SIDE, 1200)


def test_a_portrait_photo_keeps_its_longest_side_under_the_limit():
    photo = normalize_photo(jpeg(photo_like(1200, 3000)))

    assert (photo.width, photo.height) == (640, MAX_SIDE)


def test_pure_noise_that_no_quality_fits_is_scaled_down_until_it_does():
    noise = Image.merge("RGB", [Image.effect_noise((MAX_SIDE, 1200), 90) for _ in range(3)])
    source = png(noise)
    assert len(source) <= MAX_UPLOAD_BYTES

    photo = normalize_photo(source)

    assert len(photo.jpeg) <= MAX_STORED_BYTES
    assert photo.width < MAX_SIDE and photo.width / photo.height == pytest.approx(4 / 3, 0.01)


def test_a_png_with_transparency_is_flattened_on_white():
    picture = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    picture.paste((200, 0, 0, 255), (0, 0, 150, 200))

    photo = normalize_photo(png(picture))

    flat = stored(photo.jpeg).convert("RGB")
    assert flat.getpixel((250, 100)) >= (245, 245, 245)  # was transparent: now white
    red, green, blue = flat.getpixel((50, 100))
    assert red > 180 and green < 40 and blue < 40


@pytest.mark.parametrize("mode", ["L", "P", "LA", "I;16", "1", "CMYK"])
def test_every_pixel_mode_a_file_may_hold_becomes_rgb(mode):
    picture = Image.new(mode, (320, 240))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG" if mode == "CMYK" else "PNG")

    photo = normalize_photo(buffer.getvalue())

    assert stored(photo.jpeg).mode == "RGB" and (photo.width, photo.height) == (320, 240)


def test_a_heic_from_an_iphone_is_read_upright_and_without_its_gps():
    source = heic(halves(400, 300), exif_with_gps(6))
    assert Image.open(io.BytesIO(source)).format == "HEIF"

    photo = normalize_photo(source)

    assert_no_metadata(photo.jpeg)
    picture = stored(photo.jpeg).convert("RGB")
    assert picture.size == (300, 400)
    assert picture.getpixel((150, 50))[0] > 200  # red on top: turned once, not twice


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + b"x" * 2000,
        b"just some text, not a photo",
        b"GIF89a" + b"\x00" * 200,  # an image, but not one a phone camera makes
        b"\x00" * 5000,
    ],
    ids=["pdf", "text", "gif", "zeros"],
)
def test_what_is_not_a_photo_is_refused_in_words(data):
    with pytest.raises(InvalidPhoto) as refused:
        normalize_photo(data)
    assert refused.value.reason_pt == photos.NOT_AN_IMAGE_PT
    assert not refused.value.too_large


def test_an_empty_upload_is_refused():
    with pytest.raises(InvalidPhoto, match="vazio"):
        normalize_photo(b"")


def test_40_mb_is_refused_as_too_large_before_anything_is_decoded():
    huge = jpeg(photo_like(64, 48)) + b"\x00" * (40 * 1024 * 1024)
    before = Image.core.get_stats()["new_count"]

    with pytest.raises(InvalidPhoto) as refused:
        normalize_photo(huge)

    assert refused.value.too_large
    assert "8 MB" in refused.value.reason_pt
    assert Image.core.get_stats()["new_count"] == before  # no image memory was allocated


def test_one_byte_over_the_upload_limit_is_too_large_and_the_limit_itself_is_not():
    with pytest.raises(InvalidPhoto) as refused:
        normalize_photo(b"\xff" * (MAX_UPLOAD_BYTES + 1))
    assert refused.value.too_large
    with pytest.raises(InvalidPhoto) as refused:
        normalize_photo(b"\xff" * MAX_UPLOAD_BYTES)
    assert not refused.value.too_large


@pytest.mark.parametrize(
    "size",
    [(50_000, 50_000), (9_000, 7_000)],
    ids=["over-pillows-own-cap", "under-pillows-cap-over-ours"],
)
def test_a_decompression_bomb_is_refused_without_allocating_its_pixels(size):
    bomb = png_declaring(*size)
    assert len(bomb) < 200
    before = Image.core.get_stats()["new_count"]

    with pytest.raises(InvalidPhoto) as refused:
        normalize_photo(bomb)

    assert refused.value.reason_pt == photos.TOO_MANY_PIXELS_PT
    assert "megapixels" in refused.value.reason_pt and not refused.value.too_large
    assert Image.core.get_stats()["new_count"] == before


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_truncated_jpeg_is_refused_not_half_decoded(keep):
    whole = jpeg(photo_like(800, 600))
    with pytest.raises(InvalidPhoto) as refused:
        normalize_photo(whole[: int(len(whole) * keep)])
    assert refused.value.reason_pt == photos.BROKEN_PT


def test_a_jpeg_with_damaged_bytes_in_its_header_never_escapes_as_another_error():
    whole = jpeg(photo_like(320, 240), exif_with_gps())
    for start in range(2, 600, 7):
        flipped = bytes(b ^ 0x5A for b in whole[start : start + 9])
        damaged = whole[:start] + flipped + whole[start + 9 :]
        try:
            photo = normalize_photo(damaged)
        except InvalidPhoto as refused:
            assert refused.reason_pt
        else:
            assert_no_metadata(photo.jpeg)


HEADERS = (b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"\x00\x00\x00\x18ftypheic", b"")


@settings(max_examples=80, deadline=None)
@given(header=st.sampled_from(HEADERS), body=st.binary(max_size=4096))
def test_any_bytes_after_an_image_header_are_refused_as_invalid_photo_only(header, body):
    with pytest.raises(InvalidPhoto) as refused:
        normalize_photo(header + body)
    assert refused.value.reason_pt and not refused.value.too_large


def test_a_tiny_picture_is_refused():
    with pytest.raises(InvalidPhoto, match="pequena"):
        normalize_photo(png(Image.new("RGB", (8, 8))))


def test_the_same_photo_normalizes_to_the_same_bytes():
    source = jpeg(photo_like(900, 700), exif_with_gps(6))
    assert normalize_photo(source) == normalize_photo(source)  # the store dedups by content
