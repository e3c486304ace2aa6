"""Fold a day's records into its day CSV and, once the day is closed, into the month's rollup.

Both record kinds are compacted: the request log (``PREDICTIONS-PREFIX``) and the trade-in
outcomes (``OUTCOMES-PREFIX``, ``YYYY-MM-DD_trade_in_outcomes.csv``, one row per event id).

    python -m laptop_pricing.request_log.compact              # yesterday and today
    python -m laptop_pricing.request_log.compact --day 2024-05-01
    python -m laptop_pricing.request_log.compact --all        # every day with records or a file

In AWS, ``handler`` runs hourly as ``PredictionsCompactorFunction`` (``infra/template.yaml``).
Configuration as for the service (``PREDICTIONS_BUCKET`` or ``PREDICTIONS_DIR``, prefix, endpoint).

Why it is safe to run at any time, twice, or beside the writers:

* records are never rewritten or deleted by it (an S3 lifecycle rule expires them weeks later),
  so a run that reads while a writer writes only misses that record until the next run;
* rows are keyed by request id: a record already in the day file is not added again, and a
  client's retry that reached the API twice gives one row. Rows of older files without an id
  are kept as they are;
* the output is a function of its inputs: a second run writes the same bytes (or nothing);
* a day is *closed* (rolled up) only when the run starts ``margin`` after the day's end, when no
  write can still land in it (a write lasts at most its deadline plus the settle time);
* S3: the day CSV carries a watermark (``records-through``): every record key before it is in
  the file, so a run (and the page) reads only the records after it; the month's rollup is
  replaced with a conditional put, retried when another run changed it. Local folder: a lock
  file serialises compactors (writers never take it); files are replaced by rename.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from laptop_pricing.record_kinds import KINDS
from laptop_pricing.request_log import store_from_settings
from laptop_pricing.settings import Settings, load_settings, settings_or_exit
from laptop_pricing.storage import rollup
from laptop_pricing.storage.day_csv import UnreadableDayFile, decode_day_csv, encode_day_csv
from laptop_pricing.storage.day_reader import merge_rows, read_open_day
from laptop_pricing.storage.stores import RecordStore, StoreError

MARGIN = timedelta(minutes=2)
CATCH_UP_DAYS = 3  # the scheduled run also closes days its missed runs left open
ROLLUP_ATTEMPTS = 10
LOCK_TIMEOUT = 120.0

Clock = Callable[[], datetime]
Row = dict[str, str]


class CompactionError(RuntimeError):
    """The day could not be compacted (nothing of it was lost: the records stay)."""


@dataclass
class DayCompaction:
    day: date
    records_read: int = 0
    torn: int = 0
    rows_before: int = 0
    rows_after: int = 0
    wrote_day_file: bool = False
    closed: bool = False
    rolled_up: bool = False
    bad_text: int = 0  # records holding a NUL or a lone surrogate: not written to the day file
    without_id: int = 0  # records lacking the kind's id: nothing to key them by, not folded
    rows_set_aside: list[tuple[int, str]] = field(default_factory=list)  # day-file (line, why)

    def summary(self) -> str:
        text = (
            f"{self.day}: {self.records_read} records read, day file {self.rows_before} -> "
            f"{self.rows_after} rows{'' if self.wrote_day_file else ' (unchanged)'}"
        )
        if self.torn:
            text += f", {self.torn} torn lines skipped"
        if self.bad_text:
            text += f", {self.bad_text} records set aside (not text: NUL or invalid UTF-8)"
        if self.without_id:
            text += f", {self.without_id} records without an id set aside"
        if self.rows_set_aside:
            shown = ", ".join(f"line {line} {why}" for line, why in self.rows_set_aside[:5])
            text += f", {len(self.rows_set_aside)} day-file rows set aside ({shown})"
        if self.closed:
            text += ", closed" + (" and rolled up" if self.rolled_up else " (rollup unchanged)")
        return text


@dataclass
class _Closing:
    """A closed day's rows, waiting for its month's rollup write."""

    day: date
    rows: list[Row]
    digest: str


class Compactor:
    def __init__(self, store: RecordStore, clock: Clock | None = None, margin: timedelta = MARGIN):
        self.store = store
        self.kind = store.layout.kind
        self.clock = clock or (lambda: datetime.now(UTC))
        self.margin = margin

    def compact_day(self, day: date) -> DayCompaction:
        return self.compact_days([day])[0]

    def compact_days(self, days: Sequence[date]) -> list[DayCompaction]:
        """Each day's file, then one rollup write per month for the days that closed (a backfill
        of a year rewrites each month once, not once per day)."""
        results: list[DayCompaction] = []
        closing: list[_Closing] = []

        def roll_up() -> None:
            """Write the month of the days closed so far (one month in memory at a time)."""
            if not closing:
                return
            year, month = closing[0].day.year, closing[0].day.month
            try:
                changed = self._roll_up(year, month, closing)
            except StoreError as error:
                raise CompactionError(f"{year}-{month:02d}: {error}") from error
            for result in results:
                if result.day in changed:
                    result.rolled_up = True
            closing.clear()

        with self.store.compaction_lock(LOCK_TIMEOUT):
            for day in sorted(days):
                try:
                    result, closed = self._compact_day(day)
                except StoreError as error:
                    raise CompactionError(f"{day}: {error}") from error
                results.append(result)
                if closed is None:
                    continue
                if closing and (closing[0].day.year, closing[0].day.month) != (
                    day.year,
                    day.month,
                ):
                    roll_up()
                closing.append(closed)
            roll_up()
        return results

    def _compact_day(self, day: date) -> tuple[DayCompaction, _Closing | None]:
        now = self.clock()
        result = DayCompaction(day)
        opened = read_open_day(self.store, day)
        existing, watermark = opened.day_file, opened.watermark
        try:
            decoded_day = decode_day_csv(self.kind, existing) if existing is not None else None
        except UnreadableDayFile as error:
            raise CompactionError(
                f"{day}: the day file is not a request-log CSV ({error}); left alone"
            ) from error
        rows = decoded_day.rows if decoded_day else []
        result.rows_set_aside = decoded_day.set_aside if decoded_day else []
        decoded = opened.records
        result.records_read = len(decoded.records)
        result.torn = decoded.torn
        result.bad_text = decoded.bad_text
        result.without_id = sum(1 for r in decoded.records if not r.get(self.kind.id_column))
        result.rows_before = len(rows)
        merged = merge_rows(self.kind.id_column, rows, decoded.records, self.kind.timestamp_column)
        if self.kind.stored_row is not None:
            merged = [self.kind.stored_row(row) for row in merged]
        result.rows_after = len(merged)
        data = encode_day_csv(self.kind, merged)
        day_end = datetime.combine(day + timedelta(days=1), time(), UTC)
        # Every record written before this moment has landed (a write lasts far less).
        settled_before = min(now - self.margin, day_end + self.margin)
        new_watermark = self.store.layout.records_watermark(day, settled_before)
        if watermark is not None and (new_watermark is None or watermark > new_watermark):
            new_watermark = watermark
        if data != existing or (self.store.keeps_watermark and new_watermark != watermark):
            self.store.write_day_file(day, data, new_watermark)
            result.wrote_day_file = data != existing
        result.closed = now >= day_end + self.margin
        if not result.closed:
            return result, None
        return result, _Closing(day, merged, rollup.digest(data))

    def _roll_up(self, year: int, month: int, days: list[_Closing]) -> set[date]:
        """Replace the closed days in the month's rollup; the days whose content changed."""
        for _ in range(ROLLUP_ATTEMPTS):
            current, token = self.store.read_rollup(year, month)
            rolled = rollup.read_month(current)
            changed = [
                item
                for item in days
                if (known := rolled.closed.get(item.day)) is None or known.digest != item.digest
            ]
            if not changed:
                return set()
            replacements = {}
            for item in changed:
                table, notes = rollup.day_table(self.kind, item.day, item.rows)
                replacements[item.day] = (
                    table,
                    rollup.ClosedDay(len(item.rows), item.digest, notes),
                )
            payload = rollup.with_days(
                rolled,
                replacements,
                self.kind.defaults,
                self.kind.timestamp_column,
                self.kind.rollup_columns,
            )
            if self.store.write_rollup(year, month, payload, token):
                return {item.day for item in changed}
        raise CompactionError(
            f"{year}-{month:02d}: the month's rollup kept changing under other runs"
        )

    def days(self, everything: bool = False) -> list[date]:
        """Days to compact: every day with records or a day file, or the recent ones."""
        if everything:
            return sorted(set(self.store.record_days()) | set(self.store.day_file_days()))
        today = self.clock().date()
        recent = {today - timedelta(days=n) for n in range(CATCH_UP_DAYS + 1)}
        return sorted(recent & set(self.store.record_days()) | {today - timedelta(days=1)})


def compactors_from_environment(settings: Settings | None = None) -> list[Compactor]:
    """One compactor per record kind (request log, outcomes), as the settings place them."""
    settings = settings or load_settings()
    return [Compactor(store_from_settings(settings, kind)) for kind in KINDS.values()]


def handler(event: Any, context: Any) -> dict[str, Any]:
    """The hourly scheduled Lambda (the event's content is not used). Newest day first, and a
    failing day does not stop the others; the invocation still fails afterwards so the failure
    shows in the function's Errors metric."""
    summaries: list[str] = []
    failures: list[str] = []
    for compactor in compactors_from_environment():
        for day in reversed(compactor.days()):
            try:
                summaries.append(f"{compactor.kind.name} {compactor.compact_day(day).summary()}")
            except CompactionError as error:
                failures.append(f"{compactor.kind.name} {error}")
    for summary in summaries:
        print(summary)
    if failures:
        raise CompactionError(f"{len(failures)} days not compacted: " + "; ".join(failures))
    return {"days": summaries}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m laptop_pricing.request_log.compact",
        description="Fold the request log's records into day CSVs and the Parquet rollup. "
        "Safe to repeat and to run while the API is writing.",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--day", type=date.fromisoformat, help="one UTC day, YYYY-MM-DD")
    which.add_argument("--all", action="store_true", help="every day with records or a file")
    args = parser.parse_args(argv)
    settings = settings_or_exit()  # a bad key (an unwritable PREDICTIONS-DIR): one line, rc 1
    try:
        for compactor in compactors_from_environment(settings):
            days = [args.day] if args.day else compactor.days(everything=args.all)
            for result in compactor.compact_days(days):
                print(f"{compactor.kind.name} {result.summary()}")
    except (CompactionError, StoreError) as error:
        print(f"compaction failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
