"""Money the Brazilian way with Babel (``R$ 6.712,00``), independent of the machine's locale.

``locale.setlocale('pt_BR')`` crashed the course app where that locale is not installed; Babel
carries its own CLDR data, so this works under ``LANG=C`` too.
"""

from __future__ import annotations

from datetime import timedelta, timezone

LOCALE = "pt_BR"
# Brasília time has had no daylight saving since 2019: a fixed offset needs no tz database.
BRASILIA = timezone(timedelta(hours=-3), "BRT")
DEFAULT_CURRENCY = "BRL"


def format_price(amount: float, currency: str | None = None) -> str:
    """``6712 -> 'R$\\xa06.712,00'`` (Babel puts a non-breaking space after the symbol)."""
    from babel.numbers import format_currency  # here: the Lambda image needs BRASILIA, not Babel

    return format_currency(amount, currency or DEFAULT_CURRENCY, locale=LOCALE)
