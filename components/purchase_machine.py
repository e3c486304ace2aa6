"""Step 3 of the purchase: which machine. The serial number typed, or read from a photo of the
label's barcode or QR (``laptop_pricing.purchase.barcode.read_serial``, here in the app: nothing
is sent); the brand and model as the label says.

The reader runs in the uploader's and the camera's callbacks, before the page is drawn again, so
the serial it finds lands in the serial box (a widget's value may only be set before it is drawn).
"""

from __future__ import annotations

import streamlit as st

from components.purchase_inspection import section
from components.purchase_state import problem_note
from components.purchase_words import (
    BARCODE_NONE,
    BARCODE_READ,
    LABEL_MISSING,
    SERIAL_INVALID,
    SERIAL_MISSING,
)
from laptop_pricing.purchase.barcode import read_serial
from laptop_pricing.purchase.request import SERIAL, normalize_serial

SERIAL_KEY = "purchase_serial"
BRAND_KEY = "purchase_label_brand"
MODEL_KEY = "purchase_label_model"
BARCODE_FILE_KEY = "purchase_barcode_file"
BARCODE_CAMERA_KEY = "purchase_barcode_camera"
BARCODE_CAMERA_ON_KEY = "purchase_barcode_camera_on"
BARCODE_NOTE_KEY = "purchase_barcode_note"
IMAGE_TYPES = ["jpg", "jpeg", "png", "heic", "heif"]


def serial_text() -> str:
    """The serial as the service will read it (its own rule, checked here first so the clerk
    reads the problem beside the box)."""
    serial: str = normalize_serial(str(st.session_state.get(SERIAL_KEY) or ""))
    return serial


def _read_barcode(widget_key: str) -> None:
    """Callback: read the serial from the image just given, or say none was found."""
    image = st.session_state.get(widget_key)
    if image is None:
        return
    serial = read_serial(image.getvalue())
    if serial:
        st.session_state[SERIAL_KEY] = serial
        st.session_state[BARCODE_NOTE_KEY] = ("ok", BARCODE_READ.format(serial=serial))
    else:
        st.session_state[BARCODE_NOTE_KEY] = ("none", BARCODE_NONE)


def machine_step() -> str | None:
    """Draw step 3; returns what it lacks."""
    with section(3):
        typed, reader = st.columns([1, 1], gap="medium")
        with reader:
            st.markdown("**Ler do código de barras**")
            st.file_uploader(
                "Foto da etiqueta com o código de barras ou QR",
                type=IMAGE_TYPES,
                key=BARCODE_FILE_KEY,
                on_change=_read_barcode,
                args=(BARCODE_FILE_KEY,),
                help="Fotografe a etiqueta embaixo do notebook, de perto e sem reflexo.",
            )
            if st.toggle("Usar a câmera", key=BARCODE_CAMERA_ON_KEY):
                st.camera_input(
                    "Aponte para o código de barras da etiqueta",
                    key=BARCODE_CAMERA_KEY,
                    on_change=_read_barcode,
                    args=(BARCODE_CAMERA_KEY,),
                )
        with typed:
            st.text_input(
                "Número de série",
                key=SERIAL_KEY,
                max_chars=40,
                placeholder="Como na etiqueta, ex.: 5CD1234XYZ",
                help="Na etiqueta embaixo do notebook (S/N) ou na BIOS.",
            )
            note = st.session_state.get(BARCODE_NOTE_KEY)
            if note is not None:
                (st.success if note[0] == "ok" else st.warning)(note[1])
            brand, model = st.columns(2)
            brand.text_input("Marca na etiqueta", key=BRAND_KEY, max_chars=40)
            model.text_input("Modelo na etiqueta", key=MODEL_KEY, max_chars=60)
        problem = machine_problem()
        problem_note(3, problem)
    return problem


def machine_problem() -> str | None:
    serial = serial_text()
    if not serial:
        return SERIAL_MISSING
    if not SERIAL.match(serial):
        return SERIAL_INVALID
    brand = str(st.session_state.get(BRAND_KEY) or "").strip()
    model = str(st.session_state.get(MODEL_KEY) or "").strip()
    if not brand or not model:
        return LABEL_MISSING
    return None


def machine_payload() -> dict[str, str]:
    return {
        "serial": serial_text(),
        "label_brand": str(st.session_state.get(BRAND_KEY) or "").strip(),
        "label_model": str(st.session_state.get(MODEL_KEY) or "").strip(),
    }
