"""The request log against real stores: a local folder with real processes, S3 on moto's server."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from laptop_pricing.request_log import (
    ConflictRetriesExhausted,
    ForeignDayFile,
    LocalRequestLog,
    RequestLogError,
    S3RequestLog,
    format_timestamp,
    request_log_from_settings,
)
from laptop_pricing.schema import BASE_LOG_COLUMNS, LOG_COLUMNS, LaptopSpec
from laptop_pricing.settings import load_settings
from tests.service_fixtures import *  # noqa: F403  (the moto fixtures)
from tests.service_fixtures import varied_specs

SPEC = LaptopSpec.default().as_dict()


class StepClock:
    """An injected clock: starts at ``start`` and moves ``step`` forward on every reading."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)):
        self.now, self.step = start, step
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            current = self.now
            self.now += self.step
            return current


def parse(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert text.count(",".join(LOG_COLUMNS)) == 1, "header must appear exactly once"
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == LOG_COLUMNS
    rows = list(reader)
    for row in rows:
        assert None not in row, f"row has extra cells: {row}"
        assert all(row[c] != "" for c in BASE_LOG_COLUMNS), f"row has empty cells: {row}"
        datetime.fromisoformat(row["timestamp"])  # every timestamp parses
    return rows


def assert_unique(rows: list[dict[str, str]]) -> None:
    keys = [(r["timestamp"], r["price"]) for r in rows]
    assert len(set(keys)) == len(keys), "a row was written twice"


# ---------------------------------------------------------------- local folder


def test_local_writes_header_once_quoted_values_and_iso_utc(tmp_path: Path) -> None:
    clock = StepClock(datetime(2024, 1, 16, 2, 7, 31, 123456, tzinfo=UTC))
    log = LocalRequestLog(tmp_path, "laptop-prediction-real-data", clock=clock)
    log.append(SPEC, 6712, 'ridge@v1, "quoted"')
    log.append(SPEC, 7000, "1.0.0")

    path = tmp_path / "laptop-prediction-real-data" / "2024-01-16_laptop_prediction_data.csv"
    rows = parse(path.read_bytes())
    assert [r["price"] for r in rows] == ["6712", "7000"]
    assert rows[0]["model_version"] == 'ridge@v1, "quoted"'  # a comma and quotes survive
    assert rows[0]["timestamp"] == "2024-01-16T02:07:31.123456Z"
    assert rows[1]["timestamp"] == "2024-01-16T02:07:32.123456Z"
    assert {k: rows[0][k] for k in SPEC} == {k: str(v) for k, v in SPEC.items()}
    assert not any(p.name.endswith(".csv") for p in tmp_path.iterdir())  # only inside the prefix


def test_timestamps_are_converted_to_utc_and_naive_times_refused() -> None:
    sao_paulo = datetime(2024, 1, 15, 23, 30, tzinfo=UTC) - timedelta(hours=3)
    assert format_timestamp(sao_paulo.astimezone()) == "2024-01-15T20:30:00.000000Z"
    with pytest.raises(ValueError):
        format_timestamp(datetime(2024, 1, 1))


def test_local_day_rollover_at_utc_midnight(tmp_path: Path) -> None:
    clock = StepClock(datetime(2024, 1, 16, 23, 59, 58, tzinfo=UTC))
    log = LocalRequestLog(tmp_path, "p", clock=clock)
    for price in (1, 2, 3, 4):
        log.append(SPEC, price, "v")
    day1 = parse(log.read_day(date(2024, 1, 16)))
    day2 = parse(log.read_day(date(2024, 1, 17)))
    assert [r["price"] for r in day1] == ["1", "2"]
    assert [r["price"] for r in day2] == ["3", "4"]
    assert day2[0]["timestamp"] == "2024-01-17T00:00:00.000000Z"


def test_local_concurrent_threads_lose_and_double_nothing(tmp_path: Path) -> None:
    log = LocalRequestLog(tmp_path, "p")
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(lambda i: log.append(SPEC, i, "v"), range(1000)))
    rows = parse(log.read_day(datetime.now(UTC).date()))
    assert sorted(int(r["price"]) for r in rows) == list(range(1000))
    assert log.batches < 1000  # concurrent appends were grouped under one lock acquisition


def _append_from_process(directory: str, worker: int, count: int) -> None:
    log = LocalRequestLog(directory, "p")
    for i in range(count):
        log.append(SPEC, worker * 1000 + i, "v", at=datetime(2024, 3, 1, 12, tzinfo=UTC))


def test_local_concurrent_processes_share_the_file_lock(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_append_from_process, args=(str(tmp_path), w, 150)) for w in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    rows = parse(LocalRequestLog(tmp_path, "p").read_day(date(2024, 3, 1)))
    expected = sorted(w * 1000 + i for w in range(4) for i in range(150))
    assert sorted(int(r["price"]) for r in rows) == expected


def test_local_repairs_a_torn_last_line_instead_of_gluing_rows(tmp_path: Path) -> None:
    log = LocalRequestLog(tmp_path, "p")
    day = date(2024, 1, 16)
    path = log.path_for(day)
    path.parent.mkdir(parents=True)
    path.write_text(",".join(LOG_COLUMNS) + "\ndell,intel,core i5,windows,cas")  # a crash mid-row
    log.append(SPEC, 123, "v", at=datetime(2024, 1, 16, 12, tzinfo=UTC))
    lines = path.read_text().splitlines()
    assert lines[1].endswith("cas")  # the torn line stays visible for the reader to set aside
    assert lines[2].split(",")[LOG_COLUMNS.index("price")] == "123"


def test_local_appends_to_a_course_file_in_its_own_column_order(tmp_path: Path) -> None:
    course = Path("data/request-logs-sample/2024-01-16_laptop_prediction_data.csv")
    log = LocalRequestLog(tmp_path, "p")
    path = log.path_for(date(2024, 1, 16))
    path.parent.mkdir(parents=True)
    path.write_bytes(course.read_bytes())
    log.append(SPEC, 4321, "v9", at=datetime(2024, 1, 16, 12, tzinfo=UTC))
    last = list(csv.DictReader(io.StringIO(path.read_text())))[-1]
    assert last["prediction"] == "4321"
    assert last["graphic_card_gb"] == str(SPEC["graphic_card"])
    assert last["model_version"] == "v9"


def test_local_refuses_a_foreign_header_without_touching_the_file(tmp_path: Path) -> None:
    log = LocalRequestLog(tmp_path, "p")
    path = log.path_for(date(2024, 1, 16))
    path.parent.mkdir(parents=True)
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ForeignDayFile):
        log.append(SPEC, 1, "v", at=datetime(2024, 1, 16, tzinfo=UTC))
    assert path.read_text() == "a,b,c\n1,2,3\n"


def test_local_unwritable_folder_raises_a_request_log_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(RequestLogError, match="cannot append"):
        LocalRequestLog(blocker, "p").append(SPEC, 1, "v")


def test_a_row_missing_a_field_is_refused_before_it_is_queued(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ram_gb"):
        LocalRequestLog(tmp_path, "p").append(
            {k: v for k, v in SPEC.items() if k != "ram_gb"}, 1, "v"
        )


# ---------------------------------------------------------------------- S3


def test_moto_honours_conditional_writes(s3: Any, bucket: str) -> None:
    """The premise of the S3 log: the S3 API we test against refuses stale conditional writes."""
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"a", IfNoneMatch="*")
    with pytest.raises(ClientError) as exists:
        s3.put_object(Bucket=bucket, Key="k", Body=b"b", IfNoneMatch="*")
    assert exists.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    s3.put_object(Bucket=bucket, Key="k", Body=b"ab", IfMatch=first["ETag"])
    with pytest.raises(ClientError) as stale:
        s3.put_object(Bucket=bucket, Key="k", Body=b"ac", IfMatch=first["ETag"])
    assert stale.value.response["Error"]["Code"] == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"ab"


def test_s3_new_day_object_then_appends_with_rollover(s3: Any, bucket: str) -> None:
    clock = StepClock(datetime(2024, 1, 16, 23, 59, 59, tzinfo=UTC))
    log = S3RequestLog(bucket, "laptop-prediction-real-data", s3, clock=clock)
    for price in (10, 20, 30):
        log.append(SPEC, price, "v")
    day1 = s3.get_object(
        Bucket=bucket, Key="laptop-prediction-real-data/2024-01-16_laptop_prediction_data.csv"
    )
    assert [r["price"] for r in parse(day1["Body"].read())] == ["10"]
    assert [r["price"] for r in parse(log.read_day(date(2024, 1, 17)))] == ["20", "30"]
    assert day1["ContentType"].startswith("text/csv")


class RacingClient:
    """A real S3 client, plus another writer that slips a row in before each of our first N puts."""

    def __init__(self, s3: Any, races: int):
        self.s3, self.races = s3, races
        self.rival = LocalRow()

    def get_object(self, **kwargs: Any) -> Any:
        return self.s3.get_object(**kwargs)

    def put_object(self, **kwargs: Any) -> Any:
        if self.races > 0:
            self.races -= 1
            other = S3RequestLog(kwargs["Bucket"], "p", self.s3)
            other.append(SPEC, self.rival.next(), "rival", at=datetime(2024, 5, 1, tzinfo=UTC))
        return self.s3.put_object(**kwargs)


class LocalRow:
    def __init__(self) -> None:
        self.n = 9000

    def next(self) -> int:
        self.n += 1
        return self.n


def test_s3_conflict_is_retried_and_both_writers_rows_survive(s3: Any, bucket: str) -> None:
    racing = RacingClient(s3, races=3)
    log = S3RequestLog(bucket, "p", racing, sleep=lambda _: None)
    log.append(SPEC, 1, "ours", at=datetime(2024, 5, 1, 8, tzinfo=UTC))
    rows = parse(log.read_day(date(2024, 5, 1)))
    assert sorted(r["price"] for r in rows) == ["1", "9001", "9002", "9003"]
    assert log.conflicts == 3  # the first put hit IfNoneMatch, the next two a stale IfMatch


def test_s3_gives_up_after_bounded_attempts_with_jittered_backoff(s3: Any, bucket: str) -> None:
    """Spilling off (as the compactor runs it); the spill is tested in test_request_log_spill."""
    waits: list[float] = []
    racing = RacingClient(s3, races=100)
    log = S3RequestLog(bucket, "p", racing, max_attempts=5, sleep=waits.append, spill=False)
    with pytest.raises(ConflictRetriesExhausted, match="5 attempts"):
        log.append(SPEC, 1, "ours", at=datetime(2024, 5, 1, tzinfo=UTC))
    assert len(waits) == 4  # between attempts, none after the last
    assert all(0 <= w <= min(1.0, 0.02 * 2**i) for i, w in enumerate(waits, start=1))
    assert len(set(waits)) == 4  # jittered, not a fixed schedule
    assert "ours" not in log.read_day(date(2024, 5, 1)).decode()


class ConflictingClient:
    """Real S3, except that the first put answers 409 ConditionalRequestConflict, which AWS sends
    when two conditional writes to one key overlap (moto never does, so it is injected here)."""

    def __init__(self, s3: Any):
        self.s3, self.conflicted = s3, False

    def get_object(self, **kwargs: Any) -> Any:
        return self.s3.get_object(**kwargs)

    def put_object(self, **kwargs: Any) -> Any:
        if not self.conflicted:
            self.conflicted = True
            error = {"Code": "ConditionalRequestConflict", "Message": "overlapping writes"}
            raise ClientError(
                {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 409}}, "PutObject"
            )
        return self.s3.put_object(**kwargs)


def test_s3_a_409_conditional_request_conflict_is_retried(s3: Any, bucket: str) -> None:
    log = S3RequestLog(bucket, "p", ConflictingClient(s3), sleep=lambda _: None)
    log.append(SPEC, 7, "v", at=datetime(2024, 5, 3, tzinfo=UTC))
    assert log.conflicts == 1
    assert [r["price"] for r in parse(log.read_day(date(2024, 5, 3)))] == ["7"]


class DuplicatingClient:
    """Our put lands, its answer is lost and the SDK sends it again (which then meets 412)."""

    def __init__(self, s3: Any):
        self.s3 = s3

    def get_object(self, **kwargs: Any) -> Any:
        return self.s3.get_object(**kwargs)

    def put_object(self, **kwargs: Any) -> Any:
        self.s3.put_object(**kwargs)
        return self.s3.put_object(**kwargs)  # the retry: its condition no longer holds


def test_s3_a_landed_write_whose_answer_was_lost_is_not_doubled(s3: Any, bucket: str) -> None:
    log = S3RequestLog(bucket, "p", DuplicatingClient(s3), sleep=lambda _: None)
    at = datetime(2024, 5, 2, tzinfo=UTC)
    log.append(SPEC, 1, "v", at=at)
    log.append(SPEC, 2, "v", at=at + timedelta(microseconds=1))
    rows = parse(log.read_day(date(2024, 5, 2)))
    assert [r["price"] for r in rows] == ["1", "2"]


def test_s3_many_writers_in_many_processes_lose_nothing(s3: Any, bucket: str) -> None:
    """Four independent logs (as four Lambda containers would be), 8 threads each, one object."""
    # Generous attempts: this test is about no row lost or doubled under real conflicts; the
    # bound itself is tested above with an adversary that always wins.
    logs = [S3RequestLog(bucket, "p", s3, backoff_base=0.005, max_attempts=50) for _ in range(4)]
    at = datetime(2024, 6, 1, 9, tzinfo=UTC)

    def write(i: int) -> None:
        logs[i % 4].append(SPEC, i, "v", at=at + timedelta(microseconds=i))

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(write, range(400)))
    rows = parse(logs[0].read_day(date(2024, 6, 1)))
    assert sorted(int(r["price"]) for r in rows) == list(range(400))
    assert_unique(rows)
    assert sum(log.conflicts for log in logs) > 0  # the writers really did collide
    assert sum(log.puts for log in logs) < 400  # and each log grouped its threads' rows


def test_s3_missing_bucket_is_a_request_log_error(s3: Any) -> None:
    log = S3RequestLog("no-such-bucket-here", "p", s3)
    with pytest.raises(RequestLogError, match="NoSuchBucket"):
        log.append(SPEC, 1, "v")


def test_s3_access_denied_is_a_request_log_error(s3: Any, bucket: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    with pytest.raises(RequestLogError, match=r"cannot write s3://.*: 403"):
        S3RequestLog(bucket, "p", s3).append(SPEC, 1, "v")


def test_s3_without_read_permission_creates_the_day_then_reports_denial(
    s3: Any, bucket: str
) -> None:
    """Least privilege grants GetObject/PutObject but no ListBucket: a missing key reads as 403."""
    deny_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_read))
    log = S3RequestLog(bucket, "p", s3)
    at = datetime(2024, 7, 1, tzinfo=UTC)
    log.append(SPEC, 1, "v", at=at)  # a 403 on read, then the conditional create succeeds
    with pytest.raises(RequestLogError, match=r"cannot read .*AccessDenied"):
        log.append(SPEC, 2, "v", at=at)
    s3.delete_bucket_policy(Bucket=bucket)
    assert [r["price"] for r in parse(log.read_day(date(2024, 7, 1)))] == ["1"]


def test_factory_picks_the_store_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto_endpoint: str
) -> None:
    for name in ("PREDICTIONS_BUCKET", "AWS_ENDPOINT_URL", "PREDICTIONS_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path))
    local = request_log_from_settings(load_settings())
    assert isinstance(local, LocalRequestLog)
    local.append(SPEC, 5, "v", at=datetime(2024, 1, 2, tzinfo=UTC))
    assert (tmp_path / "laptop-prediction-real-data/2024-01-02_laptop_prediction_data.csv").exists()

    monkeypatch.setenv("PREDICTIONS_BUCKET", "factory-bucket")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    remote = request_log_from_settings(load_settings())
    assert isinstance(remote, S3RequestLog)
    remote.s3.create_bucket(Bucket="factory-bucket")
    remote.append(SPEC, 6, "v", at=datetime(2024, 1, 2, tzinfo=UTC))
    assert [r["price"] for r in parse(remote.read_day(date(2024, 1, 2)))] == ["6"]


def test_varied_specs_are_valid_and_differ() -> None:
    specs = varied_specs(40)
    assert len({s for s in specs}) > 20
