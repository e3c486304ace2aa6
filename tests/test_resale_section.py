"""The "Estoque e revenda" section drawn in AppTest from a synthetic year's figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from laptop_pricing.resale.synthetic import YearPlan, generate_year, model_catalog
from laptop_pricing.resale.synthetic_files import write_year


def _section_script(folder: str) -> None:
    from pathlib import Path

    from components.resale_section import resale_section
    from laptop_pricing.resale.figures import resale_figures
    from laptop_pricing.resale.resale_terms import ResaleTerms
    from laptop_pricing.resale.synthetic_files import read_items
    from laptop_pricing.trade_in.policy import load_policy

    sold, stocked = read_items(Path(folder))
    today = max(s.sold_on for s in sold)
    resale_section(resale_figures(sold, stocked, load_policy(), ResaleTerms(), today))


@pytest.fixture(scope="module")
def year_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    year = generate_year(21, YearPlan(quotes=700), catalog=model_catalog())
    return write_year(year, tmp_path_factory.mktemp("resale"))


def test_the_section_shows_money_first_tables_and_the_gamer_suggestion(year_folder):
    at = AppTest.from_function(_section_script, args=(str(year_folder),), default_timeout=30)
    at.run()
    assert not at.exception
    assert at.subheader[0].value == "Estoque e revenda"
    assert "sintéticos" in at.info[0].value
    assert at.metric[0].label == "Valor pago em estoque"
    assert at.metric[0].value.startswith("R$")
    assert [d.value.columns[1] for d in at.dataframe] == [
        "Vendidos",  # margins
        "Em estoque no mês",  # sell-through
        "Vendas sem defeitos",  # the resale share against the policy's
        "Vendas",  # the deductions against the policy's
        "Vendas",  # the prediction's error
    ]
    margins = at.dataframe[0].value
    assert margins["Categoria"].tolist()[-1] == "Todos"
    texts = " ".join(m.value for m in at.markdown)
    assert "notebooks gamer: vendemos a" in texts
    assert "Estoque e revenda" not in texts
