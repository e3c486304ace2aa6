"""What the log reader lists and fetches: a local folder by file names within a range, and S3
through moto_server (pagination past 1000 keys, StartAfter, a file deleted after listing, a
missing bucket). Split from tests/test_monitoring_reader.py (parsing and defects)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from laptop_pricing.monitoring.reading import read_log
from laptop_pricing.monitoring.sources import FETCH_FAILED, DayFile, LogLocation, LogUnavailable
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout
from laptop_pricing.storage.s3_store import S3RecordStore
from laptop_pricing.storage.stores import LocalRecordStore
from tests.monitoring_fixtures import put_objects, s3_client, write_files
from tests.synthetic_logs import day_csv


def day_key(prefix: str, day: date) -> str:
    return LogLayout(prefix, PREDICTIONS).day_key(day)


def day_file_name(day: date) -> str:
    return LogLayout("", PREDICTIONS).day_file_name(day)


def list_calls(client) -> list[str]:
    """Records each ListObjectsV2 request the client makes (a page of at most 1000 keys)."""
    calls: list[str] = []
    client.meta.events.register(
        "provide-client-params.s3.ListObjectsV2",
        lambda params, **_: calls.append(params.get("Prefix")),
    )
    return calls


# --- Listing by name --------------------------------------------------------------------------


def test_local_listing_uses_names_and_the_range(tmp_path):
    days = [date(2024, 1, 1) + timedelta(d) for d in range(10)]
    write_files(tmp_path, [(day_key("p", d), day_csv(d, 3, seed=i)) for i, d in enumerate(days)])
    (tmp_path / "p" / "notes.csv").write_text("x")
    (tmp_path / "p" / "sub").mkdir()
    (tmp_path / "p" / "sub" / day_file_name(days[0])).write_bytes(day_csv(days[0], 3))
    source = LocalRecordStore(tmp_path, LogLayout("p", PREDICTIONS))
    assert [f.day for f in source.list_day_files().files] == days
    listed = source.list_day_files(date(2024, 1, 3), date(2024, 1, 5)).files
    assert [f.day for f in listed] == days[2:5]
    result = read_log(source, date(2024, 1, 3), date(2024, 1, 5))
    assert len(result.rows) == 9
    assert set(result.rows["timestamp"].dt.date) == set(days[2:5])
    assert (
        LocalRecordStore(tmp_path / "absent", LogLayout("", PREDICTIONS)).list_day_files().files
        == []
    )


# --- S3 through moto_server -------------------------------------------------------------------

MANY_DAYS = [date(2021, 1, 1) + timedelta(d) for d in range(1100)]


@pytest.fixture(scope="module")
def big_bucket(s3_endpoint):
    objects = [(day_key("logs", d), day_csv(d, 2, seed=i)) for i, d in enumerate(MANY_DAYS)]
    objects.append(("logs/README.txt", b"not a day file"))
    objects.append(("logs/archive/" + day_file_name(MANY_DAYS[0]), b"nested: not ours"))
    objects.append(("other/" + day_file_name(MANY_DAYS[0]), b"another prefix"))
    put_objects(s3_endpoint, "monitoring-many", objects)
    return s3_endpoint


def test_s3_listing_paginates_past_1000_keys(big_bucket):
    client = s3_client(big_bucket)
    calls = list_calls(client)
    listed = (
        S3RecordStore("monitoring-many", LogLayout("logs", PREDICTIONS), client)
        .list_day_files()
        .files
    )
    assert [f.day for f in listed] == MANY_DAYS
    # 1100 day keys: two pages of at most 1000, then one call for the records' day folders
    assert calls == ["logs/", "logs/", "logs/_records/"]


def test_s3_range_listing_starts_after_the_day_before_and_stops_past_the_end(big_bucket):
    client = s3_client(big_bucket)
    calls = list_calls(client)
    source = S3RecordStore("monitoring-many", LogLayout("logs", PREDICTIONS), client)
    start, end = MANY_DAYS[-30], MANY_DAYS[-21]
    listed = source.list_day_files(start, end).files
    assert [f.day for f in listed] == MANY_DAYS[-30:-20]
    assert calls == ["logs/", "logs/_records/"]  # StartAfter skipped the first three years
    calls.clear()
    assert [f.day for f in source.list_day_files(MANY_DAYS[0], MANY_DAYS[1]).files] == MANY_DAYS[:2]
    assert calls == ["logs/", "logs/_records/"]  # stopped at the end of the range


def test_s3_read_over_a_year_concurrently(big_bucket):
    location = LogLocation("monitoring-many", "logs", None, big_bucket)
    result = read_log(location.open(), MANY_DAYS[-365], MANY_DAYS[-1])
    assert len(result.files) == 365 and len(result.rows) == 730
    assert result.set_aside == []
    assert result.rows["file"].astype(str).is_monotonic_increasing  # day order, then line


def test_s3_file_deleted_after_listing_is_reported_not_fatal(big_bucket):
    client = s3_client(big_bucket)
    source = S3RecordStore("monitoring-many", LogLayout("logs", PREDICTIONS), client)
    files = source.list_day_files(MANY_DAYS[10], MANY_DAYS[12]).files
    ghost = DayFile(MANY_DAYS[10] - timedelta(days=5000), "logs/" + day_file_name(date(2000, 1, 1)))
    result = read_log(source, files=[*files, ghost])
    assert len(result.rows) == 6
    assert [(s.file, s.line, s.reason, s.detail) for s in result.set_aside] == [
        (ghost.name, None, FETCH_FAILED, "NoSuchKey")
    ]


def test_s3_missing_bucket_is_a_typed_error(s3_endpoint):
    source = S3RecordStore("no-such-bucket", LogLayout("logs", PREDICTIONS), s3_client(s3_endpoint))
    with pytest.raises(LogUnavailable) as caught:
        source.list_day_files()
    assert caught.value.reason == "NoSuchBucket"
