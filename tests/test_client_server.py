"""HttpPricingClient against our own local API server (the Lambda handler behind a gateway
stand-in with API keys and a usage plan), started as `python -m laptop_pricing.api.server`."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest

from laptop_pricing.api.handler import PricingHandler, get_engine
from laptop_pricing.client import HttpPricingClient, LocalPricingClient
from laptop_pricing.errors import AuthError, RateLimited
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.settings import KEYS, env_name
from tests.browser_support import REPO_ROOT, free_port
from tests.waiting_support import wait_until

KEY = "client-server-test-key"


def start_server(tmp_path, *args: str):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {env_name(key) for key in KEYS}}
    env.update(
        PRICING_API_KEYS=KEY,
        PREDICTIONS_DIR=str(tmp_path / "log"),
        POWERTOOLS_METRICS_DISABLED="true",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "laptop_pricing.api.server", "--host", "127.0.0.1",
         "--port", str(port), *args],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode())
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return True
        except OSError:
            return False

    if wait_until(healthy, 60, 0.1):
        return process, f"{url}/predict"
    process.kill()
    raise RuntimeError("local API server did not start")


@pytest.fixture
def server(tmp_path, request):
    process, endpoint = start_server(tmp_path, *getattr(request, "param", ()))
    yield endpoint
    process.terminate()
    process.wait(timeout=15)


def test_right_key_prices_like_the_in_process_client(server):
    spec = LaptopSpec.default()
    assert HttpPricingClient(server, KEY).price(spec) == LocalPricingClient(
        PricingHandler(get_engine())
    ).price(spec)


def test_explain_over_http_brings_the_same_explanation_and_comparables(server):
    spec = LaptopSpec.from_payload(
        {**LaptopSpec.default().to_payload()["data"], "processor_gnrtn": "11th", "msoffice": "1"}
    )
    client = HttpPricingClient(server, KEY)
    quote = client.price(spec, explain=True, comparables=True)
    local = LocalPricingClient(PricingHandler(get_engine()))
    assert quote == local.price(spec, explain=True, comparables=True)
    explanation = quote.explanation
    assert explanation is not None and 3 <= len(quote.comparables) <= 5
    assert explanation.baseline + sum(c.amount for c in explanation.contributions) == quote.price
    # Each only when asked.
    assert client.price(spec).explanation is None and not client.price(spec).comparables
    alone = client.price(spec, explain=True)
    assert alone.explanation == explanation and not alone.comparables
    alone = client.price(spec, comparables=True)
    assert alone.explanation is None and alone.comparables == quote.comparables


def test_wrong_or_missing_key_is_an_auth_error(server):
    for key in ("wrong-key", None):
        with pytest.raises(AuthError) as caught:
            HttpPricingClient(server, key).price(LaptopSpec.default())
        assert caught.value.status == 403


@pytest.mark.parametrize("server", [("--rate", "0.01", "--burst", "1")], indirect=True)
def test_usage_plan_throttling_is_rate_limited_with_the_wait(server):
    client = HttpPricingClient(server, KEY, sleep=lambda s: pytest.fail("must not wait 100 s"))
    client.price(LaptopSpec.default())
    with pytest.raises(RateLimited) as caught:
        client.price(LaptopSpec.default())
    assert caught.value.retry_after and caught.value.retry_after > 10
