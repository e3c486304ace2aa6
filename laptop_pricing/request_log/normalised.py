"""A request's fields as the API validator reads them, and whether the schema accepts them: the
one definition the monitoring reader (per category, ``monitoring.frame`` and ``quality``) and
the compactor (per distinct value of a closed month, here) both apply.

The compactor writes the request log's rollup with each field and the model version normalised
and an ``in_schema`` flag (``with_normalised_requests``), so a reader of the rollup (DuckDB,
Athena) only groups, instead of trimming, parsing and judging every row on every query. The day
CSVs keep the values as written. Arrow only: the compactor runs in the Lambda image, which has
no pandas.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from laptop_pricing import log_columns
from laptop_pricing.pricing import schema

IN_SCHEMA_COLUMN = "in_schema"
NORMALISED_COLUMNS: tuple[str, ...] = (*schema.FIELD_NAMES, log_columns.VERSION_COLUMN)
_ALLOWED = {f.name: frozenset(str(v) for v in f.values) for f in schema.FIELDS}
# The rules a month was judged under, in its footer: the compactor (in the Lambda image) and
# the readers (in the app) are deployed apart, so a reader takes ``in_schema`` only from a
# month judged under its own rules, and judges any other month again.
RULES_METADATA = b"laptop_pricing.in_schema_rules"
RULES = hashlib.sha256(
    json.dumps(
        [[f.name, f.required, [str(v) for v in f.values]] for f in schema.FIELDS]
        + [sorted((b, list(m)) for b, m in schema.PROCESSORS_BY_BRAND.items())]
    ).encode()
).hexdigest()[:16]


def judged_by_these_rules(metadata: Mapping[bytes, bytes] | None) -> bool:
    """The month's ``in_schema`` was written under the rules this code applies."""
    return (metadata or {}).get(RULES_METADATA) == RULES.encode()


def normalise_value(field_name: str, value: str) -> str:
    """What the API validator would see: trimmed; category names lower-case; '016' -> '16'.
    (A download neutralises formula cells after this, so trimming can never re-arm one.)"""
    text = value.strip()
    if field_name == log_columns.VERSION_COLUMN:
        return text
    kind = schema.FIELDS_BY_NAME[field_name].kind
    if kind == schema.CATEGORY:
        return text.lower()
    return str(int(text)) if text.isascii() and text.isdigit() else text


def refused(field_name: str, value: str) -> bool:
    """The schema refuses this normalised value (empty is "not informed" for an optional field)."""
    if value in _ALLOWED[field_name]:
        return False
    return schema.FIELDS_BY_NAME[field_name].required or value != ""


def mismatched(brand: str, processor: str) -> bool:
    """Both allowed, but that brand does not make that processor (intel + ryzen 7)."""
    makes = schema.PROCESSORS_BY_BRAND.get(brand)
    return makes is not None and processor in _ALLOWED["processor_name"] and processor not in makes


def _normalised(column: pa.ChunkedArray, name: str) -> tuple[pa.Array, np.ndarray, list[str]]:
    """The column normalised (plain text), each row's code and the codes' values."""
    encoded = pc.dictionary_encode(column.fill_null("")).combine_chunks()
    values = [normalise_value(name, str(v)) for v in encoded.dictionary.to_pylist()]
    distinct = list(dict.fromkeys(values))
    position = {v: i for i, v in enumerate(distinct)}
    mapping = np.array([position[v] for v in values], dtype=np.int32)
    codes = mapping[encoded.indices.to_numpy(zero_copy_only=False)]
    text = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(distinct, pa.string()))
    return text.cast(pa.string()), codes, distinct


def with_normalised_requests(table: pa.Table) -> pa.Table:
    """``table`` (rows of the request log) with its fields and version normalised in place and
    ``in_schema`` set, and the rules it was judged under in its metadata (``RULES_METADATA``).
    Idempotent: a month rewritten with new days is normalised whole again."""
    rows = table.num_rows
    codes: dict[str, tuple[np.ndarray, list[str]]] = {}
    for name in NORMALISED_COLUMNS:
        source = (
            table.column(name)
            if name in table.column_names
            else pa.chunked_array([pa.array([""] * rows, pa.string())], pa.string())
        )
        text, row_codes, distinct = _normalised(source, name)
        codes[name] = (row_codes, distinct)
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, text)
        else:
            table = table.append_column(name, text)
    bad = np.zeros(rows, dtype=bool)
    for name in schema.FIELD_NAMES:
        row_codes, distinct = codes[name]
        bad |= np.array([refused(name, v) for v in distinct], dtype=bool)[row_codes]
    (brand_codes, brands), (name_codes, names) = codes["processor_brand"], codes["processor_name"]
    pairs = np.array([[mismatched(b, n) for n in names] for b in brands], dtype=bool)
    if rows:
        bad |= pairs[brand_codes, name_codes]
    flag = pa.array(~bad, pa.bool_())
    if IN_SCHEMA_COLUMN in table.column_names:
        table = table.set_column(table.column_names.index(IN_SCHEMA_COLUMN), IN_SCHEMA_COLUMN, flag)
    else:
        table = table.append_column(IN_SCHEMA_COLUMN, flag)
    return table.replace_schema_metadata(
        {**(table.schema.metadata or {}), RULES_METADATA: RULES.encode()}
    )
