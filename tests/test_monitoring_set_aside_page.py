"""Issue 21 items 11 and 13 on the monitoring page: a period whose only file was set aside says
which file and why; a hung S3 is said as such, in seconds."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.settings import DEFAULT_PREFIX
from laptop_pricing.storage.layout import LogLayout
from tests.app_fixtures import OWNER, app
from tests.monitoring_fixtures import write_files
from tests.request_log_support import stalled_endpoint
from tests.synthetic_logs import day_csv

pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")


def test_a_period_whose_file_was_set_aside_names_the_file_and_why(clean_env) -> None:
    today = datetime.now(UTC).date()
    key = LogLayout(DEFAULT_PREFIX, PREDICTIONS).day_key(today)
    write_files(clean_env / "predictions", [(key, gzip.compress(day_csv(today, 5)))])
    at = app()
    at.switch_page("views/monitoring.py").run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    name = key.rsplit("/", 1)[-1]
    # before: only "Nenhum pedido registrado… Escolha outro período."
    assert f"O arquivo {name} foi deixado de lado: arquivo compactado, não é um CSV." in warnings


def test_a_hung_s3_is_said_as_the_storage_not_answering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with stalled_endpoint() as endpoint:
        secrets = {"PREDICTIONS-BUCKET": "loja", "AWS-ENDPOINT-URL": endpoint}
        at = app(secrets, user=OWNER)
        at.switch_page("views/monitoring.py").run(timeout=60)
    assert not at.exception, [e.value for e in at.exception]
    assert "o armazenamento não respondeu" in at.error[0].value
