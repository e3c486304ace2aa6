"""Numbers, money, percentages and dates the Brazilian way, with Babel: the one pt-BR formatter.

``locale.setlocale('pt_BR')`` crashed the course app where that locale is not installed; Babel
carries its own CLDR data, so this works under ``LANG=C`` too. Pages never format by hand
(``f"{n:,}".replace(",", ".")``): they call these.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal
from babel.numbers import format_percent as babel_format_percent

LOCALE = "pt_BR"
# Brasília time has had no daylight saving since 2019: a fixed offset needs no tz database.
BRASILIA = timezone(timedelta(hours=-3), "BRT")
DEFAULT_CURRENCY = "BRL"


def format_price(amount: float, currency: str | None = None) -> str:
    """``6712 -> 'R$\\xa06.712,00'`` (Babel puts a non-breaking space after the symbol)."""
    return format_currency(amount, currency or DEFAULT_CURRENCY, locale=LOCALE)


def format_whole_price(amount: float, currency: str | None = None) -> str:
    """``3840.4 -> 'R$\xa03.840'``: whole reais, where a KPI has no room (or need) for cents, and
    for amounts rounded by nature (an explanation's contributions, comparable laptops' prices)."""
    return format_currency(
        round(amount),
        currency or DEFAULT_CURRENCY,
        format="¤\xa0#,##0",
        locale=LOCALE,
        currency_digits=False,
    )


def format_int(value: int) -> str:
    """``28591 -> '28.591'``."""
    return format_decimal(value, format="#,##0", locale=LOCALE)


def format_decimal_number(value: float, digits: int = 3) -> str:
    """``0.4312 -> '0,431'``: a statistic with exactly ``digits`` after the comma."""
    return format_decimal(value, format="#,##0." + "0" * digits, locale=LOCALE)


def format_threshold(value: float) -> str:
    """``0.1 -> '0,1'``, ``0.25 -> '0,25'``: a cut-off as written, without trailing zeros."""
    return format_decimal(value, format="#,##0.###", locale=LOCALE)


def format_percent(share: float, digits: int = 1) -> str:
    """``0.1234 -> '12,3%'`` (a share between 0 and 1; ``digits`` after the comma)."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return babel_format_percent(share, format=pattern, locale=LOCALE)


def format_day(day: date) -> str:
    """``date(2025, 6, 3) -> '03/06/2025'``."""
    return babel_format_date(day, "dd/MM/yyyy", locale=LOCALE)


def masked_email(email: object) -> str:
    """An e-mail as a page shows it to anyone but an owner, and as an outcome keeps its author:
    first letter and domain (``a***@loja.com.br``); masking a masked address gives it back. The
    full address is personal data (docs/security.md)."""
    if not isinstance(email, str) or "@" not in email:
        return ""
    local, domain = email.strip().rsplit("@", 1)
    return f"{local[:1]}***@{domain}"
