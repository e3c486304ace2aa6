"""The monitoring page's aggregate queries, as SQL text that DuckDB and Athena both run.

One module holds every query, so the embedded runner (``warehouse``, DuckDB over the Parquet
rollup) and the Athena runner send the very same text. The text keeps to the subset the two
dialects share (``CAST``, ``COUNT``, ``SUM``, ``FILTER``, ``GROUPING SETS``, ``date_diff``,
``translate``, ``INTERVAL '3' HOUR``, double-quoted identifiers, inlined literals). Quantiles
have no common function, so a template carries one token, ``{quantile}``, that ``render`` replaces:
``quantile_cont`` on DuckDB (exact, numpy's linear interpolation), ``approx_percentile`` on
Athena (approximate). Nothing else differs.

The relations, from raw to aggregated:

- ``rollup_rows_sql``: the rollup's rows (``_rollup/year=/month=/data.parquet``, the Glue table)
  in the row shape the queries read: log columns, ``file`` (the day file a row came from),
  ``line``, ``file_day`` and ``seq`` (reader order, for "first seen at").
- ``requests_sql``: those rows as the page counts them: each field trimmed, categories
  lower-case, '016' read as '16' (what the API validator sees), the store (empty: the default
  store), the Brasília day (UTC-3, no daylight saving since 2019) and ``in_schema``.
- the aggregates below, each over ``requests`` for one period, the model versions chosen (none:
  all), the in-schema switch and the stores (None: the whole chain).

Python strips every Unicode space where SQL ``trim`` strips the blank only: a value padded with
a tab reads differently here than in the pandas reader (none is written so by the API).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from laptop_pricing import log_columns
from laptop_pricing.pricing import schema
from laptop_pricing.store_id import DEFAULT_STORE_ID

QUANTILE_TOKEN = "{quantile}"
DUCKDB = "duckdb"
ATHENA = "athena"
QUANTILE_FUNCTIONS = {DUCKDB: "quantile_cont", ATHENA: "approx_percentile"}
REQUESTS = "requests"  # the relation every aggregate reads (a view, or a WITH clause)
SEQ_PER_DAY = 1_000_000_000  # ``seq``: the file's day times this, plus the row's place in it
RECORDS_SEQ = 500_000_000  # records of a day come after its day file's rows

PRICE = log_columns.PRICE_COLUMN
TIMESTAMP = log_columns.TIMESTAMP_COLUMN
VERSION = log_columns.VERSION_COLUMN
STORE = log_columns.STORE_ID_COLUMN
# The columns of the raw row shape the requests view reads: the counted ones, then the other
# log columns passed through for the download (never the request id, never the clerk's e-mail:
# personal data stays in the records).
COUNTED_COLUMNS: tuple[str, ...] = (*schema.FIELD_NAMES, VERSION, STORE)
PASSED_COLUMNS: tuple[str, ...] = tuple(
    c
    for c in log_columns.LOG_COLUMNS
    if c not in (*COUNTED_COLUMNS, PRICE, TIMESTAMP)
    and c not in (log_columns.REQUEST_ID_COLUMN, log_columns.CLERK_EMAIL_COLUMN)
)
TEXT_COLUMNS: tuple[str, ...] = (*COUNTED_COLUMNS, *PASSED_COLUMNS)
ROW_SHAPE: tuple[str, ...] = (*TEXT_COLUMNS, PRICE, TIMESTAMP, "file", "line", "file_day", "seq")
# What the download holds, in the log's order, then where each row came from.
DOWNLOAD_COLUMNS: tuple[str, ...] = (
    *(c for c in log_columns.LOG_COLUMNS if c in (*TEXT_COLUMNS, PRICE, TIMESTAMP)),
    "file",
    "line",
)


def render(sql: str, dialect: str) -> str:
    """The text for one engine: the quantile token replaced, nothing else."""
    return sql.replace(QUANTILE_TOKEN, QUANTILE_FUNCTIONS[dialect])


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def day_literal(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def _in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


# ---------------------------------------------------------------------------------------------
# Rows


def rollup_rows_sql(
    source: str,
    first_day: date,
    last_day: date,
    day_file_suffix: str,
    extra: Sequence[str] = (),
) -> str:
    """The rollup's rows of the UTC days ``first_day``..``last_day`` in the row shape, then the
    ``extra`` columns. The ``year``/``month`` predicate prunes partitions; the ``day`` one, row
    groups."""
    columns = [ident(name) for name in (*TEXT_COLUMNS, *extra)]
    months = (
        f'("year" > {first_day.year} OR ("year" = {first_day.year} AND "month" >= '
        f'{first_day.month})) AND ("year" < {last_day.year} OR ("year" = {last_day.year} '
        f'AND "month" <= {last_day.month}))'
    )
    return (
        f"SELECT {', '.join(columns)}, {ident(PRICE)}, {ident(TIMESTAMP)}, "
        f'CAST("day" AS VARCHAR) || {literal(day_file_suffix)} AS "file", '
        f'"source_line" AS "line", "day" AS "file_day", '
        f"CAST(date_diff('day', DATE '1970-01-01', \"day\") AS BIGINT) * {SEQ_PER_DAY} "
        f'+ "source_line" AS "seq" '
        f"FROM {source} WHERE {months} "
        f'AND "day" BETWEEN {day_literal(first_day)} AND {day_literal(last_day)}'
    )


def _normalised(name: str) -> str:
    """One field as the API validator reads it (``request_log.normalised.normalise_value``). A value
    already written as allowed (nearly every row: the API writes them so) is kept as it is by
    the first branches of the ``CASE``; only the others go through trimming and parsing."""
    column = ident(name)
    text = f"trim(COALESCE({column}, ''))"
    if name == VERSION:
        return text
    if schema.FIELDS_BY_NAME[name].kind == schema.CATEGORY:
        slow = f"lower({text})"
    else:
        digits = (
            f"length({text}) BETWEEN 1 AND 18 AND length(translate({text}, '0123456789', '')) = 0"
        )
        slow = f"CASE WHEN {digits} THEN CAST(CAST({text} AS BIGINT) AS VARCHAR) ELSE {text} END"
    kept = " ".join(f"WHEN {literal(v)} THEN {literal(v)}" for v in _allowed(name))
    return f"CASE {column} {kept} ELSE {slow} END"


def _allowed(name: str) -> tuple[str, ...]:
    return tuple(str(v) for v in schema.FIELDS_BY_NAME[name].values)


def _one_of(column: str, values: Sequence[str]) -> str:
    """``column`` is one of ``values``, as a simple ``CASE``: an ``IN`` list becomes a join in
    DuckDB's plan, and thirteen of them in one expression cost a hundred times more."""
    if not values:
        return "FALSE"
    whens = " ".join(f"WHEN {literal(v)} THEN TRUE" for v in values)
    return f"(CASE {column} {whens} ELSE FALSE END)"


def outside_condition(name: str) -> str:
    """The schema refuses the field's value once normalised (``quality.in_schema_mask``), read
    from the raw column: an allowed value as written is inside at the first branches, and only
    the others are normalised to be judged."""
    column = ident(name)
    allowed = _allowed(name)
    as_written = " ".join(f"WHEN {literal(v)} THEN FALSE" for v in allowed)
    judged = _one_of(_normalised(name), allowed)
    empty_is_inside = "" if schema.FIELDS_BY_NAME[name].required else " WHEN '' THEN FALSE"
    normalised_empty = (
        "" if schema.FIELDS_BY_NAME[name].required else f" AND {_normalised(name)} <> ''"
    )
    return (
        f"(CASE {column} {as_written}{empty_is_inside} ELSE (NOT {judged}{normalised_empty}) END)"
    )


def mismatch_condition() -> str:
    """Both allowed, but the brand does not make that processor (``processor_mismatch_mask``),
    on the normalised values."""
    names = _allowed("processor_name")
    name = _normalised("processor_name")
    whens = []
    for brand, makes in schema.PROCESSORS_BY_BRAND.items():
        foreign = [n for n in names if n not in makes]
        whens.append(f"WHEN {literal(brand)} THEN {_one_of(name, foreign)}")
    return f"(CASE {_normalised('processor_brand')} {' '.join(whens)} ELSE FALSE END)"


def requests_sql(rows: str, normalised: bool = False) -> str:
    """The rows of ``rows`` (a relation in the row shape) as the page counts them.
    ``normalised``: rows the compactor wrote normalised, with their ``in_schema``
    (``request_log.normalised``), read as they are: no per-row normalising or judging."""
    if normalised:  # a field added after the month was written reads as empty, as elsewhere
        fields = [f"COALESCE({ident(n)}, '') AS {ident(n)}" for n in (*schema.FIELD_NAMES, VERSION)]
        verdict = '"in_schema"'
    else:
        fields = [f"{_normalised(n)} AS {ident(n)}" for n in (*schema.FIELD_NAMES, VERSION)]
        outside = " OR ".join(outside_condition(name) for name in schema.FIELD_NAMES)
        verdict = f'NOT ({outside} OR {mismatch_condition()}) AS "in_schema"'
    store = f"COALESCE(NULLIF(trim({ident(STORE)}), ''), {literal(DEFAULT_STORE_ID)})"
    passed = "".join(f"COALESCE({ident(c)}, '') AS {ident(c)}, " for c in PASSED_COLUMNS)
    return (
        f"SELECT {', '.join(fields)}, {store} AS {ident(STORE)}, {passed}"
        f"CAST({ident(PRICE)} AS DOUBLE) AS {ident(PRICE)}, {ident(TIMESTAMP)}, "
        f"CAST({ident(TIMESTAMP)} - INTERVAL '3' HOUR AS DATE) AS \"bday\", "
        f'CAST({ident(TIMESTAMP)} AS DATE) AS "utc_day", '
        f'"file", "line", "file_day", "seq", '
        f"{verdict} FROM {rows}"
    )


# ---------------------------------------------------------------------------------------------
# The period's filter


@dataclass(frozen=True)
class Scope:
    """Which requests an aggregate counts: Brasília days ``start``..``end``, the model versions
    (empty: all), in-schema only, and the stores (None: the whole chain)."""

    start: date
    end: date
    versions: tuple[str, ...] = ()
    only_in_schema: bool = False
    stores: tuple[str, ...] | None = None

    def where(self) -> str:
        return " AND ".join([self.period(), *self.chosen_parts(), *self.store_parts()])

    def period(self, start: date | None = None) -> str:
        first = start or self.start
        return f'"bday" BETWEEN {day_literal(first)} AND {day_literal(self.end)}'

    def chosen_parts(self, in_schema: bool | None = None) -> list[str]:
        """The versions and the in-schema switch (``in_schema`` overrides the switch)."""
        parts = []
        if self.versions:
            parts.append(f"{ident(VERSION)} IN {_in_list(self.versions)}")
        if self.only_in_schema if in_schema is None else in_schema:
            parts.append('"in_schema"')
        return parts

    def store_parts(self) -> list[str]:
        if self.stores is None:
            return []
        return [f"{ident(STORE)} IN {_in_list(self.stores) if self.stores else '(NULL)'}"]

    def previous(self) -> Scope:
        """The period of the same length just before (the median's change)."""
        length = (self.end - self.start).days + 1
        return replace(
            self, start=self.start - timedelta(days=length), end=self.start - timedelta(days=1)
        )


# ---------------------------------------------------------------------------------------------
# Aggregates (each returns the SQL text over ``REQUESTS``)


def versions_sql(scope: Scope) -> str:
    """Requests per model version in the period, with the first and last moment it answered."""
    return (
        f'SELECT {ident(VERSION)}, COUNT(*) AS "requests", MIN({ident(TIMESTAMP)}) AS '
        f'"first_seen", MAX({ident(TIMESTAMP)}) AS "last_seen" FROM {REQUESTS} '
        f"WHERE {scope.where()} GROUP BY {ident(VERSION)}"
    )


def kpis_sql(scope: Scope, today: date) -> str:
    """In one scan: count, today's count, the median price and the versions answering among
    the chosen requests, and the median of the previous period of the same length. (The
    in-schema shares come from ``field_cube_sql``: the schema check, the costly part of a
    row, is made once per page.)"""
    previous = scope.previous()
    chosen = " AND ".join([scope.period(), *scope.chosen_parts()])
    before = " AND ".join([previous.period(), *scope.chosen_parts()])
    where = " AND ".join([scope.period(previous.start), *scope.store_parts()])
    return (
        f'SELECT COUNT(*) FILTER (WHERE {chosen}) AS "requests", '
        f'COUNT(*) FILTER (WHERE {chosen} AND "bday" = {day_literal(today)}) AS '
        f'"requests_today", '
        f'{QUANTILE_TOKEN}({ident(PRICE)}, 0.5) FILTER (WHERE {chosen}) AS "median_price", '
        f'COUNT(DISTINCT {ident(VERSION)}) FILTER (WHERE {chosen}) AS "versions_active", '
        f'COUNT(*) FILTER (WHERE {before}) AS "previous_requests", '
        f"{QUANTILE_TOKEN}({ident(PRICE)}, 0.5) FILTER (WHERE {before}) AS "
        f'"previous_median_price" '
        f"FROM {REQUESTS} WHERE {where}"
    )


def daily_volume_sql(scope: Scope) -> str:
    return (
        f'SELECT "bday" AS "day", {ident(VERSION)}, COUNT(*) AS "requests" FROM {REQUESTS} '
        f'WHERE {scope.where()} GROUP BY "bday", {ident(VERSION)} ORDER BY "bday"'
    )


def daily_price_sql(scope: Scope) -> str:
    """Per day: requests and the 10th, 50th and 90th percentiles of the quoted price."""
    bands = ", ".join(
        f'{QUANTILE_TOKEN}({ident(PRICE)}, {q}) AS "{name}"'
        for q, name in ((0.1, "p10"), (0.5, "median"), (0.9, "p90"))
    )
    return (
        f'SELECT "bday" AS "day", COUNT(*) AS "requests", {bands} FROM {REQUESTS} '
        f'WHERE {scope.where()} GROUP BY "bday" ORDER BY "bday"'
    )


def price_histogram_sql(scope: Scope, bins: int = 40) -> str:
    """Prices in ``bins`` equal bins between the 0.5th and 99.5th percentiles, the tails folded
    into the outer bins (``aggregate.price_histogram``)."""
    return (
        f'WITH "chosen" AS (SELECT {ident(PRICE)} AS "price" FROM {REQUESTS} '
        f"WHERE {scope.where()} AND {ident(PRICE)} IS NOT NULL), "
        f'"bounds" AS (SELECT {QUANTILE_TOKEN}("price", 0.005) AS "low", '
        f'{QUANTILE_TOKEN}("price", 0.995) AS "high" FROM "chosen"), '
        f'"edges" AS (SELECT CASE WHEN "high" > "low" THEN "low" ELSE "low" - 0.5 END AS "low", '
        f'CASE WHEN "high" > "low" THEN "high" ELSE "high" + 0.5 END AS "high" FROM "bounds") '
        f'SELECT "low", "high", LEAST(CAST(floor((LEAST(GREATEST("price", "low"), "high") - '
        f'"low") * {bins} / ("high" - "low")) AS BIGINT), {bins - 1}) AS "bin", '
        f'COUNT(*) AS "requests" FROM "chosen" CROSS JOIN "edges" '
        f'GROUP BY "low", "high", 3 ORDER BY 3'
    )


def field_cube_sql(scope: Scope, names: Sequence[str] = schema.FIELD_NAMES) -> str:
    """In one scan (``GROUPING SETS``): per field and value, per model version and in-schema
    flag, the requests and the first row holding it (its order, ``first_rows_sql``). The drift
    table and the quality report are computed from this small table for any choice of versions
    and of the in-schema switch: the versions' own counts are the set without a field."""
    keys = [ident(VERSION), '"in_schema"']
    sets = ", ".join(f"({', '.join([*keys, ident(n)])})" for n in names)
    flags = ", ".join(f"GROUPING({ident(n)}) AS {ident('g_' + n)}" for n in names)
    where = " AND ".join([scope.period(), *scope.store_parts()])
    return (
        f"SELECT {', '.join(keys)}, {', '.join(ident(n) for n in names)}, {flags}, "
        f'COUNT(*) AS "requests", MIN("seq") AS "first_seq" FROM {REQUESTS} WHERE {where} '
        f"GROUP BY GROUPING SETS ({sets}, ({', '.join(keys)}))"
    )


def processor_pairs_sql(scope: Scope) -> str:
    """Requests per (processor brand, processor name), with the first row (order) of each."""
    return (
        f'SELECT "processor_brand", "processor_name", COUNT(*) AS "requests", '
        f'MIN("seq") AS "first_seq" FROM {REQUESTS} WHERE {scope.where()} '
        f'GROUP BY "processor_brand", "processor_name"'
    )


def outside_file_day_sql(scope: Scope) -> str:
    """Rows stamped on another UTC day than the day file holding them, per stamped day."""
    return (
        f'SELECT CAST("utc_day" AS VARCHAR) AS "value", COUNT(*) AS "requests", '
        f'MIN("seq") AS "first_seq" FROM {REQUESTS} '
        f'WHERE {scope.where()} AND "utc_day" <> "file_day" GROUP BY "utc_day"'
    )


def first_rows_sql(seqs: Sequence[int]) -> str:
    """Where the rows of these orders came from (file, line): the quality report's "first
    seen at", looked up once for its few issues rather than carried through every group."""
    listed = ", ".join(str(int(seq)) for seq in seqs) or "NULL"
    return f'SELECT "seq", "file", "line" FROM {REQUESTS} WHERE "seq" IN ({listed})'


def price_bins_sql(scope: Scope, edges: Sequence[float]) -> str:
    """Requests per bin between the reference's inner ``edges`` (bin i: edges[i-1] <= price <
    edges[i], numpy's ``searchsorted(side='right')``)."""
    cases = " ".join(
        f"WHEN {ident(PRICE)} < {float(edge)!r} THEN {i}" for i, edge in enumerate(edges)
    )
    return (
        f'SELECT CASE {cases} ELSE {len(edges)} END AS "bin", COUNT(*) AS "requests" '
        f"FROM {REQUESTS} WHERE {scope.where()} AND {ident(PRICE)} IS NOT NULL GROUP BY 1"
    )


def stores_sql(scope: Scope) -> str:
    """Per store: requests, the median price and the in-schema share (the chain's split)."""
    return (
        f'SELECT {ident(STORE)}, COUNT(*) AS "requests", '
        f'{QUANTILE_TOKEN}({ident(PRICE)}, 0.5) AS "median_price", '
        f'AVG(CASE WHEN "in_schema" THEN 1.0 ELSE 0.0 END) AS "in_schema_share" '
        f"FROM {REQUESTS} WHERE {scope.where()} GROUP BY {ident(STORE)} ORDER BY 1"
    )


def rows_sql(scope: Scope, columns: Sequence[str]) -> str:
    """The period's rows themselves, for the download (streamed batch by batch)."""
    return f"SELECT {', '.join(ident(c) for c in columns)} FROM {REQUESTS} WHERE {scope.where()}"


def quotes_sql(scope: Scope, columns: Sequence[str]) -> str:
    """The trade-in quotes of the period (rows whose offer is a positive number): the few rows
    the "Negócios" section joins with the outcomes, never the whole log."""
    return (
        f"SELECT {', '.join(ident(c) for c in columns)} FROM {REQUESTS} "
        f"WHERE {scope.where()} AND TRY_CAST({ident(log_columns.OFFER_COLUMN)} AS DOUBLE) > 0"
    )
