"""Fixtures every area's tests share, found by pytest by name (no imports in test modules).

The moto S3 fixtures (``moto_endpoint``, ``s3``, ``bucket``, ``s3_endpoint``) live beside their
helpers in ``service_fixtures`` and ``monitoring_fixtures`` and are registered here as plugins.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from laptop_pricing.settings import KEYS, env_name

pytest_plugins = ("tests.service_fixtures", "tests.monitoring_fixtures")

# The browser files' wall seconds in `make test` (three workers, a file each, on two cores; the
# run of 2026-12-07 18:58 UTC). The files run longest first (`make test` passes
# --no-loadscope-reorder, so xdist keeps this order instead of ordering by test count): a long
# file that starts last keeps one worker busy while the others idle, and the phase is CPU-bound
# only while at least two run. A file not listed runs after these, in its usual order.
BROWSER_FILE_SECONDS = {
    "test_browser_access.py": 274,
    "test_browser_monitoring_charts.py": 163,
    "test_browser_counter.py": 156,
    "test_browser_trade_in.py": 148,
    "test_browser_chain.py": 124,
    "test_browser_outcome.py": 112,
    "test_browser_accessibility.py": 94,
    "test_browser_purchase.py": 93,
    "test_browser_negocios_year.py": 69,
    "test_browser_estimate.py": 64,
    "test_browser_stock.py": 62,
    "test_monitoring_business_browser.py": 39,
    "test_browser_owner_summary.py": 38,
    "test_browser_model_card.py": 21,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest browser files first (a stable sort: each file keeps its own order)."""
    items.sort(key=lambda item: -BROWSER_FILE_SECONDS.get(item.path.name, 0))


@pytest.fixture(autouse=True, scope="session")
def _request_log_outside_the_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The Lambda entry point's request log goes to PREDICTIONS_DIR: keep test requests out of
    var/. Tests that need the rows in a folder of their own build a ``PricingHandler`` with
    their own observer instead of relying on this default.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("PREDICTIONS_DIR", str(tmp_path_factory.mktemp("predictions")))
    patch.delenv("PREDICTIONS_BUCKET", raising=False)
    yield
    patch.undo()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> object:
    """No settings from the developer's shell (every key of ``settings.KEYS``); the local
    request log goes to a temp folder."""
    for key in KEYS:
        monkeypatch.delenv(env_name(key), raising=False)
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "predictions"))
    return tmp_path


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """The monitoring page's cached loads (request log, outcomes, alerts) emptied before and
    after the test, so a test sees the files it wrote."""
    from components import business_data, monitoring_data, resale_data

    monitoring_data.refresh()
    business_data.refresh()
    resale_data.resale_view.clear()
    yield
    monitoring_data.refresh()
    business_data.refresh()
    resale_data.resale_view.clear()
