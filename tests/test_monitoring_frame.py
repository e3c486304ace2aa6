"""The year's frame built column by column, and the per-day aggregates without a groupby: the
same values as the straightforward pandas, in less memory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from laptop_pricing import log_columns
from laptop_pricing.monitoring import aggregate
from laptop_pricing.monitoring.arrow_columns import narrow
from laptop_pricing.monitoring.frame import to_frame
from laptop_pricing.monitoring.parsing import FILE_COLUMN, ROW_COLUMNS
from tests.request_rows_support import make_rows


def table(brands: list[str | None], dictionary: list[str], first_second: int) -> pa.Table:
    """A parsed file's table: every dictionary column from ``dictionary``, brand as given."""
    n = len(brands)
    columns: dict[str, pa.Array] = {}
    for name in ROW_COLUMNS:
        if name == log_columns.PRICE_COLUMN:
            columns[name] = pa.array(np.full(n, 1000.0))
        elif name == log_columns.TIMESTAMP_COLUMN:
            seconds = np.arange(first_second, first_second + n, dtype="int64") * 1_000_000
            columns[name] = pa.array(seconds, pa.timestamp("us", tz="UTC"))
        elif name == "line":
            columns[name] = pa.array(np.arange(2, n + 2, dtype=np.int32))
        else:
            values = brands if name == "brand" else [dictionary[0]] * n
            indices = [None if v is None else dictionary.index(v) for v in values]
            columns[name] = pa.DictionaryArray.from_arrays(
                pa.array(indices, pa.int32()), pa.array(dictionary)
            )
    return pa.table(columns)


def test_files_with_different_dictionaries_join_into_one_byte_categoricals():
    first = table(["dell", "asus", "dell"], ["dell", "asus", "x.csv"], 0)
    second = table(["hp", None, "asus"], ["hp", "asus", "dell", "y.csv"], 100)
    tables = [narrow(first), narrow(second)]
    frame = to_frame(tables)
    assert tables == []  # taken over
    assert list(frame.columns) == list(ROW_COLUMNS)
    assert frame["brand"].tolist()[:3] == ["dell", "asus", "dell"]
    assert frame["brand"].tolist()[3] == "hp" and pd.isna(frame["brand"].iloc[4])
    assert frame["brand"].iloc[5] == "asus"
    assert frame["brand"].cat.codes.dtype == np.int8
    assert frame[FILE_COLUMN].dtype == "category"
    assert str(frame[log_columns.TIMESTAMP_COLUMN].dtype) == "datetime64[us, UTC]"
    assert frame["line"].tolist() == [2, 3, 4, 2, 3, 4]


def test_narrow_keeps_values_and_uses_the_smallest_index():
    many = [f"v{i}" for i in range(300)]
    wide = pa.DictionaryArray.from_arrays(pa.array([0, 299, 150], pa.int32()), pa.array(many))
    narrowed = narrow(pa.table({"a": wide})).column("a")
    assert narrowed.type.index_type == pa.int16()
    assert narrowed.to_pylist() == ["v0", "v299", "v150"]


def test_daily_aggregates_equal_a_groupby_with_gaps_and_missing_versions():
    rows = make_rows(5000, days=40, seed=3)
    rows = rows[rows["timestamp"].dt.day % 3 != 0].reset_index(drop=True)  # days with nothing
    versions = rows["model_version"].astype(object).to_numpy(copy=True)
    versions[::97] = None  # a row without a version is left out, as groupby leaves it
    rows["model_version"] = pd.Categorical(versions, categories=["1.0.0", "1.1.0", "unused"])
    day = pd.to_datetime(aggregate.row_days(rows))
    grouped = pd.DataFrame({"day": day, "v": rows["model_version"], "p": rows["price"]})
    expected_volume = (
        grouped.groupby(["day", "v"], observed=True).size().rename("requests").reset_index()
    )
    volume = aggregate.daily_volume(rows)
    assert volume["day"].tolist() == expected_volume["day"].tolist()
    assert volume["model_version"].tolist() == expected_volume["v"].astype(str).tolist()
    assert volume["requests"].tolist() == expected_volume["requests"].tolist()
    by_day = grouped.groupby("day")["p"]
    price = aggregate.daily_price(rows).set_index("day")
    np.testing.assert_allclose(price["median"], by_day.median())
    np.testing.assert_allclose(price["p10"], by_day.quantile(0.1))
    np.testing.assert_allclose(price["p90"], by_day.quantile(0.9))
    assert price["requests"].tolist() == by_day.size().tolist()
