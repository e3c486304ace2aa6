"""A chain's month in the rollup: sorted by store, then time, in row groups whose ``store_id``
statistics let readers skip the other stores (issue 25 item 5; the layout
``bench/bench_rollup_layout.py`` measured against one object per store and month)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from laptop_pricing.api.service import prediction_values
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import RequestLog
from laptop_pricing.storage import rollup
from laptop_pricing.storage.layout import ROLLUP_FILE, ROLLUP_FOLDER
from tests.request_log_support import PREFIX, compact_closed, local_store

STORES = ("centro", "norte", "sul")
MAY_1 = date(2026, 5, 1)


@pytest.fixture
def small_row_groups(monkeypatch: pytest.MonkeyPatch) -> int:
    """Row groups of 4 rows, so a dozen rows make a chain's month of several groups."""
    monkeypatch.setattr(rollup, "ROW_GROUP_ROWS", 4)
    return 4


@pytest.fixture
def chain_month(tmp_path: Path, small_row_groups: int) -> Path:
    """May 1st of three stores (4 quotes each, interleaved in time), compacted into the
    rollup by the compactor; the folder holding ``_rollup/``."""
    store = local_store(tmp_path)
    log = RequestLog(store)
    start = datetime(2026, 5, 1, 9, tzinfo=UTC)
    spec = LaptopSpec.default().as_dict()
    for i in range(12):
        at = start + timedelta(minutes=i)
        shop = STORES[(i * 2) % 3]  # centro, sul, norte, centro, ... : interleaved
        row = prediction_values(spec, 3000 + i, "1.0.0", f"r-{i}", at, store_id=shop)
        log.write(row, at=at)
    compact_closed(store, MAY_1)
    return tmp_path / PREFIX


def month_file(folder: Path) -> Path:
    return folder / ROLLUP_FOLDER / "year=2026" / "month=05" / ROLLUP_FILE


def test_the_compactor_writes_a_chains_month_sorted_by_store_then_time(chain_month: Path):
    table = pq.read_table(month_file(chain_month))
    stores = table.column("store_id").to_pylist()
    assert stores == sorted(stores) and set(stores) == set(STORES)
    for shop in STORES:
        times = [
            t
            for s, t in zip(stores, table.column("timestamp").to_pylist(), strict=True)
            if s == shop
        ]
        assert times == sorted(times) and len(times) == 4


def test_each_row_group_names_its_stores_range_so_readers_skip_the_others(chain_month: Path):
    metadata = pq.ParquetFile(month_file(chain_month)).metadata
    assert metadata.num_row_groups == 3  # 12 rows, 4 a group: one store each here
    index = metadata.schema.to_arrow_schema().get_field_index("store_id")
    ranges = [
        (
            metadata.row_group(g).column(index).statistics.min,
            metadata.row_group(g).column(index).statistics.max,
        )
        for g in range(metadata.num_row_groups)
    ]
    assert ranges == [(s, s) for s in STORES]

    dataset = ds.dataset(chain_month / ROLLUP_FOLDER, format="parquet", partitioning="hive")
    (fragment,) = dataset.get_fragments()
    only_sul = ds.field("store_id") == "sul"
    assert len(fragment.split_by_row_group(only_sul)) == 1  # 2 of 3 groups never read
    assert dataset.to_table(columns=["store_id"], filter=only_sul).num_rows == 4
    counted = duckdb.sql(
        "SELECT count(*) FROM dataset WHERE store_id = 'sul' AND year = 2026 AND month = 5"
    ).fetchall()
    assert counted == [(4,)]


def test_a_month_is_the_same_bytes_whatever_the_order_its_days_arrive_in(
    small_row_groups: int,
):
    """The compactor's output is a function of its inputs: the sort keys end in day and line."""
    spec = LaptopSpec.default().as_dict()
    days = {}
    for offset in range(2):
        day = MAY_1 + timedelta(days=offset)
        at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        rows = [
            {
                k: str(v)
                for k, v in prediction_values(
                    spec, 3000, "1.0.0", f"d{offset}-{i}", at, store_id=STORES[i % 3]
                ).items()
            }
            for i in range(6)
        ]
        table, _ = rollup.day_table(PREDICTIONS, day, rows)
        days[day] = (table, rollup.ClosedDay(len(rows), f"digest-{offset}"))
    empty = rollup.read_month(None)
    forward = rollup.with_days(empty, days, PREDICTIONS.defaults, "timestamp")
    backward = rollup.with_days(
        empty, dict(reversed(list(days.items()))), PREDICTIONS.defaults, "timestamp"
    )
    assert forward == backward
    table = pq.read_table(pa.BufferReader(forward))
    assert table.column("store_id").to_pylist() == sorted(table.column("store_id").to_pylist())


def test_the_scan_format_reads_a_chains_month_as_plain_parquet_does(chain_month: Path):
    """The coalescing read options change how many requests a scan makes, never what it
    reads (the request counts are measured by bench/bench_rollup_layout.py --moto)."""
    folder = chain_month / ROLLUP_FOLDER
    plain = ds.dataset(folder, format="parquet", partitioning="hive")
    tuned = ds.dataset(folder, format=rollup.scan_format(), partitioning="hive")
    only_norte = ds.field("store_id") == "norte"
    assert tuned.to_table(filter=only_norte).equals(plain.to_table(filter=only_norte))
    options = rollup.scan_format().default_fragment_scan_options
    assert options.pre_buffer and options.cache_options.hole_size_limit == 1 << 20
