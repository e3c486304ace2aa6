"""Spill objects and compaction on moto_server: a priced request is logged exactly once even when
independent writers (Lambda containers) outlast the day file's conditional-append budget."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from laptop_pricing.api.compact import CompactionError, Compactor
from laptop_pricing.log_layout import day_key, parse_spill_key, spill_day_prefix, spill_root
from laptop_pricing.monitoring.reader import S3LogSource, read_log
from laptop_pricing.request_log import ConflictRetriesExhausted, S3RequestLog, encode_rows
from laptop_pricing.schema import LOG_COLUMNS, LaptopSpec
from laptop_pricing.settings import REPO_ROOT
from tests.service_fixtures import *  # noqa: F403  (the moto fixtures)
from tests.service_fixtures import MOTO_ENV, s3_client

SPEC = LaptopSpec.default().as_dict()
DAY = date(2024, 5, 1)
NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)


def day_rows(s3: Any, bucket: str, prefix: str = "p", day: date = DAY) -> list[dict[str, str]]:
    body = s3.get_object(Bucket=bucket, Key=day_key(prefix, day))["Body"].read().decode()
    assert body.count(",".join(LOG_COLUMNS)) == 1, "header must appear exactly once"
    return list(csv.DictReader(io.StringIO(body)))


def spill_keys(s3: Any, bucket: str, prefix: str = "p") -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=spill_root(prefix))
    return [item["Key"] for item in listed.get("Contents", [])]


def identities(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((r["timestamp"], r["price"]) for r in rows)


class Raced:
    """Real S3; before each put to the day file another writer appends a row of its own, so our
    conditional write always meets a changed object (the worst case of contention)."""

    def __init__(self, s3: Any, prefix: str = "p"):
        self.s3, self.prefix = s3, prefix
        self.rival = S3RequestLog("", prefix, s3, spill=False)
        self.rival_rows = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.s3, name)

    def put_object(self, **kwargs: Any) -> Any:
        if parse_spill_key(self.prefix, kwargs["Key"]) is None:
            self.rival.bucket = kwargs["Bucket"]
            at = NOON + timedelta(seconds=1, microseconds=self.rival_rows)
            self.rival.append(SPEC, 9000 + self.rival_rows, "rival", at=at)
            self.rival_rows += 1
        return self.s3.put_object(**kwargs)


def test_rows_that_cannot_win_the_day_file_are_spilled_once(s3: Any, bucket: str) -> None:
    raced = Raced(s3)
    log = S3RequestLog(bucket, "p", raced, max_attempts=3, sleep=lambda _: None)
    log.append(SPEC, 1234, "ours", at=NOON)

    assert log.conflicts == 3 and log.spills == 1 and log.spilled_rows == 1
    assert "ours" not in json.dumps(day_rows(s3, bucket))
    (key,) = spill_keys(s3, bucket)
    assert key.startswith(spill_day_prefix("p", DAY)) and parse_spill_key("p", key) == DAY
    spilled = s3.get_object(Bucket=bucket, Key=key)
    assert spilled["ContentType"].startswith("text/csv")
    text = spilled["Body"].read().decode()
    assert text == ",".join(LOG_COLUMNS) + "\n" + encode_rows([log_row(1234, "ours", NOON)])


def log_row(price: int, version: str, at: datetime) -> Any:
    from laptop_pricing.request_log import LogRow

    return LogRow(SPEC, price, version, at)


def test_the_time_budget_bounds_a_writer_before_its_attempts_do(s3: Any, bucket: str) -> None:
    now = [0.0]

    def monotonic() -> float:
        now[0] += 0.5  # every look at the clock costs half a second of "S3 time"
        return now[0]

    log = S3RequestLog(
        bucket, "p", Raced(s3), max_attempts=100, time_budget=2.0, monotonic=monotonic
    )
    log._sleep = lambda seconds: None
    log.append(SPEC, 1, "ours", at=NOON)
    assert log.conflicts <= 4  # the 2 s budget, not the 100 attempts, ended the retries
    assert log.spills == 1


def test_without_spill_the_append_fails_after_its_attempts(s3: Any, bucket: str) -> None:
    waits: list[float] = []
    log = S3RequestLog(bucket, "p", Raced(s3), max_attempts=4, sleep=waits.append, spill=False)
    with pytest.raises(ConflictRetriesExhausted, match="4 attempts"):
        log.append(SPEC, 1, "ours", at=NOON)
    assert len(waits) == 3  # no pointless wait after the last attempt
    assert spill_keys(s3, bucket) == []


def test_a_failed_spill_is_a_request_log_failure(s3: Any, bucket: str) -> None:
    deny_spill = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/p/_spill/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_spill))
    log = S3RequestLog(bucket, "p", Raced(s3), max_attempts=2, sleep=lambda _: None)
    with pytest.raises(ConflictRetriesExhausted, match=r"2 attempts.*spilling to .* failed too"):
        log.append(SPEC, 1, "ours", at=NOON)
    s3.delete_bucket_policy(Bucket=bucket)
    assert spill_keys(s3, bucket) == [] and log.spills == 0


class AnswerLost:
    """Our put lands, but its answer is lost and the SDK's retry meets 412."""

    def __init__(self, s3: Any):
        self.s3 = s3

    def __getattr__(self, name: str) -> Any:
        return getattr(self.s3, name)

    def put_object(self, **kwargs: Any) -> Any:
        self.s3.put_object(**kwargs)
        return self.s3.put_object(**kwargs)


def test_a_last_attempt_that_landed_is_not_spilled_as_well(s3: Any, bucket: str) -> None:
    log = S3RequestLog(bucket, "p", AnswerLost(s3), max_attempts=1, sleep=lambda _: None)
    log.append(SPEC, 1, "v", at=NOON)
    log.append(SPEC, 2, "v", at=NOON + timedelta(microseconds=1))
    assert [r["price"] for r in day_rows(s3, bucket)] == ["1", "2"]
    assert log.spills == 0 and spill_keys(s3, bucket) == []


# ------------------------------------------------------------------ many independent writers

WRITERS, ROWS = 16, 12  # 192 rows: enough contention to spill, a few seconds on moto


def write_independently(
    endpoint: str, bucket: str, day: date, rows: int = ROWS
) -> list[S3RequestLog]:
    """16 Lambda-like writers: each its own S3RequestLog and boto3 client, one row at a time,
    and a small attempt budget so that some of them must spill."""
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
    logs = [
        S3RequestLog(bucket, "p", s3_client(endpoint), max_attempts=2, backoff_base=0.002)
        for _ in range(WRITERS)
    ]
    errors: list[BaseException] = []

    def run(w: int) -> None:
        try:
            for i in range(rows):
                at = start + timedelta(microseconds=w * 1000 + i)
                logs[w].append(SPEC, 1 + w * 1000 + i, f"w{w}", at=at)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return logs


EXPECTED = sorted(1 + w * 1000 + i for w in range(WRITERS) for i in range(ROWS))


def read_prices(endpoint: str, bucket: str) -> list[int]:
    result = read_log(S3LogSource(bucket, "p", s3_client(endpoint)))
    assert result.set_aside == []
    return sorted(int(p) for p in result.rows["price"])


def test_independent_writers_spill_and_compaction_leaves_each_row_once(
    moto_endpoint: str, s3: Any, bucket: str
) -> None:
    logs = write_independently(moto_endpoint, bucket, DAY)
    spilled = sum(log.spilled_rows for log in logs)
    stored = len(day_rows(s3, bucket))
    assert spilled > 0, "the attempt budget was meant to force spills"
    assert stored + spilled == WRITERS * ROWS
    assert len(spill_keys(s3, bucket)) == sum(log.spills for log in logs)

    # Before compaction the monitoring reader sees every row exactly once.
    assert read_prices(moto_endpoint, bucket) == EXPECTED

    first = Compactor(S3RequestLog(bucket, "p", s3)).compact_day(DAY)
    assert (first.rows_appended, first.rows_already_present) == (spilled, 0)
    assert first.deleted == first.spill_objects > 0
    rows = day_rows(s3, bucket)
    assert sorted(int(r["price"]) for r in rows) == EXPECTED
    assert len(set(identities(rows))) == len(rows) == WRITERS * ROWS
    assert spill_keys(s3, bucket) == []
    assert read_prices(moto_endpoint, bucket) == EXPECTED

    before = s3.get_object(Bucket=bucket, Key=day_key("p", DAY))["ETag"]
    again = Compactor(S3RequestLog(bucket, "p", s3)).compact_all()
    assert again == []  # no day has spill objects left
    assert s3.get_object(Bucket=bucket, Key=day_key("p", DAY))["ETag"] == before


def test_compaction_beside_writers_and_twice_at_once_doubles_nothing(
    moto_endpoint: str, s3: Any, bucket: str
) -> None:
    stop = threading.Event()
    failures: list[BaseException] = []

    def compact_repeatedly() -> None:
        compactor = Compactor(S3RequestLog(bucket, "p", s3_client(moto_endpoint)))
        while not stop.is_set():
            try:
                compactor.compact_all()
            except BaseException as error:
                failures.append(error)
                return

    compactors = [threading.Thread(target=compact_repeatedly) for _ in range(2)]
    for thread in compactors:
        thread.start()
    try:
        logs = write_independently(moto_endpoint, bucket, DAY, rows=8)
    finally:
        stop.set()
        for thread in compactors:
            thread.join(60)
    assert not failures, failures
    assert sum(log.spills for log in logs) > 0
    Compactor(S3RequestLog(bucket, "p", s3)).compact_all()
    rows = day_rows(s3, bucket)
    assert sorted(int(r["price"]) for r in rows) == [p for p in EXPECTED if (p - 1) % 1000 < 8]
    assert spill_keys(s3, bucket) == []


class DeleteFails:
    """Real S3, except that deleting objects fails: a compactor that dies after its append."""

    def __init__(self, s3: Any):
        self.s3 = s3

    def __getattr__(self, name: str) -> Any:
        return getattr(self.s3, name)

    def delete_objects(self, **kwargs: Any) -> Any:
        raise ConnectionError("the compactor died here")


def spill_rows(s3: Any, bucket: str, count: int, prefix: str = "p") -> S3RequestLog:
    log = S3RequestLog(bucket, prefix, Raced(s3, prefix), max_attempts=1, sleep=lambda _: None)
    for i in range(count):
        log.append(SPEC, 100 + i, "spilled", at=NOON + timedelta(microseconds=i))
    assert log.spills == count
    return log


def test_a_compaction_interrupted_after_its_append_is_finished_by_the_next_run(
    moto_endpoint: str, s3: Any, bucket: str
) -> None:
    spill_rows(s3, bucket, 3)
    expected = sorted([*(str(100 + i) for i in range(3)), "9000", "9001", "9002"])
    with pytest.raises(CompactionError, match="deleting spill objects failed"):
        Compactor(S3RequestLog(bucket, "p", DeleteFails(s3))).compact_day(DAY)
    assert sorted(r["price"] for r in day_rows(s3, bucket)) == expected
    assert len(spill_keys(s3, bucket)) == 3  # the rows are now in both places...
    assert read_prices(moto_endpoint, bucket) == sorted(int(p) for p in expected)  # ...read once

    rerun = Compactor(S3RequestLog(bucket, "p", s3)).compact_day(DAY)
    assert (rerun.rows_appended, rerun.rows_already_present, rerun.deleted) == (0, 3, 3)
    assert sorted(r["price"] for r in day_rows(s3, bucket)) == expected
    assert spill_keys(s3, bucket) == []


def test_compaction_appends_to_a_course_file_in_its_column_order(s3: Any, bucket: str) -> None:
    course = (
        REPO_ROOT / "data/request-logs-sample/2024-01-16_laptop_prediction_data.csv"
    ).read_bytes()
    s3.put_object(Bucket=bucket, Key=day_key("p", date(2024, 1, 16)), Body=course)
    log = S3RequestLog(bucket, "p", s3)
    log._spill(date(2024, 1, 16), [log_row(4321, "v9", datetime(2024, 1, 16, 12, tzinfo=UTC))], "")
    result = Compactor(log).compact_day(date(2024, 1, 16))
    assert result.rows_appended == 1
    body = s3.get_object(Bucket=bucket, Key=day_key("p", date(2024, 1, 16)))["Body"].read()
    assert body.startswith(course)
    last = list(csv.DictReader(io.StringIO(body.decode())))[-1]
    assert (last["prediction"], last["graphic_card_gb"]) == ("4321", str(SPEC["graphic_card"]))


def test_compacting_twice_into_a_file_from_before_clerk_email_doubles_nothing(
    s3: Any, bucket: str
) -> None:
    """The old file keeps its columns (the e-mail is dropped there); a spill that is still in
    place after a first compaction (its delete failed) must be recognised, not appended again."""
    from laptop_pricing.request_log import LogRow

    day = date(2024, 1, 16)
    old_columns = [c for c in LOG_COLUMNS if c != "clerk_email"]
    s3.put_object(
        Bucket=bucket, Key=day_key("p", day), Body=(",".join(old_columns) + "\n").encode()
    )
    log = S3RequestLog(bucket, "p", s3)
    row = LogRow(SPEC, 4321, "v9", datetime(2024, 1, 16, 12, tzinfo=UTC), "ana@loja.com.br")
    for _ in range(2):
        log._spill(day, [row], "")
        first = Compactor(log).compact_day(day)
    assert (first.rows_appended, first.rows_already_present) == (0, 1)
    body = s3.get_object(Bucket=bucket, Key=day_key("p", day))["Body"].read().decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["price"] for r in rows] == ["4321"] and list(rows[0]) == old_columns


def test_a_malformed_spill_object_is_left_in_place(s3: Any, bucket: str) -> None:
    spill_rows(s3, bucket, 1)
    bad = spill_day_prefix("p", DAY) + "20240501T120000.000000Z-" + "0" * 32 + ".csv"
    s3.put_object(
        Bucket=bucket, Key=bad, Body=b",".join(c.encode() for c in LOG_COLUMNS) + b"\na,b\n"
    )
    result = Compactor(S3RequestLog(bucket, "p", s3)).compact_day(DAY)
    assert result.rows_appended == 1 and result.deleted == 1
    assert [s.split(":")[0] for s in result.skipped] == [bad]
    assert spill_keys(s3, bucket) == [bad]


def test_the_reader_lists_spill_objects_in_range_after_their_day_file(
    moto_endpoint: str, s3: Any, bucket: str
) -> None:
    days = [date(2024, 5, d) for d in (1, 2, 3, 4)]
    for day in days:
        at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=1)
        S3RequestLog(bucket, "p", s3).append(SPEC, 10 + day.day, "day", at=at)
        S3RequestLog(bucket, "p", s3)._spill(day, [log_row(20 + day.day, "sp", at)], "")
    # a day whose rows only ever reached a spill object is listed as well
    only_spill = date(2024, 5, 5)
    S3RequestLog(bucket, "p", s3)._spill(only_spill, [log_row(99, "sp", NOON + timedelta(4))], "")

    source = S3LogSource(bucket, "p", s3_client(moto_endpoint))
    listed = source.list_day_files(date(2024, 5, 2), date(2024, 5, 3))
    assert [(f.day, parse_spill_key("p", f.key) is not None) for f in listed] == [
        (date(2024, 5, 2), False),
        (date(2024, 5, 2), True),
        (date(2024, 5, 3), False),
        (date(2024, 5, 3), True),
    ]
    assert source.spill_list_calls == 1
    result = read_log(source, files=listed)
    assert sorted(result.rows["price"]) == [12, 13, 22, 23]
    everything = read_log(source)
    assert source.spill_list_calls == 1  # the open-ended listing met the spill keys itself
    assert everything.files[-1].day == only_spill  # newest day first found among the spills
    assert len(everything.rows) == 9


def test_the_compactor_command_line(moto_endpoint: str, s3: Any, bucket: str) -> None:
    spill_rows(s3, bucket, 2, prefix="logs")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PREDICTIONS_"))},
        **MOTO_ENV,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "PREDICTIONS_BUCKET": bucket,
        "PREDICTIONS_PREFIX": "logs",
    }
    command = [sys.executable, "-m", "laptop_pricing.api.compact"]

    def run(*args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *args],
            env={**env, **overrides},
            cwd=str(Path(REPO_ROOT)),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert "--all" in run("--help").stdout
    done = run("--all")
    assert done.returncode == 0, done.stderr
    assert "2024-05-01: 2 spill objects, 2 rows read, 2 appended" in done.stdout
    assert spill_keys(s3, bucket, "logs") == []
    again = run("--day", "2024-05-01")
    assert "0 spill objects" in again.stdout and again.returncode == 0
    no_bucket = run("--all", PREDICTIONS_BUCKET="")
    assert no_bucket.returncode == 1 and "PREDICTIONS_BUCKET is not set" in no_bucket.stderr


# What EventBridge sends a Schedule target (the handler does not depend on its content).
SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2024-05-02T00:05:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/stack-Hourly"],
    "detail": {},
}


def test_the_scheduled_handler_compacts_today_and_yesterday_past_a_stuck_day(
    moto_endpoint: str, s3: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from laptop_pricing.api import compact

    for name, value in {
        **MOTO_ENV,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "PREDICTIONS_BUCKET": bucket,
        "PREDICTIONS_PREFIX": "p",
    }.items():
        monkeypatch.setenv(name, value)
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    log = S3RequestLog(bucket, "p", s3)
    for day, price in ((yesterday, 111), (today, 222)):
        log.append(SPEC, price, "day", at=datetime.combine(day, datetime.min.time(), UTC))
        at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=1)
        log._spill(day, [log_row(price + 1, "sp", at)], "")

    answer = compact.handler(SCHEDULED_EVENT, None)
    assert [line.split(":")[0] for line in answer["days"]] == [str(today), str(yesterday)]
    assert spill_keys(s3, bucket) == []
    for day, price in ((yesterday, 111), (today, 222)):
        assert sorted(r["price"] for r in day_rows(s3, bucket, day=day)) == [
            str(price),
            str(price + 1),
        ]

    # An older day that can never be compacted (its day file is not a request log) is reported,
    # and fails the invocation, but does not hold back the newer days.
    stuck = today - timedelta(days=5)
    s3.put_object(Bucket=bucket, Key=day_key("p", stuck), Body=b"a,b,c\n1,2,3\n")
    log._spill(stuck, [log_row(5, "sp", datetime.combine(stuck, datetime.min.time(), UTC))], "")
    log._spill(today, [log_row(333, "sp", datetime.now(UTC))], "")
    with pytest.raises(compact.CompactionError, match=f"1 days not compacted: {stuck}"):
        compact.handler(SCHEDULED_EVENT, None)
    assert "333" in [r["price"] for r in day_rows(s3, bucket, day=today)]
    assert [parse_spill_key("p", key) for key in spill_keys(s3, bucket)] == [stuck]
