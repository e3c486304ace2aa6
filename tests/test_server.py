"""The local API server end to end: a real process, real HTTP, real request-log stores."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from laptop_pricing.schema import BASE_LOG_COLUMNS, FIELD_NAMES, LOG_COLUMNS, LaptopSpec
from tests.service_fixtures import *  # noqa: F403  (the moto fixtures)
from tests.service_fixtures import MOTO_ENV, ApiServer, post_predict, varied_specs

PREFIX = "laptop-prediction-real-data"
KEY = "test-key-5b7c0e1d9a"
OTHER_KEY = "test-key-second-44e0"


def parse_log(texts: list[str]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for text in texts:
        assert text.count(",".join(LOG_COLUMNS)) == 1, "header must appear once per day file"
        reader = csv.DictReader(io.StringIO(text))
        assert tuple(reader.fieldnames or ()) == LOG_COLUMNS
        for row in reader:
            assert None not in row and all(row[c] not in (None, "") for c in BASE_LOG_COLUMNS), row
            datetime.fromisoformat(row["timestamp"])
            int(row["price"])
            LaptopSpec.from_payload({k: row[k] for k in FIELD_NAMES})  # every row is a laptop
            rows.append(row)
    return rows


def local_day_texts(folder: Path) -> list[str]:
    return [p.read_text() for p in sorted((folder / PREFIX).glob("*_laptop_prediction_data.csv"))]


def s3_day_texts(s3: Any, bucket: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=PREFIX + "/").get("Contents", [])
    return [s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode() for o in listing]


def fire(url: str, n: int, threads: int, key: str | None = None) -> list[tuple[LaptopSpec, dict]]:
    """``n`` predictions from ``threads`` threads, each with its own keep-alive session."""
    specs = varied_specs(n)
    local = threading.local()

    def one(spec: LaptopSpec) -> tuple[LaptopSpec, dict]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        response = post_predict(local.session, url, spec, key)
        assert response.status_code == 200, response.text
        return spec, response.json()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, specs))


def assert_exactly_logged(answers: list[tuple[LaptopSpec, dict]], rows: list[dict]) -> None:
    """Every answered request is one row (same fields, same price): none lost, none doubled."""
    sent = Counter(
        (tuple(str(v) for v in spec.as_dict().values()), str(body["prediction"]))
        for spec, body in answers
    )
    logged = Counter((tuple(r[k] for k in FIELD_NAMES), r["price"]) for r in rows)
    assert len(rows) == len(answers)
    assert logged == sent


@pytest.mark.slow
def test_1000_predictions_from_50_threads_into_the_local_folder(tmp_path: Path) -> None:
    folder = tmp_path / "predictions"
    with ApiServer(tmp_path, {"PREDICTIONS_DIR": str(folder)}) as server:
        answers = fire(server.url, 1000, threads=50)
        assert server.stop() == 0
    rows = parse_log(local_day_texts(folder))
    assert len(rows) == 1000
    assert_exactly_logged(answers, rows)
    records = [line for line in server.stdout_json() if "_aws" in line]
    assert len(records) == 1000  # one EMF record per request, read from the server's stdout
    assert sum(r["RequestLogFailures"][0] for r in records) == 0


@pytest.mark.slow
def test_1000_predictions_from_50_threads_into_s3(
    tmp_path: Path, moto_endpoint: str, s3: Any, bucket: str
) -> None:
    env = {**MOTO_ENV, "PREDICTIONS_BUCKET": bucket, "AWS_ENDPOINT_URL": moto_endpoint}
    with ApiServer(tmp_path, env) as server:
        answers = fire(server.url, 1000, threads=50)
        assert server.stop() == 0
    failures = [line for line in server.output().splitlines() if "request log" in line]
    assert failures == []
    rows = parse_log(s3_day_texts(s3, bucket))
    assert len(rows) == 1000
    assert_exactly_logged(answers, rows)


def test_keys_required_403_for_missing_or_wrong_key(tmp_path: Path) -> None:
    env = {"PREDICTIONS_DIR": str(tmp_path / "p"), "PRICING_API_KEYS": f"{KEY},{OTHER_KEY}"}
    spec = LaptopSpec.default()
    with ApiServer(tmp_path, env) as server, requests.Session() as session:
        missing = post_predict(session, server.url, spec)
        wrong = post_predict(session, server.url, spec, "not-a-key")
        good = post_predict(session, server.url, spec, KEY)
        second = post_predict(session, server.url, spec, OTHER_KEY)
        health = session.get(server.url + "/health")
    assert (missing.status_code, missing.json()) == (403, {"message": "Forbidden"})
    assert (wrong.status_code, wrong.json()) == (403, {"message": "Forbidden"})
    assert good.status_code == 200 and isinstance(good.json()["prediction"], int)
    assert second.status_code == 200
    assert health.json() == {"status": "ok", "keys_required": True}
    assert len(parse_log(local_day_texts(tmp_path / "p"))) == 2  # refused requests are not priced


def test_burst_then_429_with_retry_after_per_key(tmp_path: Path) -> None:
    env = {"PREDICTIONS_DIR": str(tmp_path / "p"), "PRICING_API_KEYS": f"{KEY},{OTHER_KEY}"}
    spec = LaptopSpec.default()
    with (
        ApiServer(tmp_path, env, ["--rate", "0.01", "--burst", "3", "--quota", "0"]) as server,
        requests.Session() as session,
    ):
        statuses = [post_predict(session, server.url, spec, KEY) for _ in range(5)]
        other = post_predict(session, server.url, spec, OTHER_KEY)
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    throttled = statuses[3]
    assert throttled.json() == {"message": "Too Many Requests"}
    assert 1 <= int(throttled.headers["Retry-After"]) <= 100  # one token at 0.01/s
    assert other.status_code == 200  # each key has its own bucket


def test_daily_quota_then_429_until_utc_midnight(tmp_path: Path) -> None:
    env = {"PREDICTIONS_DIR": str(tmp_path / "p"), "PRICING_API_KEYS": KEY}
    spec = LaptopSpec.default()
    with (
        ApiServer(tmp_path, env, ["--rate", "1000", "--burst", "1000", "--quota", "4"]) as server,
        requests.Session() as session,
    ):
        statuses = [post_predict(session, server.url, spec, KEY) for _ in range(6)]
    assert [r.status_code for r in statuses] == [200] * 4 + [429] * 2
    assert statuses[4].json() == {"message": "Too Many Requests"}
    assert 1 <= int(statuses[4].headers["Retry-After"]) <= 86_400


def test_the_key_never_reaches_logs_or_the_request_log(tmp_path: Path) -> None:
    wrong = "wrong-key-9f8e7d6c"
    env = {"PREDICTIONS_DIR": str(tmp_path / "p"), "PRICING_API_KEYS": KEY}
    spec = LaptopSpec.default()
    bad_payload = {"data": {**spec.to_payload()["data"], "ram_gb": KEY}}  # the key as a value
    with (
        ApiServer(tmp_path, env, ["--burst", "2", "--rate", "0.01"]) as server,
        requests.Session() as session,
    ):
        for _ in range(3):  # two priced, one throttled
            post_predict(session, server.url, spec, KEY)
        post_predict(session, server.url, spec, wrong)
        session.post(server.url + "/predict", data=b"{not json", headers={"x-api-key": KEY})
        rejected = session.post(
            server.url + "/predict", json=bad_payload, headers={"x-api-key": wrong}
        )
        output_while_running = server.output()
    output = server.output()
    assert rejected.status_code == 403
    assert '"request throttled"' in output_while_running  # there are log lines to look at
    for secret in (KEY, wrong):
        assert secret not in output
        for text in local_day_texts(tmp_path / "p"):
            assert secret not in text
    assert len(parse_log(local_day_texts(tmp_path / "p"))) == 2


def test_s3_without_the_bucket_still_answers_and_logs_the_failure(
    tmp_path: Path, moto_endpoint: str
) -> None:
    env = {
        **MOTO_ENV,
        "PREDICTIONS_BUCKET": "bucket-that-is-not",
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    with ApiServer(tmp_path, env) as server, requests.Session() as session:
        response = post_predict(session, server.url, LaptopSpec.default())
        assert server.stop() == 0
    assert response.status_code == 200
    assert isinstance(response.json()["prediction"], int)
    lines = server.stdout_json()
    (failure,) = [line for line in lines if line.get("message", "").startswith("request log")]
    assert failure["level"] == "ERROR"
    assert "NoSuchBucket" in failure["error"]
    assert failure["store"] == "s3://bucket-that-is-not/laptop-prediction-real-data"
    (record,) = [line for line in lines if "_aws" in line]
    assert record["RequestLogFailures"] == [1.0]


def test_s3_access_denied_still_answers_and_logs_the_failure(
    tmp_path: Path, moto_endpoint: str, s3: Any, bucket: str
) -> None:
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:PutObject"],
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny))
    env = {**MOTO_ENV, "PREDICTIONS_BUCKET": bucket, "AWS_ENDPOINT_URL": moto_endpoint}
    with ApiServer(tmp_path, env) as server, requests.Session() as session:
        responses = [post_predict(session, server.url, LaptopSpec.default()) for _ in range(2)]
        assert server.stop() == 0
    assert [r.status_code for r in responses] == [200, 200]
    failures = [
        line for line in server.stdout_json() if line.get("message", "").startswith("request log")
    ]
    assert len(failures) == 2
    assert all("403" in f["error"] and f["level"] == "ERROR" for f in failures)


def test_sigterm_drains_requests_in_flight_and_exits_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    answered: list[tuple[LaptopSpec, dict]] = []
    stop = threading.Event()

    def hammer(url: str) -> None:
        with requests.Session() as session:
            for spec in varied_specs(400):
                if stop.is_set():
                    return
                try:
                    response = post_predict(session, url, spec)
                except requests.RequestException:
                    return  # the server stopped accepting: fine
                if response.status_code == 200:
                    answered.append((spec, response.json()))

    with ApiServer(tmp_path, {"PREDICTIONS_DIR": str(folder)}) as server:
        workers = [threading.Thread(target=hammer, args=(server.url,)) for _ in range(8)]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 60
        while len(answered) < 100 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(answered) >= 100, server.output()[-2000:]
        code = server.stop()
        stop.set()
        for worker in workers:
            worker.join(30)
    assert code == 0
    assert "pricing API stopped" in server.output()
    assert_exactly_logged(answered, parse_log(local_day_texts(folder)))
