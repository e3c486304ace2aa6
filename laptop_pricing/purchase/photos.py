"""A purchase photo as the store keeps it: a small JPEG with no metadata (issue 23, item 4).

Phones send JPEG (sometimes Pillow's "MPO", a JPEG with a second picture), PNG or HEIC/HEIF, with
EXIF that may carry where the photo was taken (GPS) and which way the camera was held.
``normalize_photo`` turns any of them into what the store keeps: upright, at most ``MAX_SIDE``
pixels on the longest side, re-encoded as JPEG with no EXIF, XMP or ICC profile, at most
``MAX_STORED_BYTES``. It refuses, before decoding a pixel, anything over ``MAX_UPLOAD_BYTES`` and
any image declaring more than ``MAX_PIXELS`` (a decompression bomb: a few KB of PNG that would
decode to gigabytes). Refusals are ``InvalidPhoto`` with one pt-BR sentence for the clerk. A
truncated file is refused, never half-decoded (Pillow's ``LOAD_TRUNCATED_IMAGES`` stays False).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1600
MAX_STORED_BYTES = 500 * 1000
# A 48 MP phone photo passes; a PNG or HEIC declaring more is refused before it is decoded.
MAX_PIXELS = 50_000_000
# Pillow opens an MPO (a JPEG with a second picture, as some phones write) as "JPEG".
ACCEPTED_FORMATS = ("JPEG", "PNG", "HEIF")
QUALITIES = (85, 78, 70, 62, 54, 46, 38)
MIN_SIDE = 16

# What Pillow's and pillow-heif's decoders raise on a malformed or truncated file (truncated
# JPEG: OSError; bad chunk: SyntaxError or struct.error; short header: EOFError; bad HEIF
# box: ValueError or RuntimeError). Anything else is a bug and should surface as one.
_DECODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    struct.error,
    RuntimeError,
    Image.DecompressionBombError,
)

pillow_heif.register_heif_opener()

EMPTY_PT = "O arquivo da foto está vazio; tire ou envie a foto de novo."
TOO_LARGE_PT = (
    f"A foto passa de {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; "
    "tire outra com resolução menor ou envie em JPEG."
)
NOT_AN_IMAGE_PT = "O arquivo não é uma foto em JPEG, PNG ou HEIC; envie uma foto."
TOO_MANY_PIXELS_PT = (
    f"A foto tem mais de {MAX_PIXELS // 1_000_000} megapixels; tire outra com resolução menor."
)
TOO_SMALL_PT = "A foto é pequena demais para mostrar o notebook; tire outra mais de perto."
BROKEN_PT = "A foto está incompleta ou corrompida; tire ou envie a foto de novo."


class InvalidPhoto(ValueError):
    """A photo the store cannot keep; ``reason_pt`` is what the clerk reads, ``too_large`` says
    the upload was over ``MAX_UPLOAD_BYTES`` (the API answers 413, not 400)."""

    def __init__(self, reason_pt: str, too_large: bool = False):
        super().__init__(reason_pt)
        self.reason_pt = reason_pt
        self.too_large = too_large


@dataclass(frozen=True)
class NormalizedPhoto:
    """The stored photo: JPEG bytes without metadata and its size in pixels."""

    jpeg: bytes
    width: int
    height: int


def normalize_photo(data: bytes) -> NormalizedPhoto:
    """The photo upright, resized, re-encoded without metadata; ``InvalidPhoto`` if it is none."""
    upright = upright_image(data, MAX_SIDE)
    if min(upright.size) < MIN_SIDE:
        raise InvalidPhoto(TOO_SMALL_PT)
    return _encode(_flatten(upright))


def upright_image(data: bytes, max_side: int) -> Image.Image:
    """The decoded picture, upright and at most ``max_side`` pixels long (the barcode reader
    asks for more than ``MAX_SIDE``), after the size and pixel checks; ``InvalidPhoto`` if not."""
    if not data:
        raise InvalidPhoto(EMPTY_PT)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidPhoto(TOO_LARGE_PT, too_large=True)
    picture = _open(data)
    try:
        if picture.format == "JPEG":  # decoded at a reduced scale when big: less memory
            picture.draft("RGB", (max_side, max_side))
        picture.load()
        upright = ImageOps.exif_transpose(picture)
    except _DECODE_ERRORS as error:
        raise InvalidPhoto(BROKEN_PT) from error
    finally:
        picture.close()
    upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return upright


def _open(data: bytes) -> Image.Image:
    """Read the header only: the format and the declared size, never the pixels."""
    try:
        picture = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as error:  # Pillow's own cap, far above ours
        raise InvalidPhoto(TOO_MANY_PIXELS_PT) from error
    except _DECODE_ERRORS as error:  # UnidentifiedImageError is an OSError
        raise InvalidPhoto(NOT_AN_IMAGE_PT) from error
    width, height = picture.size
    if width * height > MAX_PIXELS:
        picture.close()
        raise InvalidPhoto(TOO_MANY_PIXELS_PT)
    return picture


def _flatten(picture: Image.Image) -> Image.Image:
    """Plain RGB on white: transparency (PNG) has no place in a JPEG, and a fresh image carries
    none of the source's metadata (EXIF, XMP, ICC, text chunks)."""
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    if has_alpha:
        rgba = picture.convert("RGBA")
        clean = Image.new("RGB", rgba.size, (255, 255, 255))
        clean.paste(rgba, mask=rgba.getchannel("A"))
        return clean
    if picture.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey: scale to 8 bits (convert("L") would clip everything above 255 to white).
        picture = picture.point(lambda value: value / 256).convert("L")
    rgb = picture.convert("RGB")
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean


def _encode(picture: Image.Image) -> NormalizedPhoto:
    """JPEG at the best quality that fits ``MAX_STORED_BYTES``; smaller pixels if none does."""
    while True:
        for quality in QUALITIES:
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=quality, optimize=True, exif=b"")
            if buffer.tell() <= MAX_STORED_BYTES:
                return NormalizedPhoto(buffer.getvalue(), picture.width, picture.height)
        # Noise-like content (a photo of a textured surface) can stay big at every quality.
        picture = picture.resize(
            (max(1, picture.width * 3 // 4), max(1, picture.height * 3 // 4)),
            Image.Resampling.LANCZOS,
        )
