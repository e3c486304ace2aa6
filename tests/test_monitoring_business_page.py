"""The monitoring page's alerts and "Negócios" section through AppTest, on a local log folder."""

from __future__ import annotations

import pytest

from tests.app_fixtures import monitoring_page, texts
from tests.monitoring_fixtures import week_up_to_today

pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")


def test_a_rule_that_fires_is_shown_at_the_top(clean_env):
    week_up_to_today(clean_env / "predictions", acceptance=0.2)
    at = monitoring_page()
    assert at.error, texts(at)
    assert "Aceitação baixa" in at.error[0].value
    assert "abaixo de 40%" in at.error[0].value
    assert "Negócios" in [h.value for h in at.subheader]


def test_a_calm_week_shows_no_alert(clean_env):
    week_up_to_today(clean_env / "predictions", acceptance=0.7)
    at = monitoring_page()
    assert not at.error, [e.value for e in at.error]


def test_without_quotes_in_the_log_the_section_says_where_offers_come_from(clean_env):
    week_up_to_today(clean_env / "predictions", acceptance=0.7)
    at = monitoring_page()
    assert "Nenhuma oferta feita no período" in texts(at)
