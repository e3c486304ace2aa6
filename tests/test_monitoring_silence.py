"""Silence is an alert: a store with no priced request in its last N business hours fires, and
the command run over no data at all cannot check (exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from laptop_pricing.api.service import prediction_values
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.monitoring import alert_rules, drift
from laptop_pricing.monitoring.silence import silence_start, silent_stores
from laptop_pricing.pricing.artifact import read_metadata
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import RequestLog
from laptop_pricing.settings import KEYS, REPO_ROOT, env_name
from laptop_pricing.storage.layout import LogLayout
from laptop_pricing.storage.stores import LocalRecordStore
from tests import synthetic_business as synthetic

RULE = alert_rules.SilenceRule(enabled=True, hours=4, business_hours="09-18")
TODAY = date(2026, 3, 31)


def test_business_hours_only_count_so_a_night_is_not_silence() -> None:
    now = datetime(2026, 3, 31, 10, 30, tzinfo=BRASILIA)
    # 10h and 9h today, then 17h and 16h yesterday: the night and the early morning never count.
    assert silence_start(RULE, now) == datetime(2026, 3, 30, 16, tzinfo=BRASILIA)


def test_a_store_silent_for_its_last_business_hours_is_named_and_the_others_are_not() -> None:
    now = datetime(2026, 3, 31, 10, 30, tzinfo=BRASILIA)
    frame = pd.DataFrame(
        {
            "store_id": pd.Categorical(["centro", "sul", "", "centro"]),
            "timestamp": pd.to_datetime(
                [
                    datetime(2026, 3, 30, 15, tzinfo=BRASILIA),
                    datetime(2026, 3, 30, 17, tzinfo=BRASILIA),
                    datetime(2026, 3, 31, 9, 5, tzinfo=BRASILIA),
                    datetime(2026, 3, 29, 12, tzinfo=BRASILIA),
                ],
                utc=True,
            ),
        }
    )
    silent = silent_stores(RULE, frame, now)
    assert list(silent) == ["centro"]  # sul priced at 17h; an older row without store is loja
    assert silent["centro"] == datetime(2026, 3, 30, 18, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["9-18", "18-09", "09-25", 9, "09:00-18:00"])
def test_business_hours_that_are_not_opening_closing_are_refused_naming_the_key(
    bad: object,
) -> None:
    import tomllib

    document = tomllib.loads(alert_rules.DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    document["silence"]["business_hours"] = bad
    with pytest.raises(alert_rules.AlertRulesError) as refused:
        alert_rules.parse_rules(document, "alerts.toml")
    assert refused.value.key == "silence.business_hours"


def _run(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {env_name(key) for key in KEYS}}
    env.update(PREDICTIONS_DIR=str(folder), PREDICTIONS_PREFIX="pedidos")
    return subprocess.run(
        [sys.executable, "-m", "laptop_pricing.monitoring.alerts", "--today", str(TODAY)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_pages_about_a_store_that_stopped_pricing(tmp_path: Path) -> None:
    reference = drift.Reference.from_metadata(read_metadata())
    layout = LogLayout("pedidos", PREDICTIONS)
    for offset in range(7):  # the default store prices every day, up to the evening of TODAY
        day = TODAY - timedelta(days=offset)
        path = tmp_path / layout.day_key(day)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(synthetic.reference_day_csv(reference, day, 40, 1 + offset))
    at = datetime(2026, 3, 28, 14, tzinfo=BRASILIA)  # sul priced three days ago, then nothing
    row = prediction_values(LaptopSpec.default().as_dict(), 5000, "v1", "sul-1", at, "sul")
    RequestLog(LocalRecordStore(tmp_path, layout)).write(row, at=at)
    result = _run(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ALERTA [silence] Loja sul sem nenhum pedido nas últimas 4 horas" in result.stdout
    assert "Loja loja" not in result.stdout


def test_the_command_over_no_data_at_all_cannot_check(tmp_path: Path) -> None:
    result = _run(tmp_path)  # nothing was ever written here
    assert result.returncode == 2
    assert "Não foi possível verificar" in result.stderr and "Traceback" not in result.stderr
