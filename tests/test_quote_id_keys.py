"""Quote ids as 64-bit keys (``monitoring.quote_id_keys``): a canonical id's key is its twelve
symbols' value, two ids share a key only when they are the same id, and anything else has no
key, whatever the column's layout (chunked, sliced, dictionary, missing cells)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from laptop_pricing.monitoring.quote_id_keys import NO_KEY, quote_id_keys
from laptop_pricing.trade_in.quote_id import ALPHABET, QuoteIdGenerator, parse_quote_id


def generated(n: int, seed: int = 3) -> list[str]:
    """Canonical ids over several days, as the counter makes them."""
    rng = random.Random(seed)
    generator = QuoteIdGenerator(rng.getrandbits)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    minutes = [rng.randrange(60 * 24 * 400) for _ in range(n)]
    return [generator.new(start + timedelta(minutes=m)) for m in minutes]


def symbol_value(quote_id: str) -> int:
    """The id's twelve symbols read as one base-32 number, written here the slow way."""
    value = 0
    for symbol in quote_id.replace("-", ""):
        value = value * 32 + ALPHABET.index(symbol)
    return value


def test_a_canonical_id_s_key_is_its_symbols_value():
    ids = generated(500)
    keys = quote_id_keys(pa.array(ids))
    assert keys.dtype == np.int64
    assert keys.tolist() == [symbol_value(i) for i in ids]
    extremes = ["0000-0000-0000", "ZZZZ-ZZZZ-ZZZZ"]  # the key is the value, not a check
    assert quote_id_keys(pa.array(extremes)).tolist() == [0, 32**12 - 1]


def test_ids_share_a_key_only_when_they_are_the_same_id():
    ids = [*generated(20_000), "0000-0000-0001", "1000-0000-0000"]
    keys = quote_id_keys(pa.array(ids))
    assert len(set(keys.tolist())) == len(set(ids))
    repeated = quote_id_keys(pa.array(ids + ids[:5]))
    assert repeated[-5:].tolist() == keys[:5].tolist()


NOT_CANONICAL = [
    "",
    "k3f0-4r9t-md2x",  # what a clerk may type; parse_quote_id would make it canonical
    "K3F04R9TMD2X",  # no hyphens
    "K3F0 4R9T MD2X",
    "K3F0-4R9T-MD2U",  # U is not a symbol
    "O3F0-4R9T-MD2X",  # O, I and L are read as 0 and 1 only by parse_quote_id
    "I3F0-4R9T-MD2X",
    "K3F0-4R9T-MD2",  # too short
    "K3F0-4R9T-MD2XX",
    "K3F0_4R9T-MD2X",
    "K3F0-4R9T-MD2\u00e9",  # 14 bytes but not 14 characters
    "Q001",
]


@pytest.mark.parametrize("text", NOT_CANONICAL)
def test_anything_but_a_canonical_id_has_no_key(text):
    good = generated(3)
    keys = quote_id_keys(pa.array([good[0], text, good[1], None, good[2]]))
    assert keys[[1, 3]].tolist() == [NO_KEY, NO_KEY]
    assert keys[[0, 2, 4]].tolist() == [symbol_value(i) for i in good]


def test_the_lower_case_form_a_clerk_types_has_the_key_of_the_id_it_parses_to():
    """No key for the typed form, the canonical one has it: the caller parses first."""
    typed = generated(1)[0].lower()
    assert quote_id_keys(pa.array([typed]))[0] == NO_KEY
    assert quote_id_keys(pa.array([parse_quote_id(typed)]))[0] == symbol_value(typed.upper())


def test_every_layout_of_a_column_gives_the_same_keys():
    ids = generated(300)
    expected = [symbol_value(i) for i in ids]
    whole = pa.array(ids)
    layouts = {
        "large": whole.cast(pa.large_string()),
        "chunked": pa.chunked_array([whole.slice(0, 100), whole.slice(100)]),
        "sliced": pa.array(["x", *ids]).slice(1),
        "dictionary": whole.dictionary_encode(),
        "empty chunked": pa.chunked_array([], pa.string()),
    }
    for name, column in layouts.items():
        keys = quote_id_keys(column).tolist()
        assert keys == ([] if name == "empty chunked" else expected), name
    mixed = pa.array([ids[0], "", ids[1], "Q001", ids[2]])  # the per-row gather path
    assert quote_id_keys(mixed).tolist() == [expected[0], NO_KEY, expected[1], NO_KEY, expected[2]]
    assert quote_id_keys(pa.array([None, None], pa.string())).tolist() == [NO_KEY, NO_KEY]
