"""The request log through the real local API server: the deadline holds with S3 stalled or a
lock held, 1000 requests from threads or 400 from 4 server processes land exactly once after two
compactions, and kill -9 mid-load leaves no torn row."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from filelock import FileLock

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.storage.records import decode_records
from tests.request_log_support import (
    PREFIX,
    assert_exactly_logged,
    local_logged_rows,
    local_store,
    logged_rows,
    s3_store,
    stalled_endpoint,
)
from tests.service_fixtures import MOTO_ENV, ApiServer, varied_specs
from tests.waiting_support import wait_until

DEADLINE = 0.5


@pytest.fixture(autouse=True)
def _moto_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)


def p95(times: list[float]) -> float:
    return sorted(times)[int(len(times) * 0.95) - 1]


def healthy_p95(tmp_path: Path, n: int, threads: int) -> float:
    """The 95th-percentile answer time of the same load against a healthy local log, in this
    run: what the machine itself costs. The assertions below add the deadline + 0.5 s to it.
    (Percentiles, not the maximum: on 2 cores shared with four other test suites, load average
    near 20, a process is sometimes descheduled for a second or more whatever it waits for;
    the maximum is reported in docs/api.md.)"""
    env = {"PREDICTIONS_DIR": str(tmp_path / "healthy"), "REQUEST_LOG_DEADLINE_SECONDS": "0.5"}
    with ApiServer(tmp_path, env) as server:
        results = fire(server.url, varied_specs(n), threads=threads)
    return p95([elapsed for _, _, elapsed, _ in results])


def fire(
    url: str, specs: list[LaptopSpec], threads: int, ids: list[str] | None = None
) -> list[tuple[LaptopSpec, dict, float, int]]:
    """Each spec posted once (with its X-Request-Id when given): (spec, body, seconds, status)."""
    local = threading.local()

    def one(i: int) -> tuple[LaptopSpec, dict, float, int]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        headers = {"X-Request-Id": ids[i]} if ids else {}
        started = time.monotonic()
        response = local.session.post(
            url + "/predict", json=specs[i].to_payload(), headers=headers, timeout=30
        )
        elapsed = time.monotonic() - started
        body = response.json() if response.status_code == 200 else {}
        return specs[i], body, elapsed, response.status_code

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, range(len(specs))))


def answers_of(results: list[tuple[LaptopSpec, dict, float, int]]) -> list[tuple[Any, dict]]:
    assert [status for *_, status in results] == [200] * len(results)
    return [(spec, body) for spec, body, _, _ in results]


def failures_counted(server: ApiServer) -> float:
    """The sum of RequestLogFailures over every EMF record the server printed."""
    return sum(line["RequestLogFailures"][0] for line in server.stdout_json() if "_aws" in line)


# ---------------------------------------------------------------- the deadline


def test_a_stalled_s3_endpoint_never_holds_an_answer_past_the_deadline(tmp_path: Path) -> None:
    machine = healthy_p95(tmp_path, 60, threads=12)
    with stalled_endpoint() as endpoint:
        env = {
            **MOTO_ENV,
            "PREDICTIONS_BUCKET": "stalled",
            "AWS_ENDPOINT_URL": endpoint,
            "REQUEST_LOG_DEADLINE_SECONDS": str(DEADLINE),
        }
        with ApiServer(tmp_path, env) as server:
            results = fire(server.url, varied_specs(60), threads=12)
            assert server.stop(timeout=60) == 0  # waits for every write's fate
    assert [status for *_, status in results] == [200] * 60  # no 5xx
    times = [elapsed for _, _, elapsed, _ in results]
    assert p95(times) < machine + DEADLINE + 0.5, (machine, sorted(times))
    assert failures_counted(server) == 60  # nothing was stored, each row counted lost once


def test_a_held_lock_never_holds_an_answer_and_nothing_is_lost(tmp_path: Path) -> None:
    machine = healthy_p95(tmp_path, 200, threads=20)
    folder = tmp_path / "predictions"
    (folder / PREFIX).mkdir(parents=True)
    env = {"PREDICTIONS_DIR": str(folder), "REQUEST_LOG_DEADLINE_SECONDS": str(DEADLINE)}
    lock = FileLock(folder / PREFIX / ".compact.lock")  # a compactor stuck in the middle
    with ApiServer(tmp_path, env) as server, lock:
        results = fire(server.url, varied_specs(200), threads=20)
        assert server.stop() == 0
    times = [elapsed for _, _, elapsed, _ in results]
    assert p95(times) < machine + DEADLINE + 0.5, (machine, sorted(times))
    assert failures_counted(server) == 0
    assert_exactly_logged(answers_of(results), local_logged_rows(folder))


# ---------------------------------------------------------------- 0 lost, 0 doubled


@pytest.mark.slow
def test_1000_requests_from_50_threads_into_the_local_folder(tmp_path: Path) -> None:
    folder = tmp_path / "predictions"
    with ApiServer(tmp_path, {"PREDICTIONS_DIR": str(folder)}) as server:
        results = fire(server.url, varied_specs(1000), threads=50)
        assert server.stop() == 0
    assert_exactly_logged(answers_of(results), local_logged_rows(folder))
    answers = [line for line in server.stdout_json() if "_aws" in line and "Price" in line]
    assert len(answers) == 1000 and failures_counted(server) == 0  # one record per answer


@pytest.mark.slow
def test_1000_requests_from_50_threads_into_s3(
    tmp_path: Path, moto_endpoint: str, bucket: str
) -> None:
    env = {**MOTO_ENV, "PREDICTIONS_BUCKET": bucket, "AWS_ENDPOINT_URL": moto_endpoint}
    with ApiServer(tmp_path, env) as server:
        results = fire(server.url, varied_specs(1000), threads=50)
        assert server.stop() == 0
    assert failures_counted(server) == 0
    assert_exactly_logged(answers_of(results), logged_rows(s3_store(moto_endpoint, bucket)))


def four_servers_100_each(tmp_path: Path, env: dict[str, str]) -> list[tuple[Any, dict]]:
    specs = varied_specs(400)
    servers = [ApiServer(tmp_path, env) for _ in range(4)]
    for server in servers:
        server.__enter__()
    try:
        with ThreadPoolExecutor(4) as pool:
            parts = list(
                pool.map(
                    lambda n: fire(servers[n].url, specs[n * 100 : (n + 1) * 100], threads=12),
                    range(4),
                )
            )
    finally:
        codes = [server.stop() for server in servers]
    assert codes == [0, 0, 0, 0]
    assert sum(failures_counted(server) for server in servers) == 0
    return [answer for part in parts for answer in answers_of(part)]


@pytest.mark.slow
def test_4_server_processes_of_100_into_the_local_folder(tmp_path: Path) -> None:
    folder = tmp_path / "predictions"
    answers = four_servers_100_each(tmp_path, {"PREDICTIONS_DIR": str(folder)})
    assert_exactly_logged(answers, local_logged_rows(folder))


@pytest.mark.slow
def test_4_server_processes_of_100_into_s3(tmp_path: Path, moto_endpoint: str, bucket: str) -> None:
    env = {**MOTO_ENV, "PREDICTIONS_BUCKET": bucket, "AWS_ENDPOINT_URL": moto_endpoint}
    answers = four_servers_100_each(tmp_path, env)
    assert_exactly_logged(answers, logged_rows(s3_store(moto_endpoint, bucket)))


# ---------------------------------------------------------------- crash safety


@pytest.mark.slow
def test_kill_9_five_times_mid_load_leaves_no_torn_row(tmp_path: Path) -> None:
    folder = tmp_path / "predictions"
    answered: set[str] = set()
    for round_number in range(5):
        server = ApiServer(tmp_path, {"PREDICTIONS_DIR": str(folder)}).__enter__()
        stop = threading.Event()

        def load(server: ApiServer = server, stop: threading.Event = stop) -> None:
            with requests.Session() as session:
                spec = LaptopSpec.default().to_payload()
                while not stop.is_set():
                    request_id = uuid.uuid4().hex
                    try:
                        response = session.post(
                            server.url + "/predict",
                            json=spec,
                            headers={"X-Request-Id": request_id},
                            timeout=5,
                        )
                    except requests.RequestException:
                        return  # the server is gone
                    if response.status_code == 200:
                        answered.add(request_id)

        threads = [threading.Thread(target=load) for _ in range(8)]
        before = len(answered)
        for thread in threads:
            thread.start()
        # Killed mid-load, a little later each round: after some answers have landed.
        target = before + 10 * (round_number + 1)
        assert wait_until(lambda target=target: len(answered) >= target, 60, 0.01)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(10)
        stop.set()
        for thread in threads:
            thread.join(10)
    assert len(answered) > 50
    data = b"".join(p.read_bytes() for p in (folder / PREFIX).rglob("_records/*.jsonl"))
    decoded = decode_records(data)
    for record in decoded.records:  # every record that reads is a whole, valid row
        LaptopSpec.from_payload({k: record[k] for k in LaptopSpec.default().as_dict()})
    rows = local_logged_rows(folder)  # the day still reads, the compactor drops torn lines
    logged = {row["request_id"] for row in rows}
    assert answered <= logged  # every answered request was logged
    # Rows for requests whose client got no answer may exist (documented): the id tells them.
    assert len(rows) == len(logged) == len(decoded.records)
    assert local_store(folder).read_day_file  # (the store still opens)
