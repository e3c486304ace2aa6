"""Quote ids: short, unambiguous to read aloud or type, unique, and they say which day to read.

``K3F0-4R9T-MD2X``: twelve Crockford base32 symbols (digits and letters without I, L, O, U, so
0/O and 1/I/L cannot be confused: typing an O or an I is read as 0 or 1) in three groups:

* symbols 1–3: the UTC day the quote was made, counted from 2024-01-01 (good until 2113), which
  is the request-log day file that holds it, so finding a quote reads one day file;
* symbols 4–11: 40 bits, the millisecond of that day (27 bits) and 13 random bits; a generator
  never repeats itself within a day (a clash with its previous id moves it one step on), and two
  processes clash only if they pick the same millisecond and the same 13 random bits;
* symbol 12: a check symbol (Luhn mod 32), so a mistyped symbol or two swapped neighbours are
  caught before any day file is read.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
_VALUES.update({"O": 0, "I": 1, "L": 1})
EPOCH = date(2024, 1, 1)
DAY_SYMBOLS = 3
BODY_SYMBOLS = 8
LENGTH = DAY_SYMBOLS + BODY_SYMBOLS + 1
RANDOM_BITS = 13
MAX_DAYS = 32**DAY_SYMBOLS
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = (EPOCH - _UNIX_EPOCH.date()).days
_ONE_MS = timedelta(milliseconds=1)


class InvalidQuoteId(ValueError):
    """Text that is not a quote id (wrong length, a symbol outside the alphabet, bad check)."""


class MistypedQuoteId(InvalidQuoteId):
    """Twelve valid symbols whose check symbol does not match: one of them was mistyped."""


def _encode(value: int, width: int) -> str:
    symbols = []
    for _ in range(width):
        value, digit = divmod(value, 32)
        symbols.append(ALPHABET[digit])
    if value:
        raise ValueError("value does not fit")
    return "".join(reversed(symbols))


def _decode(symbols: str) -> int:
    value = 0
    for symbol in symbols:
        value = value * 32 + _VALUES[symbol]
    return value


def check_symbol(payload: str) -> str:
    """Luhn mod 32 over the payload's symbols."""
    total, factor = 0, 2
    for symbol in reversed(payload):
        addend = factor * _VALUES[symbol]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def _grouped(symbols: str) -> str:
    return "-".join(symbols[i : i + 4] for i in range(0, LENGTH, 4))


def parse_quote_id(text: str) -> str:
    """The canonical ``XXXX-XXXX-XXXX`` form of what a clerk typed (any case, with or without
    hyphens and spaces, O for 0, I or L for 1); raises ``InvalidQuoteId``."""
    if not isinstance(text, str):
        raise InvalidQuoteId("a quote id is text")
    cleaned = "".join(text.split()).replace("-", "").upper()
    if len(cleaned) != LENGTH:
        raise InvalidQuoteId(f"a quote id has {LENGTH} symbols")
    if any(symbol not in _VALUES for symbol in cleaned):
        raise InvalidQuoteId("a quote id has only digits and the letters A–Z without U")
    symbols = "".join(ALPHABET[_VALUES[s]] for s in cleaned)
    if check_symbol(symbols[:-1]) != symbols[-1]:
        raise MistypedQuoteId("the check symbol does not match: a symbol was mistyped")
    return _grouped(symbols)


def quote_id_day(quote_id: str) -> date:
    """The UTC day a quote was made (the day file that holds it)."""
    symbols = parse_quote_id(quote_id).replace("-", "")
    return EPOCH + timedelta(days=_decode(symbols[:DAY_SYMBOLS]))


class QuoteIdGenerator:
    """Makes quote ids; thread-safe, and never the same id twice in one process."""

    def __init__(self, random_bits: Callable[[int], int] | None = None):
        # Seeded from the OS per generator; ids need to differ, not to be secret.
        self._random_bits = random_bits or random.Random().getrandbits
        self._last: tuple[int, int] | None = None  # (day number, body)
        self._lock = threading.Lock()

    def new(self, moment: datetime) -> str:
        if moment.tzinfo is None:
            raise ValueError("quote ids need a timezone-aware time")
        milliseconds = (moment - _UNIX_EPOCH) // _ONE_MS  # exact integer arithmetic
        days, millisecond = divmod(milliseconds, 86_400_000)
        day = days - _EPOCH_DAY
        if not 0 <= day < MAX_DAYS:
            raise ValueError(f"{moment.date()} is outside the days a quote id can name")
        body = (millisecond << RANDOM_BITS) | self._random_bits(RANDOM_BITS)
        with self._lock:
            if self._last is not None and self._last[0] == day and body <= self._last[1]:
                body = self._last[1] + 1
            self._last = (day, body)
        payload = _encode(day, DAY_SYMBOLS) + _encode(body, BODY_SYMBOLS)
        return _grouped(payload + check_symbol(payload))
