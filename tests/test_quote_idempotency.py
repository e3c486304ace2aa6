"""A retry with the same ``X-Request-Id`` gets the same quote, through the real local server, with
the request log on moto S3 and in a local folder: the store decides, so it holds for concurrent
retries too; another body under the same id is a 409 naming ``X-Request-Id``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from laptop_pricing.log_columns import QUOTE_ID_COLUMN, REQUEST_ID_COLUMN
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.storage.day_reader import day_rows
from laptop_pricing.storage.stores import RecordStore
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.quote_id import quote_id_day
from laptop_pricing.trade_in.quote_keys import QuoteKeys
from laptop_pricing.trade_in.quote_lookup import QuoteLookup
from tests.request_log_support import local_store, s3_store
from tests.service_fixtures import MOTO_ENV, ApiServer

SCRATCHED = {**Condition.best().as_dict(), "screen": "scratched"}
QUOTE_FIELDS = ("quote_id", "offer", "valid_until", "quoted_at", "prediction", "deductions")


@pytest.fixture(params=["local", "s3"])
def served(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """(the server's URL, the store its request log writes to, the server). A patient
    deadline: on this shared machine a healthy moto can take over 0.5 s to answer, and a claim
    that times out is answered without the guarantee (tested apart, not here)."""
    patient = {"REQUEST_LOG_DEADLINE_SECONDS": "5"}
    if request.param == "local":
        env = {**patient, "PREDICTIONS_DIR": str(tmp_path / "log")}
        store: RecordStore = local_store(tmp_path / "log")
    else:
        for name, value in MOTO_ENV.items():
            monkeypatch.setenv(name, value)
        request.getfixturevalue("atomic_conditional_puts")
        endpoint = request.getfixturevalue("moto_endpoint")
        bucket = request.getfixturevalue("bucket")
        env = {**patient, **MOTO_ENV, "PREDICTIONS_BUCKET": bucket, "AWS_ENDPOINT_URL": endpoint}
        store = s3_store(endpoint, bucket)
    with ApiServer(tmp_path, env) as server:
        yield server.url, store, server


def quote(url: str, request_id: str | None, spec: LaptopSpec | None = None) -> requests.Response:
    payload = {**(spec or LaptopSpec.default()).to_payload(), "condition": SCRATCHED}
    headers = {"X-Request-Id": request_id} if request_id else {}
    return requests.post(f"{url}/predict", json=payload, headers=headers, timeout=30)


def rows_of(store: RecordStore, request_id: str) -> list[dict[str, str]]:
    today = datetime.now(UTC).date()
    return [r for r in day_rows(store, today) if r.get(REQUEST_ID_COLUMN) == request_id]


def raw_records_of(store: RecordStore, request_id: str) -> list[dict[str, str]]:
    today = datetime.now(UTC).date()
    records = store.read_records(today).records
    return [r for r in records if r.get(REQUEST_ID_COLUMN) == request_id]


def test_a_retry_with_the_same_request_id_gets_the_same_quote_which_can_be_found(
    served: Any,
) -> None:
    url, store, _ = served
    first, retry = quote(url, "click-7"), quote(url, "click-7")
    assert first.status_code == retry.status_code == 200
    assert first.json() == retry.json()  # same quote id, offer, validity, time and price
    quote_id = first.json()["quote_id"]
    assert [r[QUOTE_ID_COLUMN] for r in raw_records_of(store, "click-7")] == [quote_id]
    lookup = QuoteLookup(
        lambda day: day_rows(store, day), quote_row=QuoteKeys(store, 5.0).quote_row
    )
    found = lookup.find(quote_id)
    assert found.quote is not None and found.quote.offer == first.json()["offer"]
    assert quote_id_day(quote_id) == datetime.now(UTC).date()


def test_the_same_request_id_with_another_laptop_is_a_409_naming_the_header(
    served: Any,
) -> None:
    url, store, _ = served
    assert quote(url, "click-8").status_code == 200
    other = LaptopSpec.default().to_payload()["data"] | {"ram_gb": "4"}
    refused = quote(url, "click-8", LaptopSpec.from_payload(other))
    assert refused.status_code == 409
    body = refused.json()
    assert body["message"] and [e["field"] for e in body["errors"]] == ["X-Request-Id"]
    assert len(raw_records_of(store, "click-8")) == 1  # the refused request left no row


def test_twenty_concurrent_identical_retries_make_one_quote_and_one_row(served: Any) -> None:
    url, store, server = served
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: quote(url, "click-9"), range(20)))
    assert {a.status_code for a in answers} == {200}, server.output()[-2000:]
    distinct = {tuple(str(a.json()[f]) for f in QUOTE_FIELDS) for a in answers}
    assert len(distinct) == 1, server.output()[-2000:]
    assert len(raw_records_of(store, "click-9")) == 1
    assert len(rows_of(store, "click-9")) == 1


def test_without_a_request_id_each_request_is_a_new_quote(served: Any) -> None:
    url, _, _ = served
    first, second = quote(url, None), quote(url, None)
    assert first.json()["quote_id"] != second.json()["quote_id"]
