"""The EMF record and the JSON logs, read back from the captured stdout."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from laptop_pricing.api.service import PricingObserver, observer_from_settings
from laptop_pricing.api.telemetry import NAMESPACE, Telemetry, redact
from laptop_pricing.request_log import LocalRequestLog
from laptop_pricing.schema import FIELD_NAMES, TRADE_IN_LOG_COLUMNS, LaptopSpec
from laptop_pricing.settings import load_settings

SPEC = LaptopSpec.default()


@dataclass(frozen=True)
class Priced:
    """The two attributes of a quote the observer reads."""

    price: int
    version: str


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def emf_records(text: str) -> list[dict]:
    return [r for r in json_lines(text) if "_aws" in r]


def test_one_emf_record_per_request_with_price_latency_and_every_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    Telemetry().record_priced(SPEC.as_dict(), 6712, "1.2.0", 3.5)
    (record,) = emf_records(capsys.readouterr().out)
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE == "LaptopPricing"
    names = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert names == {"Price": "None", "Latency": "Milliseconds", "RequestLogFailures": "Count"}
    assert record["Price"] == [6712.0]
    assert record["Latency"] == [3.5]
    assert record["RequestLogFailures"] == [0.0]
    assert directive["Dimensions"][0] == ["service"]
    assert directive["Dimensions"][1:] == [["service", name] for name in FIELD_NAMES]
    for name, value in SPEC.as_dict().items():
        assert record[name] == str(value)
    assert record["model_version"] == "1.2.0"
    assert isinstance(record["_aws"]["Timestamp"], int)


def test_metrics_switched_off_by_argument_or_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Telemetry(metrics_enabled=False).record_priced(SPEC.as_dict(), 1, "v", 1.0)
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    Telemetry().record_priced(SPEC.as_dict(), 1, "v", 1.0)
    assert capsys.readouterr().out == ""


def test_records_from_many_threads_stay_one_json_object_per_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    telemetry = Telemetry()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda i: telemetry.record_priced(SPEC.as_dict(), i, "v", 1.0), range(300)))
    records = emf_records(capsys.readouterr().out)
    assert sorted(int(r["Price"][0]) for r in records) == list(range(300))


def test_registered_secrets_never_reach_a_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "k3y-d0-not-leak-7f1e"
    redact([secret])
    telemetry = Telemetry()
    telemetry.logger.info("calling with %s", secret)
    telemetry.request_log_failed("s3://bucket/p", RuntimeError(f"denied for {secret}"))
    out = capsys.readouterr().out
    assert secret not in out
    lines = json_lines(out)
    assert lines[0]["message"] == "calling with ***"
    assert lines[1]["error"] == "RuntimeError: denied for ***"
    assert lines[1]["level"] == "ERROR"


def test_observer_answers_even_when_the_log_fails_and_counts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    observer = PricingObserver(LocalRequestLog(not_a_folder, "p"), Telemetry())
    observer.on_priced(SPEC, Priced(6712, "1.0.0"), 2.0)  # must not raise
    assert observer.failures == 1
    lines = json_lines(capsys.readouterr().out)
    (error,) = [line for line in lines if line.get("level") == "ERROR"]
    assert "request log write failed" in error["message"]
    assert error["store"].startswith("local folder")
    (record,) = [line for line in lines if "_aws" in line]
    assert record["RequestLogFailures"] == [1.0]
    assert record["Price"] == [6712.0]


def test_observer_writes_the_row_then_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = datetime(2024, 2, 3, 10, tzinfo=UTC)
    log = LocalRequestLog(tmp_path, "p", clock=lambda: at)
    PricingObserver(log, Telemetry()).on_priced(SPEC, Priced(5000, "2.0.0"), 1.0)
    text = log.read_day(date(2024, 2, 3)).decode()
    empty_trade_in_cells = "," * len(TRADE_IN_LOG_COLUMNS)  # a request without a condition
    assert text.splitlines()[1].endswith(
        ",5000,2024-02-03T10:00:00.000000Z,2.0.0" + empty_trade_in_cells
    )
    assert emf_records(capsys.readouterr().out)[0]["RequestLogFailures"] == [0.0]


def test_factory_for_the_app_logs_to_the_settings_folder_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PREDICTIONS_BUCKET", raising=False)
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path))
    monkeypatch.setenv("PREDICTIONS_PREFIX", "logs")
    observer = observer_from_settings(load_settings())
    observer.on_priced(SPEC, Priced(4000, "3.0.0"), 1.0)
    assert capsys.readouterr().out == ""  # embedded default: no EMF noise on stdout
    (day_file,) = (tmp_path / "logs").glob("*_laptop_prediction_data.csv")
    assert day_file.read_text().count("\n") == 2
    observer_from_settings(load_settings(), metrics=True).on_priced(SPEC, Priced(1, "v"), 1.0)
    assert len(emf_records(capsys.readouterr().out)) == 1


def test_a_store_that_cannot_be_built_still_prices_and_counts_each_miss(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PREDICTIONS_BUCKET", "some-bucket")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "not a url")  # boto3 refuses to build the client
    observer = observer_from_settings(load_settings(), metrics=True)
    observer.on_priced(SPEC, Priced(100, "v"), 1.0)
    observer.on_priced(SPEC, Priced(200, "v"), 1.0)
    assert observer.failures == 2
    lines = json_lines(capsys.readouterr().out)
    errors = [line for line in lines if line.get("level") == "ERROR"]
    assert len(errors) == 3  # once when built, once per request
    assert "could not be set up" in errors[-1]["error"]
    assert [r["RequestLogFailures"] for r in emf_records_from(lines)] == [[1.0], [1.0]]


def emf_records_from(lines: list[dict]) -> list[dict]:
    return [line for line in lines if "_aws" in line]
