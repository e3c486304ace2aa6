"""Pictures for the purchase tests, made at test time (no big binaries in git): phone photos with
EXIF (GPS, orientation), HEIC, decompression bombs, barcode labels as a camera sees them, and the
Y4M file Chromium's fake camera plays (``--use-file-for-fake-video-capture``)."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pillow_heif
import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SERIAL_LABEL_PNG = FIXTURES / "serial_label.png"
LABEL_SERIAL = "5CD1234XYZ"  # the serial the committed label and the fake camera show

ORIENTATION = 0x0112
GPS_IFD = 0x8825
GPS_MARKER = b"GPS-AT-THE-SELLERS-HOUSE"
DESCRIPTION_MARKER = "Foto de Maria da Silva"

FORMATS = {
    "code128": zxingcpp.BarcodeFormat.Code128,
    "code39": zxingcpp.BarcodeFormat.Code39,
    "qr": zxingcpp.BarcodeFormat.QRCode,
    "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
    "ean13": zxingcpp.BarcodeFormat.EAN13,
}


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    """What a phone writes: where the photo was taken (São Paulo), a description, the
    orientation; the GPS processing method carries a marker a byte search can find."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010E] = DESCRIPTION_MARKER  # ImageDescription
    exif[GPS_IFD] = {
        0x0001: "S",
        0x0002: (23.0, 33.0, 1.0),
        0x0003: "W",
        0x0004: (46.0, 38.0, 2.0),
        0x001B: b"ASCII\x00\x00\x00" + GPS_MARKER,  # GPSProcessingMethod
    }
    return exif


def grain(size: tuple[int, int], sigma: float, seed: int) -> Image.Image:
    """Gaussian noise around mid-grey, drawn from ``seed``: Pillow's ``effect_noise`` draws from
    C's generator, which no seed here reaches, so its pictures changed from run to run."""
    noise = np.random.default_rng(seed).normal(128, sigma, (size[1], size[0]))
    return Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8), "L")


def photo_like(width: int, height: int, seed: int = 7) -> Image.Image:
    """A picture JPEG cannot shrink to nothing: a gradient with grain, like a real photo; the
    same bytes every run for a ``seed``."""
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = grain((width, height), 30, seed)
    return Image.merge("RGB", (gradient, noise, ImageChops.add(gradient, noise, 2.0, 0)))


def halves(width: int, height: int) -> Image.Image:
    """Left half red, right half blue: after a rotation, which half is where says which way."""
    picture = Image.new("RGB", (width, height), (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, width // 2, height))
    return picture


def jpeg(picture: Image.Image, exif: Image.Exif | None = None, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    extra = {"exif": exif.tobytes()} if exif is not None else {}
    picture.save(buffer, "JPEG", quality=quality, **extra)
    return buffer.getvalue()


def png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def heic(picture: Image.Image, exif: Image.Exif | None = None) -> bytes:
    """An iPhone's format, written by pillow-heif (its encoder ships in the wheel)."""
    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    extra = {"exif": exif.tobytes()} if exif is not None else {}
    picture.save(buffer, "HEIF", quality=80, **extra)
    return buffer.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` × ``height`` RGB pixels (a decompression bomb:
    the pixel data is a few zero bytes, the declared size is what a decoder would allocate)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _png_chunk(b"IEND", b"")
    )


def barcode_image(text: str, kind: str, scale: int = 3) -> Image.Image:
    """The barcode alone, black on white with its quiet zone, drawn by zxing-cpp's writer."""
    symbol = zxingcpp.create_barcode(text, FORMATS[kind])
    return Image.fromarray(symbol.to_image(scale=scale)).convert("L")


def serial_label(serial: str = LABEL_SERIAL, kind: str = "code128") -> Image.Image:
    """A laptop's label: brand line, the barcode, "S/N" and the serial in print."""
    code = barcode_image(serial, kind, scale=2 if kind in ("code128", "code39") else 4)
    label = Image.new("L", (max(code.width + 40, 320), code.height + 70), 255)
    draw = ImageDraw.Draw(label)
    draw.text((20, 10), "Notebook Exemplo 15 - Modelo EX-1500", fill=0)
    label.paste(code, ((label.width - code.width) // 2, 28))
    draw.text((20, code.height + 40), f"S/N: {serial}", fill=0)
    return label


def label_photo(serial: str, kind: str, angle: float = 7.0, seed: int = 3) -> bytes:
    """The label as a phone photographs it: on the laptop's grey underside, tilted, scaled,
    with sensor noise and a little blur, saved as a JPEG."""
    rng = random.Random(seed)
    label = serial_label(serial, kind).convert("RGB")
    label = label.resize((label.width * 3 // 2, label.height * 3 // 2), Image.Resampling.BICUBIC)
    tilted = label.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=None)
    mask = Image.new("L", label.size, 255).rotate(angle, expand=True)
    scene = Image.new("RGB", (1280, 960), (96, 98, 104))
    scene.paste(tilted, (rng.randint(60, 200), rng.randint(60, 200)), mask)
    noise = grain(scene.size, 18, seed).convert("RGB")
    scene = ImageChops.add(scene, noise, 1.0, -128).filter(ImageFilter.GaussianBlur(0.8))
    return jpeg(scene, quality=85)


def camera_frame(serial: str = LABEL_SERIAL, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """What the fake camera shows: the Code128 label centred on a desk-grey frame."""
    label = serial_label(serial, "code128").convert("RGB")
    frame = Image.new("RGB", size, (150, 150, 150))
    label = ImageOps.contain(label, (size[0] - 40, size[1] - 40))
    frame.paste(label, ((size[0] - label.width) // 2, (size[1] - label.height) // 2))
    return frame


def write_y4m(picture: Image.Image, path: Path, frames: int = 2) -> Path:
    """``picture`` as a YUV4MPEG2 4:2:0 file (what Chromium's fake camera plays, in a loop)."""
    width, height = picture.width // 2 * 2, picture.height // 2 * 2
    y, u, v = picture.convert("RGB").resize((width, height)).convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = (
        b"FRAME\n"
        + y.tobytes()
        + u.resize(half, Image.Resampling.BOX).tobytes()
        + v.resize(half, Image.Resampling.BOX).tobytes()
    )
    header = f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * frames)
    return path


def write_serial_label_y4m(directory: Path, serial: str = LABEL_SERIAL) -> Path:
    """The fake-camera file for the browser test: ``<directory>/serial_label.y4m``."""
    return write_y4m(camera_frame(serial), directory / "serial_label.y4m")


def fake_camera_args(y4m: Path) -> tuple[str, ...]:
    """Chromium's switches for a camera that plays ``y4m`` and needs no permission prompt
    (add them to ``browser_support.CHROMIUM_ARGS`` when launching)."""
    return (
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
    )


# Run in a page: the first frame the camera shows, drawn on a canvas, as a JPEG data URL.
CAPTURE_FRAME_JS = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia({video: true});
  const video = document.createElement('video');
  video.srcObject = stream; video.muted = true;
  await video.play();
  await new Promise(resolve => video.requestVideoFrameCallback(resolve));
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  stream.getTracks().forEach(track => track.stop());
  return canvas.toDataURL('image/jpeg', 0.9);
}"""


def read_y4m_first_frame(path: Path) -> Image.Image:
    """The luma of the first frame, as a grey picture (enough to read a barcode back)."""
    data = path.read_bytes()
    header, _, rest = data.partition(b"\n")
    fields = {part[:1]: part[1:] for part in header.split()[1:]}
    width, height = int(fields[b"W"]), int(fields[b"H"])
    if not rest.startswith(b"FRAME\n"):
        raise ValueError("not a Y4M frame")
    luma = rest[len(b"FRAME\n") : len(b"FRAME\n") + width * height]
    return Image.frombytes("L", (width, height), luma)
