"""The owner's week at the top of Monitoramento in real Chromium, at 1366×768 and on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from laptop_pricing.formatting import format_whole_price
from tests.browser_support import StreamlitServer, screenshot, serving_log, wait_for_app_idle
from tests.monitoring_fixtures import known_weeks_up_to_today
from tests.synthetic_owner_week import EXPECTED_WEEK

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def metric_value(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has_text=label).first
    return box.get_by_test_id("stMetricValue").inner_text().replace("\xa0", " ")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StreamlitServer, Any]]:
    """The known weeks, one server and one Chromium for both screen sizes."""
    folder = tmp_path_factory.mktemp("log")
    known_weeks_up_to_today(folder)
    with serving_log(folder) as served:
        yield served


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_the_owner_week_shows_the_known_week_above_the_filters(served, width, height):
    server, browser = served
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{server.url}/monitoring")
    heading = page.get_by_role("heading", name="A semana da loja")
    heading.wait_for(timeout=90_000)
    page.get_by_role("heading", name="Negócios").wait_for(timeout=60_000)
    wait_for_app_idle(page)
    assert metric_value(page, "Notebooks comprados") == "7"
    assert metric_value(page, "Valor pago") == format_whole_price(EXPECTED_WEEK["spent"]).replace(
        "\xa0", " "
    )
    assert metric_value(page, "Ofertas feitas") == "13"
    assert metric_value(page, "Recusadas pelo preço") == "3"
    assert "+4" in page.get_by_test_id("stMetric").first.inner_text()
    assert page.get_by_text("Viu um igual por R$ 2.000 na OLX").is_visible()
    summary = heading.bounding_box()
    period = page.get_by_text("Período", exact=True).first.bounding_box()
    assert summary is not None and period is not None
    assert summary["y"] < period["y"]  # money first, above the filters
    assert page.locator("[data-testid='stException']").count() == 0
    heading.scroll_into_view_if_needed()
    screenshot(page, f"owner-summary-{width}", full_page=False)
    page.close()
