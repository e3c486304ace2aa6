"""The model card in real Chromium: a clerk opens "Sobre o modelo" and reads the typical error."""

from __future__ import annotations

import pytest

from laptop_pricing.pricing.artifact import read_metadata
from tests.browser_support import StreamlitServer, chromium_browser, screenshot, wait_for_app_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_model_card_page_in_the_browser(tmp_path):
    metadata = read_metadata()
    with (
        StreamlitServer(env={"PREDICTIONS_DIR": str(tmp_path)}) as server,
        chromium_browser() as browser,
    ):
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(server.url)
        page.get_by_role("heading", name="Avaliar notebook usado").wait_for(timeout=30_000)
        page.get_by_role("link", name="Sobre o modelo").click()
        page.get_by_role("heading", name="Sobre o modelo").wait_for(timeout=30_000)
        wait_for_app_idle(page)
        page.get_by_text("Em média, o preço estimado erra cerca de").wait_for()
        assert page.get_by_text(metadata.version, exact=True).count() >= 1
        page.get_by_text("Detalhes técnicos").click()
        page.get_by_text("Modelos comparados na validação cruzada").wait_for()
        wait_for_app_idle(page)
        screenshot(page, "model-card")
