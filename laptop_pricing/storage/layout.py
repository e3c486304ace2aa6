"""Where a record kind lives: day files, per-request records and the Parquet rollup.

A kind is declared where it is owned, never here: the request log declares ``PREDICTIONS``
(``request_log.kind``), the trade-in declares ``OUTCOMES`` (``trade_in.outcome``), and
``laptop_pricing.record_kinds`` lists them for the compactor and the monitoring page. A new
kind (purchases, stock events) plugs into the store, the day reader and the compactor by
declaring its layout and adding itself to that list::

    PURCHASES = RecordKind(
        name="purchase", columns=PURCHASE_COLUMNS, id_column="purchase_id",
        timestamp_column="purchased_at", day_file_suffix="_purchases.csv",
        prefix_of=attrgetter("purchases_prefix"), keyed_by_id=True,
    )

For a kind under ``<prefix>/``:

* ``YYYY-MM-DD<day_file_suffix>``: the day CSV the course's readers know
  (``2024-05-01_laptop_prediction_data.csv``), written whole by the compactor;
* ``_records/YYYY-MM-DD/<UTC time>-<record id>.json`` (S3): one small object per record (or per
  group of records written together), ``_records/YYYY-MM-DD.jsonl`` (local folder): one
  appended line per record. A kind ``keyed_by_id`` (the outcomes) names each record's object by
  its id alone, ``_records/YYYY-MM-DD/<record id>.json``, and stores it only if that key is
  free, so one id is stored once a day however many writers race;
* ``_rollup/year=YYYY/month=MM/data.parquet``: the closed days of a month, Hive-partitioned.

``_`` sorts after every digit, so a listing of day files can stop before the sub-folders.
The same relative paths are used under the local folder and in the bucket.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from laptop_pricing.settings import Settings

RECORDS_FOLDER = "_records"
ROLLUP_FOLDER = "_rollup"
ROLLUP_FILE = "data.parquet"
# The oldest day a log can hold (the course ran in 2023); anything older is not a real day.
FIRST_DAY = date(2020, 1, 1)
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


@dataclass(frozen=True)
class RecordKind:
    """One kind of record: its columns (in order), id and time columns, day-file suffix and
    the setting that names its prefix (``prefix_of(settings)``)."""

    name: str
    columns: tuple[str, ...]
    id_column: str
    timestamp_column: str
    day_file_suffix: str
    prefix_of: Callable[[Settings], str]
    aliases: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    # A record per object named by its id (no time in the key, no group commit): a second
    # write of the same id is refused by the store instead of stored twice.
    keyed_by_id: bool = False
    # The column the rollup types as a price (None: the kind has no price).
    price_column: str | None = None
    # What an absent or empty cell of a column reads as (``store_id``: the default store, for
    # rows written before stores existed).
    defaults: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    # What the rollup adds to a month of this kind before it is written (the request log: its
    # fields normalised and ``in_schema``), so its readers only group. None: the rows as typed.
    rollup_columns: Callable[[pa.Table], pa.Table] | None = field(
        default=None, hash=False, compare=False
    )
    # What a day file keeps of a row (the outcomes: the author masked, never the e-mail), applied
    # to every row the compactor writes, so that compacting a day again brings an older file to
    # it (``compact --all``). None: the row as recorded.
    stored_row: Callable[[dict[str, str]], dict[str, str]] | None = field(
        default=None, hash=False, compare=False
    )

    def __post_init__(self) -> None:
        missing = {self.id_column, self.timestamp_column} - set(self.columns)
        if missing:
            raise ValueError(f"record kind {self.name} lacks columns {sorted(missing)}")

    def blank_row(self) -> dict[str, str]:
        """A row with every column as an older file that lacks it reads."""
        return {column: self.defaults.get(column, "") for column in self.columns}

    def filled(self, row: Mapping[str, str]) -> dict[str, str]:
        """``row`` with its absent or empty defaulted columns read as their defaults."""
        if not self.defaults:
            return dict(row)
        return {**row, **{c: d for c, d in self.defaults.items() if not row.get(c)}}

    def canonical(self, name: str) -> str:
        """A column name as this kind calls it (older spellings mapped, e.g. ``prediction``)."""
        cleaned = name.strip().strip('"').strip().lower()
        return self.aliases.get(cleaned, cleaned)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds, e.g. ``2024-01-16T02:07:31.123456Z``."""
    if moment.tzinfo is None:
        raise ValueError("record timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def safe_record_id(record_id: str) -> str:
    """The id as it may appear in a key: kept when plain, else a digest of it."""
    if _SAFE_ID.match(record_id):
        return record_id
    return hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class LogLayout:
    """The keys (or relative paths) of one kind under one prefix."""

    prefix: str
    kind: RecordKind

    @property
    def root(self) -> str:
        prefix = self.prefix.strip("/")
        return f"{prefix}/" if prefix else ""

    # Day files -------------------------------------------------------------------------------

    def day_file_name(self, day: date) -> str:
        return f"{day:%Y-%m-%d}{self.kind.day_file_suffix}"

    def day_key(self, day: date) -> str:
        return self.root + self.day_file_name(day)

    def day_name_pattern(self) -> re.Pattern[str]:
        return re.compile(r"^(\d{4}-\d{2}-\d{2})" + re.escape(self.kind.day_file_suffix) + "$")

    # Records ---------------------------------------------------------------------------------

    @property
    def records_root(self) -> str:
        return f"{self.root}{RECORDS_FOLDER}/"

    def records_day_prefix(self, day: date) -> str:
        return f"{self.records_root}{day:%Y-%m-%d}/"

    def record_key(self, day: date, at: datetime, record_id: str) -> str:
        """One record's object: its write time first, so a day's records list in time order
        (a kind keyed by id: the id alone)."""
        if self.kind.keyed_by_id:
            return f"{self.records_day_prefix(day)}{safe_record_id(record_id)}.json"
        stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        return f"{self.records_day_prefix(day)}{stamp}-{safe_record_id(record_id)}.json"

    def records_watermark(self, day: date, at: datetime) -> str | None:
        """A key that sorts after every record of ``day`` written before ``at``; None for a
        kind keyed by id, whose keys are not in time order (its readers read the whole day's
        records: a few dozen)."""
        if self.kind.keyed_by_id:
            return None
        stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        return f"{self.records_day_prefix(day)}{stamp}"

    def local_records_file(self, day: date) -> str:
        return f"{self.records_root}{day:%Y-%m-%d}.jsonl"

    # Rollup ----------------------------------------------------------------------------------

    @property
    def rollup_root(self) -> str:
        return f"{self.root}{ROLLUP_FOLDER}/"

    def rollup_key(self, year: int, month: int) -> str:
        return f"{self.rollup_root}year={year:04d}/month={month:02d}/{ROLLUP_FILE}"


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def day_of_day_file(name: str, kind: RecordKind) -> date | None:
    """The day a day file holds, from its (base) name; None for anything else."""
    match = LogLayout("", kind).day_name_pattern().match(name.rsplit("/", 1)[-1])
    return parse_day(match.group(1)) if match else None
