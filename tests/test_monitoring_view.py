"""The monitoring page's filter choice as one frozen value: it keys caches, loads the period and
the one before it, and filters rows the way the page shows them."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date

import numpy as np
import pandas as pd
import pytest

from laptop_pricing.monitoring import aggregate, quality, view
from laptop_pricing.pricing import schema
from laptop_pricing.request_log.normalised import refused
from tests.request_rows_support import make_rows


def test_filters_are_frozen_hashable_and_load_the_previous_period_too():
    filters = view.Filters(date(2025, 1, 8), date(2025, 1, 14))
    assert hash(filters) == hash(view.Filters(date(2025, 1, 8), date(2025, 1, 14)))
    with pytest.raises(FrozenInstanceError):
        filters.start = date(2025, 1, 1)  # type: ignore[misc]
    assert filters.load_window() == (date(2025, 1, 1), date(2025, 1, 15))
    chosen = filters.with_versions(["1.1.0"])
    assert chosen.versions == ("1.1.0",) and filters.versions == ()


def test_apply_keeps_the_period_the_versions_and_the_in_schema_rows():
    rows = make_rows(5_000, days=30)
    filters = view.Filters(date(2025, 1, 5), date(2025, 1, 20), ("1.0.0",), only_in_schema=True)
    expected = aggregate.filter_rows(rows, date(2025, 1, 5), date(2025, 1, 20), ["1.0.0"], True)
    assert filters.apply(rows).equals(expected)
    everything = view.Filters(date(2025, 1, 1), date(2025, 1, 30))
    assert len(everything.apply(rows)) == len(rows)  # no versions chosen: every version


def test_an_optional_field_left_empty_is_not_informed_not_outside_the_schema():
    rows = make_rows(50, days=2)
    rows["msoffice"] = pd.Categorical([""] * 50)  # a v1 day file: no Office column at all
    rows = quality.with_in_schema(rows.drop(columns=[quality.IN_SCHEMA_COLUMN]))
    shares = aggregate.field_shares(rows)
    office = shares[shares["field"] == "msoffice"]
    assert aggregate.OUTSIDE_LABEL not in set(office["label"])
    assert office.set_index("label").loc[aggregate.NOT_INFORMED_LABEL, "share"] == 1.0
    assert quality.quality_report(rows).query("field == 'msoffice'").empty  # both agree


def test_the_view_counts_each_field_once_and_gets_the_shares_and_drift_of_the_rows():
    """The view counts each field's values once for the share figures and the drift table:
    both are what the rows give on their own."""
    from laptop_pricing.monitoring import drift
    from laptop_pricing.pricing.artifact import read_metadata

    rows = make_rows(3_000, days=20)
    reference = drift.Reference.from_metadata(read_metadata())
    filters = view.Filters(date(2025, 1, 5), date(2025, 1, 14), only_in_schema=True)
    shown = view.compute_view(rows, [], [], filters, date(2025, 1, 14), reference)
    kept = filters.apply(rows)
    assert shown.drift_table is not None and 0 < len(kept) < len(rows)
    pd.testing.assert_frame_equal(shown.drift_table, drift.drift_table(kept, reference))
    expected = view.figures(kept, reference)
    share_names = [name for name in expected if name.startswith(view.SHARES)]
    assert len(share_names) == 15
    for name in share_names:
        assert shown.figures[name].to_json() == expected[name].to_json(), name


def test_the_quality_report_counted_per_category_is_what_the_rows_masks_give():
    """The report counts each field's issues per category; the per-row masks of the same rules
    give the same rows, the same first place and the same examples."""
    rows = make_rows(4_000, days=10, seed=3)
    rng = np.random.default_rng(3)
    for name, bad in {
        "brand": ["core i5", "ryzen 3", "", "Dell ", "acer"],  # processors as brands, empty
        "ram_gb": ["dezesseis", "", "16"],
        "os": ["", "linux"],
        "msoffice": ["", "talvez"],  # optional: empty is "not informed"
    }.items():
        values = rows[name].astype(str).to_numpy(dtype=object)
        picked = rng.random(len(rows)) < 0.05
        values[picked] = rng.choice(bad, picked.sum())
        rows[name] = pd.Categorical(values)
    rows.loc[rows.index[::97], "os"] = None  # missing, not even empty
    report = quality.quality_report(rows).set_index(["field", "issue"])

    def missing_rows(name: str) -> np.ndarray:  # the rules read row by row
        return np.array([pd.isna(v) or str(v) == "" for v in rows[name]], dtype=bool)

    def refused_rows(name: str) -> np.ndarray:
        required = schema.FIELDS_BY_NAME[name].required
        return np.array(
            [required if pd.isna(v) else refused(name, str(v)) for v in rows[name]], dtype=bool
        )

    expected = {}
    for name in ("brand", "ram_gb", "os", "msoffice"):
        missing = missing_rows(name)
        outside = refused_rows(name) & ~missing
        if name == "brand":
            processor = rows[name].astype(str).isin(["core i5", "ryzen 3"]).to_numpy() & outside
            expected[(name, quality.PROCESSOR_AS_BRAND)] = processor
            outside &= ~processor
        if name != "msoffice":
            expected[(name, quality.MISSING)] = missing
        expected[(name, quality.NOT_ALLOWED)] = outside
    for key, mask in expected.items():
        if not mask.any():
            assert key not in report.index, key
            continue
        line = report.loc[key]
        first = int(np.flatnonzero(mask)[0])
        assert line["rows"] == mask.sum(), key
        assert line["line"] == rows["line"].iloc[first], key
        values = rows.loc[mask, key[0]].astype(str).value_counts().head(3)
        assert line["examples"] == ", ".join(f"{v or '(vazio)'} ({c})" for v, c in values.items())
    assert (("msoffice", quality.MISSING) not in report.index) and len(expected) >= 7
    outside_any = np.zeros(len(rows), dtype=bool)
    for name in schema.FIELD_NAMES:
        outside_any |= refused_rows(name)
    in_schema = ~(outside_any | quality.processor_mismatch_mask(rows))
    assert 0 < in_schema.sum() < len(rows)
    assert (quality.in_schema_mask(rows) == in_schema).all()


def test_the_download_holds_no_clerk_e_mail_nor_request_id() -> None:
    """A clerk's e-mail is personal data: never in a download (PRODUCT.md), and the request id
    links a row back to the records that hold it."""
    from laptop_pricing import log_columns
    from laptop_pricing.monitoring.view import download_csv

    rows = pd.DataFrame(
        {
            "price": [6712.0],
            log_columns.CLERK_EMAIL_COLUMN: ["ana@loja.com.br"],
            log_columns.REQUEST_ID_COLUMN: ["r-1"],
            "company": ["Dell"],
            "in_schema": [True],
        }
    )
    text = download_csv(rows).decode("utf-8-sig")
    assert "ana@loja.com.br" not in text and "clerk_email" not in text
    assert "r-1" not in text and "in_schema" not in text
    assert "Dell" in text and "6712" in text


def test_a_download_written_in_chunks_reads_back_as_the_whole_frame() -> None:
    """The writer goes a chunk at a time (a year never whole as text): one header, every row
    once and in order, text cells neutralised in every chunk, instants in UTC as the day files
    write them, and the zipped download holds the same bytes as the plain one."""
    import io
    import zipfile

    from laptop_pricing.monitoring.view import download_csv, download_zip
    from laptop_pricing.safe_csv import write_frame_csv

    stamps = pd.date_range("2025-06-20 12:00", periods=5, freq="min", tz="America/Sao_Paulo")
    rows = pd.DataFrame(
        {
            "company": pd.Categorical(["dell", "=cmd", "hp", "a,b", None]),
            "price": [6712.0, None, 1.5, 2.0, 3.0],
            "timestamp": stamps,
            "note": ["ok", "@SUM(1)", 7, None, 'say "hi"'],  # a mixed column
        }
    )
    buffer = io.BytesIO()
    write_frame_csv(rows, buffer, chunk_rows=2)
    text = buffer.getvalue().decode("utf-8")
    assert text.splitlines()[0] == '"company","price","timestamp","note"'
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(back["company"]) == ["dell", "'=cmd", "hp", "a,b", ""]
    assert list(back["note"]) == ["ok", "'@SUM(1)", "7", "", 'say "hi"']
    assert list(back["price"]) == ["6712", "", "1.5", "2", "3"]
    assert back["timestamp"][0] == "2025-06-20T15:00:00.000000Z"  # 12:00 in Brasília
    with zipfile.ZipFile(io.BytesIO(download_zip(rows, "pedidos.csv"))) as archive:
        assert archive.namelist() == ["pedidos.csv"]
        assert archive.read("pedidos.csv") == download_csv(rows)
