"""Step 4 of the purchase: 2 to 6 photos of the machine (lid, screen on, keyboard, label, any
damage), from the phone's files or gallery (``st.file_uploader``) or a tablet's camera
(``st.camera_input``, one shot at a time, kept until removed).

Each photo is normalized here (``laptop_pricing.purchase.photos.normalize_photo``: upright,
≤ 1600 px, JPEG ≤ 500 KB, no EXIF and so no GPS) and shown as a thumbnail; it is uploaded through
the client only at "Concluir compra", so leaving halfway stores nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st

from components.purchase_inspection import section
from components.purchase_machine import IMAGE_TYPES
from components.purchase_state import problem_note
from components.purchase_words import PHOTOS_FEW, PHOTOS_MANY
from laptop_pricing.purchase.photos import InvalidPhoto, NormalizedPhoto, normalize_photo

FILES_KEY = "purchase_photo_files"
CAMERA_KEY = "purchase_photo_camera"
CAMERA_ON_KEY = "purchase_photo_camera_on"
SHOTS_KEY = "purchase_photo_shots"  # raw sha -> normalized, the camera's shots in order
NORMALIZED_KEY = "purchase_photo_normalized"  # raw sha -> NormalizedPhoto | pt-BR refusal
KINDS = {
    "lid": "Tampa",
    "screen": "Tela ligada",
    "keyboard": "Teclado",
    "label": "Etiqueta",
    "damage": "Defeito ou dano",
}
ORDER = ("lid", "screen", "keyboard", "label", "damage", "damage")
REFUSED_PHOTO = "A foto {name} não foi aceita: {reason}"


@dataclass(frozen=True)
class Photo:
    """A photo ready to upload: its content id (sha256 of the normalized JPEG, 16 hex), the
    JPEG and what it shows."""

    photo_key: str
    jpeg: bytes
    kind: str


def kind_key(photo_key: str) -> str:
    return f"purchase_photo_kind_{photo_key}"


def normalized(data: bytes) -> NormalizedPhoto | str:
    """The photo normalized once per content in this session, or why it was refused."""
    cache: dict[str, NormalizedPhoto | str] = st.session_state.setdefault(NORMALIZED_KEY, {})
    raw = hashlib.sha256(data).hexdigest()
    if raw not in cache:
        try:
            cache[raw] = normalize_photo(data)
        except InvalidPhoto as error:
            cache[raw] = error.reason_pt
    return cache[raw]


def _keep_shot() -> None:
    """Callback: keep the camera's new shot (the widget holds one picture at a time)."""
    shot = st.session_state.get(CAMERA_KEY)
    if shot is None:
        return
    data = shot.getvalue()
    shots: dict[str, bytes] = st.session_state.setdefault(SHOTS_KEY, {})
    shots.setdefault(hashlib.sha256(data).hexdigest(), data)


def _remove_shot(raw: str) -> None:
    st.session_state.get(SHOTS_KEY, {}).pop(raw, None)


def photos_step(minimum: int, maximum: int) -> tuple[list[Photo], str | None]:
    """Draw step 4; returns the photos to upload and what the step lacks."""
    with section(4):
        st.caption(
            f"De {minimum} a {maximum} fotos: tampa, tela ligada, teclado, etiqueta e cada "
            "defeito. A localização e os dados da câmera são apagados."
        )
        files = st.file_uploader(
            "Enviar fotos (JPG, PNG ou HEIC)",
            type=IMAGE_TYPES,
            accept_multiple_files=True,
            key=FILES_KEY,
        )
        if st.toggle("Tirar com a câmera", key=CAMERA_ON_KEY):
            st.camera_input("Foto do notebook", key=CAMERA_KEY, on_change=_keep_shot)
        sources: list[tuple[str, bytes, str | None]] = [
            (f.name, f.getvalue(), None) for f in files or ()
        ]
        shots: dict[str, bytes] = st.session_state.get(SHOTS_KEY, {})
        sources += [(f"da câmera {n}", data, raw) for n, (raw, data) in enumerate(shots.items(), 1)]
        photos, refusals = _thumbnails(sources)
        for refusal in refusals:
            st.error(refusal, icon=":material/no_photography:")
        problem = None
        if len(photos) < minimum:
            problem = PHOTOS_FEW.format(min=minimum, count=len(photos))
        elif len(photos) > maximum:
            extra = len(photos) - maximum
            problem = PHOTOS_MANY.format(max=maximum, count=len(photos), extra=extra)
        problem_note(4, problem, now=len(photos) > maximum)
    return photos, problem


def _thumbnails(sources: list[tuple[str, bytes, str | None]]) -> tuple[list[Photo], list[str]]:
    photos: list[Photo] = []
    refusals: list[str] = []
    seen: set[str] = set()
    columns = st.columns(3)
    for name, data, shot in sources:
        result = normalized(data)
        if isinstance(result, str):
            refusals.append(REFUSED_PHOTO.format(name=name, reason=result))
            continue
        photo_key = hashlib.sha256(result.jpeg).hexdigest()[:16]
        if photo_key in seen:  # the same picture twice counts once
            continue
        seen.add(photo_key)
        default = ORDER[min(len(photos), len(ORDER) - 1)]
        with columns[len(photos) % 3]:
            number = len(photos) + 1
            st.image(
                result.jpeg,
                caption=f"Foto {number}",
                alt=f"Foto {number} do notebook, como será guardada",
                width="stretch",
            )
            kind = st.selectbox(
                f"O que a foto {len(photos) + 1} mostra",
                tuple(KINDS),
                index=tuple(KINDS).index(default),
                format_func=KINDS.__getitem__,
                key=kind_key(photo_key),
            )
            if shot is not None:
                st.button(
                    "Remover",
                    key=f"purchase_photo_remove_{photo_key}",
                    on_click=_remove_shot,
                    args=(shot,),
                    icon=":material/delete:",
                    type="tertiary",
                )
        photos.append(Photo(photo_key, result.jpeg, kind))
    return photos, refusals
