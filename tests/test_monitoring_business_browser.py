"""The alerts and the "Negócios" section of the monitoring page in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser_support import StreamlitServer, screenshot, serving_log, wait_for_app_idle
from tests.monitoring_fixtures import week_up_to_today

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StreamlitServer, Any]]:
    """A week with a low acceptance, one server and one Chromium for both screen sizes."""
    folder = tmp_path_factory.mktemp("log")
    week_up_to_today(folder, acceptance=0.2)
    with serving_log(folder) as served:
        yield served


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_a_firing_rule_is_the_first_thing_on_the_page(served, width, height):
    server, browser = served
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{server.url}/monitoring")
    alert = page.get_by_text("Aceitação baixa")
    alert.wait_for(timeout=90_000)
    page.get_by_role("heading", name="Negócios").wait_for(timeout=60_000)
    wait_for_app_idle(page)
    box = alert.bounding_box()
    period = page.get_by_text("Período", exact=True).first.bounding_box()
    assert box is not None and period is not None
    assert box["y"] < period["y"]  # above the filters
    assert box["y"] + box["height"] <= height  # in view without scrolling
    assert "abaixo de 40%" in alert.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, f"monitoring-alert-{width}", full_page=False)
    page.close()
