"""The training table built from the REAL raw file: each course bug checked as fixed, row by row.

Each prepared row is joined back to its raw line (``table.attrs["raw_lines"]``), so the checks
compare the prepared values with what the raw file says, not with numbers copied from a run.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import FIELD_NAMES
from laptop_pricing.training.prepare import (
    INR_TO_BRL,
    RAW_DATA_PATH,
    TABLE_COLUMNS,
    RawDataError,
    course_view_rows,
    data_hash,
    prepare_table,
    table_hash,
)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    frame = pd.read_csv(RAW_DATA_PATH, dtype=str, keep_default_na=False)
    frame.index = frame.index + 2  # index = line number in the file (line 1 is the header)
    return frame


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return prepare_table()


@pytest.fixture(scope="module")
def joined(table: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """Prepared columns side by side with the raw line each row came from (raw_* columns)."""
    source = raw.loc[table.attrs["raw_lines"]].reset_index(names="line")
    return pd.concat([table, source.add_prefix("raw_")], axis=1)


def gb(text: str) -> int:
    number, unit = text.split()
    assert unit == "GB"
    return int(number)


def test_columns_and_every_row_is_a_valid_request(table):
    assert tuple(table.columns) == TABLE_COLUMNS
    assert len(table) == len(table.attrs["raw_lines"])
    for row in table[list(FIELD_NAMES)].to_dict("records"):
        LaptopSpec.from_payload(row)  # raises on any value the API would refuse


def test_gpu_memory_comes_from_graphic_card_gb_not_ram(joined):
    assert (joined["graphic_card"] == joined["raw_graphic_card_gb"].map(gb)).all()
    # The course's bug made these columns equal in every row; on the real data they mostly differ.
    assert (joined["graphic_card"] != joined["ram_gb"]).mean() > 0.5
    assert (joined["ram_gb"] == joined["raw_ram_gb"].map(gb)).all()


def test_sizes_are_parsed_from_the_raw_text(joined):
    for column in ("ssd", "hdd"):
        assert (joined[column] == joined[f"raw_{column}"].map(gb)).all()
    assert (joined["os_bit"] == joined["raw_os_bit"].map({"64-bit": 64, "32-bit": 32})).all()
    assert (joined["touchscreen"] == joined["raw_Touchscreen"].map({"Yes": 1, "No": 0})).all()


def test_warranty_is_parsed_to_years(joined):
    years = {"No warranty": 0, "1 year": 1, "2 years": 2, "3 years": 3}
    assert set(joined["raw_warranty"]) <= set(years)
    assert (joined["warranty"] == joined["raw_warranty"].map(years)).all()
    assert set(joined["warranty"]) == {0, 1, 2, 3}


def test_ryzen_3_keeps_its_name_never_ryzen_7(joined):
    ryzen3 = joined[joined["raw_processor_name"] == "Ryzen 3"]
    assert len(ryzen3) > 0
    assert (ryzen3["processor_name"] == "ryzen 3").all()
    ryzen7 = joined[joined["processor_name"] == "ryzen 7"]
    assert set(ryzen7["raw_processor_name"]) == {"Ryzen 7"}


def test_processor_names_keep_their_real_name(joined):
    expected = joined["raw_processor_name"].str.lower()
    assert (joined["processor_name"] == expected).all()
    assert {"core i9", "ryzen 3", "ryzen 9", "celeron dual", "pentium quad", "m1"} <= set(
        joined["processor_name"]
    )
    assert not (joined["processor_name"] == "other").any()  # "other" is only a v1 client's word


def test_generation_and_ms_office_are_read_from_the_raw_file(joined):
    assert (joined["processor_gnrtn"] == joined["raw_processor_gnrtn"].str.lower()).all()
    assert (joined["msoffice"] == (joined["raw_msoffice"] == "Yes").astype(int)).all()
    assert (joined["processor_gnrtn"] == "not available").sum() > 150


def test_m1_rows_are_consistent(joined):
    m1 = joined[(joined["raw_processor_brand"] == "M1") | (joined["raw_processor_name"] == "M1")]
    assert len(m1) > 0
    assert (m1["processor_brand"] == "m1").all()
    assert (m1["processor_name"] == "m1").all()
    assert (joined.loc[joined["processor_brand"] == "m1", "raw_processor_name"] == "M1").all()


def test_course_view_rows_are_what_a_v1_client_sends(table):
    rows = course_view_rows(table)
    assert len(rows) == len(table)
    for row, (_, real) in zip(rows, table.iterrows(), strict=True):
        assert row["brand"] in ("asus", "dell", "hp", "lenovo", "other")
        assert row["processor_name"] in (
            "core i3",
            "core i5",
            "core i7",
            "ryzen 5",
            "ryzen 7",
            "other",
        )
        assert (row["processor_gnrtn"], row["msoffice"]) == ("not available", None)
        assert row["ram_gb"] == real["ram_gb"]


def test_impossible_intel_ryzen_row_is_dropped_and_reported(table, raw):
    impossible = raw[(raw["processor_brand"] == "Intel") & (raw["processor_name"] == "Ryzen 7")]
    assert len(impossible) == 1
    line = int(impossible.index[0])
    assert line not in table.attrs["raw_lines"]
    dropped = table.attrs["preparation"]["impossible_rows_dropped"]
    assert [d["raw_line"] for d in dropped] == [line]
    assert dropped[0]["processor_name"] == "Ryzen 7"
    assert not (
        (table["processor_brand"] == "intel") & (table["processor_name"] == "ryzen 7")
    ).any()


def test_exact_duplicates_dropped(table, raw):
    report = table.attrs["preparation"]
    assert report["raw_rows"] == len(raw)
    assert report["exact_duplicates_dropped"] == int(raw.duplicated().sum()) == 21
    kept = raw.loc[table.attrs["raw_lines"]]
    assert not kept.duplicated().any()
    assert not table.duplicated().any()
    assert report["rows"] == len(table)
    assert report["rows"] == (
        report["raw_rows"]
        - report["exact_duplicates_dropped"]
        - len(report["impossible_rows_dropped"])
        - report["duplicates_after_mapping_dropped"]
    )


def test_the_table_hash_names_the_prepared_rows_not_only_the_raw_file(table):
    """Keeping the twins the preparation drops (same raw file, same data_hash) is another
    protocol: the registry must not compare its MAPE with ours without --force."""
    assert table_hash(table) == table_hash(prepare_table())  # deterministic
    assert table_hash(table).startswith("sha256:")
    assert table_hash(table.iloc[:-1]) != table_hash(table)
    with_a_twin = pd.concat([table, table.iloc[[0]]], ignore_index=True)
    assert table_hash(with_a_twin) != table_hash(table)


def test_brands_keep_their_name_os_and_ram_type_collapse_to_other(joined):
    assert (joined["brand"] == joined["raw_brand"].str.lower()).all()
    assert {"acer", "msi", "apple", "avita"} <= set(joined["brand"])
    os_expected = joined["raw_os"].map(lambda v: "windows" if v == "Windows" else "other")
    assert (joined["os"] == os_expected).all()
    ram_expected = joined["raw_ram_type"].map(lambda v: "ddr4" if v == "DDR4" else "other")
    assert (joined["ram_type"] == ram_expected).all()
    assert {"Mac", "DOS"} <= set(joined.loc[joined["os"] == "other", "raw_os"])
    assert {"LPDDR4X", "DDR5"} <= set(joined.loc[joined["ram_type"] == "other", "raw_ram_type"])


def test_weight_keeps_the_course_spelling(joined):
    mapping = {"Casual": "casual", "Gaming": "gaming", "ThinNlight": "thinnlight"}
    assert (joined["weight"] == joined["raw_weight"].map(mapping)).all()


def test_price_is_brl_at_the_course_rate(joined):
    assert INR_TO_BRL == 0.067
    expected = joined["raw_Price"].astype(int).map(lambda inr: round(inr * INR_TO_BRL))
    assert (joined["price"] == expected).all()
    assert joined["price"].dtype == "int64"
    # Spot check from the raw file's 4th data row: INR 69,990 -> BRL 4,689.
    assert round(69990 * INR_TO_BRL) == 4689
    assert 4689 in set(joined.loc[joined["raw_line"] == 5, "price"])


def test_preparation_is_deterministic(table):
    again = prepare_table()
    pd.testing.assert_frame_equal(table, again)
    assert again.attrs["raw_lines"] == table.attrs["raw_lines"]


def test_data_hash_is_sha256_of_the_file():
    expected = hashlib.sha256(RAW_DATA_PATH.read_bytes()).hexdigest()
    assert data_hash() == f"sha256:{expected}"


def test_unreadable_raw_value_is_refused_with_its_column(tmp_path):
    lines = RAW_DATA_PATH.read_text().splitlines()
    broken = lines[1].replace("4 GB", "four gigs", 1)
    path = tmp_path / "raw.csv"
    path.write_text("\n".join([lines[0], broken]) + "\n")
    with pytest.raises(RawDataError, match="ram_gb"):
        prepare_table(path)
