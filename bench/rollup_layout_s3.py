"""S3 requests of ``bench/bench_rollup_layout.py``'s reads: the layouts uploaded to
moto_server (its own process, its request log in a file) and read through pyarrow's S3
filesystem, as the monitoring page reads a bucket. Run from that script (``bench/`` is on
``sys.path``)."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
from bench_support import free_port


def parquet_format(hole_kib: int | None) -> ds.ParquetFileFormat | str:
    """Parquet as pyarrow reads it by default, or with ranges up to ``hole_kib`` KiB apart
    fetched as one request (``CacheOptions.hole_size_limit``; the default is 8 KiB)."""
    if hole_kib is None:
        return "parquet"
    cache = pa.CacheOptions(hole_size_limit=hole_kib * 1024, range_size_limit=64 << 20)
    options = ds.ParquetFragmentScanOptions(pre_buffer=True, cache_options=cache)
    return ds.ParquetFileFormat(default_fragment_scan_options=options)


def s3_requests(
    layouts: dict[str, Path], store: str, columns: list[str], hole_kib: int | None = None
) -> dict[tuple[str, str], tuple[int, int, int, int, float]]:
    """(objects, GETs, LISTs, all requests, seconds) of each read from S3: the layouts uploaded to
    moto_server (its own process, its request log in a file), read through pyarrow's S3
    filesystem."""
    port = free_port()
    log_path = Path(tempfile.mkstemp(prefix="bench-moto-", suffix=".log")[1])
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        ends = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > ends:
                    raise
                time.sleep(0.2)
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            region_name="us-east-1",
        )
        client.create_bucket(Bucket="bench-layout")
        for name, folder in layouts.items():
            for path in folder.rglob("*.parquet"):
                key = f"{name}/{path.relative_to(folder).as_posix()}"
                client.put_object(Bucket="bench-layout", Key=key, Body=path.read_bytes())
        s3 = pafs.S3FileSystem(
            access_key="bench",
            secret_key="bench",
            region="us-east-1",
            endpoint_override=endpoint,
            scheme="http",
        )
        counts = {}
        for name in layouts:
            for scope, wanted in (("one store", store), ("chain", None)):
                before = log_path.read_text().splitlines()
                data = ds.dataset(
                    f"bench-layout/{name}",
                    filesystem=s3,
                    format=parquet_format(hole_kib),
                    partitioning="hive",
                )
                where = pc.field("store_id") == wanted if wanted else None
                started = time.perf_counter()
                data.to_table(columns=columns, filter=where)
                seconds = time.perf_counter() - started
                lines = log_path.read_text().splitlines()[len(before) :]
                gets = [
                    line.split("GET ", 1)[1].split(" ")[0]
                    for line in lines
                    if "GET /bench-layout/" in line
                ]
                lists = sum(1 for line in lines if "GET /bench-layout?" in line)
                requests = sum(1 for line in lines if " /bench-layout" in line)
                counts[(name, scope)] = (len(set(gets)), len(gets), lists, requests, seconds)
        return counts
    finally:
        server.terminate()
        server.wait(timeout=10)
        log_path.unlink()
