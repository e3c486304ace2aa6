"""Fixtures for the pricing-service tests: a real S3 API (moto's server) on a free loopback port.

``conftest.py`` registers this module as a plugin, so every test module finds the fixtures by
name. Each test gets its own bucket, so tests never see each other's objects.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import uvicorn
from botocore.config import Config
from moto.server import ThreadedMotoServer

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.settings import REPO_ROOT
from tests.browser_support import free_port
from tests.waiting_support import wait_until

_bucket_numbers = itertools.count()

# moto accepts any credentials; these are test values, not secrets.
MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 call otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def atomic_conditional_puts(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's ``PutObject`` with ``If-None-Match: *`` as S3 arbitrates it: atomically.

    moto 5.2 checks that the key is free and then writes, unlocked, so two racing conditional
    puts can both succeed; S3 lets exactly one win (the others get 412, or 409 to try again).
    Tests of put-if-absent under concurrency use this; it serialises moto's puts, nothing else.
    """
    from moto.s3.responses import S3Response

    unlocked = S3Response.put_object
    lock = threading.Lock()

    def put_object(self: Any) -> Any:
        with lock:
            return unlocked(self)

    monkeypatch.setattr(S3Response, "put_object", put_object)


def s3_client(endpoint: str, **overrides: Any) -> Any:
    params = {
        "endpoint_url": endpoint,
        "aws_access_key_id": MOTO_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": MOTO_ENV["AWS_SECRET_ACCESS_KEY"],
        "region_name": MOTO_ENV["AWS_DEFAULT_REGION"],
        "config": Config(max_pool_connections=64, retries={"mode": "standard"}),
    }
    params.update(overrides)
    return boto3.client("s3", **params)


@pytest.fixture
def s3(moto_endpoint: str) -> Any:
    return s3_client(moto_endpoint)


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"pricing-log-{next(_bucket_numbers)}"
    s3.create_bucket(Bucket=name)
    return name


def varied_specs(n: int) -> list[LaptopSpec]:
    """``n`` valid laptops cycling through allowed values, so rows differ from one another."""
    from laptop_pricing.pricing.schema import FIELDS, PROCESSORS_BY_BRAND

    specs = []
    for i in range(n):
        values = {f.name: f.values[(i + k) % len(f.values)] for k, f in enumerate(FIELDS)}
        allowed = PROCESSORS_BY_BRAND[values["processor_brand"]]
        if values["processor_name"] not in allowed:
            values["processor_name"] = allowed[i % len(allowed)]
        specs.append(LaptopSpec(**values))
    return specs


class ApiServer:
    """``python -m laptop_pricing.api.server`` in a subprocess on a free port; output to files.

    Use as a context manager; ``stop()`` sends SIGTERM and returns the exit code. ``output()``
    is everything the server printed (stdout and stderr), for log assertions.
    """

    def __init__(self, tmp_path: Path, env: Mapping[str, str], args: Sequence[str] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout_path = tmp_path / f"server-{self.port}.out"
        self.stderr_path = tmp_path / f"server-{self.port}.err"
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "PREDICTIONS_", "PRICING_API_", "POWERTOOLS_"))
        }
        self.env = {**base, **env}
        self.args = list(args)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ApiServer:
        command = [sys.executable, "-m", "laptop_pricing.api.server"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), *self.args]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=str(REPO_ROOT), stdout=out, stderr=err
            )

        def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.output()}")
            try:
                return requests.get(self.url + "/health", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        if wait_until(healthy, 60, 0.1):
            return self
        self.stop()
        raise RuntimeError(f"server did not become healthy:\n{self.output()}")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self, timeout: float = 30) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        parts = [p.read_text(errors="replace") for p in (self.stdout_path, self.stderr_path)]
        return "\n".join(parts)

    def stdout_json(self) -> list[dict[str, Any]]:
        lines = self.stdout_path.read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


def post_predict(
    session: requests.Session, url: str, spec: LaptopSpec, key: str | None = None
) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["x-api-key"] = key
    return session.post(url + "/predict", json=spec.to_payload(), headers=headers, timeout=30)


@contextmanager
def running(app: Any) -> Iterator[str]:
    """The ASGI app under uvicorn in a thread, on a free loopback port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 10, 0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
