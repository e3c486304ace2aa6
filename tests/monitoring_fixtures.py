"""Fixtures of the monitoring tests: an S3 API on loopback (moto_server) and day-file helpers."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from laptop_pricing.formatting import BRASILIA
from laptop_pricing.monitoring import drift
from laptop_pricing.pricing.artifact import read_metadata
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout
from laptop_pricing.settings import DEFAULT_OUTCOMES_PREFIX, DEFAULT_PREFIX
from laptop_pricing.storage import s3
from tests import synthetic_business as synthetic
from tests import synthetic_owner_week
from tests.browser_support import free_port

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "request-logs-sample"
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def moto_s3() -> Iterator[str]:
    """``moto_server`` on 127.0.0.1 and a free port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    saved = {k: os.environ.get(k) for k in AWS_TEST_ENV}
    os.environ.update(AWS_TEST_ENV)
    try:
        with moto_s3() as endpoint:
            yield endpoint
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def s3_client(endpoint: str, max_workers: int = 16):
    """A client with the reader's limits (credentials from the environment: moto's values)."""
    return s3.s3_client(endpoint, s3.READ_TIMEOUTS, pool=max_workers)


def put_objects(endpoint: str, bucket: str, objects: Iterable[tuple[str, bytes]]) -> None:
    client = s3_client(endpoint, max_workers=16)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda kv: client.put_object(Bucket=bucket, Key=kv[0], Body=kv[1]), objects))


def write_files(directory: Path, objects: Iterable[tuple[str, bytes]]) -> Path:
    for key, body in objects:
        path = directory / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return directory


def week_up_to_today(folder: Path, acceptance: float) -> None:
    """A week of requests drawn from the training reference up to today in Brasília (the
    page's today), and the outcomes of 70 quotes with the given acceptance, laid out as the
    app's default local folder. A day file holds a UTC day; after 21:00 in Brasília the UTC day
    is tomorrow's, whose file this fixture's rows would fill past the page's today."""
    today = datetime.now(BRASILIA).date()
    reference = drift.Reference.from_metadata(read_metadata())
    write_files(
        folder,
        [
            (
                LogLayout(DEFAULT_PREFIX, PREDICTIONS).day_key(today - timedelta(days=d)),
                synthetic.reference_day_csv(reference, today - timedelta(days=d), 30, seed=d),
            )
            for d in range(7)
        ],
    )
    rates = dict.fromkeys(synthetic.ACCEPTANCE_BY_PROCESSOR, acceptance)
    business = synthetic.quotes_and_outcomes(today, days=7, quotes_per_day=10, acceptance=rates)
    write_files(folder, business.day_files(DEFAULT_OUTCOMES_PREFIX))


def known_weeks_up_to_today(folder: Path) -> date:
    """The hand-counted weeks of ``synthetic_owner_week`` ending today in Brasília, laid out as
    the app's default local folder; returns that day."""
    today = datetime.now(BRASILIA).date()
    weeks = synthetic_owner_week.known_weeks(today)
    write_files(folder, weeks.files(DEFAULT_PREFIX, DEFAULT_OUTCOMES_PREFIX))
    return today
