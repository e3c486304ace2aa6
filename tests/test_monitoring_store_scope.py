"""Reading only some stores' rows (``monitoring.store_scope``, ``read_log(stores=...)``): the
same rows as reading the chain and keeping the stores (``store_of``'s rule: a row with no store
is the default store's, spaces around a value do not change its store), with only the rollup
row groups that may hold them decoded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from laptop_pricing.monitoring.aggregate import of_stores
from laptop_pricing.monitoring.reading import read_log
from laptop_pricing.monitoring.store_scope import row_groups_of, rows_of
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout
from laptop_pricing.request_log.compact import Compactor
from laptop_pricing.storage import rollup
from laptop_pricing.storage.object_ranges import FOOTER_READ, ObjectTail
from laptop_pricing.storage.stores import LocalRecordStore
from laptop_pricing.store_id import DEFAULT_STORE_ID
from tests.synthetic_logs import day_files

PREFIX = "logs"
END = date(2025, 6, 30)


def test_a_value_names_its_store_as_store_of_reads_it():
    values = pa.array(["centro", " centro ", "", None, "sul", "centro-2", "CENTRO"])
    assert rows_of(values, {"centro"}).to_pylist() == [
        True,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    default = rows_of(values, {DEFAULT_STORE_ID})
    assert default.to_pylist() == [False, False, True, True, False, False, False]
    dictionary = values.dictionary_encode()
    assert rows_of(dictionary, {"sul"}).to_pylist() == [False] * 4 + [True, False, False]


def _month(tmp_path: Path, stores: list[str | None], group_rows: int) -> pq.FileMetaData:
    path = tmp_path / "month.parquet"
    table = pa.table({"store_id": pa.array(stores, pa.string()), "n": range(len(stores))})
    pq.write_table(table, path, row_group_size=group_rows)
    return pq.read_metadata(path)


def test_only_the_row_groups_that_may_hold_a_store_are_read(tmp_path):
    sorted_stores = sorted(f"loja-{i:03d}" for i in range(10) for _ in range(4))
    metadata = _month(tmp_path, sorted_stores, group_rows=8)  # two stores a group
    assert metadata.num_row_groups == 5
    assert row_groups_of(metadata, {"loja-003"}) == [1]
    assert row_groups_of(metadata, {"loja-000", "loja-009"}) == [0, 4]
    assert row_groups_of(metadata, {"loja-999"}) == []


def test_a_group_that_may_hold_a_padded_or_missing_store_is_read(tmp_path):
    stores = [None, None, " loja-005", "loja-001", "loja-001", "loja-002", "zz", "zz"]
    metadata = _month(tmp_path, stores, group_rows=2)
    assert DEFAULT_STORE_ID == "loja"  # so "loja-00N" may be "loja" with a trailing space
    assert row_groups_of(metadata, {DEFAULT_STORE_ID}) == [0, 1, 2]  # nulls; a leading space
    assert row_groups_of(metadata, {"zz"}) == [1, 3]  # group 0: all missing, the default's
    assert row_groups_of(metadata, {"loja-005"}) == [1]  # " loja-005" is loja-005's
    assert row_groups_of(metadata, {"loja-001"}) == [1, 2]
    beyond = _month(tmp_path, ["loja-001", "loja-002", "loja-001", "\u00a0centro"], group_rows=2)
    assert row_groups_of(beyond, {"centro"}) == [1]  # a non-ASCII space sorts above the slugs
    no_store = pq.read_metadata(_write_plain(tmp_path))
    assert row_groups_of(no_store, {"loja-001"}) == [0, 1]  # older than stores: every group


def _write_plain(tmp_path: Path) -> Path:
    path = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"n": range(4)}), path, row_group_size=2)
    return path


@pytest.fixture
def chain_log(tmp_path, monkeypatch) -> LocalRecordStore:
    """Forty days of six stores, the closed days compacted into months of small row groups
    (so a store's rows are a few of many groups), the last two days left open."""
    monkeypatch.setattr(rollup, "ROW_GROUP_ROWS", 100)
    for key, data in day_files(END, 40, rows_per_day=60, prefix=PREFIX, stores=6, quotes=0.5):
        path = tmp_path / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    store = LocalRecordStore(tmp_path, LogLayout(PREFIX, PREDICTIONS))
    later = datetime(END.year, END.month, END.day, tzinfo=UTC) - timedelta(days=1)
    Compactor(store, clock=lambda: later).compact_days(
        [d for d in store.day_file_days() if d < END - timedelta(days=1)]
    )
    return store


def _sorted(rows: pd.DataFrame) -> pd.DataFrame:
    columns = ["timestamp", "price", "quote_id", "store_id", "brand"]
    frame = rows[columns].astype(str)
    return frame.sort_values(columns, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("stores", [("loja-002",), ("loja-001", "loja-006"), ("loja-999",)])
def test_a_scoped_read_is_the_chain_read_kept_to_the_stores(chain_log, stores):
    start = END - timedelta(days=39)
    chain = read_log(chain_log, start, END)
    scoped = read_log(chain_log, start, END, stores=set(stores))
    expected = of_stores(chain.rows, stores)
    pd.testing.assert_frame_equal(_sorted(scoped.rows), _sorted(expected))
    assert len(chain.rows) == 40 * 60
    assert chain.row_groups.read == chain.row_groups.total > 6  # months of many groups
    assert scoped.row_groups.total == chain.row_groups.total
    assert scoped.row_groups.read < chain.row_groups.total / 2
    assert {r.reason for r in scoped.set_aside} == {r.reason for r in chain.set_aside}
    part = END - timedelta(days=12)  # part of June's closed days: days and stores both kept
    chain_part = read_log(chain_log, part, END)
    scoped_part = read_log(chain_log, part, END, stores=set(stores))
    pd.testing.assert_frame_equal(
        _sorted(scoped_part.rows), _sorted(of_stores(chain_part.rows, stores))
    )
    assert len(chain_part.rows) == 13 * 60


def test_a_scoped_read_fetches_its_months_by_ranges_never_whole(chain_log, monkeypatch):
    """One store's months come as their footers and that store's row groups: a month is
    never fetched whole, and beyond its footer far fewer bytes than its own are fetched."""
    whole: list[str] = []
    ranged: list[int] = []
    tails: list[int] = []
    fetch, fetch_range, fetch_tail = chain_log.fetch, chain_log.fetch_range, chain_log.fetch_tail

    def spy_fetch(key: str, size: int | None = None) -> bytes:
        whole.append(key)
        return fetch(key, size)

    def spy_range(key: str, start: int, end: int, version: str) -> bytes:
        ranged.append(end - start)
        return fetch_range(key, start, end, version)

    def spy_tail(key: str, length: int) -> ObjectTail:
        tail = fetch_tail(key, length)
        tails.append(len(tail.data))
        return tail

    monkeypatch.setattr(chain_log, "fetch", spy_fetch)
    monkeypatch.setattr(chain_log, "fetch_range", spy_range)
    monkeypatch.setattr(chain_log, "fetch_tail", spy_tail)
    scoped = read_log(chain_log, END - timedelta(days=39), END, stores={"loja-002"})
    assert set(scoped.rows["store_id"].astype(str)) == {"loja-002"}
    assert [k for k in whole if k.startswith(chain_log.layout.rollup_root)] == []
    months = sum((chain_log.directory / m.key).stat().st_size for m in chain_log.rollup_months())
    assert len(tails) == 2 and max(tails) <= FOOTER_READ  # each month's footer, once
    assert 0 < sum(ranged) < months / 2  # then only the store's groups
    whole.clear()
    read_log(chain_log, END - timedelta(days=39), END)  # the chain's read takes months whole
    assert len([k for k in whole if k.startswith(chain_log.layout.rollup_root)]) == 2


def test_a_scoped_read_decodes_only_the_columns_the_page_keeps(chain_log, monkeypatch):
    """A store's groups are decoded without the request ids (a unique text a row, 16 % of a
    group's bytes) or the rollup's own flags: the page's rows never hold them."""
    asked: list[list[str] | None] = []
    read_groups = pq.ParquetFile.read_row_groups

    def spy(self, row_groups, columns=None, **options):
        asked.append(columns)
        return read_groups(self, row_groups, columns=columns, **options)

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", spy)
    scoped = read_log(chain_log, END - timedelta(days=39), END, stores={"loja-002"})
    assert len(scoped.rows) > 0 and asked and None not in asked
    decoded = {name for columns in asked for name in columns or ()}
    assert "request_id" not in decoded and "in_schema" not in decoded
    assert {"price", "timestamp", "quote_id", "brand", "store_id"} <= decoded


def test_a_month_rewritten_while_it_is_decoded_is_set_aside_and_its_days_read_again(
    chain_log, monkeypatch
):
    """A range fetched while decoding (none should be: the groups are fetched first) of a month
    the compactor rewrote meanwhile fails as a fetch: a note, never a traceback, and its days
    come from their day files, so no row is lost."""
    from laptop_pricing.monitoring import reading
    from laptop_pricing.storage.object_ranges import ObjectRanges

    def footer_then_rewritten(source, month, stores):
        ranged = ObjectRanges(source, month.key)  # the footer only: decoding fetches the rest
        assert source.replace_object(month.key, (source.directory / month.key).read_bytes())
        return ranged

    monkeypatch.setattr(reading, "open_scoped_month", footer_then_rewritten)
    start = END - timedelta(days=39)
    scoped = read_log(chain_log, start, END, stores={"loja-002"})
    notes = [n for n in scoped.set_aside if n.detail == "ObjectChanged"]
    assert [n.file for n in notes] == ["year=2025/month=06"]  # May's fits in its footer read
    monkeypatch.undo()
    expected = of_stores(read_log(chain_log, start, END).rows, ("loja-002",))
    pd.testing.assert_frame_equal(_sorted(scoped.rows), _sorted(expected))
