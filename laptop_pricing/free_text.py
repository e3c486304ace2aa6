"""Free text a client sends (an outcome's note, a negotiation's reason): checked on the way in.

One place decides what such a field may hold, so every route refuses the same things with the
same reasons (400 naming the field) and nothing a reader or the compactor cannot take is ever
stored:

* white space (newline, tab...) folds to single spaces: a stored row stays one line;
* any other control character (NUL, escape, C1), a lone surrogate (not encodable as UTF-8) or a
  bidirectional override (text that displays in another order than it is stored) is refused;
* a CPF (its check digits verified by ``python-stdnum``) or a Brazilian phone number is refused:
  notes must not carry the customer's personal data (LGPD; docs/security.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from stdnum.br import cpf

CONTROL_REASON = "must not contain control characters"
PERSONAL_DATA_REASON = "must not contain a CPF or a phone number (customer data)"

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_CPF = re.compile(r"(?<!\d)\d{3}[.\s]?\d{3}[.\s]?\d{3}[-.\s]?\d{2}(?!\d)")
# A phone: optional +55, a two-digit area code (in parentheses or not), then 8 or 9 digits in
# one or two groups; or, without the area code, two groups joined by a dash (9876-5432).
_PHONE_WITH_AREA = re.compile(
    r"(?<![\d,.])(?:\+?\s?55[\s.-]?)?\(?0?[1-9]\d\)?[\s.-]?9?\d{4}[\s.-]?\d{4}(?![\d,])"
)
_PHONE_LOCAL = re.compile(r"(?<![\d,.])9?\d{4}-\d{4}(?![\d,])")


@dataclass(frozen=True)
class TextFault:
    """Why a free-text value is refused (the 400's reason)."""

    reason: str


def one_line(text: str) -> str:
    """White space of any kind folded to single spaces, ends trimmed."""
    return " ".join(text.split())


def fault(text: str) -> TextFault | None:
    """Why ``text`` (already folded to one line) cannot be stored; None when it can."""
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            return TextFault(CONTROL_REASON)
    if has_personal_data(text):
        return TextFault(PERSONAL_DATA_REASON)
    return None


def has_personal_data(text: str) -> bool:
    """A valid CPF or something shaped like a Brazilian phone number."""
    for match in _CPF.finditer(text):
        if cpf.is_valid(re.sub(r"\D", "", match.group())):
            return True
    return bool(_PHONE_WITH_AREA.search(text) or _PHONE_LOCAL.search(text))
