"""Synthetic request logs laid out like the real one, for benchmarks, tests and demos.

Rows follow the compactor's day-file format (``laptop_pricing.request_log``: csv-module quoting,
ISO 8601 UTC with ``Z``, a request id per row). Test and benchmark data only.
The mix of laptops drifts slowly over the year and a new model version takes over part-way, so
a year of it exercises every chart; ``out_of_schema`` adds course-style bad values. With
``stores`` each row belongs to one store of a chain (``loja-001``...), drawn uniformly. With
``quotes`` that share of the rows is a trade-in quote, as the counter writes one: its own
quote id, the condition's answers, an offer, the policy and the validity.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta

import numpy as np

from laptop_pricing import log_columns
from laptop_pricing.pricing import schema
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.storage.layout import LogLayout

VERSIONS = ("1.0.0", "1.1.0", "1.2.0")


SAMPLE_CLERKS = ("ana@loja.exemplo.com.br", "bruno@loja.exemplo.com.br")


def day_csv(
    day: date,
    rows: int,
    seed: int = 0,
    progress: float = 0.0,
    out_of_schema: float = 0.0,
    versions: tuple[str, ...] = VERSIONS,
    reference: Mapping[str, Mapping[str, float]] | None = None,
    stores: int = 0,
    quotes: float = 0.0,
) -> bytes:
    """One day file's bytes. ``progress`` (0..1) moves the mix and the active version.

    With ``reference`` (the metadata's ``reference.fields``) values start from the training mix
    and only RAM and SSD drift towards bigger sizes; without it every field drifts a little.
    With ``stores`` > 0 each row gets a ``store_id`` of ``store_ids(stores)``; 0 writes none
    (every reader then reads the single-store default) and the same bytes as before stores.
    ``quotes`` (0..1): the share of rows that are quotes (0: none, the bytes as before).
    """
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for field in schema.FIELDS:
        values = np.array([str(v) for v in field.values], dtype=object)
        columns[field.name] = rng.choice(values, size=rows, p=_weights(field, progress, reference))
    brand_of = columns["processor_brand"]
    names = np.empty(rows, dtype=object)
    name_field = schema.FIELDS_BY_NAME["processor_name"]
    name_weights = dict(
        zip(
            [str(v) for v in name_field.values],
            _weights(name_field, progress, reference),
            strict=True,
        )
    )
    for brand, made in schema.PROCESSORS_BY_BRAND.items():
        mask = brand_of == brand
        p = np.array([name_weights[m] for m in made]) + 1e-3
        names[mask] = rng.choice(np.array(made, dtype=object), size=int(mask.sum()), p=p / p.sum())
    columns["processor_name"] = names
    if out_of_schema:
        bad = rng.random(rows) < out_of_schema
        columns["ram_gb"] = np.where(
            bad, rng.choice(["24", "64", "252"], size=rows), columns["ram_gb"]
        )
    ram = columns["ram_gb"].astype(float)
    ssd = columns["ssd"].astype(float)
    base = 1800 + 160 * ram + 1.6 * ssd + 260 * columns["graphic_card"].astype(float)
    price = np.round(base * (1 + 0.12 * progress) * rng.lognormal(0, 0.18, rows))
    # A store's day: 00:00 to 21:00 in Brasília (03:00 to 24:00 UTC), so each UTC day file
    # holds one Brasília day, as a store that closes before 21:00 writes them.
    seconds = np.sort(rng.integers(3 * 3600, 86_400, rows))
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    current = min(int(progress * len(versions)), len(versions) - 1)
    previous = max(current - 1, 0)
    use_previous = rng.random(rows) < 0.15
    store_of_row = _stores_of_rows(stores, rows, seed)
    quote_of_row = _quotes_of_rows(day, quotes, price, seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(log_columns.LOG_COLUMNS)
    for i in range(rows):
        moment = start + timedelta(seconds=int(seconds[i]), microseconds=int(i % 1_000_000))
        record = {
            **{name: columns[name][i] for name in schema.FIELD_NAMES},
            log_columns.PRICE_COLUMN: int(price[i]),
            log_columns.TIMESTAMP_COLUMN: moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            log_columns.VERSION_COLUMN: versions[previous if use_previous[i] else current],
            log_columns.REQUEST_ID_COLUMN: f"{day:%Y%m%d}-{seed}-{i:06d}",
            log_columns.CLERK_EMAIL_COLUMN: SAMPLE_CLERKS[i % len(SAMPLE_CLERKS)],
        }
        if store_of_row is not None:
            record[log_columns.STORE_ID_COLUMN] = store_of_row[i]
        if quote_of_row is not None and quote_of_row[i] is not None:
            record.update(quote_of_row[i])
        writer.writerow([record.get(column, "") for column in log_columns.LOG_COLUMNS])
    return buffer.getvalue().encode()


def store_ids(stores: int) -> tuple[str, ...]:
    """A chain's store ids, ``loja-001``..``loja-NNN`` (zero-padded, so they sort as numbers)."""
    width = max(3, len(str(stores)))
    return tuple(f"loja-{number:0{width}d}" for number in range(1, stores + 1))


def _stores_of_rows(stores: int, rows: int, seed: int) -> np.ndarray | None:
    """Each row's store, uniform over the chain. A generator of its own, so the other columns
    draw what they drew before stores existed (``stores=0``: None, no column written)."""
    if stores <= 0:
        return None
    rng = np.random.default_rng([seed, stores])
    return np.array(store_ids(stores), dtype=object)[rng.integers(0, stores, rows)]


def _quotes_of_rows(
    day: date, share: float, prices: np.ndarray, seed: int
) -> list[dict[str, str] | None] | None:
    """The trade-in cells of each row that is a quote (None: a price-only row); a generator of
    its own, as ``_stores_of_rows``. Ids are unique across days (day, row, random part)."""
    if share <= 0:
        return None
    rng = np.random.default_rng([seed, 1_000_003])
    is_quote = rng.random(len(prices)) < share
    salt = rng.integers(0, 1 << 16, len(prices))
    valid = (day + timedelta(days=7)).isoformat()
    answers = {  # mostly a good laptop, now and then one defect
        "condition_powers_on": ("true", "false"),
        "condition_screen": ("perfect", "scratched"),
        "condition_body": ("like_new", "worn"),
        "condition_keyboard_ports": ("ok", "faulty"),
        "condition_battery": ("normal", "weak"),
        "condition_charger": ("true", "false"),
        "condition_locks_removed": ("true", "false"),
    }
    defect = rng.random((len(prices), len(answers))) < 0.08
    cells: list[dict[str, str] | None] = []
    for i, price in enumerate(prices):
        if not is_quote[i]:
            cells.append(None)
            continue
        cells.append(
            {
                log_columns.QUOTE_ID_COLUMN: (
                    f"{day.toordinal() % 65536:04X}-{i:04X}-{int(salt[i]):04X}"
                ),
                **{
                    column: pair[int(defect[i, k])]
                    for k, (column, pair) in enumerate(answers.items())
                },
                log_columns.OFFER_COLUMN: str(int(price * 0.55) // 10 * 10),
                log_columns.POLICY_VERSION_COLUMN: "2025-01",
                log_columns.VALID_UNTIL_COLUMN: valid,
                log_columns.PRICING_SOURCE_COLUMN: "rule",
            }
        )
    return cells


def _weights(
    field: schema.Field, progress: float, reference: Mapping[str, Mapping[str, float]] | None
) -> np.ndarray:
    count = len(field.values)
    if reference and field.name in reference:
        weights = np.array([float(reference[field.name].get(str(v), 0)) + 1 for v in field.values])
        if field.name in ("ram_gb", "ssd"):
            weights = weights * np.linspace(1 - 0.7 * progress, 1 + 2.5 * progress, count)
    else:
        weights = np.linspace(1.0 + progress, 1.0 - 0.6 * progress, count) ** 2
    return weights / weights.sum()


def year_of_days(end: date, days: int) -> list[date]:
    return [end - timedelta(days=days - 1 - i) for i in range(days)]


def day_files(
    end: date,
    days: int,
    rows_per_day: int | None = None,
    prefix: str = "",
    seed: int = 7,
    reference: Mapping[str, Mapping[str, float]] | None = None,
    versions: tuple[str, ...] = VERSIONS,
    stores: int = 0,
    quotes: float = 0.0,
) -> Iterator[tuple[str, bytes]]:
    """(key, bytes) of ``days`` consecutive day files up to ``end``; volume varies by weekday.
    ``stores`` and ``quotes`` as in ``day_csv``."""
    rng = np.random.default_rng(seed)
    for index, day in enumerate(year_of_days(end, days)):
        if rows_per_day is None:
            weekday_factor = 0.45 if day.weekday() == 6 else (0.8 if day.weekday() == 5 else 1.0)
            rows = max(1, int(rng.normal(60, 12) * weekday_factor * (1 + index / days)))
        else:
            rows = rows_per_day
        yield (
            LogLayout(prefix, PREDICTIONS).day_key(day),
            day_csv(
                day,
                rows,
                seed=seed + index,
                progress=index / max(days - 1, 1),
                versions=versions,
                reference=reference,
                stores=stores,
                quotes=quotes,
            ),
        )
