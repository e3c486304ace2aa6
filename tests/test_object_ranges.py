"""A rollup month read by byte ranges (``storage.object_ranges``), from a folder and from S3
(moto on loopback): the same rows as the month fetched whole, with only the footer and the
wanted row groups fetched, and nothing more fetched while they are decoded."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from laptop_pricing.storage.object_ranges import (
    FOOTER_READ,
    ObjectRanges,
    merged_spans,
    open_row_groups,
)
from laptop_pricing.storage.stores import RecordStore, StoreError
from tests.request_log_support import local_store, s3_store
from tests.service_fixtures import MOTO_ENV

KEY = "rollup/year=2025/month=06/data.parquet"
STORES = [f"loja-{i:03d}" for i in range(20)]


def _month() -> tuple[pa.Table, bytes]:
    """Twenty stores' rows sorted by store, 2 000 rows a store in row groups of 1 000."""
    rows = 2_000 * len(STORES)
    table = pa.table(
        {
            "store_id": [STORES[i // 2_000] for i in range(rows)],
            "price": [float(i % 997) * 3.5 for i in range(rows)],
            "note": [f"linha {i:06d} " * 3 for i in range(rows)],
        }
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=1_000)
    return table, sink.getvalue().to_pybytes()


@pytest.fixture(params=["local", "s3"])
def stored(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[RecordStore, pa.Table, bytes]:
    table, data = _month()
    if request.param == "local":
        store: RecordStore = local_store(tmp_path)
        path = tmp_path / KEY
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    else:
        for name, value in MOTO_ENV.items():
            monkeypatch.setenv(name, value)
        bucket = request.getfixturevalue("bucket")
        request.getfixturevalue("s3").put_object(Bucket=bucket, Key=KEY, Body=data)
        store = s3_store(request.getfixturevalue("moto_endpoint"), bucket)
    return store, table, data


def test_a_tail_and_a_range_are_the_objects_bytes(stored):
    store, _, data = stored
    tail = store.fetch_tail(KEY, 1_000)
    assert (tail.data, tail.size) == (data[-1_000:], len(data))
    whole = store.fetch_tail(KEY, len(data) + 5_000)  # longer than the object: all of it
    assert (whole.data, whole.size, whole.version) == (data, len(data), tail.version)
    assert store.fetch_range(KEY, 100, 5_100, tail.version) == data[100:5_100]
    assert store.fetch_range(KEY, 7, 7, tail.version) == b""


def test_a_month_replaced_between_its_footer_and_its_groups_is_refused_not_mixed(stored):
    """The compactor may rewrite a month while a page reads it: the groups' bytes are read of
    the footer's version only (S3: If-Match its ETag; a folder: the same file), so a read that
    straddles a rewrite fails as a fetch, and is never decoded from another file's offsets."""
    store, table, _ = stored
    ranged = ObjectRanges(store, KEY)
    newer = pa.BufferOutputStream()
    pq.write_table(table.slice(0, 30_000), newer, row_group_size=500)
    _replace(store, newer.getvalue().to_pybytes())
    with pytest.raises(StoreError) as refused:
        ranged.fetch([(4, 50_000)])
    assert refused.value.code == "ObjectChanged"
    assert pq.read_table(ObjectRanges(store, KEY)).num_rows == 30_000  # read again: the new one


def _replace(store: RecordStore, data: bytes) -> None:
    """Rewrite the month as the compactor does (aside, then over it; a PUT on S3)."""
    assert store.replace_object(KEY, data)


def test_only_the_footer_and_the_wanted_groups_are_fetched_and_decoding_fetches_nothing(stored):
    store, table, data = stored
    ranged = open_row_groups(store, KEY, lambda metadata: [6, 7])  # loja-003's two groups
    assert ranged.size == len(data)
    fetched, reads = ranged.fetched_bytes, ranged.reads
    assert reads == 2  # the tail, then the two adjacent groups in one read
    assert fetched < len(data) / 4
    rows = pq.ParquetFile(ranged).read_row_groups([6, 7])
    assert rows.equals(table.slice(6_000, 2_000))
    assert set(rows.column("store_id").to_pylist()) == {"loja-003"}
    assert (ranged.fetched_bytes, ranged.reads) == (fetched, reads)


def test_a_month_read_through_its_ranges_is_the_month(stored):
    store, table, data = stored
    ranged = ObjectRanges(store, KEY)
    assert ranged.fetched_bytes == min(FOOTER_READ, len(data))
    assert pq.read_table(ranged).equals(table)  # every group fetched as pyarrow asks for it
    assert pq.read_table(pa.BufferReader(data)).equals(table)


def test_an_object_that_is_not_parquet_is_opened_and_refused_when_decoded(tmp_path):
    store = local_store(tmp_path)
    path = tmp_path / KEY
    path.parent.mkdir(parents=True)
    path.write_bytes(b"store_id,price\nloja-001,10\n" * 50)
    ranged = open_row_groups(store, KEY, lambda metadata: [0])
    with pytest.raises(pa.ArrowException):
        pq.ParquetFile(ranged)


def test_spans_closer_than_the_gap_are_one_read():
    assert merged_spans([(500, 600), (0, 100), (100, 200)]) == [(0, 600)]
    assert merged_spans([(0, 10), (10 + 200_000, 10 + 300_000)]) == [(0, 10), (200_010, 300_010)]
