"""Issue 21 (reader side): the compactor and the readers survive any byte already stored, a
record without an id is counted, and a broken or hung S3 is said at once."""

from __future__ import annotations

import socket
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from laptop_pricing.monitoring.reading import read_log
from laptop_pricing.monitoring.sources import LogLocation, LogUnavailable
from laptop_pricing.record_kinds import OUTCOMES, PREDICTIONS
from laptop_pricing.request_log.compact import Compactor
from laptop_pricing.storage import s3
from laptop_pricing.storage.day_reader import day_rows
from laptop_pricing.storage.layout import LogLayout
from laptop_pricing.storage.records import encode_record
from laptop_pricing.storage.s3_store import S3RecordStore
from laptop_pricing.storage.stores import LocalRecordStore, RecordNotStored
from tests.request_log_support import stalled_endpoint
from tests.synthetic_logs import day_csv

DAY = date(2024, 3, 5)
AT = datetime(2024, 3, 5, 12, tzinfo=UTC)
LATER = datetime(2024, 3, 7, tzinfo=UTC)


def _outcome(event_id: str, note: str) -> dict[str, str]:
    return {
        "quote_id": "113G-3959-QF6V",
        "event_id": event_id,
        "decision": "declined",
        "reason": "other",
        "note": note,
        "recorded_at": AT.isoformat(),
    }


def _put_raw(store: LocalRecordStore, lines: list[bytes]) -> None:
    """Records as an older version stored them, bytes and all."""
    store.put(store.pending(DAY, AT, "raw", lines), deadline=float("inf"))


@pytest.mark.parametrize("bad_note", ["x\x00y", "x\ud800y"], ids=["nul", "lone-surrogate"])
def test_a_stored_record_that_is_not_text_is_set_aside_and_every_later_compaction_runs(
    tmp_path: Path, bad_note: str
) -> None:
    store = LocalRecordStore(tmp_path, LogLayout("resultados", OUTCOMES))
    bad = b'\n{"event_id":"bad","note":"' + bad_note.encode("unicode_escape") + b'"}\n'
    bad = bad.replace(b"\\x00", b"\\u0000")
    _put_raw(store, [encode_record(_outcome("good", "ok")), bad])
    compactor = Compactor(store, clock=lambda: LATER)
    first = compactor.compact_day(DAY)
    assert first.bad_text == 1 and "1 records set aside" in first.summary()
    assert [row["event_id"] for row in day_rows(store, DAY)] == ["good"]
    second = compactor.compact_day(DAY)  # before: rc 1, "not text; left alone"
    assert second.rows_after == 1


def test_a_day_file_with_a_nul_row_keeps_its_other_rows_in_the_compactor_and_the_page(
    tmp_path: Path,
) -> None:
    layout = LogLayout("logs", PREDICTIONS)
    store = LocalRecordStore(tmp_path, layout)
    lines = day_csv(DAY, 5).split(b"\n")
    lines[2] = lines[2].replace(b",", b"\x00,", 1)  # one row of five holds a NUL byte
    store.write_day_file(DAY, b"\n".join(lines), None)
    result = Compactor(store, clock=lambda: LATER).compact_day(DAY)
    assert result.rows_after == 4 and result.rows_set_aside == [(3, "not_text")]
    assert "1 day-file rows set aside (line 3 not_text)" in result.summary()
    page_store = LocalRecordStore(tmp_path / "page", layout)  # not compacted: the day file itself
    page_store.write_day_file(DAY, b"\n".join(lines), None)
    page = read_log(page_store)  # before: the whole file set aside, no rows
    assert len(page.rows) == 4
    assert [(n.line, n.reason) for n in page.set_aside] == [(3, "not_text")]


def test_a_record_without_its_id_is_counted_and_reported(tmp_path: Path) -> None:
    store = LocalRecordStore(tmp_path, LogLayout("resultados", OUTCOMES))
    anonymous = {k: v for k, v in _outcome("", "sem id").items() if k != "event_id"}
    _put_raw(store, [encode_record(_outcome("good", "ok")), encode_record(anonymous)])
    result = Compactor(store, clock=lambda: LATER).compact_day(DAY)
    assert result.without_id == 1
    assert "1 records without an id set aside" in result.summary()


def _put_attempts(client: Any) -> list[int]:
    attempts: list[int] = []
    client.meta.events.register("before-call.s3.PutObject", lambda **_: attempts.append(1))
    return attempts


def test_a_missing_bucket_fails_the_write_at_once_not_at_the_deadline(s3_endpoint: str) -> None:
    client = s3.s3_client(s3_endpoint, s3.Timeouts(connect=1, read=1))
    attempts = _put_attempts(client)
    store = S3RecordStore("no-such-bucket", LogLayout("logs", PREDICTIONS), client)
    record = store.pending(DAY, AT, "r-1", [encode_record({"request_id": "r-1"})])
    with pytest.raises(RecordNotStored) as caught:
        store.put(record, deadline=time.monotonic() + 60)  # before: retried for 60 s
    assert caught.value.reason == "NoSuchBucket" and not caught.value.ambiguous
    assert len(attempts) <= 3  # botocore's own handling of the 404; before: dozens


def test_a_refused_connection_fails_the_write_at_once() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = s3.s3_client(f"http://127.0.0.1:{port}", s3.Timeouts(connect=1, read=1))
    attempts = _put_attempts(client)
    store = S3RecordStore("loja", LogLayout("logs", PREDICTIONS), client)
    record = store.pending(DAY, AT, "r-1", [encode_record({"request_id": "r-1"})])
    with pytest.raises(RecordNotStored):
        store.put(record, deadline=time.monotonic() + 60)  # before: retried for 60 s
    assert len(attempts) == 1


def test_the_page_listing_against_a_hung_s3_is_bounded_and_says_it_timed_out() -> None:
    with stalled_endpoint() as endpoint:
        store = LogLocation("loja", "logs", None, endpoint).open()
        config = store.lister.meta.config
        worst = (config.connect_timeout + config.read_timeout) * config.retries[
            "total_max_attempts"
        ]
        assert worst <= 10  # before: 3 attempts of 3 + 15 s
        with pytest.raises(LogUnavailable) as caught:
            store.list_day_files()
    assert caught.value.timed_out
