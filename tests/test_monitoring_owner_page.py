"""The owner's week at the top of the monitoring page, through AppTest on a local log folder."""

from __future__ import annotations

import re

import pytest

from laptop_pricing.formatting import format_whole_price
from tests.app_fixtures import monitoring_page, texts
from tests.monitoring_fixtures import known_weeks_up_to_today
from tests.synthetic_owner_week import EXPECTED_WEEK, NOTES

pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")


def test_the_owner_week_shows_the_known_weeks_money_first(clean_env):
    known_weeks_up_to_today(clean_env / "predictions")
    at = monitoring_page()
    assert at.subheader[0].value == "A semana da loja"
    shown: dict[str, tuple[str, str]] = {}
    for m in at.metric:  # the summary's own, before the "Negócios" section's "Em aberto"
        shown.setdefault(m.label, (m.value, m.delta))
    assert shown["Notebooks comprados"] == ("7", "+4")
    assert shown["Valor pago"] == (
        format_whole_price(EXPECTED_WEEK["spent"]),
        "+" + format_whole_price(EXPECTED_WEEK["spent"] - 3000) + "",
    )
    assert shown["Ofertas feitas"] == ("13", "+8")
    assert shown["Recusadas pelo preço"] == ("3", "+2")
    assert shown["Em aberto"] == ("2", "+1")
    assert shown["Estimativa de mercado do modelo (mediana)"][0] == format_whole_price(2800)
    assert shown["Oferta mediana"][0] == format_whole_price(1400)
    assert shown["Valor pago mediano"][0] == format_whole_price(1150)
    page = texts(at)
    assert "a loja comprou 7 notebooks" in page
    shown_as_typed = re.sub(r"\\(.)", r"\1", page)  # Markdown escapes removed
    assert all(f"- {note}" in shown_as_typed for note in NOTES)
    assert "Pedidos hoje" in shown and "Pedidos hoje (UTC)" not in shown


def test_the_summary_sits_above_the_period_filter(clean_env):
    known_weeks_up_to_today(clean_env / "predictions")
    at = monitoring_page()
    labels = [m.label for m in at.metric]
    assert labels.index("Notebooks comprados") < labels.index("Pedidos no período")
