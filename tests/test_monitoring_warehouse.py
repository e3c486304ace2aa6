"""The monitoring page's aggregates from DuckDB over the rollup: the same view as the pandas
path on a small log (closed days in the rollup, today open; the course sample without a
rollup), the rollup read from a bucket through pyarrow's S3 filesystem, a month with a foreign
schema named rather than raised, the download streamed and formula-safe, and one SQL text for
DuckDB and Athena."""

from __future__ import annotations

import base64
import csv
import io
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from laptop_pricing import log_columns
from laptop_pricing.api.service import prediction_values
from laptop_pricing.monitoring import drift, quality, view, warehouse, warehouse_view
from laptop_pricing.monitoring import warehouse_sql as sql
from laptop_pricing.monitoring.reading import read_log
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.pricing.artifact import read_metadata
from laptop_pricing.pricing.schema import FIELDS, PROCESSORS_BY_BRAND
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout, RequestLog, normalised
from laptop_pricing.settings import DEFAULT_PREFIX
from laptop_pricing.storage.stores import LocalRecordStore
from tests.monitoring_fixtures import SAMPLE_DIR
from tests.request_log_support import compact_closed
from tests.service_fixtures import MOTO_ENV

LAYOUT = LogLayout(DEFAULT_PREFIX, PREDICTIONS)
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()
DAYS = 4  # three closed days in the rollup, and today open
SAMPLE_FILTERS = view.Filters(date(2024, 1, 15), date(2024, 1, 18))


def _fields(i: int) -> dict[str, object]:
    """Laptops cycling through allowed values, with the quirks the reader normalises or flags:
    an upper-case padded brand, a zero-padded RAM, a value outside the schema, a mismatch."""
    values: dict[str, object] = {
        f.name: f.values[(i + k) % len(f.values)] for k, f in enumerate(FIELDS)
    }
    makes = PROCESSORS_BY_BRAND[str(values["processor_brand"])]
    if values["processor_name"] not in makes:
        values["processor_name"] = makes[i % len(makes)]
    if i % 7 == 0:
        values["brand"] = f" {str(values['brand']).upper()} "
    if i % 11 == 0:
        values["ram_gb"] = "016"
    if i % 13 == 0:
        values["ram_gb"] = "252"
    if i % 17 == 0:
        values["processor_name"] = "ryzen 7" if values["processor_brand"] == "intel" else "core i5"
    return values


@pytest.fixture(scope="module")
def rolled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four days of requests from two stores: the first three closed into the rollup, today
    still a day file and records."""
    folder = tmp_path_factory.mktemp("warehouse")
    store = LocalRecordStore(folder, LAYOUT)
    log = RequestLog(store)
    for back in range(DAYS - 1, -1, -1):
        noon = datetime.combine(TODAY - timedelta(days=back), time(12), UTC)
        for i in range(60):
            at = noon + timedelta(minutes=7 * i)
            shop = "centro" if i % 3 else "sul"
            row = prediction_values(
                _fields(i + back),
                2000 + 37 * i + back,
                f"v{1 + (i + back) % 2}",
                f"r{back}-{i}",
                at,
            )
            row[log_columns.STORE_ID_COLUMN] = shop
            log.write(row, at=at)
        if back:
            compact_closed(store, TODAY - timedelta(days=back))
    return folder


def _old_view(location: LogLocation, filters: view.Filters, today: date) -> view.MonitoringView:
    result = read_log(location.open(), *filters.load_window())
    rows = quality.with_in_schema(result.rows)
    reference = drift.Reference.from_metadata(read_metadata())
    return view.compute_view(rows, result.set_aside, result.files, filters, today, reference)


def _assert_same_view(old: view.MonitoringView, new: view.MonitoringView) -> None:
    assert new.kpis == old.kpis
    assert new.in_schema_share == pytest.approx(old.in_schema_share)
    assert (new.files_read, new.set_aside) == (old.files_read, old.set_aside)
    assert new.drift_table is not None and old.drift_table is not None
    pd.testing.assert_frame_equal(new.drift_table, old.drift_table)
    assert new.quality_report is not None and old.quality_report is not None
    pd.testing.assert_frame_equal(new.quality_report, old.quality_report, check_dtype=False)
    assert new.figures.keys() == old.figures.keys()
    for name, figure in old.figures.items():
        _assert_close(new.figures[name].to_plotly_json(), figure.to_plotly_json(), name)


def _decoded(value: object) -> object:
    if isinstance(value, dict) and set(value) >= {"dtype", "bdata"}:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return value


def _assert_close(new: object, old: object, where: str) -> None:
    """Equal figures, numbers to the last few bits (DuckDB's and numpy's interpolation round
    differently). Plotly gives arrays as base64 (``bdata``): decoded first."""
    new, old = _decoded(new), _decoded(old)
    if isinstance(old, dict) and isinstance(new, dict):
        assert new.keys() == old.keys(), where
        for key, value in old.items():
            _assert_close(new[key], value, f"{where}.{key}")
    elif isinstance(old, list | tuple) and isinstance(new, list | tuple):
        assert len(new) == len(old), where
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            _assert_close(a, b, f"{where}[{i}]")
    elif isinstance(old, np.ndarray) and old.dtype.kind == "f":
        np.testing.assert_allclose(np.asarray(new, dtype=float), old, rtol=1e-9, err_msg=where)
    elif isinstance(old, np.ndarray):
        assert np.array_equal(np.asarray(new), old), where
    elif isinstance(old, float):
        assert new == pytest.approx(old, rel=1e-9), where
    else:
        assert new == old, where


@pytest.mark.parametrize("only_in_schema", [False, True])
def test_sql_view_equals_the_pandas_view_on_rollup_and_open_day(rolled, only_in_schema):
    location = LogLocation(None, DEFAULT_PREFIX, str(rolled))
    filters = view.Filters(TODAY - timedelta(days=DAYS), TODAY, only_in_schema=only_in_schema)
    reference = drift.Reference.from_metadata(read_metadata())
    opened = warehouse.open_warehouse(location, *filters.load_window())
    assert opened.months_read >= 1  # the closed days came through the Parquet dataset
    new = warehouse_view.compute_view(opened, filters, TODAY, reference)
    old = _old_view(location, filters, TODAY)
    assert old.kpis.requests > 0 and old.quality_report is not None
    assert set(old.quality_report["issue"]) >= {quality.NOT_ALLOWED, quality.PROCESSOR_MISMATCH}
    _assert_same_view(old, new)
    assert warehouse_view.period_versions(opened, filters.start, filters.end) == (
        4 * 60,
        ["v1", "v2"],
    )


def test_the_compactor_writes_the_fields_normalised_and_judged(rolled):
    closed = TODAY - timedelta(days=1)
    month = pq.read_table(rolled / LAYOUT.rollup_key(closed.year, closed.month))
    day = month.filter(pc.equal(month.column("day"), pa.scalar(closed, pa.date32())))
    rows = day.to_pandas().set_index("source_line").sort_index()
    assert len(rows) == 60 and rows["in_schema"].dtype == bool
    back = (TODAY - closed).days
    for i, line in enumerate(rows.index):  # line 2 holds request i = 0 of the day
        quirks = _fields(i + back)
        row = rows.loc[line]
        assert row["brand"] == str(quirks["brand"]).strip().lower()
        assert row["ram_gb"] == str(int(str(quirks["ram_gb"])))
        makes = PROCESSORS_BY_BRAND[str(quirks["processor_brand"])]
        judged = str(quirks["ram_gb"]) != "252" and quirks["processor_name"] in makes
        assert row["in_schema"] == judged, (i, quirks)
    assert not rows["in_schema"].all() and rows["in_schema"].any()


def test_a_month_rolled_up_before_normalising_is_judged_row_by_row(rolled, tmp_path):
    """A month the compactor wrote before it normalised (values as written, no ``in_schema``)
    gives the same view through the row-by-row SQL, beside today's open day."""
    folder = tmp_path / "log"
    shutil.copytree(rolled, folder)
    shutil.rmtree(folder / LAYOUT.rollup_root)  # rolled up again below, as before
    older = LocalRecordStore(
        folder, LogLayout(DEFAULT_PREFIX, replace(PREDICTIONS, rollup_columns=None))
    )
    for back in range(DAYS - 1, 0, -1):
        compact_closed(older, TODAY - timedelta(days=back))
    closed = TODAY - timedelta(days=1)
    month = pq.read_schema(folder / LAYOUT.rollup_key(closed.year, closed.month))
    assert "in_schema" not in month.names
    location = LogLocation(None, DEFAULT_PREFIX, str(folder))
    filters = view.Filters(TODAY - timedelta(days=DAYS), TODAY)
    opened = warehouse.open_warehouse(location, *filters.load_window())
    assert opened.months_read >= 1
    reference = drift.Reference.from_metadata(read_metadata())
    new = warehouse_view.compute_view(opened, filters, TODAY, reference)
    _assert_same_view(_old_view(location, filters, TODAY), new)


def _two_months(folder: Path) -> tuple[LocalRecordStore, view.Filters]:
    """Requests on the last day of January and the first of February 2025, closed."""
    store = LocalRecordStore(folder, LAYOUT)
    log = RequestLog(store)
    days = (date(2025, 1, 31), date(2025, 2, 1))
    for back, day in enumerate(days):
        for i in range(40):
            at = datetime.combine(day, time(12), UTC) + timedelta(minutes=5 * i)
            row = prediction_values(_fields(i), 2500 + 11 * i, f"v{1 + back}", f"m{back}-{i}", at)
            log.write(row, at=at)
    return store, view.Filters(*days)


def test_an_older_month_beside_a_normalised_one_reads_each_with_its_own_columns(tmp_path):
    """January rolled up before the log had its later columns and before normalising;
    February by today's compactor: the window over both gives the pandas view."""
    store, filters = _two_months(tmp_path)
    older = replace(
        PREDICTIONS, columns=log_columns.WRITTEN_LOG_COLUMNS, defaults={}, rollup_columns=None
    )
    compact_closed(LocalRecordStore(tmp_path, LogLayout(DEFAULT_PREFIX, older)), filters.start)
    compact_closed(store, filters.end)
    january = pq.read_schema(tmp_path / LAYOUT.rollup_key(2025, 1))
    assert "in_schema" not in january.names and log_columns.STORE_ID_COLUMN not in january.names
    assert "in_schema" in pq.read_schema(tmp_path / LAYOUT.rollup_key(2025, 2)).names
    location = LogLocation(None, DEFAULT_PREFIX, str(tmp_path))
    opened = warehouse.open_warehouse(location, *filters.load_window())
    assert opened.months_read == 2
    reference = drift.Reference.from_metadata(read_metadata())
    new = warehouse_view.compute_view(opened, filters, filters.end, reference)
    _assert_same_view(_old_view(location, filters, filters.end), new)


def test_a_month_judged_under_other_rules_is_judged_again(tmp_path):
    """The compactor (Lambda) and the page are deployed apart: a month whose footer names
    other rules has its ``in_schema`` ignored (here every row forced inside) and re-judged."""
    store, filters = _two_months(tmp_path)
    for day in (filters.start, filters.end):
        compact_closed(store, day)
    key = tmp_path / LAYOUT.rollup_key(2025, 2)
    month = pq.read_table(key)
    assert month.schema.metadata[normalised.RULES_METADATA] == normalised.RULES.encode()
    forced = month.set_column(
        month.column_names.index("in_schema"), "in_schema", pa.array([True] * month.num_rows)
    )
    stale = {**month.schema.metadata, normalised.RULES_METADATA: b"older-rules"}
    pq.write_table(forced.replace_schema_metadata(stale), key)
    location = LogLocation(None, DEFAULT_PREFIX, str(tmp_path))
    opened = warehouse.open_warehouse(location, *filters.load_window())
    new = warehouse_view.compute_view(opened, filters, filters.end, None)
    old = _old_view(location, filters, filters.end)
    assert new.kpis == old.kpis and new.in_schema_share == pytest.approx(old.in_schema_share)
    assert old.in_schema_share is not None and old.in_schema_share < 1


def test_the_course_sample_without_rollup_gives_the_same_view():
    location = LogLocation(None, "", str(SAMPLE_DIR))
    reference = drift.Reference.from_metadata(read_metadata())
    opened = warehouse.open_warehouse(location, *SAMPLE_FILTERS.load_window())
    assert opened.months_read == 0
    new = warehouse_view.compute_view(opened, SAMPLE_FILTERS, date(2024, 1, 18), reference)
    _assert_same_view(_old_view(location, SAMPLE_FILTERS, date(2024, 1, 18)), new)


def test_every_aggregate_takes_the_stores(rolled):
    location = LogLocation(None, DEFAULT_PREFIX, str(rolled))
    filters = view.Filters(TODAY - timedelta(days=DAYS), TODAY)
    opened = warehouse.open_warehouse(location, *filters.load_window())
    split = opened.frame(sql.stores_sql(warehouse_view.scope_of(filters)))
    assert dict(zip(split["store_id"], split["requests"], strict=True)) == {
        "centro": 160,
        "sul": 80,
    }
    one = warehouse_view.compute_view(opened, filters, TODAY, None, stores=("sul",))
    assert one.kpis.requests == 80
    assert warehouse_view.period_versions(opened, filters.start, filters.end, ("centro",))[0] == 160
    assert warehouse_view.period_versions(opened, filters.start, filters.end, ())[0] == 0


def test_the_rollup_in_a_bucket_is_read_through_pyarrow_s3(
    rolled, moto_endpoint, s3, bucket, monkeypatch
):
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)
    for path in rolled.rglob("*"):  # the day files and the rollup (records are local-only)
        if path.is_file() and "_records" not in path.parts:
            s3.put_object(Bucket=bucket, Key=str(path.relative_to(rolled)), Body=path.read_bytes())
    location = LogLocation(bucket, DEFAULT_PREFIX, None, moto_endpoint)
    filesystem, base = warehouse.filesystem_of(location)
    assert isinstance(filesystem, pafs.S3FileSystem) and base == bucket
    filters = view.Filters(TODAY - timedelta(days=DAYS), TODAY - timedelta(days=1))  # closed
    in_bucket = warehouse.open_warehouse(location, *filters.load_window())
    assert in_bucket.months_read >= 1
    local = LogLocation(None, DEFAULT_PREFIX, str(rolled))
    on_disk = warehouse.open_warehouse(local, *filters.load_window())
    bucket_view = warehouse_view.compute_view(in_bucket, filters, TODAY, None)
    assert bucket_view.kpis == warehouse_view.compute_view(on_disk, filters, TODAY, None).kpis
    assert bucket_view.kpis.requests == (DAYS - 1) * 60


def test_a_rollup_month_with_a_foreign_schema_is_named_not_raised(rolled, tmp_path):
    folder = tmp_path / "log"
    shutil.copytree(rolled, folder)
    closed = TODAY - timedelta(days=1)
    key = folder / LAYOUT.rollup_key(closed.year, closed.month)
    pq.write_table(pa.table({"price": ["caro"], "timestamp": ["ontem"]}), key)
    location = LogLocation(None, DEFAULT_PREFIX, str(folder))
    filters = view.Filters(closed, closed)
    opened = warehouse.open_warehouse(location, *filters.load_window())
    notes = [n for n in opened.set_aside if n.reason == warehouse.FOREIGN_SCHEMA]
    month = f"year={closed.year:04d}/month={closed.month:02d}"
    assert [(n.file, n.detail) for n in notes] == [
        (month, "colunas price, timestamp, day, source_line")
    ]
    # the month's days are read from their day files instead: nothing lost, nothing raised
    assert warehouse_view.period_versions(opened, closed, closed)[0] > 0


def test_the_download_streams_formula_safe_csv_in_chunks(tmp_path):
    store = LocalRecordStore(tmp_path, LAYOUT)
    log = RequestLog(store)
    for i in range(30):
        fields = _fields(i)
        fields["brand"] = "=cmd|' /c calc'!a0" if i == 3 else fields["brand"]
        row = prediction_values(fields, 1000 + i, "v1", f"d{i}", NOW)
        row[log_columns.CLERK_EMAIL_COLUMN] = "ana@loja.com.br"  # a row from before it was dropped
        log.write(row, at=NOW)
    location = LogLocation(None, DEFAULT_PREFIX, str(tmp_path))
    filters = view.Filters(TODAY - timedelta(days=1), TODAY + timedelta(days=1))
    opened = warehouse.open_warehouse(location, *filters.load_window())
    chunks = list(warehouse_view.csv_chunks(opened, filters, batch_rows=8))
    assert len(chunks) > 1
    text = b"".join(chunks).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 30 and tuple(rows[0]) == sql.DOWNLOAD_COLUMNS
    assert "'=cmd|' /c calc'!a0" in {r["brand"] for r in rows}
    assert "ana@loja.com.br" not in text and log_columns.CLERK_EMAIL_COLUMN not in rows[0]


def test_one_sql_text_for_duckdb_and_athena():
    scope = sql.Scope(date(2024, 1, 1), date(2024, 1, 31), ("v1",), True, ("centro",))
    texts = [
        sql.kpis_sql(scope, date(2024, 1, 31)),
        sql.daily_price_sql(scope),
        sql.price_histogram_sql(scope),
        sql.field_cube_sql(scope),
        sql.requests_sql(warehouse.ROWS),
        sql.rollup_rows_sql("rollup", date(2024, 1, 1), date(2024, 2, 1), ".csv"),
    ]
    for text in texts:
        duck, athena = sql.render(text, sql.DUCKDB), sql.render(text, sql.ATHENA)
        assert duck.replace("quantile_cont", "approx_percentile") == athena
        for dialect_only in ("regexp_matches", "::", "strftime", "epoch", "quantile_cont"):
            assert dialect_only not in text
