"""Submit-to-price time, measured in one run so the numbers can be compared on a noisy machine.

1. AppTest, embedded default: click "Calcular oferta" and rerun the page until the price is shown.
2. AppTest, HTTP: the same, with API-ENDPOINT pointing at the local API server
   (``python -m laptop_pricing.api.server`` on a free loopback port, with an API key).
   Reported against (1) as a ratio: the cost of going over HTTP instead of in-process.
3. The clients alone (LocalPricingClient vs HttpPricingClient), to show where the time goes.
4. Real Chromium: from the click on "Calcular oferta" to the price being visible.

    python bench/bench_submit.py [--repeat 30] [--browser-repeat 8] [--no-browser]

Prints a table and writes bench/results/bench_submit.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from laptop_pricing.api.handler import PricingHandler, get_engine  # noqa: E402
from laptop_pricing.client import HttpPricingClient, LocalPricingClient  # noqa: E402
from laptop_pricing.pricing.laptop_spec import LaptopSpec  # noqa: E402
from tests.browser_support import (  # noqa: E402
    StreamlitServer,
    answer_condition,
    chromium_browser,
    free_port,
    open_app,
)

API_KEY = "bench-key"
SETTINGS_ENV = ("API_ENDPOINT", "API_KEY", "PREDICTIONS_BUCKET", "PREDICTIONS_DIR")


def summary(samples_s: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples_s)
    return {
        "n": len(ms),
        "median_ms": statistics.median(ms),
        "p90_ms": ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))],
        "min_ms": ms[0],
    }


class ApiServer:
    """The local API server in a subprocess on a free port, unlimited usage plan, one key."""

    def __init__(self, predictions_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
        env.update({"PRICING_API_KEYS": API_KEY, "PREDICTIONS_DIR": str(predictions_dir)})
        env["POWERTOOLS_METRICS_DISABLED"] = "true"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "laptop_pricing.api.server", "--host", "127.0.0.1",
             "--port", str(self.port), "--rate", "0", "--quota", "0"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the local API server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


# What a clerk chooses first: the form leaves these empty for each new customer.
CHOSEN = {"brand": "dell", "processor_brand": "intel", "processor_name": "core i5", "ssd": 256}


def bench_apptest(secrets: dict[str, str], repeat: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    from components.offer_card import MARKET_LABEL  # the market estimate: no condition asked

    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    for key, value in secrets.items():
        at.secrets[key] = value
    at.run()
    for name, value in CHOSEN.items():  # the form starts with nothing chosen (a new customer)
        key = f"field_{name}"
        kind = at.radio if any(r.key == key for r in at.radio) else at.selectbox
        kind(key=key).set_value(value).run()
    samples = []
    for i in range(repeat + 2):  # two warm-up submits (model load, first connection)
        at.selectbox(key="field_ram_gb").set_value((4, 8, 16, 32)[i % 4]).run()
        started = time.perf_counter()
        at.button(key="submit").click().run()
        elapsed = time.perf_counter() - started
        shown = any(str(m.value).startswith(MARKET_LABEL) for m in at.markdown)
        if at.exception or at.error or not shown:
            raise RuntimeError(f"submit did not show a price: {at.error or at.exception}")
        if i >= 2:
            samples.append(elapsed)
    return samples


def bench_clients(endpoint: str, repeat: int) -> dict[str, list[float]]:
    spec = LaptopSpec.default()
    clients = {
        "local_client": LocalPricingClient(PricingHandler(get_engine())),
        "http_client": HttpPricingClient(endpoint, API_KEY),
    }
    results: dict[str, list[float]] = {name: [] for name in clients}
    for client in clients.values():
        client.price(spec)
    for _ in range(repeat):
        for name, client in clients.items():  # interleaved: both see the same machine noise
            started = time.perf_counter()
            client.price(spec)
            results[name].append(time.perf_counter() - started)
    return results


def bench_browser(repeat: int, predictions_dir: Path) -> tuple[float, list[float]]:
    """(first click on a freshly started server, later clicks each in a fresh session)."""
    samples = []
    with (
        StreamlitServer(env={"PREDICTIONS_DIR": str(predictions_dir)}) as server,
        chromium_browser() as browser,
    ):
        for _ in range(repeat + 1):
            # A fresh session: the laptop chosen and the condition answered, no price yet.
            page = open_app(browser, server, (1280, 1000))
            answer_condition(page)
            price = page.locator(".st-key-offer_card [data-testid='stMetricValue']")
            started = time.perf_counter()
            page.get_by_role("button", name="Calcular oferta").click()
            price.wait_for(state="visible", timeout=30_000)
            elapsed = time.perf_counter() - started
            if "R$" not in price.inner_text():
                raise RuntimeError("the browser did not show a price in reais")
            samples.append(elapsed)
            page.close()
    return samples[0], samples[1:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--browser-repeat", type=int, default=8)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    for name in SETTINGS_ENV:
        os.environ.pop(name, None)

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-submit-") as tmp:
        os.environ["PREDICTIONS_DIR"] = str(Path(tmp) / "app-log")
        server = ApiServer(Path(tmp) / "server-log")
        try:
            endpoint = f"{server.url}/predict"
            results["apptest_embedded"] = summary(bench_apptest({}, args.repeat))
            results["apptest_http"] = summary(
                bench_apptest({"API-ENDPOINT": endpoint, "API-KEY": API_KEY}, args.repeat)
            )
            for name, samples in bench_clients(endpoint, args.repeat * 3).items():
                results[name] = summary(samples)
        finally:
            server.stop()
        if not args.no_browser:
            first, later = bench_browser(args.browser_repeat, Path(tmp) / "browser-log")
            results["browser_first_click"] = summary([first])
            results["browser_click_to_price"] = summary(later)

    ratio = results["apptest_http"]["median_ms"] / results["apptest_embedded"]["median_ms"]
    client_ratio = results["http_client"]["median_ms"] / results["local_client"]["median_ms"]
    print(f"{'measure':<26}{'n':>4}{'median ms':>12}{'p90 ms':>10}{'min ms':>10}")
    for name, row in results.items():
        print(
            f"{name:<26}{row['n']:>4}{row['median_ms']:>12.1f}{row['p90_ms']:>10.1f}"
            f"{row['min_ms']:>10.1f}"
        )
    print(f"ratio apptest_http / apptest_embedded (median): {ratio:.2f}")
    print(f"ratio http_client / local_client (median):      {client_ratio:.2f}")

    out = REPO_ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    report = {**results, "ratio_http_over_embedded": ratio, "ratio_clients": client_ratio}
    (out / "bench_submit.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
