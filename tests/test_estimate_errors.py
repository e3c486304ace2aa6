"""Each failure of the pricing API reaches the clerk as its own pt-BR message, never a traceback."""

from __future__ import annotations

import pytest

from components import messages
from tests.app_fixtures import app, fill, market_estimate, submit, texts, widget
from tests.browser_support import free_port
from tests.client_fault_server import fault_server

pytestmark = pytest.mark.usefixtures("clean_env")
KEY = "app-error-test-key-7c1d"


@pytest.fixture(scope="module")
def api():
    with fault_server() as running:
        yield running


CASES = {
    "/403": messages.AUTH,
    "/429": "Muitas consultas em pouco tempo. Aguarde 30 s",
    "/500": messages.SERVICE_DOWN,
    "/502": messages.SERVICE_DOWN,
    "/503": messages.SERVICE_DOWN,
    "/504": messages.SERVICE_DOWN,
    "/not-json": messages.INVALID_RESPONSE,
    "/no-prediction": messages.INVALID_RESPONSE,
    "/400": "Dados inválidos em: Memória RAM, Processador.",
}


@pytest.mark.parametrize("path", sorted(CASES))
def test_each_fault_shows_its_message_and_keeps_the_form(api, path, monkeypatch):
    if path == "/503":  # retried with back-off: keep the test fast, behaviour is the same
        monkeypatch.setattr("laptop_pricing.client.backoff_sleep", lambda s: None)
    at = fill(app({"API-ENDPOINT": api.url(path), "API-KEY": KEY}), {"brand": "asus"})
    at = submit(at)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    assert CASES[path] in at.error[0].value
    assert not market_estimate(at)
    assert KEY not in texts(at)
    assert widget(at, "brand").value == "asus"  # the clerk does not retype anything


def test_wrapped_answer_is_priced(api):
    at = submit(app({"API-ENDPOINT": api.url("/wrapped")}))
    assert not at.exception and not at.error
    assert market_estimate(at) == "R$\xa06.712,00"


def test_read_timeout_says_tempo_esgotado(api, monkeypatch):
    from laptop_pricing import client

    monkeypatch.setattr(client, "READ_TIMEOUT", 0.5)
    at = submit(app({"API-ENDPOINT": api.url("/slow")}))
    assert not at.exception
    assert at.error[0].value == messages.TIMEOUT


def test_connection_refused_says_it_could_not_connect(monkeypatch):
    monkeypatch.setattr("laptop_pricing.client.backoff_sleep", lambda s: None)
    at = submit(app({"API-ENDPOINT": f"http://127.0.0.1:{free_port()}/predict"}))
    assert not at.exception
    assert at.error[0].value == messages.CONNECTION


def test_a_later_success_replaces_the_error(api):
    at = submit(app({"API-ENDPOINT": api.url("/403")}))
    assert at.error
    at.secrets["API-ENDPOINT"] = api.url("/ok")
    at = submit(at)
    assert not at.error and market_estimate(at)


def test_wait_text_is_human():
    assert messages.wait_text(None) == "alguns segundos"
    assert messages.wait_text(0.2) == "1 s"
    assert messages.wait_text(30) == "30 s"
    assert messages.wait_text(600) == "10 min"


def test_invalid_fields_names_only_form_fields_in_pt_br():
    assert messages.invalid_fields(["ram_gb", "data", "ram_gb"]) == (
        "Dados inválidos em: Memória RAM. Confira esses campos e tente de novo."
    )
    # Names the service may send that are not on the form must not reach the page in English.
    assert messages.invalid_fields(["body", "color", "data"]) == messages.INVALID_DATA
