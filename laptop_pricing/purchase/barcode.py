"""The laptop's serial read from a photo of its label (issue 23, item 4), with zxing-cpp.

Labels carry the serial as a Code128 or Code39 bar code, sometimes as a QR or Data Matrix;
beside it may be codes that are not the serial (the product's EAN/UPC, a part number).
``read_serial`` reads every code in the photo and returns the most plausible serial: the longest
text that is a serial as the purchase accepts it (3 to 40 of ``A-Z 0-9 - . /`` and space,
upper-cased), never an EAN/UPC (a product's number).
It returns None when nothing fits and never raises: the clerk then types the serial.
"""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image

from laptop_pricing.purchase.photos import InvalidPhoto, upright_image

# Big enough for a label's narrow bars in a photo of the whole underside; a phone photo is
# decoded at a reduced JPEG scale down to it (the barcode reader tries smaller scales itself).
READ_SIDE = 2400
TURNS = (0.0, -22.5, 22.5)
SERIAL_TEXT = re.compile(r"[A-Z0-9\-./ ]{3,40}")
FORMATS = zxingcpp.BarcodeFormats(
    [
        zxingcpp.BarcodeFormat.Code128,
        zxingcpp.BarcodeFormat.Code39,
        zxingcpp.BarcodeFormat.Code93,
        zxingcpp.BarcodeFormat.QRCode,
        zxingcpp.BarcodeFormat.DataMatrix,
        zxingcpp.BarcodeFormat.PDF417,
        zxingcpp.BarcodeFormat.Aztec,
    ]
)


def read_serial(image_bytes: bytes) -> str | None:
    """The serial a label's bar code or QR says, or None (no code, not a photo, no serial)."""
    try:
        grey = upright_image(image_bytes, READ_SIDE).convert("L")
    except InvalidPhoto:
        return None
    for turn in TURNS:
        # The reader finds a bar code within about 15 degrees of level (and at right angles);
        # a label photographed at a slant is turned back and read again.
        turned = grey.rotate(turn, Image.Resampling.BILINEAR, expand=True, fillcolor=128)
        serial = most_plausible_serial(_texts(turned if turn else grey))
        if serial is not None:
            return serial
    return None


def most_plausible_serial(texts: list[str]) -> str | None:
    """The longest text that is a serial (first read wins a tie), upper-cased and trimmed."""
    serials = [s for s in (t.strip().upper() for t in texts) if SERIAL_TEXT.fullmatch(s)]
    return max(serials, key=len) if serials else None


def _texts(grey: Image.Image) -> list[str]:
    """Every decoded text; a second pass with a global threshold when the local one finds none
    (an evenly lit label with a faint print)."""
    texts: list[str] = []
    for binarizer in (zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram):
        try:
            found = zxingcpp.read_barcodes(grey, formats=FORMATS, binarizer=binarizer)
        except (RuntimeError, ValueError):  # the bindings' errors on an image they cannot take
            return texts
        texts.extend(code.text for code in found if code.valid)
        if texts:
            break
    return texts
