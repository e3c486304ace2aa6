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
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
from bench_support import free_port


def s3_requests(
    layouts: dict[str, Path], store: str, columns: list[str]
) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """(objects, GETs, LISTs, all requests) each read sends to S3: the layouts uploaded to
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
                    f"bench-layout/{name}", filesystem=s3, format="parquet", partitioning="hive"
                )
                where = pc.field("store_id") == wanted if wanted else None
                data.to_table(columns=columns, filter=where)
                lines = log_path.read_text().splitlines()[len(before) :]
                gets = [
                    line.split("GET ", 1)[1].split(" ")[0]
                    for line in lines
                    if "GET /bench-layout/" in line
                ]
                lists = sum(1 for line in lines if "GET /bench-layout?" in line)
                requests = sum(1 for line in lines if " /bench-layout" in line)
                counts[(name, scope)] = (len(set(gets)), len(gets), lists, requests)
        return counts
    finally:
        server.terminate()
        server.wait(timeout=10)
        log_path.unlink()
