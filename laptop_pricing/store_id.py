"""Which store of a chain: the one definition of a store id.

A store id is a lower-case slug (``centro``, ``loja-sul-2``): letters a–z, digits and single
hyphens between them, at most ``MAX_STORE_ID_LENGTH`` characters. It is a key in the records
(``store_id`` in the request log, outcomes and purchases) and a file name in a policy folder
(``<store_id>.toml``), so nothing else is ever accepted: a bad id is refused where it enters
(the ``STORE-ID`` setting, an entry of ``CLERK-EMAILS``, the API body's ``store_id``), never
folded into another store's.

Rows written before stores existed hold no store id: every reader reads them as
``DEFAULT_STORE_ID``, the single-store default.
"""

from __future__ import annotations

import re

STORE_ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_STORE_ID_LENGTH = 40
DEFAULT_STORE_ID = "loja"
STORE_ID_FIELD = "store_id"  # the records' column and the API body's field beside ``data``


def is_store_id(value: object) -> bool:
    """A slug of at most ``MAX_STORE_ID_LENGTH`` characters (ASCII only: no case folding)."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_STORE_ID_LENGTH
        and value.isascii()
        and STORE_ID_PATTERN.fullmatch(value) is not None
    )


def store_of(value: object) -> str:
    """A stored cell read as a store: empty or absent (a row older than stores) is the default."""
    text = str(value or "").strip()
    return text or DEFAULT_STORE_ID


def store_label(store_id: str) -> str:
    """``centro`` -> ``Centro``, ``loja-sul-2`` -> ``Loja Sul 2``: a slug as a person says it."""
    return " ".join(part.capitalize() for part in store_id.split("-"))
