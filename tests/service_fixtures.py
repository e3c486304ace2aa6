"""Fixtures for the pricing-service tests: a real S3 API (moto's server) on a free loopback port.

Import the fixtures into a test module with ``from tests.service_fixtures import *`` (pytest
finds them by name). Each test gets its own bucket, so tests never see each other's objects.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from laptop_pricing.schema import LaptopSpec

_bucket_numbers = itertools.count()

# moto accepts any credentials; these are test values, not secrets.
MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


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
    from laptop_pricing.schema import FIELDS, PROCESSORS_BY_BRAND

    specs = []
    for i in range(n):
        values = {f.name: f.values[(i + k) % len(f.values)] for k, f in enumerate(FIELDS)}
        allowed = PROCESSORS_BY_BRAND[values["processor_brand"]]
        if values["processor_name"] not in allowed:
            values["processor_name"] = allowed[i % len(allowed)]
        specs.append(LaptopSpec(**values))
    return specs
