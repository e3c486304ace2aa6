"""The monitoring page in real Chromium with a year of requests: it renders; we look at it."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from laptop_pricing.pricing.artifact import read_metadata
from laptop_pricing.pricing.schema import FIELDS
from tests.browser_support import StreamlitServer, chromium_browser, screenshot, wait_for_app_idle
from tests.monitoring_fixtures import write_files
from tests.synthetic_logs import day_files

pytestmark = [pytest.mark.browser, pytest.mark.slow]

END = date(2025, 6, 30)


def test_a_year_of_requests_renders_every_section(tmp_path):
    metadata = read_metadata()
    versions = ("2025.01.10-ridge", "2025.03.02-gradient_boosting", metadata.version)
    days = day_files(
        END,
        365,
        prefix="laptop-prediction-real-data",
        reference=metadata.reference["fields"],
        versions=versions,
    )
    days = list(days)
    write_files(tmp_path, days)
    requests = sum(data.count(b"\n") - 1 for _, data in days)  # each file: a header, rows
    with (
        StreamlitServer(env={"PREDICTIONS_DIR": str(tmp_path)}) as server,
        chromium_browser() as browser,
    ):
        page = browser.new_page(viewport={"width": 1440, "height": 4600})
        page.goto(server.url)
        page.get_by_role("link", name="Monitoramento").click()
        page.get_by_text("Pedidos no período").wait_for(timeout=60_000)
        wait_for_app_idle(page)
        page.get_by_text("Tudo", exact=True).click()
        page.get_by_text("Pedidos no período").wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        page.get_by_text("Os pedidos ainda se parecem com o treino?").wait_for(timeout=60_000)
        page.get_by_text("Qualidade dos dados").wait_for(timeout=60_000)
        wait_for_app_idle(page)
        page.wait_for_timeout(1500)  # let Plotly finish drawing before the picture
        assert page.locator(".js-plotly-plot").count() == 4 + len(FIELDS)  # one per field
        assert page.get_by_text("Pedidos por dia e versão do modelo").count() >= 1
        assert page.locator("[data-testid='stException']").count() == 0
        assert "Traceback" not in page.content()
        for plot in page.locator(".js-plotly-plot").all():
            title = plot.locator(".gtitle").bounding_box()
            assert title is not None
            for legend in plot.locator("g.legend").all():
                box = legend.bounding_box()
                assert not overlaps(title, box), "a legend is drawn on its figure's title"
                for note in plot.locator("g.annotation").all():  # the subplot titles
                    assert not overlaps(box, note.bounding_box()), "a legend covers a subplot title"
        path = screenshot(page, "monitoring-year")
        assert path.stat().st_size > 50_000
        with page.expect_download(timeout=60_000) as caught:
            page.get_by_role("button", name="pedidos filtrados (CSV)").click()
        download = caught.value
        assert download.suggested_filename == "pedidos_2024-06-30_a_2025-06-30.csv"
        downloaded = pd.read_csv(download.path(), dtype=str)
        assert len(downloaded) == requests
        assert "clerk_email" not in downloaded and "request_id" not in downloaded


def overlaps(a: dict, b: dict) -> bool:
    """Two bounding boxes (x, y, width, height in page pixels) share some area."""
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )
