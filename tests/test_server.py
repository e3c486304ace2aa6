"""The local API server end to end: a real process, real HTTP, real request-log stores."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import requests

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.storage.records import decode_records
from tests.request_log_support import assert_exactly_logged, local_logged_rows
from tests.service_fixtures import MOTO_ENV, ApiServer, post_predict, varied_specs
from tests.waiting_support import wait_until

PREFIX = "laptop-prediction-real-data"
KEY = "test-key-5b7c0e1d9a"
OTHER_KEY = "test-key-second-44e0"


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
    assert len(local_logged_rows(tmp_path / "p")) == 2  # refused requests are not priced


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
    records = b"".join(p.read_bytes() for p in (tmp_path / "p").rglob("_records/*.jsonl"))
    for secret in (KEY, wrong):
        assert secret not in output
        assert secret.encode() not in records
    assert len(decode_records(records).records) == 2


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
    # (a first write slower than the deadline is logged as pending, then as lost: once)
    (failure,) = [line for line in lines if line.get("message", "").startswith("request log row")]
    assert failure["level"] == "ERROR"
    assert "NoSuchBucket" in failure["error"]
    assert failure["store"] == "s3://bucket-that-is-not/laptop-prediction-real-data"
    records = [line for line in lines if "_aws" in line]
    assert sum(r["RequestLogFailures"][0] for r in records) == 1


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
    assert [f["level"] for f in failures] == ["ERROR", "ERROR"], failures
    assert all("403" in f["error"] for f in failures)  # moto answers a policy denial so


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
        assert wait_until(lambda: len(answered) >= 100, 60, 0.01), server.output()[-2000:]
        code = server.stop()
        stop.set()
        for worker in workers:
            worker.join(30)
    assert code == 0
    assert "pricing API stopped" in server.output()
    assert_exactly_logged(answered, local_logged_rows(folder))
