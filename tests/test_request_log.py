"""The request-log writer against real stores: a local folder with real processes, S3 on moto's
server, a stalled socket and a slow proxy for the deadline, a file-size limit for a full disk."""

from __future__ import annotations

import json
import multiprocessing
import resource
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from laptop_pricing.api.service import prediction_values
from laptop_pricing.log_columns import LOG_COLUMNS
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout, RequestLog, request_log_from_settings
from laptop_pricing.request_log.writer import QUEUE_FULL, Fate
from laptop_pricing.settings import InvalidSettings, load_settings
from laptop_pricing.storage.layout import format_timestamp, safe_record_id
from laptop_pricing.storage.records import decode_records, encode_record
from laptop_pricing.storage.s3 import Timeouts
from laptop_pricing.storage.s3 import s3_client as build_s3_client
from laptop_pricing.storage.s3_store import S3RecordStore
from laptop_pricing.storage.stores import LocalRecordStore
from tests.request_log_support import PREFIX, local_store, s3_objects, slow_proxy, stalled_endpoint
from tests.service_fixtures import MOTO_ENV

SPEC = LaptopSpec.default().as_dict()


@pytest.fixture(autouse=True)
def _moto_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)


def values(request_id: str, price: int = 4321) -> dict[str, object]:
    return prediction_values(SPEC, price, "1.0.0", request_id, datetime.now(UTC))


def local_records(folder: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((folder / PREFIX / "_records").glob("*.jsonl")):
        rows += decode_records(path.read_bytes()).records
    return rows


# ---------------------------------------------------------------- the record line


def test_a_record_is_one_self_describing_line_in_the_kinds_columns(tmp_path: Path) -> None:
    log = RequestLog(local_store(tmp_path))
    assert log.write(values("r-1")).fate is Fate.STORED
    (row,) = local_records(tmp_path)
    assert tuple(row) == LOG_COLUMNS
    assert row["request_id"] == "r-1" and row["price"] == "4321"
    assert datetime.fromisoformat(row["timestamp"]).tzinfo is not None


def test_no_prefix_of_a_record_reads_as_a_record() -> None:
    line = encode_record(values("r-2"))
    for cut in range(len(line) - 1):  # everything short of the closing brace
        assert decode_records(line[:cut]).records == []
    assert decode_records(line[:-1]).records  # all but the final newline: complete


def test_a_torn_fragment_does_not_swallow_the_next_record() -> None:
    first, second = encode_record(values("a")), encode_record(values("b"))
    decoded = decode_records(first[: len(first) // 2] + second)
    assert [r["request_id"] for r in decoded.records] == ["b"]
    assert decoded.torn == 1


def test_timestamps_are_utc_and_naive_times_refused() -> None:
    assert format_timestamp(datetime(2024, 1, 16, 2, 7, 31, 123456, tzinfo=UTC)) == (
        "2024-01-16T02:07:31.123456Z"
    )
    with pytest.raises(ValueError):
        format_timestamp(datetime(2024, 1, 16))


def test_an_id_unfit_for_a_key_is_replaced_by_its_digest() -> None:
    assert safe_record_id("abc-123_x.y") == "abc-123_x.y"
    assert "/" not in safe_record_id("../../etc/passwd") and len(safe_record_id("a/b")) == 32


def test_a_row_missing_a_field_is_refused() -> None:
    with pytest.raises(ValueError, match="brand"):
        prediction_values(
            {k: v for k, v in SPEC.items() if k != "brand"}, 1, "v", "r", datetime.now(UTC)
        )


# ---------------------------------------------------------------- local folder


def test_threads_lose_and_double_nothing(tmp_path: Path) -> None:
    log = RequestLog(local_store(tmp_path))
    with ThreadPoolExecutor(32) as pool:
        fates = list(pool.map(lambda i: log.write(values(f"t-{i}", i + 1)).fate, range(500)))
    assert fates.count(Fate.STORED) == 500
    assert log.batches < 500  # group commit: concurrent records share one os.write
    ids = [r["request_id"] for r in local_records(tmp_path)]
    assert sorted(ids) == sorted(f"t-{i}" for i in range(500))


def _write_many(folder: str, worker: int, count: int) -> None:
    log = RequestLog(LocalRecordStore(folder, LogLayout(PREFIX, PREDICTIONS)))
    for i in range(count):
        assert log.write(values(f"p{worker}-{i}")).fate is Fate.STORED


def test_processes_append_without_a_lock_and_never_interleave(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(str(tmp_path), w, 250)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    rows = local_records(tmp_path)
    assert len(rows) == 1000 and len({r["request_id"] for r in rows}) == 1000


def _write_until_full(folder: str, limit: int, count: int, answer: Any) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    log = RequestLog(LocalRecordStore(folder, LogLayout(PREFIX, PREDICTIONS)))
    for i in range(count):
        log.write(values(f"f-{i}"))
    answer.put(log.accounting.snapshot())


def test_a_full_disk_counts_exactly_the_rows_it_lost(tmp_path: Path) -> None:
    """RLIMIT_FSIZE stands in for a full disk: the write that crosses it is cut short."""
    context = multiprocessing.get_context("spawn")
    answer = context.Queue()
    process = context.Process(target=_write_until_full, args=(str(tmp_path), 20_000, 120, answer))
    process.start()
    counts = answer.get(timeout=60)
    process.join(60)
    stored = local_records(tmp_path)
    assert counts["lost"] > 0 and counts["stored"] > 0
    assert counts["stored"] + counts["lost"] == 120
    assert len(stored) == counts["stored"]  # counted lost == actually missing, no torn row kept
    assert len({r["request_id"] for r in stored}) == len(stored)


def test_an_unwritable_folder_is_a_counted_loss_not_an_exception(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    log = RequestLog(LocalRecordStore(not_a_folder, LogLayout("p", PREDICTIONS)))
    result = log.write(values("x"))
    assert result.fate is Fate.LOST and result.reason
    assert log.accounting.snapshot()["lost"] == 1


# ---------------------------------------------------------------- S3


def writer_store(endpoint: str, bucket: str, deadline: float) -> S3RecordStore:
    timeouts = Timeouts(connect=deadline * 0.4, read=deadline * 0.5)
    patient = Timeouts(connect=2, read=5)
    return S3RecordStore(
        bucket,
        LogLayout(PREFIX, PREDICTIONS),
        build_s3_client(endpoint, timeouts, 64),
        build_s3_client(endpoint, patient),
    )


def test_s3_plain_objects_of_the_records_queued_together(
    moto_endpoint: str, s3: Any, bucket: str
) -> None:
    log = RequestLog(writer_store(moto_endpoint, bucket, 1.0))
    assert log.write(values("alone")).fate is Fate.STORED  # a lone record: its own object
    with ThreadPoolExecutor(32) as pool:
        fates = list(pool.map(lambda i: log.write(values(f"s-{i}")).fate, range(200)))
    assert fates.count(Fate.STORED) == 200
    keys = s3_objects(s3, bucket, f"{PREFIX}/_records/")
    assert 1 < len(keys) <= 201  # a burst is grouped: fewer objects than records
    day = datetime.now(UTC).date()
    assert all(k.startswith(f"{PREFIX}/_records/{day}/") and k.endswith(".json") for k in keys)
    ids = [
        r["request_id"]
        for k in keys
        for r in decode_records(s3.get_object(Bucket=bucket, Key=k)["Body"].read()).records
    ]
    assert sorted(ids) == sorted(["alone", *(f"s-{i}" for i in range(200))])


def test_a_stalled_endpoint_never_holds_a_write_past_the_deadline() -> None:
    with stalled_endpoint() as endpoint:
        log = RequestLog(writer_store(endpoint, "any", 0.5), deadline=0.5, settle_seconds=0.5)
        started = time.monotonic()
        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda i: log.write(values(f"x-{i}")), range(40)))
        elapsed = time.monotonic() - started
        assert log.drain(30)
    assert elapsed < 0.5 * 2 + 1.0  # two rounds of 20 writers, each bounded by the deadline
    assert all(r.fate in (Fate.PENDING, Fate.LOST) for r in results)
    counts = log.accounting.snapshot()
    assert counts["lost"] == 40 and counts["stored"] == 0  # nothing could have been stored


def test_a_write_that_lands_after_the_deadline_counts_as_stored(
    moto_endpoint: str, s3: Any, bucket: str
) -> None:
    port = int(moto_endpoint.rsplit(":", 1)[1])
    with slow_proxy(port, delay=1.0) as endpoint:
        log = RequestLog(writer_store(endpoint, bucket, 0.3), deadline=0.3, settle_seconds=10)
        result = log.write(values("late-1"))
        assert result.fate is Fate.PENDING
        assert log.drain(20)
    counts = log.accounting.snapshot()
    assert counts == {"stored": 1, "lost": 0, "late": 1, "unconfirmed": 0, "in_flight": 0}
    assert len(s3_objects(s3, bucket, f"{PREFIX}/_records/")) == 1  # stored once, not twice


def test_a_missing_bucket_is_a_counted_loss(moto_endpoint: str) -> None:
    log = RequestLog(writer_store(moto_endpoint, "no-such-bucket-here", 1.0))
    late: list = []
    result = log.write(values("m"), on_late=late.append)
    assert log.drain(30)
    reason = result.reason if result.fate is Fate.LOST else late[0].reason  # a slow first call
    assert reason == "NoSuchBucket"
    assert log.accounting.snapshot()["lost"] == 1


# ---------------------------------------------------------------- settings


def test_factory_picks_the_store_and_the_deadline_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path))
    monkeypatch.setenv("REQUEST_LOG_DEADLINE_SECONDS", "0.25")
    log = request_log_from_settings(load_settings())
    assert isinstance(log.store, LocalRecordStore) and log.deadline == 0.25
    monkeypatch.setenv("PREDICTIONS_BUCKET", "the-store-logs")
    assert isinstance(request_log_from_settings(load_settings()).store, S3RecordStore)


@pytest.mark.parametrize("value", ["0", "-1", "abc", "60"])
def test_a_deadline_that_cannot_work_is_refused_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("REQUEST_LOG_DEADLINE_SECONDS", value)
    with pytest.raises(InvalidSettings, match="REQUEST-LOG-DEADLINE-SECONDS"):
        load_settings()


def test_writer_limits_fit_inside_the_deadline() -> None:
    from laptop_pricing.request_log import writer_timeouts

    for deadline in (0.1, 1.0, 10.0):
        assert writer_timeouts(deadline).worst_case < deadline


def test_the_record_holds_no_secret(tmp_path: Path) -> None:
    log = RequestLog(local_store(tmp_path))
    log.write(values("r"))
    text = json.dumps(local_records(tmp_path))
    assert "x-api-key" not in text


class GatedStore(LocalRecordStore):
    """A local store whose writes wait until the test opens the gate (a stalled store)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, LogLayout(PREFIX, PREDICTIONS))
        self.gate = threading.Event()
        self.started = threading.Event()

    def put(self, record: Any, deadline: float) -> int:
        self.started.set()
        self.gate.wait(30)
        return super().put(record, deadline)


def test_a_full_write_queue_refuses_a_record_and_counts_it_lost(tmp_path: Path) -> None:
    store = GatedStore(tmp_path)
    log = RequestLog(store, deadline=0.05, writers=1, max_batch=1, max_queued=2)
    assert log.write(values("held")).fate is Fate.PENDING  # the one writer holds it
    assert store.started.wait(10)
    queued = [log.write(values(f"queued-{n}")).fate for n in range(2)]
    assert queued == [Fate.PENDING, Fate.PENDING]
    refused = log.write(values("refused"))
    assert (refused.fate, refused.reason) == (Fate.LOST, QUEUE_FULL)
    assert log.accounting.snapshot()["lost"] == 1
    store.gate.set()
    assert log.drain(10)
    counts = log.accounting.snapshot()
    assert (counts["stored"], counts["lost"], counts["in_flight"]) == (3, 1, 0)
    assert sorted(r["request_id"] for r in local_records(tmp_path)) == [
        "held",
        "queued-0",
        "queued-1",
    ]
