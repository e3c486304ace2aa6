"""The monitoring page in real Chromium with any amount of data, checked on the SVG it drew:
one day, one week and a year give whole-day date ticks without repeats, integer count ticks,
and a market-estimate KPI shown in full; a year also draws every section, no legend on a
title, and downloads every request."""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd
import pytest

from laptop_pricing.pricing.artifact import read_metadata
from laptop_pricing.pricing.schema import FIELDS
from tests.browser_support import (
    StreamlitServer,
    chromium_browser,
    overlaps,
    screenshot,
    wait_for_app_idle,
)
from tests.monitoring_fixtures import write_files
from tests.synthetic_logs import day_files

pytestmark = [pytest.mark.browser, pytest.mark.slow]

END = date(2025, 6, 30)
DATE_AXES = ("Pedidos por dia e versão do modelo", "Preço estimado ao longo do tempo")
COUNT_AXES = ("Pedidos por dia e versão do modelo", "Distribuição dos preços estimados")
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# Tick texts of every plot, by title; read after Plotly has drawn.
TICKS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => ({
  title: plot.querySelector('.gtitle')?.textContent ?? '',
  x: [...plot.querySelectorAll('.xaxislayer-above .xtick text')].map(t => t.textContent),
  y: [...plot.querySelectorAll('.yaxislayer-above .ytick text')].map(t => t.textContent),
}))"""
# Metric values whose text does not fit their box (Streamlit cuts them with an ellipsis).
CUT_METRICS_JS = """() => [...document.querySelectorAll('[data-testid="stMetricValue"] *')]
  .filter(e => e.children.length === 0 && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent)"""


# A deadline, not a timing check: a year's page cold, beside two other browser tests on a
# 2-core runner, has taken 65 s.
PAGE_WAIT = 150_000


def open_monitoring(page, server, days: int) -> None:
    # app.py first: a fresh server's first session that lands on /monitoring runs the page file
    # alone (Streamlit's pages/ folder discovery), without app.py's page setup.
    page.goto(server.url)
    page.get_by_text("Avaliar notebook").first.wait_for(timeout=60_000)
    page.goto(f"{server.url}/monitoring")  # on a phone the sidebar with the link is closed
    page.get_by_text("Pedidos no período").wait_for(timeout=PAGE_WAIT)
    wait_for_app_idle(page)
    if days > 30:
        page.get_by_text("Tudo", exact=True).click()
        wait_for_app_idle(page)
    page.locator(".js-plotly-plot").nth(4).wait_for(timeout=PAGE_WAIT)
    page.wait_for_timeout(1500)  # Plotly draws its ticks after the element appears


def tall_screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its own container, so a full-page screenshot
    shows only the viewport; a viewport as tall as the content shows everything."""
    height = page.evaluate(
        "document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 4000"
    )
    page.set_viewport_size({"width": page.viewport_size["width"], "height": height + 200})
    page.wait_for_timeout(1000)
    screenshot(page, name, full_page=False)


def day_tick(label: str) -> date:
    return datetime.strptime(label, "%d/%m/%y").date()


@pytest.mark.parametrize(("days", "rows_per_day"), [(1, 3), (7, None), (365, None)])
def test_ticks_read_right_for_any_amount_of_data(tmp_path, days, rows_per_day):
    metadata = read_metadata()
    written = list(
        day_files(
            END,
            days,
            rows_per_day=rows_per_day,
            prefix="laptop-prediction-real-data",
            reference=metadata.reference["fields"],
            versions=("2025.01.10-ridge", metadata.version),
        )
    )
    write_files(tmp_path, written)
    with (
        StreamlitServer(env={"PREDICTIONS_DIR": str(tmp_path)}) as server,
        chromium_browser() as browser,
    ):
        page = browser.new_page(viewport=DESKTOP)
        open_monitoring(page, server, days)
        plots = {p["title"]: p for p in page.evaluate(TICKS_JS)}
        screenshot(page, f"monitoring-{days}-days-desktop", full_page=False)
        tall_screenshot(page, f"monitoring-{days}-days-desktop-whole")
        for title in DATE_AXES:
            labels = plots[title]["x"]
            assert labels, f"{title}: no date ticks"
            assert len(labels) == len(set(labels)), f"{title}: repeated date ticks {labels}"
            ticks = [day_tick(label) for label in labels]  # dd/mm/yy, whole days
            assert ticks == sorted(ticks)
            assert all(ticks[0] <= t <= END for t in ticks[1:])
            if days == 1:
                assert ticks == [END], f"{title}: one day of data, ticks {labels}"
        for title in COUNT_AXES:
            labels = plots[title]["y"]
            assert labels and all(re.fullmatch(r"\d{1,3}(\.\d{3})*", v) for v in labels), labels
            assert len(labels) == len(set(labels)), f"{title}: repeated count ticks {labels}"
        version_ticks = plots["Versões do modelo em produção"]["x"]
        assert len(version_ticks) == len(set(version_ticks)), version_ticks
        assert page.evaluate(CUT_METRICS_JS) == [], "a KPI value is cut off"
        estimate = page.get_by_test_id("stMetric").filter(has_text="Estimativa de mercado mediana")
        assert "R$" in estimate.get_by_test_id("stMetricValue").inner_text()
        if days == 365:
            every_section_and_the_download(page, written)

        phone = browser.new_page(viewport=PHONE)
        open_monitoring(phone, server, days)
        assert phone.evaluate(CUT_METRICS_JS) == [], "a KPI value is cut off on a phone"
        scroll = phone.evaluate("document.scrollingElement.scrollWidth")
        assert scroll <= PHONE["width"], f"the page scrolls sideways on a phone ({scroll} px)"
        screenshot(phone, f"monitoring-{days}-days-phone", full_page=False)
        tall_screenshot(phone, f"monitoring-{days}-days-phone-whole")


def every_section_and_the_download(page, written: list[tuple[str, bytes]]) -> None:
    """A year: every section is drawn (one share figure per field), no legend covers a title,
    no error, and "Baixar" gives a CSV of every request written, without the clerk's e-mail
    or the request id."""
    page.get_by_text("Os pedidos ainda se parecem com o treino?").wait_for(timeout=PAGE_WAIT)
    page.get_by_text("Qualidade dos dados").wait_for(timeout=PAGE_WAIT)
    assert page.locator(".js-plotly-plot").count() == 4 + len(FIELDS)
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
    requests = sum(data.count(b"\n") - 1 for _, data in written)  # each file: a header, rows
    with page.expect_download(timeout=PAGE_WAIT) as caught:
        page.get_by_role("button", name="pedidos filtrados (CSV)").click()
    download = caught.value
    assert download.suggested_filename == "pedidos_2024-06-30_a_2025-06-30.csv"
    downloaded = pd.read_csv(download.path(), dtype=str)
    assert len(downloaded) == requests
    assert "clerk_email" not in downloaded and "request_id" not in downloaded
