"""Every page renders through AppTest, with and without secrets; the form is driven by key."""

from __future__ import annotations

import pytest

from components.laptop_form import NOT_INFORMED
from components.mode_notice import EMBEDDED_NOTICE
from laptop_pricing.formatting import format_price
from laptop_pricing.log_columns import LOG_COLUMNS
from laptop_pricing.pricing.engine import PricingEngine
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import FIELDS, FIELDS_BY_NAME, PROCESSORS_BY_BRAND
from tests.app_fixtures import (
    CLERK,
    OWNER,
    PAGES,
    app,
    fill,
    market_estimate,
    submit,
    texts,
    widget,
)
from tests.client_fault_server import fault_server

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture(scope="module")
def api():
    with fault_server() as running:
        yield running


def secrets_for(api, path="/ok"):
    return {"API-ENDPOINT": api.url(path), "API-KEY": "app-test-key"}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("with_secrets", [False, True], ids=["no-secrets", "secrets"])
def test_every_page_renders_without_exception(api, page, with_secrets):
    at = app(secrets_for(api), user=OWNER) if with_secrets else app()
    assert not at.exception
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{page} shows no title"


def test_form_has_one_widget_per_field_of_the_schema_kind(api):
    at = app()
    for field in FIELDS:
        found = widget(at, field.name)
        kind = type(found).__name__.lower()
        expected = {"selectbox": "selectbox", "radio": "radio", "number_input": "numberinput"}
        assert kind == expected[field.widget], (field.name, kind)
        assert found.label == field.label
        assert found.value == (NOT_INFORMED if field.default is None else field.default)


def test_option_labels_come_from_the_schema():
    at = app()
    brand = widget(at, "brand")
    assert brand.options == [o.label for o in FIELDS_BY_NAME["brand"].options]
    assert widget(at, "ssd").options[0] == FIELDS_BY_NAME["ssd"].option_label(0) == "Nenhum"


def test_warranty_is_bounded_to_the_allowed_years():
    at = app()
    warranty = widget(at, "warranty")
    assert (warranty.min, warranty.max, warranty.step) == (0, 3, 1)


@pytest.mark.parametrize("brand", sorted(PROCESSORS_BY_BRAND))
def test_processor_options_follow_the_processor_brand(brand):
    at = fill(app(), {"processor_brand": brand})
    processor = widget(at, "processor_name")
    assert processor.options == [
        FIELDS_BY_NAME["processor_name"].option_label(v) for v in PROCESSORS_BY_BRAND[brand]
    ]
    fits = "core i5" in PROCESSORS_BY_BRAND[brand]  # the chosen one, if that brand makes it
    assert processor.value == ("core i5" if fits else None)


def test_changing_brand_drops_a_processor_it_does_not_make_and_keeps_one_that_still_fits():
    at = fill(app(), {"processor_name": "core i7", "processor_brand": "amd"})
    assert widget(at, "processor_name").value is None
    at = fill(app(), {"processor_name": "other", "processor_brand": "m1"})
    assert widget(at, "processor_name").value == "other"
    fill(at, {"processor_brand": "intel"})
    assert widget(at, "processor_name").value == "other"  # still valid: kept


def test_http_mode_prices_and_shows_brazilian_money_range_and_version(api):
    at = submit(fill(app(secrets_for(api)), {"brand": "hp", "ram_gb": 16}))
    assert not at.exception
    assert market_estimate(at) == "R$\xa06.712,00"
    page = texts(at)
    assert "entre R$\xa05.900,00 e R$\xa07.600,00" in page
    assert "Versão do modelo: 7" in page
    assert EMBEDDED_NOTICE not in page
    sent = api.requests[-1]
    assert b'"brand": "hp"' in sent["body"] and b'"ram_gb": "16"' in sent["body"]


def test_history_keeps_each_estimate_and_offers_a_csv(api):
    at = submit(app(secrets_for(api)))
    at = submit(fill(at, {"brand": "asus"}))
    assert len(at.dataframe) == 1
    assert len(at.dataframe[0].value) == 2
    assert list(at.dataframe[0].value["Marca"]) == ["Asus", "Dell"]  # newest first


def test_changed_form_after_a_price_says_the_price_is_stale(api):
    at = submit(app(secrets_for(api), user=CLERK))
    assert not at.warning
    at = fill(at, {"ram_gb": 32})
    assert market_estimate(at) and "mudaram" in at.warning[0].value


def test_form_keeps_its_values_after_visiting_another_page(api):
    at = fill(app(secrets_for(api), user=OWNER), {"brand": "lenovo", "warranty": 2})
    at.switch_page("views/monitoring.py").run()
    at.switch_page("views/estimate.py").run()
    assert widget(at, "brand").value == "lenovo"
    assert widget(at, "warranty").value == 2


def test_embedded_default_prices_a_laptop_without_any_configuration():
    values = {"brand": "lenovo", "processor_brand": "amd", "ram_gb": 16, "ssd": 512}
    values = {**values, "processor_name": "ryzen 3"}
    at = submit(fill(app(), values))
    assert not at.exception and not at.error
    spec = LaptopSpec.from_payload({**LaptopSpec.default().as_dict(), **values})
    expected = PricingEngine.load().price(spec)
    assert market_estimate(at) == format_price(expected.price, expected.currency)
    page = texts(at)
    assert f"Versão do modelo: {expected.version}" in page
    assert EMBEDDED_NOTICE in page


def test_embedded_estimate_is_logged_once_in_the_folder_the_secrets_name(tmp_path, monkeypatch):
    """The in-process handler logs where the app's settings (here: secrets) say, exactly once."""
    monkeypatch.delenv("PREDICTIONS_DIR")
    folder = tmp_path / "from-secrets"
    at = submit(fill(app({"PREDICTIONS-DIR": str(folder)}), {"brand": "asus"}))
    assert market_estimate(at) and not at.error
    from laptop_pricing.storage.records import decode_records

    files = list(folder.rglob("_records/*.jsonl"))  # the record; the compactor makes the day file
    assert len(files) == 1
    rows = decode_records(files[0].read_bytes()).records
    assert len(rows) == 1
    assert set(rows[0]) <= set(LOG_COLUMNS)  # no condition sent: no trade-in cells
    assert rows[0]["brand"] == "asus"


def test_history_csv_holds_every_field_price_and_version(api):
    import pandas as pd

    from components.history import HISTORY_KEY, to_csv

    at = submit(fill(app(secrets_for(api)), {"brand": "hp"}))
    text = to_csv(pd.DataFrame(at.session_state[HISTORY_KEY])).decode("utf-8-sig")
    header, row = text.splitlines()
    assert header.split(";")[1 : 1 + len(FIELDS)] == [f.label for f in FIELDS]
    assert header.endswith(
        "Estimativa de mercado (R$);Faixa mínima (R$);Faixa máxima (R$);Moeda;Versão do modelo;"
        "Oferta (R$);Cotação;Válida até"
    )
    # No condition answered: no offer and no quote, the cells stay empty.
    assert row.split(";")[1] == "HP" and row.endswith("6712;5900;7600;BRL;7;;;")
