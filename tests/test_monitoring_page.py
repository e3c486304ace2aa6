"""The monitoring page through AppTest: empty log, the sample logs, S3 (moto_server), refresh."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from components import monitoring_data
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout
from laptop_pricing.settings import DEFAULT_PREFIX
from tests.app_fixtures import OWNER, app, texts
from tests.monitoring_fixtures import put_objects, write_files
from tests.synthetic_logs import day_csv

pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")


@pytest.fixture
def fresh_caches(monkeypatch, tmp_path):
    monitoring_data.refresh()
    yield
    monitoring_data.refresh()


def monitoring(secrets=None):
    # A bucket is a production setting: the store's data is shown to a signed-in owner only.
    at = app(secrets, user=OWNER if secrets and "PREDICTIONS-BUCKET" in secrets else None)
    at.switch_page("views/monitoring.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_empty_log_explains_and_offers_the_sample_logs():
    at = monitoring()
    assert "Ainda não há pedidos registrados" in texts(at)
    assert not at.metric
    at.button(key="monitoring_load_sample").click().run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Pedidos no período"] == "6.466"
    assert shown["Versões ativas"] == "3"
    assert shown["Linhas deixadas de lado"] == "0"
    assert "registros de exemplo do curso" in texts(at)
    quality_table = next(t.value for t in at.table if "Problema" in t.value.columns)
    problems = set(quality_table["Problema"])
    assert "nome de processador no lugar da marca" in problems
    assert "valor fora dos permitidos" in problems
    at.button(key="monitoring_leave_sample").click().run()
    assert "Ainda não há pedidos registrados" in texts(at)


def test_sample_logs_filters_by_version_and_schema():
    at = monitoring()
    at.button(key="monitoring_load_sample").click().run()
    versions = next(m for m in at.multiselect if m.key.startswith("monitoring_versions"))
    versions.set_value(["1.0.13"]).run()
    assert metrics(at)["Pedidos no período"] == "13"
    versions = next(m for m in at.multiselect if m.key.startswith("monitoring_versions"))
    versions.set_value([]).run()
    assert "Escolha ao menos uma versão" in texts(at)
    assert "Pedidos no período" not in metrics(at)


def test_only_in_schema_keeps_the_rows_the_validator_accepts():
    at = monitoring()
    at.button(key="monitoring_load_sample").click().run()
    at.toggle(key="monitoring_only_in_schema").set_value(True).run()
    assert metrics(at)["Pedidos no período"] == "318"
    assert not at.exception


def test_drift_table_uses_the_shipped_model_reference():
    at = monitoring()
    at.button(key="monitoring_load_sample").click().run()
    drift_table = next(t.value for t in at.table if "PSI" in t.value.columns)
    assert len(drift_table) == 16  # the 13 fields of the course, the 2 of v2, and the price
    statuses = list(drift_table["Situação"])
    assert statuses[0] == "drift"  # worst first; RAM 252 GB and INR-scale prices do drift
    by_field = dict(zip(drift_table["Campo"], drift_table["Situação"], strict=True))
    assert by_field["Memória RAM"] == "drift"
    # The course's day files carry no v2 columns: not informed is no verdict, never drift.
    assert by_field["Vem com Microsoft Office"] == "poucos dados"


def test_local_log_with_defects_counts_what_was_set_aside(clean_env):
    end = date(2025, 3, 10)
    folder = clean_env / "predictions"
    good = [
        (
            LogLayout(DEFAULT_PREFIX, PREDICTIONS).day_key(end - timedelta(d)),
            day_csv(end - timedelta(d), 40),
        )
        for d in range(3)
    ]
    lines = day_csv(end - timedelta(days=3), 5).decode().split("\n")
    lines[1:3] = [f"{line},extra" for line in lines[1:3]]  # two rows with a value too many
    broken = "\n".join(lines)
    write_files(
        folder,
        [
            *good,
            (
                LogLayout(DEFAULT_PREFIX, PREDICTIONS).day_key(end - timedelta(days=3)),
                broken.encode(),
            ),
        ],
    )
    at = monitoring()
    shown = metrics(at)
    assert shown["Pedidos no período"] == "123"
    assert shown["Linhas deixadas de lado"] == "2"
    aside = next(d.value for d in at.dataframe if "Motivo" in d.value.columns)
    assert list(aside["Motivo"]) == ["linha com valores a mais"] * 2


def test_refresh_reads_new_day_files(clean_env):
    folder = clean_env / "predictions"
    first = date(2025, 3, 1)
    write_files(
        folder, [(LogLayout(DEFAULT_PREFIX, PREDICTIONS).day_key(first), day_csv(first, 10))]
    )
    at = monitoring()
    assert metrics(at)["Pedidos no período"] == "10"
    second = first + timedelta(days=1)
    write_files(
        folder, [(LogLayout(DEFAULT_PREFIX, PREDICTIONS).day_key(second), day_csv(second, 7))]
    )
    at.run()
    assert metrics(at)["Pedidos no período"] == "10"  # cached until the TTL or Atualizar
    at.button(key="monitoring_refresh").click().run()
    assert at.date_input(key="monitoring_range").value[-1] == second  # the range followed
    at.segmented_control(key="monitoring_preset").set_value("Tudo").run()
    assert metrics(at)["Pedidos no período"] == "17"


def test_s3_configured_through_secrets(s3_endpoint):
    end = date(2025, 5, 31)
    objects = [
        (
            LogLayout("logs", PREDICTIONS).day_key(end - timedelta(d)),
            day_csv(end - timedelta(d), 20, seed=d),
        )
        for d in range(45)
    ]
    put_objects(s3_endpoint, "monitoring-page", objects)
    at = monitoring(
        {
            "PREDICTIONS-BUCKET": "monitoring-page",
            "PREDICTIONS-PREFIX": "logs",
            "AWS-ENDPOINT-URL": s3_endpoint,
        }
    )
    assert "s3://monitoring-page/logs/" in texts(at)
    assert metrics(at)["Pedidos no período"] == "600"  # default range: the last 30 days
    at.button(key="monitoring_refresh").click().run()
    assert metrics(at)["Pedidos no período"] == "600"


def test_s3_missing_bucket_is_explained_in_portuguese(s3_endpoint):
    at = monitoring(
        {"PREDICTIONS-BUCKET": "bucket-que-nao-existe", "AWS-ENDPOINT-URL": s3_endpoint}
    )
    assert "o bucket não existe" in at.error[0].value
    assert at.button(key="monitoring_load_sample")


def test_a_long_period_downloads_zipped(monkeypatch):
    """The 6 466 sample requests come as a plain CSV; over ``ZIP_ABOVE_ROWS`` (lowered here:
    a real threshold takes 200 000 rows) the same button offers the CSV inside a ZIP."""
    from components import monitoring_panels

    at = monitoring()
    at.button(key="monitoring_load_sample").click().run()
    button = at.get("download_button")[-1]
    assert button.proto.label == "Baixar os 6.466 pedidos filtrados (CSV)"
    monkeypatch.setattr(monitoring_panels, "ZIP_ABOVE_ROWS", 6_465)
    at.run()
    button = at.get("download_button")[-1]
    assert button.proto.label == "Baixar os 6.466 pedidos filtrados (CSV compactado em .zip)"
