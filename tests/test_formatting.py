"""Brazilian money formatting with Babel, including where no pt_BR system locale exists."""

import os
import subprocess
import sys
from datetime import date

from laptop_pricing.formatting import (
    format_day,
    format_int,
    format_percent,
    format_price,
    format_whole_price,
)
from tests.browser_support import REPO_ROOT


def test_brazilian_reais_with_thousands_dot_and_decimal_comma():
    assert format_price(6712) == "R$\xa06.712,00"
    assert format_price(1234567.5) == "R$\xa01.234.567,50"
    assert format_price(0) == "R$\xa00,00"


def test_currency_from_the_answer_is_honoured():
    assert format_price(10, "USD") == "US$\xa010,00"
    assert format_price(10, None) == "R$\xa010,00"


def test_same_text_under_lang_c_where_pt_br_locale_is_missing():
    env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
    env.pop("LANGUAGE", None)
    code = (
        "import locale; from laptop_pricing.formatting import format_price; "
        "print(locale.setlocale(locale.LC_ALL), ascii(format_price(6712)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["C", "'R$\\xa06.712,00'"]


def test_counts_percentages_dates_and_whole_prices_the_brazilian_way():
    assert format_int(28591) == "28.591"
    assert format_int(1_234_567) == "1.234.567"
    assert format_percent(0.1234) == "12,3%"
    assert format_percent(-0.05, 0) == "-5%"
    assert format_day(date(2025, 6, 3)) == "03/06/2025"
    assert format_whole_price(3840.4) == "R$\xa03.840"
    assert format_whole_price(13840.6) == "R$\xa013.841"
