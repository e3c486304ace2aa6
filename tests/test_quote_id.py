"""Quote ids: unique, readable, checked, and each names the day file that holds it."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from laptop_pricing.trade_in.quote_id import (
    InvalidQuoteId,
    QuoteIdGenerator,
    parse_quote_id,
    quote_id_day,
)

FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def test_100_000_ids_have_no_duplicates_and_each_decodes_to_its_day():
    generator = QuoteIdGenerator()
    start = datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)  # crosses midnight half way
    ids = []
    for i in range(100_000):
        moment = start + timedelta(microseconds=20 * i)
        quote_id = generator.new(moment)
        ids.append((quote_id, moment.date()))
    assert len({quote_id for quote_id, _ in ids}) == 100_000
    for quote_id, day in ids[::97] + ids[-3:]:
        assert FORMAT.match(quote_id), quote_id
        assert quote_id_day(quote_id) == day


def test_a_generator_never_repeats_even_when_the_clock_stands_still_or_goes_back():
    generator = QuoteIdGenerator(random_bits=lambda bits: 0)
    now = datetime(2026, 1, 2, 10, tzinfo=UTC)
    ids = [generator.new(now - timedelta(milliseconds=i % 3)) for i in range(5_000)]
    assert len(set(ids)) == 5_000


def test_typing_is_forgiving_but_a_mistyped_symbol_is_caught():
    quote_id = QuoteIdGenerator(random.Random(7).getrandbits).new(
        datetime(2026, 3, 4, 15, tzinfo=UTC)
    )
    typed = quote_id.lower().replace("-", " ").replace("0", "o").replace("1", "i")
    assert parse_quote_id(typed) == quote_id
    assert quote_id_day(typed) == date(2026, 3, 4)
    symbols = quote_id.replace("-", "")
    for position in range(len(symbols)):
        for other in "0123456789ABCDEFGHJKMNPQRSTVWXYZ":
            if other == symbols[position]:
                continue
            wrong = symbols[:position] + other + symbols[position + 1 :]
            with pytest.raises(InvalidQuoteId):
                parse_quote_id(wrong)


@pytest.mark.parametrize("text", ["", "ABC", "ABCD-EFGH-JKMU", "ABCD-EFGH-JKM*", "A" * 40])
def test_what_is_not_a_quote_id_is_refused(text):
    with pytest.raises(InvalidQuoteId):
        parse_quote_id(text)
