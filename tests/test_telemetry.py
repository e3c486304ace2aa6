"""The EMF record and the JSON logs, read back from the captured stdout."""

from __future__ import annotations

import dataclasses
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from laptop_pricing.api.service import RecordingObserver, observer_from_settings
from laptop_pricing.api.telemetry import NAMESPACE, Telemetry, redact
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import FIELD_NAMES
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout, RequestLog
from laptop_pricing.settings import load_settings
from laptop_pricing.storage.records import decode_records
from laptop_pricing.storage.stores import LocalRecordStore, PendingRecord

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
    telemetry.request_log_failed("s3://bucket/p", f"RuntimeError: denied for {secret}")
    out = capsys.readouterr().out
    assert secret not in out
    lines = json_lines(out)
    assert lines[0]["message"] == "calling with ***"
    assert lines[1]["error"] == "RuntimeError: denied for ***"
    assert lines[1]["level"] == "ERROR"


def local_log(directory: Path, deadline: float = 1.0) -> RequestLog:
    return RequestLog(LocalRecordStore(directory, LogLayout("p", PREDICTIONS)), deadline=deadline)


def test_observer_answers_even_when_the_log_fails_and_counts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    observer = RecordingObserver(local_log(not_a_folder), Telemetry())
    observer.on_priced(SPEC, Priced(6712, "1.0.0"), 2.0, "req-1")  # must not raise
    assert observer.failures == 1
    lines = json_lines(capsys.readouterr().out)
    (error,) = [line for line in lines if line.get("level") == "ERROR"]
    assert "request log row lost" in error["message"]
    assert error["store"].startswith("local folder")
    (record,) = [line for line in lines if "_aws" in line]
    assert record["RequestLogFailures"] == [1.0]
    assert record["Price"] == [6712.0]


def test_observer_writes_the_row_then_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    RecordingObserver(local_log(tmp_path), Telemetry()).on_priced(
        SPEC, Priced(5000, "2.0.0"), 1.0, "req-7"
    )
    day = datetime.now(UTC).date()
    data = (tmp_path / "p" / "_records" / f"{day}.jsonl").read_bytes()
    (row,) = decode_records(data).records
    assert (row["price"], row["model_version"], row["request_id"]) == ("5000", "2.0.0", "req-7")
    assert row["timestamp"].startswith(f"{day}T") and row["timestamp"].endswith("Z")
    assert emf_records(capsys.readouterr().out)[0]["RequestLogFailures"] == [0.0]


class HeldStore(LocalRecordStore):
    """A local store whose writes wait for ``release`` (a disk that stalls), then succeed or
    fail as told."""

    def __init__(self, directory: Path, fail: bool = False):
        super().__init__(directory, LogLayout("p", PREDICTIONS))
        self.release = threading.Event()
        self.fail = fail

    def put(self, record: PendingRecord, deadline: float) -> int:
        self.release.wait(10)
        if self.fail:
            from laptop_pricing.storage.stores import RecordNotStored

            raise RecordNotStored("disk gone")
        return super().put(record, deadline)


@pytest.mark.parametrize("fails", [False, True])
def test_a_row_settled_after_the_deadline_is_counted_once_by_a_second_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fails: bool
) -> None:
    store = HeldStore(tmp_path, fail=fails)
    log = RequestLog(store, deadline=0.05)
    observer = RecordingObserver(log, Telemetry())
    observer.on_priced(SPEC, Priced(5000, "2.0.0"), 1.0, "req-late")
    first = emf_records(capsys.readouterr().out)
    assert [r["RequestLogFailures"] for r in first] == [[0.0]]  # answered, fate unknown yet
    store.release.set()
    assert log.drain(5)
    second = emf_records(capsys.readouterr().out)
    assert [r["RequestLogFailures"] for r in second] == [[1.0 if fails else 0.0]]
    assert second[0]["RequestLogLate"] == [1.0]
    assert observer.failures == int(fails)
    assert log.accounting.snapshot() == {
        "stored": int(not fails),
        "lost": int(fails),
        "late": 1,
        "unconfirmed": 0,
        "in_flight": 0,
    }
    records = list((tmp_path / "p" / "_records").glob("*.jsonl"))
    assert sum(len(decode_records(p.read_bytes()).records) for p in records) == int(not fails)


def test_factory_for_the_app_logs_to_the_settings_folder_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PREDICTIONS_BUCKET", raising=False)
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path))
    monkeypatch.setenv("PREDICTIONS_PREFIX", "logs")
    observer = observer_from_settings(load_settings())
    observer.on_priced(SPEC, Priced(4000, "3.0.0"), 1.0, "a")
    assert capsys.readouterr().out == ""  # embedded default: no EMF noise on stdout
    (records,) = (tmp_path / "logs" / "_records").glob("*.jsonl")
    assert len(decode_records(records.read_bytes()).records) == 1
    observer_from_settings(load_settings(), metrics=True).on_priced(SPEC, Priced(1, "v"), 1.0, "b")
    assert len(emf_records(capsys.readouterr().out)) == 1


def test_a_store_that_cannot_be_built_still_prices_and_counts_each_miss(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # load_settings refuses such a URL (tests/test_settings.py); the observer must still hold
    # if a store cannot be built, so it gets the settings as they are.
    settings = dataclasses.replace(
        load_settings(), predictions_bucket="some-bucket", aws_endpoint_url="not a url"
    )  # boto3 refuses to build the client
    observer = observer_from_settings(settings, metrics=True)
    observer.on_priced(SPEC, Priced(100, "v"), 1.0, "x")
    observer.on_priced(SPEC, Priced(200, "v"), 1.0, "y")
    assert observer.failures == 2
    lines = json_lines(capsys.readouterr().out)
    errors = [line for line in lines if line.get("level") == "ERROR"]
    assert len(errors) == 3  # once when built, once per request
    assert "could not be set up" in errors[-1]["error"]
    assert [r["RequestLogFailures"] for r in emf_records_from(lines)] == [[1.0], [1.0]]


def emf_records_from(lines: list[dict]) -> list[dict]:
    return [line for line in lines if "_aws" in line]
