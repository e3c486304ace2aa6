"""The monitoring page's "Negócios" section drawn over a year of quotes and outcomes in real
Chromium, at a laptop and a phone size: every figure drawn, no exception, axe finds no serious
or critical issue. (Its own file so that it runs beside the other browser files, not after them.)"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from laptop_pricing.settings import DEFAULT_OUTCOMES_PREFIX, DEFAULT_PREFIX
from tests import synthetic_business as synthetic
from tests.browser_support import (
    StreamlitServer,
    chromium_browser,
    overlaps,
    screenshot,
    wait_for_app_idle,
)
from tests.browser_support import (
    serious_axe_violations as serious,
)
from tests.monitoring_fixtures import write_files

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LAPTOP = (1366, 768)
PHONE = (390, 844)
DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as running:
        yield running


def test_negocios_over_a_year_of_quotes_and_outcomes(tmp_path, browser):
    today = datetime.now(UTC).date()
    business = synthetic.quotes_and_outcomes(today, days=365, quotes_per_day=12)
    write_files(tmp_path, synthetic.quote_day_files(business, DEFAULT_PREFIX))
    write_files(tmp_path, business.day_files(DEFAULT_OUTCOMES_PREFIX))
    with StreamlitServer(env={"PREDICTIONS_DIR": str(tmp_path)}) as server:
        for size, name in ((LAPTOP, "laptop"), (PHONE, "phone")):
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.goto(f"{server.url}/monitoring")
            heading = page.get_by_role("heading", name="Negócios")
            heading.wait_for(timeout=120_000)
            wait_for_app_idle(page, 180_000)
            page.get_by_text("Tudo", exact=True).click()  # the whole year
            wait_for_app_idle(page, 180_000)
            page.get_by_text("das ofertas foram aceitas").first.wait_for(timeout=120_000)
            heading.evaluate("element => element.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(1_500)
            shot = screenshot(page, f"negocios-year-{name}", full_page=False)
            if name == "laptop":
                shutil.copyfile(shot, DOCS / "screenshot-negocios.png")
            assert serious(page) == []
            assert page.locator("[data-testid='stException']").count() == 0
            segment_titles_fit(page, name)
            week_labels_shown(page)
            page.close()


def segment_titles_fit(page, name: str) -> None:
    """The "Dividir por" figure's title is whole inside the figure and its three panel titles
    stay apart, at this screen's width (a phone gives each panel under 100 px)."""
    plot = page.locator(".js-plotly-plot").filter(has_text="Pago ÷ oferta").first
    plot.scroll_into_view_if_needed()
    page.wait_for_timeout(1_000)  # Plotly lays out its text after the element appears
    screenshot(page, f"negocios-year-segment-{name}", full_page=False)
    box = plot.bounding_box()
    title = plot.locator(".gtitle").bounding_box()
    assert box["x"] <= title["x"] and title["x"] + title["width"] <= box["x"] + box["width"]
    panels = [note.bounding_box() for note in plot.locator("g.annotation").all()]
    assert len(panels) == 3
    assert not any(overlaps(a, b) for i, a in enumerate(panels) for b in panels[i + 1 :])
    assert not any(overlaps(title, panel) for panel in panels)


def week_labels_shown(page) -> None:
    """Every week label of the acceptance chart is drawn, the latest week's too: Plotly hides a
    label that runs past the figure's edge, and the latest one sits under the last bar."""
    plot = page.locator(".js-plotly-plot").filter(has_text="Aceitação por semana").first
    given = plot.evaluate("p => p.layout.xaxis.ticktext")
    shown = plot.evaluate(
        "p => [...p.querySelectorAll('.xtick text')]"
        ".filter(t => t.style.display !== 'none').map(t => t.textContent)"
    )
    assert len(given) >= 2 and shown == given
