"""The monitoring page's alerts and "Negócios" section through AppTest, on a local log folder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components import business_data, monitoring_data
from laptop_pricing.artifact import read_metadata
from laptop_pricing.log_layout import day_key
from laptop_pricing.monitoring import drift
from laptop_pricing.monitoring import synthetic_business as synthetic
from laptop_pricing.settings import DEFAULT_OUTCOMES_PREFIX, DEFAULT_PREFIX
from tests import app_fixtures
from tests.app_fixtures import app, texts
from tests.monitoring_fixtures import write_files

clean_env = app_fixtures.clean_env
pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")


@pytest.fixture
def fresh_caches(monkeypatch, tmp_path):
    monkeypatch.setenv("PREDICTIONS_CACHE_DIR", str(tmp_path / "s3-cache"))
    monitoring_data.refresh()
    business_data.refresh()
    yield
    monitoring_data.refresh()
    business_data.refresh()


def _week_up_to_today(folder, acceptance: float) -> None:
    today = datetime.now(UTC).date()
    reference = drift.Reference.from_metadata(read_metadata())
    write_files(
        folder,
        [
            (
                day_key(DEFAULT_PREFIX, today - timedelta(days=d)),
                synthetic.reference_day_csv(reference, today - timedelta(days=d), 30, seed=d),
            )
            for d in range(7)
        ],
    )
    rates = dict.fromkeys(synthetic.ACCEPTANCE_BY_PROCESSOR, acceptance)
    business = synthetic.quotes_and_outcomes(today, days=7, quotes_per_day=10, acceptance=rates)
    write_files(folder, business.day_files(DEFAULT_OUTCOMES_PREFIX))


def monitoring():
    at = app()
    at.switch_page("pages/monitoring.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_rule_that_fires_is_shown_at_the_top(clean_env):
    _week_up_to_today(clean_env / "predictions", acceptance=0.2)
    at = monitoring()
    assert at.error, texts(at)
    assert "Aceitação baixa" in at.error[0].value
    assert "abaixo de 40%" in at.error[0].value
    assert "Negócios" in [h.value for h in at.subheader]


def test_a_calm_week_shows_no_alert(clean_env):
    _week_up_to_today(clean_env / "predictions", acceptance=0.7)
    at = monitoring()
    assert not at.error, [e.value for e in at.error]


def test_without_quotes_in_the_log_the_section_says_where_offers_come_from(clean_env):
    _week_up_to_today(clean_env / "predictions", acceptance=0.7)
    at = monitoring()
    assert "Nenhuma oferta feita no período" in texts(at)
