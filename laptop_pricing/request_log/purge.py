"""Apply the store's retention to the local folder: ``python -m laptop_pricing.request_log.purge``.

The request log and the outcomes hold personal data (the clerk's e-mail, free-text notes), kept
for the purpose and the days the store policy states (``[privacy]`` in
``policy/store_policy.toml``; docs/security.md). In S3 the bucket's lifecycle rules delete them
(``infra/template.yaml``, ``RetentionDays``); this command does the same for the local folder
(``PREDICTIONS-DIR``), for both record kinds: day files, per-day record files and monthly
rollups whose whole month is older than the retention. Safe to repeat; ``--dry-run`` lists.
With a bucket configured it deletes nothing and says the lifecycle rules apply there.
"""

from __future__ import annotations

import argparse
import calendar
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from laptop_pricing.record_kinds import OUTCOMES, PREDICTIONS
from laptop_pricing.settings import InvalidSettings, Settings, load_settings
from laptop_pricing.storage.layout import LogLayout, RecordKind, parse_day
from laptop_pricing.trade_in.policy import PolicyError, load_policy, policy_path
from laptop_pricing.trade_in.quote_keys import QUOTES_FOLDER, REQUESTS_FOLDER

_ROLLUP_MONTH = re.compile(r"year=(\d{4})/month=(\d{2})/")


def expired_files(directory: Path, layout: LogLayout, cutoff: date) -> Iterator[Path]:
    """Files of ``layout`` under ``directory`` whose data is all from before ``cutoff``."""
    root = directory / layout.root
    if not root.is_dir():
        return
    for path in sorted(root.iterdir()):
        day = _day_file_day(path.name, layout)
        if path.is_file() and day is not None and day < cutoff:
            yield path
    records = directory / layout.records_root
    for path in sorted(records.glob("*.jsonl")) if records.is_dir() else ():
        day = parse_day(path.name.removesuffix(".jsonl"))
        if day is not None and day < cutoff:
            yield path
    yield from _expired_keyed_objects(root, cutoff)
    rollups = directory / layout.rollup_root
    for path in sorted(rollups.rglob("*.parquet")) if rollups.is_dir() else ():
        match = _ROLLUP_MONTH.search(path.relative_to(rollups).as_posix() + "/")
        if match is None:
            continue
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and date(year, month, calendar.monthrange(year, month)[1]) < cutoff:
            yield path


def _expired_keyed_objects(root: Path, cutoff: date) -> Iterator[Path]:
    """Quotes kept by id (a folder per day their id names) and the answers kept per
    ``X-Request-Id`` (no day in their name: their last write says when)."""
    quotes = root / QUOTES_FOLDER
    for folder in sorted(quotes.iterdir()) if quotes.is_dir() else ():
        day = parse_day(folder.name)
        if folder.is_dir() and day is not None and day < cutoff:
            yield from sorted(folder.glob("*.json"))
    claims = root / REQUESTS_FOLDER
    for path in sorted(claims.glob("*.json")) if claims.is_dir() else ():
        if datetime.fromtimestamp(path.stat().st_mtime, UTC).date() < cutoff:
            yield path


def _day_file_day(name: str, layout: LogLayout) -> date | None:
    match = layout.day_name_pattern().fullmatch(name)
    return parse_day(match.group(1)) if match else None


def purge(
    settings: Settings, retention_days: int, today: date, dry_run: bool = False
) -> list[Path]:
    """Delete (or, ``dry_run``, only list) every local file past the retention."""
    cutoff = today - timedelta(days=retention_days)
    kinds: tuple[tuple[RecordKind, str], ...] = (
        (PREDICTIONS, settings.predictions_prefix),
        (OUTCOMES, settings.outcomes_prefix),
    )
    gone: list[Path] = []
    for kind, prefix in kinds:
        for path in expired_files(settings.predictions_dir, LogLayout(prefix, kind), cutoff):
            if not dry_run:
                path.unlink(missing_ok=True)
            gone.append(path)
    return gone


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m laptop_pricing.request_log.purge",
        description="Delete the local request log and outcomes older than the store policy's "
        "[privacy] retention_days.",
    )
    parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        retention = load_policy(policy_path(settings), settings.store_id).retention_days
    except (InvalidSettings, PolicyError) as error:
        print(f"purge refused: {error}", file=sys.stderr)
        return 1
    if settings.predictions_bucket:
        print(
            f"PREDICTIONS-BUCKET is set: the bucket's lifecycle rules delete after "
            f"{retention} days (infra/template.yaml); nothing local to purge"
        )
        return 0
    today = datetime.now(UTC).date()
    try:
        gone = purge(settings, retention, today, args.dry_run)
    except OSError as error:
        print(f"purge failed: {error.strerror}: {error.filename}", file=sys.stderr)
        return 1
    verb = "would delete" if args.dry_run else "deleted"
    cutoff = today - timedelta(days=retention)
    print(f"{verb} {len(gone)} files from before {cutoff} (retention {retention} days)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
