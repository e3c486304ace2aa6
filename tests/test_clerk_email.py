"""The signed-in clerk's e-mail never reaches the request log (personal data, PRODUCT.md).

The app no longer sends it with a price request; the handler ignores a ``clerk_email`` an older
app still sends beside ``data`` (priced 200 as before) and the observer is never told who asked.
Embedded: the in-process client and handler. HTTP: the local server's app on a real loopback
port. Each checks every stored byte of the request log (raw rows, day CSV, rollup).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from laptop_pricing.api.gateway import Gateway
from laptop_pricing.api.handler import PricingHandler, get_engine
from laptop_pricing.api.server import build_app
from laptop_pricing.api.service import RecordingObserver
from laptop_pricing.client import LocalPricingClient, gateway_event
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE
from laptop_pricing.request_log import RequestLog
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.policy import load_policy
from laptop_pricing.trade_in.quote import QuoteIssuer
from tests.app_fixtures import CLERK, SCRATCHED, answer, app, market_estimate, submit
from tests.client_fault_server import fault_server
from tests.request_log_support import local_store, logged_rows
from tests.service_fixtures import running

SPEC = LaptopSpec.default()
KEY = "clerk-email-test-key"
OLD_BODY = {"data": dict(CONTRACT_EXAMPLE), "clerk_email": CLERK}


class Recorder:
    """Keeps what the handler tells the observer, by name, to show who asked is not in it."""

    def __init__(self) -> None:
        self.told: list[dict[str, object]] = []

    def on_priced(self, spec, quote, latency_ms, request_id, **named) -> None:
        self.told.append(named)


def logging_handler(folder: Path) -> PricingHandler:
    """The real handler, its issuer and a request log in ``folder``."""
    observer = RecordingObserver(RequestLog(local_store(folder)))
    return PricingHandler(get_engine(), observer, QuoteIssuer(load_policy()))


def stored_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def assert_no_email_kept(folder: Path, count: int) -> None:
    """``count`` rows, each with an empty clerk cell, and the e-mail in no stored file."""
    rows = logged_rows(local_store(folder))  # closes the day: the day CSV and the rollup
    assert [row["clerk_email"] for row in rows] == [""] * count
    assert CLERK.encode() not in stored_bytes(folder).lower()


@pytest.mark.parametrize("sent", [CLERK, " Ana@Loja.com.br ", "Ana Souza", 42, {"e": "a@b.com"}])
def test_an_old_clients_clerk_email_is_ignored_and_priced_as_without_it(sent):
    recorder = Recorder()
    handler = PricingHandler(get_engine(), recorder)
    with_email = handler(gateway_event({**OLD_BODY, "clerk_email": sent}))
    without = handler(gateway_event({"data": dict(CONTRACT_EXAMPLE)}))
    assert with_email["statusCode"] == 200
    assert json.loads(with_email["body"]) == json.loads(without["body"])
    assert len(recorder.told) == 2
    assert all("clerk_email" not in named for named in recorder.told)


def test_embedded_an_old_body_with_the_email_leaves_no_byte_of_it_in_the_log(tmp_path):
    handler = logging_handler(tmp_path)
    assert handler(gateway_event(OLD_BODY))["statusCode"] == 200
    trade_in = {**OLD_BODY, "condition": Condition.best().as_dict()}
    assert handler(gateway_event(trade_in))["statusCode"] == 200
    LocalPricingClient(handler).price(SPEC)
    assert_no_email_kept(tmp_path, 3)


def test_http_an_old_client_and_the_signed_in_app_leave_no_byte_of_the_email(clean_env):
    folder = clean_env / "served-log"
    with running(build_app(logging_handler(folder), Gateway((KEY,)))) as url:
        old = requests.post(url + "/predict", json=OLD_BODY, headers={"x-api-key": KEY}, timeout=30)
        assert old.status_code == 200 and isinstance(old.json()["prediction"], int)
        secrets = {"API-ENDPOINT": url + "/predict", "API-KEY": KEY}
        at = submit(answer(app(secrets, user=CLERK), SCRATCHED))
        assert market_estimate(at) and not at.error
    assert_no_email_kept(folder, 2)


@pytest.mark.usefixtures("clean_env")
def test_the_app_in_http_mode_sends_no_email_of_the_signed_in_clerk():
    with fault_server() as server:
        at = submit(app({"API-ENDPOINT": server.url("/ok"), "API-KEY": "k"}, user=CLERK))
        assert market_estimate(at)
        sent = server.requests[-1]
    assert "clerk_email" not in json.loads(sent["body"])
    assert CLERK.encode() not in sent["body"] and b"Nome" not in sent["body"]
    assert not any(CLERK in str(value) for value in sent["headers"].values())


def test_compacting_again_clears_the_email_older_rows_were_logged_with(tmp_path):
    """Rows logged before the e-mail left the log hold it in their day file; compacting the
    day again (``compact --all``) writes the day file and its month without it."""
    from datetime import date

    from tests.request_log_support import compact_closed
    from tests.synthetic_logs import SAMPLE_CLERKS, day_csv

    store = local_store(tmp_path)
    day = date(2025, 6, 30)
    (tmp_path / store.layout.day_key(day)).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / store.layout.day_key(day)).write_bytes(day_csv(day, 20))  # the old layout
    assert SAMPLE_CLERKS[0].encode() in (tmp_path / store.layout.day_key(day)).read_bytes()
    compact_closed(store, day)
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert not any(clerk.encode() in stored for clerk in SAMPLE_CLERKS)
    assert len(logged_rows(store, day)) == 20  # every row kept, only the e-mail gone
