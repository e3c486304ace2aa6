"""The monitoring page's words for whole files the reader set aside: one pt-BR line each, so an
empty period caused by an unreadable file says which file and why instead of only "nothing"."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from components.monitoring_tables import SET_ASIDE_REASONS
from laptop_pricing.monitoring.sources import SetAside

MOST_SHOWN = 10


def set_aside_files(notes: Sequence[SetAside]) -> None:
    """One warning line per file set aside whole (its rows are in no chart)."""
    files = [note for note in notes if note.line is None]
    for note in files[:MOST_SHOWN]:
        why = SET_ASIDE_REASONS.get(note.reason, note.reason)
        st.warning(f"O arquivo {note.file} foi deixado de lado: {why}.", icon=":material/warning:")
    if len(files) > MOST_SHOWN:
        st.warning(f"E mais {len(files) - MOST_SHOWN} arquivos deixados de lado.")
