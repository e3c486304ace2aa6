"""The log reader: the real course logs, every defect kind. Listing (local folder, S3 pages)
is in tests/test_monitoring_listing.py."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from laptop_pricing import log_columns
from laptop_pricing.api.service import prediction_values
from laptop_pricing.monitoring import quality
from laptop_pricing.monitoring.frame import to_frame
from laptop_pricing.monitoring.parsing import (
    BAD_PRICE,
    BAD_TIMESTAMP,
    EMPTY,
    LONG_ROW,
    MISSING_COLUMNS,
    SHORT_ROW,
    parse_day_bytes,
)
from laptop_pricing.monitoring.reading import read_log
from laptop_pricing.monitoring.sources import (
    DayFile,
)
from laptop_pricing.pricing import laptop_spec, schema
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout, RequestLog
from laptop_pricing.storage.stores import LocalRecordStore
from tests.monitoring_fixtures import SAMPLE_DIR

DAY = date(2024, 3, 5)
FILE = DayFile(DAY, LogLayout("", PREDICTIONS).day_file_name(DAY))
# A v1 day file (the course's 13 fields, price, timestamp, version): most tests read these, as
# the reader must keep doing; test_v2_day_file_reads_the_appended_fields reads the current one.
V1_COLUMNS = tuple(c for c in log_columns.LOG_COLUMNS if c not in log_columns.APPENDED_LOG_COLUMNS)
HEADER = ",".join(V1_COLUMNS)
COURSE_HEADER = HEADER.replace("graphic_card,", "graphic_card_gb,").replace(
    ",price,", ",prediction,"
)
GOOD = "dell,intel,core i5,windows,casual,2,0,16,0,256,8,ddr4,64,6712,2024-03-05T10:00:00Z,1.0.0"
BEFORE_CLERK_EMAIL = GOOD  # the course layout: rows written before the clerk_email column


def test_files_from_before_the_clerk_email_read_with_it_empty():
    old_header = ",".join(
        c for c in log_columns.LOG_COLUMNS if c not in log_columns.APPENDED_LOG_COLUMNS
    )
    for text in (f"{old_header}\n{BEFORE_CLERK_EMAIL}\n", f"{BEFORE_CLERK_EMAIL}\n"):
        rows, aside = parse(text)
        assert aside == [] and len(rows) == 1
        assert rows["clerk_email"].iloc[0] == "" and rows["price"].iloc[0] == 6712
    rows, _ = parse(f"{HEADER},clerk_email\n{GOOD},ana@loja.com.br\n")
    assert rows["clerk_email"].iloc[0] == "ana@loja.com.br"


@pytest.fixture(scope="module")
def sample():
    return read_log(LocalRecordStore(SAMPLE_DIR, LogLayout("", PREDICTIONS)))


# --- The two real course logs -----------------------------------------------------------------


def test_real_logs_keep_every_row_of_both_files(sample):
    counts = sample.rows.groupby("file", observed=True).size().to_dict()
    assert counts == {
        "2024-01-16_laptop_prediction_data.csv": 1730,
        "2024-01-18_laptop_prediction_data.csv": 4736,
    }
    assert sample.set_aside == []
    assert [f.day for f in sample.files] == [date(2024, 1, 16), date(2024, 1, 18)]


def test_real_logs_map_the_course_column_names_and_timestamp_format(sample):
    rows = sample.rows
    first = rows[(rows["file"] == "2024-01-16_laptop_prediction_data.csv") & (rows["line"] == 2)]
    record = first.iloc[0]
    # dell,intel,core i5,windows,casual,2,0,16,0,256,8,ddr4,64,66547,16-01-2024 02:07,1.0.12
    assert record["graphic_card"] == "8"  # from graphic_card_gb
    assert record["price"] == 66547.0  # from prediction
    assert record["timestamp"] == pd.Timestamp("2024-01-16 02:07", tz="UTC")
    assert record["model_version"] == "1.0.12"
    assert rows["price"].notna().all() and rows["timestamp"].notna().all()
    versions = rows.groupby("model_version", observed=True).size().to_dict()
    assert versions == {"linear_regression@v1.0.0#1": 1587 + 4736, "1.0.12": 130, "1.0.13": 13}


def test_real_logs_get_the_quality_flags_they_deserve(sample):
    report = quality.quality_report(sample.rows).set_index(["field", "issue"])
    assert report.loc[("brand", quality.PROCESSOR_AS_BRAND), "rows"] == 11
    assert "core i3 (11)" in report.loc[("brand", quality.PROCESSOR_AS_BRAND), "examples"]
    ram = sample.rows["ram_gb"].astype(str)
    assert (
        report.loc[("ram_gb", quality.NOT_ALLOWED), "rows"]
        == (~ram.isin(["4", "8", "16", "32"])).sum()
    )
    assert (ram == "252").any()
    assert (
        report.loc[("warranty", quality.NOT_ALLOWED), "rows"]
        == sample.rows["warranty"].isin(["4", "5"]).sum()
    )
    assert ("processor_name", quality.PROCESSOR_MISMATCH) in report.index
    assert ("model_version", quality.UNKNOWN_VERSION) not in report.index
    assert ("timestamp", quality.OUTSIDE_FILE_DAY) not in report.index


def test_vectorised_schema_check_agrees_with_laptop_spec_row_by_row(sample):
    verdict = quality.in_schema_mask(sample.rows)
    expected = []
    for record in sample.rows[list(schema.FIELD_NAMES)].astype(str).to_dict("records"):
        try:
            laptop_spec.LaptopSpec.from_payload(record)
            expected.append(True)
        except laptop_spec.InvalidSpec:
            expected.append(False)
    assert np.array_equal(verdict, np.array(expected))
    assert 0 < verdict.sum() < len(verdict)  # both kinds are present in the real logs


# --- The writer's own format ------------------------------------------------------------------


def test_reads_what_the_request_log_writer_writes(tmp_path):
    log = RequestLog(LocalRecordStore(tmp_path, LogLayout("logs", PREDICTIONS)))
    at = datetime(2024, 3, 5, 23, 59, 59, 123456, tzinfo=UTC)
    spec = laptop_spec.LaptopSpec.default().as_dict()
    log.write(prediction_values(spec, 6712, "2.0.0", "a", at), at=at)
    log.write(prediction_values({**spec, "brand": "hp"}, 7000, "2.0.0", "b", at), at=at)
    result = read_log(LocalRecordStore(tmp_path, LogLayout("logs", PREDICTIONS)))
    assert result.set_aside == []
    assert list(result.rows["brand"].astype(str)) == ["dell", "hp"]
    assert result.rows["timestamp"].iloc[0] == pd.Timestamp(at)
    assert quality.in_schema_mask(result.rows).all()


# --- Generated files with each defect ---------------------------------------------------------


def parse(text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    parsed = parse_day_bytes(FILE.name, data)
    rows = read_from_tables(parsed)
    return rows, [(s.line, s.reason) for s in parsed.set_aside]


def read_from_tables(parsed):
    return to_frame([parsed.table] if parsed.table is not None else [])


def test_v2_day_file_reads_the_appended_fields_and_v1_rows_leave_them_empty():
    v2 = f"{HEADER},processor_gnrtn,msoffice"
    rows, aside = parse(f"{v2}\n{GOOD},11th,1\n{GOOD},,\n")
    assert aside == []
    assert list(rows["processor_gnrtn"].astype(str)) == ["11th", ""]
    assert list(rows["msoffice"].astype(str)) == ["1", ""]
    v1_rows, _ = parse(f"{HEADER}\n{GOOD}\n")
    assert list(v1_rows["msoffice"].astype(str)) == [""]
    assert quality.in_schema_mask(rows).all() and quality.in_schema_mask(v1_rows).all()


def test_clean_file_keeps_every_line():
    rows, aside = parse(f"{HEADER}\n{GOOD}\n{GOOD}\n")
    assert len(rows) == 2 and aside == []
    assert list(rows["line"]) == [2, 3]


@pytest.mark.parametrize(
    "variant",
    ["bom", "crlf", "quoted", "course_header", "no_header", "no_final_newline", "upper_case"],
)
def test_format_variants_read_the_same_row(variant):
    header, row, newline = HEADER, GOOD, "\n"
    if variant == "course_header":
        header = COURSE_HEADER
    if variant == "quoted":
        header = ",".join(f'"{c}"' for c in V1_COLUMNS)
        row = ",".join(f'"{v}"' for v in GOOD.split(","))
    if variant == "upper_case":
        row = GOOD.replace("dell,intel,core i5", " DELL , Intel,Core i5")
    text = f"{header}{newline}{row}{newline}"
    if variant == "crlf":
        text = text.replace("\n", "\r\n")
    if variant == "no_header":
        text = f"{row}\n"
    if variant == "no_final_newline":
        text = text.rstrip("\n")
    data = text.encode()
    if variant == "bom":
        data = b"\xef\xbb\xbf" + data
    rows, aside = parse(data)
    assert aside == []
    assert len(rows) == 1
    record = rows.iloc[0]
    assert (record["brand"], record["processor_brand"], record["processor_name"]) == (
        "dell",
        "intel",
        "core i5",
    )
    assert record["price"] == 6712.0
    assert record["timestamp"] == pd.Timestamp("2024-03-05 10:00", tz="UTC")
    assert record["line"] == (1 if variant == "no_header" else 2)
    assert quality.in_schema_mask(rows).all()


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2024-03-05T10:00:00Z", "2024-03-05 10:00"),
        ("2024-03-05T10:00:00.123456+00:00", "2024-03-05 10:00:00.123456"),
        ("2024-03-05T07:00:00-03:00", "2024-03-05 10:00"),
        ("2024-03-05 10:00:00", "2024-03-05 10:00"),
        ("05-03-2024 10:00", "2024-03-05 10:00"),
    ],
)
def test_both_timestamp_formats_are_read_as_utc(stamp, expected):
    rows, aside = parse(f"{HEADER}\n{GOOD.replace('2024-03-05T10:00:00Z', stamp)}\n")
    assert aside == []
    assert rows["timestamp"].iloc[0] == pd.Timestamp(expected, tz="UTC")


def test_mixed_timestamp_formats_in_one_file():
    course = GOOD.replace("2024-03-05T10:00:00Z", "05-03-2024 11:30")
    rows, aside = parse(f"{HEADER}\n{GOOD}\n{course}\n")
    assert aside == []
    assert list(rows["timestamp"]) == [
        pd.Timestamp("2024-03-05 10:00", tz="UTC"),
        pd.Timestamp("2024-03-05 11:30", tz="UTC"),
    ]


def test_each_defect_is_set_aside_with_its_line_and_the_rest_kept():
    short = ",".join(GOOD.split(",")[:10])
    long = GOOD + ",extra"
    bad_price = GOOD.replace(",6712,", ",caro,")
    zero_price = GOOD.replace(",6712,", ",0,")
    bad_stamp = GOOD.replace("2024-03-05T10:00:00Z", "ontem")
    no_stamp = GOOD.replace("2024-03-05T10:00:00Z", "")
    text = "\n".join(
        [HEADER, GOOD, short, long, "", bad_price, zero_price, bad_stamp, no_stamp, GOOD]
    )
    rows, aside = parse(text + "\n")
    assert aside == [
        (3, SHORT_ROW),
        (4, LONG_ROW),
        (6, BAD_PRICE),
        (7, BAD_PRICE),
        (8, BAD_TIMESTAMP),
        (9, BAD_TIMESTAMP),
    ]
    assert list(rows["line"]) == [2, 10]


def test_non_numeric_values_keep_the_row_and_are_flagged():
    text = f"{HEADER}\n{GOOD.replace(',16,0,256,', ',dezesseis,0,256,')}\n{GOOD}\n"
    rows, aside = parse(text)
    assert aside == [] and len(rows) == 2
    assert list(rows["ram_gb"].astype(str)) == ["dezesseis", "16"]
    report = quality.quality_report(rows).set_index(["field", "issue"])
    assert report.loc[("ram_gb", quality.NOT_ALLOWED), "rows"] == 1
    assert report.loc[("ram_gb", quality.NOT_ALLOWED), "line"] == 2
    assert list(quality.in_schema_mask(rows)) == [False, True]


def test_quoted_newline_keeps_physical_line_numbers():
    odd = GOOD.replace("1.0.0", '"1.0.0\nbeta"')
    rows, aside = parse(f"{HEADER}\n{odd}\n{GOOD.replace(',6712,', ',x,')}\n")
    assert len(rows) == 1 and rows["line"].iloc[0] == 2
    assert aside == [(4, BAD_PRICE)]


def test_columns_in_another_order_and_unknown_columns():
    columns = [*reversed(V1_COLUMNS), "client_ip"]
    values = [*reversed(GOOD.split(",")), "10.0.0.1"]
    rows, aside = parse(",".join(columns) + "\n" + ",".join(values) + "\n")
    assert aside == []
    assert rows["brand"].iloc[0] == "dell" and rows["price"].iloc[0] == 6712.0


def test_missing_field_column_keeps_rows_and_flags_the_field():
    columns = [c for c in V1_COLUMNS if c != "os_bit"]
    values = [v for c, v in zip(V1_COLUMNS, GOOD.split(","), strict=True) if c != "os_bit"]
    rows, aside = parse(",".join(columns) + "\n" + ",".join(values) + "\n")
    assert aside == [] and len(rows) == 1
    report = quality.quality_report(rows).set_index(["field", "issue"])
    assert report.loc[("os_bit", quality.MISSING), "rows"] == 1


def test_file_without_price_or_timestamp_column_is_set_aside_whole():
    columns = [c for c in V1_COLUMNS if c != "price"]
    parsed = parse_day_bytes(FILE.name, (",".join(columns) + "\nx\n").encode())
    assert parsed.table is None
    assert [(s.file, s.line, s.reason) for s in parsed.set_aside] == [
        (FILE.name, None, MISSING_COLUMNS)
    ]


def test_empty_file_and_invalid_utf8():
    assert parse("")[0].empty and parse("")[1] == [(None, EMPTY)]
    rows, aside = parse((f"{HEADER}\n" + GOOD.replace("dell", "d\xe9ll")).encode("latin-1"))
    assert aside == [] and len(rows) == 1
    assert not quality.in_schema_mask(rows)[0]


def test_unknown_versions_and_stamps_outside_the_file_day_are_flagged():
    no_version = GOOD.replace(",1.0.0", ",")
    other_day = GOOD.replace("2024-03-05T10", "2024-03-07T10")
    rows, _ = parse(f"{HEADER}\n{GOOD}\n{no_version}\n{other_day}\n")
    report = quality.quality_report(rows).set_index(["field", "issue"])
    assert report.loc[("model_version", quality.UNKNOWN_VERSION), "rows"] == 1
    assert report.loc[("timestamp", quality.OUTSIDE_FILE_DAY), "rows"] == 1


def test_quote_ids_read_as_text_from_day_files_and_the_rollup(tmp_path):
    """A quote id is one value per quote: the page reads it as Arrow-backed text, never as a
    categorical whose categories would be as many as the rows (a chain's year of them cost
    12 s and 230 MB). Day files and a compacted month read the same ids; a price-only row
    and a file from before quotes read as empty."""
    from tests.request_log_support import compact_closed
    from tests.synthetic_logs import day_files

    layout = LogLayout("", PREDICTIONS)
    end = date(2025, 6, 30)
    written = dict(day_files(end, 3, rows_per_day=40, quotes=0.5))
    for key, data in written.items():
        (tmp_path / key).write_bytes(data)
    store = LocalRecordStore(tmp_path, layout)
    compact_closed(store, end - timedelta(days=2))  # the first day: now in the rollup
    header_only = written[layout.day_key(end - timedelta(days=2))].split(b"\n", 1)[0] + b"\n"
    (tmp_path / layout.day_key(end - timedelta(days=2))).write_bytes(header_only)  # rollup's now
    expected = [
        row["quote_id"]
        for data in written.values()
        for row in csv.DictReader(io.StringIO(data.decode()))
    ]
    rows = read_log(store).rows.sort_values("timestamp", kind="stable")
    assert not isinstance(rows["quote_id"].dtype, pd.CategoricalDtype)
    assert pd.api.types.is_string_dtype(rows["quote_id"])
    assert sorted(rows["quote_id"]) == sorted(expected)
    assert 0 < (rows["quote_id"] == "").sum() < len(rows)  # price-only rows: empty
    old, _ = parse(f"{HEADER}\n{GOOD}\n")  # from before quotes existed
    assert old["quote_id"].tolist() == [""]
