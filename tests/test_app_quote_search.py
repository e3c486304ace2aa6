"""*Buscar cotação* with ``API-ENDPOINT`` set: the app finds a quote through the API alone, with
no AWS credentials and no storage of its own that holds the quote."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from components.quote_search import LOOKUP_KEY
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.trade_in.condition import Condition
from tests.app_fixtures import CLERK, app, texts
from tests.service_fixtures import ApiServer

KEY = "app-quote-search-key"

pytestmark = pytest.mark.usefixtures("clean_env")


def test_a_quote_is_found_through_the_api_without_aws_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_env = {"PREDICTIONS_DIR": str(tmp_path / "server-log"), "PRICING_API_KEYS": KEY}
    with ApiServer(tmp_path, server_env) as server:
        from laptop_pricing.client import HttpPricingClient

        priced = HttpPricingClient(server.url + "/predict", KEY)
        _, trade_in = priced.price_trade_in(LaptopSpec.default(), Condition.best())
        # The app's process: no AWS credentials anywhere in the chain, and a bucket setting
        # pointing at a port where nothing listens, so any storage read of its own would fail;
        # its local folder is empty (the quote is in the server's folder only).
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "app-folder"))
        at = app(
            {
                "API-ENDPOINT": server.url + "/predict",
                "API-KEY": KEY,
                "PREDICTIONS-BUCKET": "bucket-the-app-cannot-reach",
                "AWS-ENDPOINT-URL": "http://127.0.0.1:9",
            },
            user=CLERK,  # production shows Buscar cotação only to a signed-in clerk
        )
        at.text_input(key=LOOKUP_KEY).input(trade_in.quote_id).run()
    assert not at.exception, at.exception
    assert any("Cotação válida até" in s.value for s in at.success), texts(at)
    assert trade_in.quote_id in texts(at)
    assert not (tmp_path / "app-folder").exists()
