"""The one S3 helper: a client with explicit timeouts, error codes, and paged listings.

Every S3 caller (request-log writers, compactor, monitoring reader) builds its client here, so
no call can fall back to botocore's defaults (60 s connect, 60 s read, 3-5 attempts).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

# The only exceptions an S3 call raises for a store-side or network fault.
S3_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotoCoreError)
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
# Answers no retry can change (the bucket is gone, the credentials may not write).
PERMANENT_CODES = frozenset(
    {
        "NoSuchBucket",
        "AccessDenied",
        "AllAccessDisabled",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
    }
)


@dataclass(frozen=True)
class Timeouts:
    """Per-attempt socket limits and the number of attempts botocore may make."""

    connect: float
    read: float
    attempts: int = 1

    @property
    def worst_case(self) -> float:
        """The longest one call can take when every attempt times out (backoff excluded)."""
        return (self.connect + self.read) * self.attempts


# Reading the log for the page or compacting it: nobody is waiting at a counter.
READ_TIMEOUTS = Timeouts(connect=3.0, read=15.0, attempts=3)
# The page's listings: someone is looking at a spinner, so a hung store is said in seconds
# (a listing stops at the first call that does not answer: 2 + 8 s at most). A 4 s read limit
# was too short for moto on a loaded machine (bench_outcomes); real S3 lists in milliseconds.
LIST_TIMEOUTS = Timeouts(connect=2.0, read=8.0, attempts=1)


@functools.cache
def _service_descriptions() -> Any:
    """One botocore loader for the process: it parses and caches AWS's service descriptions
    (the S3 model, the endpoint rules). Each new session would otherwise parse its own copy,
    about 12 MB per client (measured: 8 clients 101 MB, 18 MB sharing it)."""
    import botocore.session

    return botocore.session.get_session().get_component("data_loader")


def s3_client(endpoint_url: str | None, timeouts: Timeouts, pool: int = 16) -> Any:
    """An S3 client from the standard AWS chain with the given limits. Each client has a
    session of its own (its own credential resolution, as ``boto3.client`` gives); only the
    read-only service descriptions are shared."""
    import botocore.session
    from botocore.config import Config

    config = Config(
        connect_timeout=timeouts.connect,
        read_timeout=timeouts.read,
        retries={"mode": "standard", "total_max_attempts": timeouts.attempts},
        max_pool_connections=pool,
    )
    session = botocore.session.get_session()
    session.register_component("data_loader", _service_descriptions())
    return session.create_client("s3", endpoint_url=endpoint_url, config=config)


def error_code(error: BaseException) -> str:
    """S3's error code (``NoSuchKey``, ``AccessDenied``...) or the exception's class name."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__


def is_missing(error: BaseException) -> bool:
    return isinstance(error, ClientError) and error_code(error) in MISSING_CODES


def is_permanent(error: BaseException) -> bool:
    """An answer that a retry cannot change: a missing bucket, a refusal, nobody listening."""
    if isinstance(error, ClientError):
        return error_code(error) in PERMANENT_CODES
    # Connection refused arrives as EndpointConnectionError (a timeout to connect is not it).
    return isinstance(error, EndpointConnectionError) and not isinstance(error, ConnectTimeoutError)


def is_timeout(error: BaseException) -> bool:
    return isinstance(error, ReadTimeoutError | ConnectTimeoutError)


@dataclass(frozen=True)
class Listed:
    key: str
    size: int
    etag: str
    modified: datetime | None = None  # S3's LastModified (aware, UTC)


def body_bytes(answer: Any) -> bytes:
    """The payload of a ``get_object`` answer: boto3 is untyped, so its bytes are checked here."""
    data = answer["Body"].read()
    if not isinstance(data, bytes):
        raise TypeError(f"S3 answered {type(data).__name__}, not bytes")
    return data


def list_objects(
    client: Any,
    bucket: str,
    prefix: str,
    start_after: str | None = None,
    stop_at: str | None = None,
    delimiter: str | None = None,
) -> Iterator[Listed]:
    """Every object under ``prefix`` in key order, after ``start_after`` and before ``stop_at``.

    Raises ``ClientError``/``BotoCoreError`` (the caller names the location)."""
    request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if delimiter:
        request["Delimiter"] = delimiter  # sub-folders are skipped, not listed
    if start_after:
        request["StartAfter"] = start_after
    while True:
        page = client.list_objects_v2(**request)
        for item in page.get("Contents", []):
            if stop_at is not None and item["Key"] >= stop_at:
                return
            size, etag = int(item.get("Size", 0)), str(item.get("ETag", ""))
            yield Listed(item["Key"], size, etag, item.get("LastModified"))
        if not page.get("IsTruncated"):
            return
        request["ContinuationToken"] = page["NextContinuationToken"]
        request.pop("StartAfter", None)


def list_folders(client: Any, bucket: str, prefix: str) -> list[str]:
    """The immediate sub-folders (common prefixes, with their trailing ``/``) under ``prefix``."""
    request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}
    folders: list[str] = []
    while True:
        page = client.list_objects_v2(**request)
        folders += [item["Prefix"] for item in page.get("CommonPrefixes", [])]
        if not page.get("IsTruncated"):
            return folders
        request["ContinuationToken"] = page["NextContinuationToken"]
