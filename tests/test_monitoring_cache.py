"""The disk cache of S3 day files: unchanged keys are not downloaded again, changed ones are,
and a folder that cannot be written only turns caching off. S3 is moto_server on loopback."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, timedelta

import pandas as pd
import pytest

from laptop_pricing.log_layout import day_key
from laptop_pricing.monitoring import reader
from laptop_pricing.monitoring.day_file_cache import DayFileCache
from laptop_pricing.monitoring.reader import LogLocation, S3LogSource, read_log, s3_client
from laptop_pricing.monitoring.synthetic import day_csv
from laptop_pricing.settings import load_settings
from tests.monitoring_fixtures import put_objects

END = date(2025, 6, 30)
DAYS = 20


def objects(seed: int = 0, rows: int = 30) -> list[tuple[str, bytes]]:
    return [
        (day_key("logs", END - timedelta(d)), day_csv(END - timedelta(d), rows, seed=seed + d))
        for d in range(DAYS)
    ]


def counted_source(endpoint: str, bucket: str, cache: DayFileCache | None) -> tuple:
    """A source whose client counts the S3 operations it sends (botocore's own event hook)."""
    client = s3_client(endpoint)
    calls: Counter[str] = Counter()
    client.meta.events.register("before-call.s3.*", lambda model, **_: calls.update([model.name]))
    return S3LogSource(bucket, "logs", client, cache=cache), calls


def comparable(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.astype({c: "object" for c in rows.columns if rows[c].dtype == "category"})


@pytest.fixture
def bucket(s3_endpoint, request):
    name = f"cache-{request.node.name.replace('_', '-')[:40]}".lower()
    put_objects(s3_endpoint, name, objects())
    return name


def test_second_read_downloads_nothing_and_returns_the_same_rows(s3_endpoint, bucket, tmp_path):
    cache = DayFileCache(tmp_path / "cache")
    first_source, first_calls = counted_source(s3_endpoint, bucket, cache)
    first = read_log(first_source)
    assert first_calls["GetObject"] == DAYS and cache.misses == DAYS
    assert len(first.rows) == DAYS * 30

    # A new process would build a new cache object on the same folder: do the same.
    second_cache = DayFileCache(tmp_path / "cache")
    second_source, second_calls = counted_source(s3_endpoint, bucket, second_cache)
    second = read_log(second_source)
    assert second_calls["GetObject"] == 0
    assert second_calls["ListObjectsV2"] == 1  # the listing is what validates the copies
    assert second_cache.table_hits == DAYS  # not even parsed again
    pd.testing.assert_frame_equal(comparable(first.rows), comparable(second.rows))
    assert second.set_aside == first.set_aside == []


def test_tables_of_another_reader_version_are_not_trusted(
    s3_endpoint, bucket, tmp_path, monkeypatch
):
    """A new reader (its code digest changed) downloads and parses again, then stores its own."""
    first = read_log(counted_source(s3_endpoint, bucket, DayFileCache(tmp_path / "cache"))[0])
    monkeypatch.setattr(reader, "PARSER_VARIANT", "another-reader")
    cache = DayFileCache(tmp_path / "cache")
    source, calls = counted_source(s3_endpoint, bucket, cache)
    second = read_log(source)
    assert calls["GetObject"] == DAYS and cache.table_hits == 0
    pd.testing.assert_frame_equal(comparable(first.rows), comparable(second.rows))
    tables = list((tmp_path / "cache").rglob("*.arrow"))
    assert len(tables) == DAYS and all(".another-reader." in t.name for t in tables)


def test_fetch_keeps_the_bytes_for_callers_that_parse_themselves(s3_endpoint, bucket, tmp_path):
    cache = DayFileCache(tmp_path / "cache")
    source, calls = counted_source(s3_endpoint, bucket, cache)
    files = source.list_day_files()
    first = [source.fetch(f) for f in files[:3]]
    again = [source.fetch(f) for f in files[:3]]
    assert again == first and calls["GetObject"] == 3 and cache.hits == 3


def test_set_aside_lines_survive_the_parsed_cache(s3_endpoint, tmp_path):
    body = day_csv(END, 5, seed=1) + b"only,three,values\n"
    put_objects(s3_endpoint, "cache-defects", [(day_key("logs", END), body)])
    first = read_log(counted_source(s3_endpoint, "cache-defects", DayFileCache(tmp_path))[0])
    cache = DayFileCache(tmp_path)
    source, calls = counted_source(s3_endpoint, "cache-defects", cache)
    second = read_log(source)
    assert calls["GetObject"] == 0 and cache.table_hits == 1
    assert [s.reason for s in first.set_aside] == ["short_row"]
    assert second.set_aside == first.set_aside
    assert len(second.rows) == 5


def test_a_changed_object_is_downloaded_again_and_its_new_rows_appear(
    s3_endpoint, bucket, tmp_path
):
    cache = DayFileCache(tmp_path / "cache")
    source, _ = counted_source(s3_endpoint, bucket, cache)
    before = read_log(source)
    today_key = day_key("logs", END)
    grown = day_csv(END, 45, seed=999)  # today's file grew: new content, new ETag
    put_objects(s3_endpoint, bucket, [(today_key, grown)])

    source, calls = counted_source(s3_endpoint, bucket, DayFileCache(tmp_path / "cache"))
    after = read_log(source)
    assert calls["GetObject"] == 1  # only the changed file crossed the network
    assert len(after.rows) == len(before.rows) - 30 + 45
    today = after.rows[after.rows["file"] == today_key.rsplit("/", 1)[-1]]
    expected = pd.read_csv(io.BytesIO(grown))
    assert sorted(today["price"]) == sorted(expected["price"].astype(float))
    # The old version of that key was replaced (bytes and table), not kept next to the new one.
    folders = [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]
    assert len(folders) == DAYS
    for folder in folders:
        assert len(list(folder.iterdir())) == 1  # one parsed table, of the current ETag


def test_an_unwritable_cache_folder_still_reads_everything(s3_endpoint, bucket, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    cache = DayFileCache(blocker / "cache")
    source, calls = counted_source(s3_endpoint, bucket, cache)
    result = read_log(source)
    assert len(result.rows) == DAYS * 30 and result.set_aside == []
    assert calls["GetObject"] == DAYS
    assert cache.writable is False
    again = read_log(counted_source(s3_endpoint, bucket, cache)[0])
    assert len(again.rows) == DAYS * 30  # no cache, no harm: straight from S3 again


def test_damaged_entries_are_not_trusted(s3_endpoint, bucket, tmp_path):
    cache = DayFileCache(tmp_path / "cache")
    read_log(counted_source(s3_endpoint, bucket, cache)[0])
    folder = next(p for p in (tmp_path / "cache").iterdir() if p.is_dir())
    for entry in folder.iterdir():  # the table of one file, truncated
        entry.write_bytes(entry.read_bytes()[:-10])
    source, calls = counted_source(s3_endpoint, bucket, DayFileCache(tmp_path / "cache"))
    result = read_log(source)
    assert calls["GetObject"] == 1
    assert len(result.rows) == DAYS * 30 and result.set_aside == []


def test_size_bound_evicts_the_least_recently_used(tmp_path):
    cache = DayFileCache(tmp_path / "cache", max_bytes=1000)
    for index in range(10):
        assert cache.put("b", f"k{index}", f'"etag{index}"', b"x" * 200)
    assert cache.size() <= 1000
    assert cache.get("b", "k9", '"etag9"') == b"x" * 200  # the newest entry survived
    assert cache.get("b", "k0", '"etag0"') is None  # the oldest went first
    assert cache.get("b", "k9", '"other-etag"') is None  # another version is not this one


def test_page_location_uses_the_configured_folder_or_none(monkeypatch, tmp_path):
    monkeypatch.setenv("PREDICTIONS_BUCKET", "logs-bucket")
    monkeypatch.setenv("PREDICTIONS_CACHE_DIR", str(tmp_path / "c"))
    location = LogLocation.from_settings(load_settings())
    assert location.cache_dir == str(tmp_path / "c")
    assert location.open().cache.directory == tmp_path / "c"
    monkeypatch.setenv("PREDICTIONS_CACHE_DIR", "off")
    assert LogLocation.from_settings(load_settings()).open().cache is None
