"""The compactor against real stores: records into the course day CSV and the Parquet rollup,
idempotent, beside writers, and readable by pandas (the course's way) and DuckDB (Hive)."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from laptop_pricing.api.service import prediction_values
from laptop_pricing.log_columns import LOG_COLUMNS
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.request_log import RequestLog
from laptop_pricing.request_log.compact import CompactionError, Compactor
from laptop_pricing.settings import REPO_ROOT
from laptop_pricing.storage.stores import RecordStore
from tests.request_log_support import (
    PREFIX,
    compact_closed,
    day_csv_frame,
    local_store,
    rollup_frame,
    s3_store,
)
from tests.service_fixtures import MOTO_ENV, varied_specs

SAMPLE = REPO_ROOT / "data" / "request-logs-sample" / "2024-01-16_laptop_prediction_data.csv"


@pytest.fixture(autouse=True)
def _moto_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    if request.param == "local":
        yield local_store(tmp_path)
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        yield s3_store(endpoint, request.getfixturevalue("bucket"))


def write(log: RequestLog, n: int, prefix: str = "r", at: datetime | None = None) -> None:
    moment = at or datetime.now(UTC)
    for i, spec in enumerate(varied_specs(n)):
        values = prediction_values(spec.as_dict(), 1000 + i, "1.0.0", f"{prefix}-{i}", moment)
        assert log.write(values, at=moment).fate.value == "stored"


def test_records_become_the_course_day_csv_and_a_second_run_changes_nothing(
    store: RecordStore,
) -> None:
    write(RequestLog(store), 40)
    day = datetime.now(UTC).date()
    first = Compactor(store).compact_day(day)
    assert (first.records_read, first.rows_after, first.wrote_day_file) == (40, 40, True)
    before, _ = store.read_day_file(day)
    second = Compactor(store).compact_day(day)
    assert (second.rows_after, second.wrote_day_file) == (40, False)
    assert store.read_day_file(day)[0] == before
    frame = day_csv_frame(store, day)  # the course's reader: pandas read_csv, nothing else
    assert tuple(frame.columns) == LOG_COLUMNS
    assert len(frame) == 40 and frame["request_id"].is_unique
    assert (frame["price"].astype(int) >= 1000).all()


def test_a_closed_day_is_rolled_up_once_and_duckdb_reads_it_partitioned(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    log = RequestLog(store)
    days = [date(2024, 4, 30), date(2024, 5, 1), date(2024, 5, 2)]
    for n, day in enumerate(days):
        write(
            log, 10 + n, prefix=str(day), at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        )
    for day in days:
        compact_closed(store, day)
        compact_closed(store, day)  # idempotent: the rollup is not rewritten
    rollup = tmp_path / PREFIX / "_rollup"
    assert sorted(p.relative_to(rollup).as_posix() for p in rollup.rglob("*.parquet")) == [
        "year=2024/month=04/data.parquet",
        "year=2024/month=05/data.parquet",
    ]
    counts = duckdb.sql(
        f"select year, month, count(*) as n, count(distinct request_id) as ids, min(price) "
        f"from read_parquet('{rollup}/*/*/*.parquet', hive_partitioning = true) "
        f"group by year, month order by year, month"
    ).fetchall()
    assert [(int(y), int(m), n, ids) for y, m, n, ids, _ in counts] == [
        (2024, 4, 10, 10),
        (2024, 5, 23, 23),
    ]
    assert counts[0][4] == 1000.0  # typed: price is a number, not text
    assert len(rollup_frame(store, date(2024, 5, 2))) == 12


def test_a_retried_request_keeps_one_row(store: RecordStore) -> None:
    log = RequestLog(store)
    spec = LaptopSpec.default().as_dict()
    for _ in range(2):  # the client retried after losing the answer: same request id
        log.write(prediction_values(spec, 3000, "1.0.0", "click-1", datetime.now(UTC)))
    day = datetime.now(UTC).date()
    Compactor(store).compact_day(day)
    compact_closed(store, day)
    assert day_csv_frame(store, day)["request_id"].tolist() == ["click-1"]
    assert rollup_frame(store, day)["request_id"].tolist() == ["click-1"]


def test_a_course_day_file_keeps_its_rows_and_gains_the_records(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    day = datetime.now(UTC).date()
    course = SAMPLE.read_bytes()
    store.write_day_file(day, course, None)
    write(RequestLog(store), 5)
    compact_closed(store, day)
    frame = day_csv_frame(store, day)
    course_rows = pd.read_csv(io.BytesIO(course))
    assert len(frame) == len(course_rows) + 5
    assert tuple(frame.columns) == LOG_COLUMNS  # the course's names mapped to ours
    assert frame["price"].iloc[: len(course_rows)].tolist() == [
        str(v) for v in course_rows["prediction"]
    ]
    compact_closed(store, day)
    assert len(day_csv_frame(store, day)) == len(course_rows) + 5


def test_compaction_beside_writers_loses_and_doubles_nothing(store: RecordStore) -> None:
    log = RequestLog(store)
    done = threading.Event()
    runs = []

    def compact_repeatedly() -> None:
        while not done.is_set():
            runs.append(Compactor(store).compact_day(datetime.now(UTC).date()))

    compactor = threading.Thread(target=compact_repeatedly)
    compactor.start()
    specs = varied_specs(300)
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda i: log.write(
                    prediction_values(specs[i].as_dict(), 1, "v", f"w-{i}", datetime.now(UTC))
                ),
                range(300),
            )
        )
    done.set()
    compactor.join()
    assert len(runs) >= 2
    day = datetime.now(UTC).date()
    compact_closed(store, day)
    compact_closed(store, day)
    expected = sorted(f"w-{i}" for i in range(300))
    assert sorted(day_csv_frame(store, day)["request_id"]) == expected
    assert sorted(rollup_frame(store, day)["request_id"]) == expected


def test_formula_cells_are_neutralised_in_the_day_csv_once(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    values = prediction_values(
        LaptopSpec.default().as_dict(), 1, "=cmd|' /c calc'!a0", "f-1", datetime.now(UTC)
    )
    RequestLog(store).write(values)
    day = datetime.now(UTC).date()
    Compactor(store).compact_day(day)
    compact_closed(store, day)
    assert day_csv_frame(store, day)["model_version"].tolist() == ["'=cmd|' /c calc'!a0"]


def test_an_unreadable_day_file_is_left_alone_and_named(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    day = datetime.now(UTC).date()
    garbage = bytes(range(256)) * 4
    store.write_day_file(day, garbage, None)
    write(RequestLog(store), 2)
    with pytest.raises(CompactionError, match="not a request-log CSV"):
        Compactor(store).compact_day(day)
    assert store.read_day_file(day)[0] == garbage


def test_s3_day_file_carries_the_records_watermark(
    moto_endpoint: str, bucket: str, s3: Any
) -> None:
    store = s3_store(moto_endpoint, bucket)
    day = date(2024, 3, 5)
    write(RequestLog(store), 3, at=datetime(2024, 3, 5, 10, tzinfo=UTC))
    compact_closed(store, day)
    _, watermark = store.read_day_file(day)
    assert watermark is not None
    assert store.read_records(day, after=watermark).records == []  # all folded already
    assert len(store.read_records(day).records) == 3  # records stay (lifecycle expires them)


def test_the_command_line_compacts_every_day_of_a_local_folder(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    write(RequestLog(store), 4, at=datetime(2024, 2, 1, 9, tzinfo=UTC))
    command = [sys.executable, "-m", "laptop_pricing.request_log.compact", "--all"]
    env = {"PATH": "/usr/bin:/bin", "PREDICTIONS_DIR": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "2024-02-01: 4 records read" in result.stdout and "rolled up" in result.stdout
    assert len(day_csv_frame(store, date(2024, 2, 1))) == 4


def test_the_scheduled_handler_closes_yesterday_and_folds_today(
    moto_endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from laptop_pricing.request_log import compact

    store = s3_store(moto_endpoint, bucket)
    now = datetime.now(UTC)
    write(RequestLog(store), 2, prefix="y", at=now - timedelta(days=1))
    write(RequestLog(store), 3, prefix="t", at=now)
    monkeypatch.setenv("PREDICTIONS_BUCKET", bucket)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    answer = compact.handler({"source": "aws.events"}, None)
    assert len([d for d in answer["days"] if d.startswith("prediction ")]) == 2
    assert any(d.startswith("outcome ") for d in answer["days"])  # both kinds, one run
    assert len(day_csv_frame(store, now.date())) == 3
    assert len(rollup_frame(store, (now - timedelta(days=1)).date())) == 2
