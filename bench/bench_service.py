"""Pricing API service benchmark: throughput and latency by request-log store, rows lost, S3 slope.

    python bench/bench_service.py            # full run (about 2 minutes on 2 cores)
    python bench/bench_service.py --quick    # fewer requests, for a smoke check

Every configuration runs the real local server (``laptop_pricing.api.server.build_app`` under
uvicorn, one process, EMF metrics on and sent to /dev/null) in its own subprocess; a separate
client process drives it at 1, 8 and 32 concurrent keep-alive connections. Stores:

* ``none``          no request log (the ceiling);
* ``local``         ``LocalRequestLog`` (file lock, append);
* ``s3``            ``S3RequestLog`` on moto_server (conditional writes, group commit);
* ``course-local``  the course's logger: read the whole day file, add a line, write it back;
* ``course-s3``     the same read-modify-write on moto_server S3 (the baseline the issue names).

After each run the day file is read back and compared with the number of 200 answers: the
difference is the rows lost. Then the S3 write-cost slope: the latency of one append against the
size of the day object it has to rewrite, for ``S3RequestLog`` and the course's logger.
Absolute numbers drift on these machines; read the ratios printed against the course baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from laptop_pricing.log_layout import day_key  # noqa: E402
from laptop_pricing.request_log import (  # noqa: E402
    LocalRequestLog,
    RequestLog,
    S3RequestLog,
    format_timestamp,
)
from laptop_pricing.schema import FIELD_NAMES, FIELDS, PROCESSORS_BY_BRAND, LaptopSpec  # noqa: E402

PREFIX = "laptop-prediction-real-data"
BUCKET = "bench-predictions"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


# --------------------------------------------------------------------------- the course's logger


class CourseRequestLog(RequestLog):
    """What the course's Lambda did, kept here only as the baseline: read the whole day file,
    append one unquoted line, write it all back, no condition. Concurrent writers lose rows."""

    def __init__(self, store: Any):
        super().__init__()
        self.store = store

    def describe(self) -> str:
        return "course read-modify-write"

    def read_day(self, day: date) -> bytes | None:
        return self.store.read(day)

    def _store(self, rows: Sequence[Any]) -> None:
        self._write_day(rows[0].day, list(rows))  # no group commit: each request on its own

    def _write_day(self, day: date, rows: list[Any]) -> None:
        for row in rows:
            record = row.as_record()
            line = ",".join(str(record[c]) for c in record)
            existing = self.store.read(row.day)
            if existing is None:
                text = ",".join(record.keys()) + "\n" + line
            else:
                text = existing.decode().strip() + "\n" + line
            self.store.write(row.day, text.encode())


class LocalFiles:
    def __init__(self, folder: Path):
        self.folder = folder

    def read(self, day: date) -> bytes | None:
        path = self.folder / day_key(PREFIX, day)
        return path.read_bytes() if path.exists() else None

    def write(self, day: date, data: bytes) -> None:
        path = self.folder / day_key(PREFIX, day)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


class S3Objects:
    def __init__(self, s3: Any):
        self.s3 = s3

    def read(self, day: date) -> bytes | None:
        try:
            return self.s3.get_object(Bucket=BUCKET, Key=day_key(PREFIX, day))["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None

    def write(self, day: date, data: bytes) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=day_key(PREFIX, day), Body=data)


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def s3_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        config=Config(max_pool_connections=64, retries={"mode": "standard"}),
    )


def wait_for(url_host: str, port: int, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            proc.errors.seek(0)  # type: ignore[attr-defined]
            tail = proc.errors.read().decode(errors="replace")[-3000:]  # type: ignore[attr-defined]
            raise RuntimeError(f"server exited with {proc.returncode}:\n{tail}")
        with contextlib.suppress(OSError), socket.create_connection((url_host, port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {url_host}:{port}")


@contextlib.contextmanager
def process(command: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """A child whose output goes to a file (a pipe nobody reads would block it once full)."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            command,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=errors,
            cwd=str(REPO_ROOT),
        )
        proc.errors = errors  # type: ignore[attr-defined]
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def specs(n: int) -> list[LaptopSpec]:
    out = []
    for i in range(n):
        values = {f.name: f.values[(i * 7 + k) % len(f.values)] for k, f in enumerate(FIELDS)}
        allowed = PROCESSORS_BY_BRAND[values["processor_brand"]]
        if values["processor_name"] not in allowed:
            values["processor_name"] = allowed[i % len(allowed)]
        out.append(LaptopSpec(**values))
    return out


def count_rows(data: bytes | None) -> int:
    if not data:
        return 0
    return max(0, data.decode("utf-8", errors="replace").strip().count("\n"))


# --------------------------------------------------------------------------- server side


def build_log(store: str, folder: Path, endpoint: str | None) -> RequestLog | None:
    if store == "none":
        return None
    if store == "local":
        return LocalRequestLog(folder, PREFIX)
    if store == "course-local":
        return CourseRequestLog(LocalFiles(folder))
    s3 = s3_client(endpoint or "")
    if store == "s3":
        return S3RequestLog(BUCKET, PREFIX, s3)
    if store == "course-s3":
        return CourseRequestLog(S3Objects(s3))
    raise SystemExit(f"unknown store {store}")


def serve(store: str, port: int, folder: Path, endpoint: str | None) -> None:
    from laptop_pricing.api import handler as handler_module
    from laptop_pricing.api.server import build_app
    from laptop_pricing.api.server import serve as run
    from laptop_pricing.api.service import PricingObserver
    from laptop_pricing.api.telemetry import Telemetry

    log = build_log(store, folder, endpoint)
    handler_module.set_observer(PricingObserver(log, Telemetry(metrics_enabled=True)))
    app = build_app(warm=handler_module.get_engine)
    run(app, "127.0.0.1", port, "error")


# --------------------------------------------------------------------------- client side


async def drive(port: int, bodies: list[bytes], concurrency: int) -> dict[str, Any]:
    """Keep-alive HTTP/1.1 from ``concurrency`` connections; latencies of 200s and the rest."""
    queue = list(reversed(bodies))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue:
                body = queue.pop()
                request = (
                    b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
                start = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(bodies),
        "ok": statuses.get(200, 0),
        "statuses": statuses,
        "seconds": elapsed,
        "rps": len(bodies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def client_main(port: int, n: int, concurrency: int) -> None:
    bodies = [json.dumps(s.to_payload()).encode() for s in specs(n)]
    print(json.dumps(asyncio.run(drive(port, bodies, concurrency))))


def run_client(port: int, n: int, concurrency: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--client", str(port), str(n), str(concurrency)],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(REPO_ROOT),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- orchestration


def read_day(store: str, folder: Path, s3: Any, day: date) -> bytes | None:
    if store in ("local", "course-local"):
        path = folder / day_key(PREFIX, day)
        return path.read_bytes() if path.exists() else None
    if store in ("s3", "course-s3"):
        return S3Objects(s3).read(day)
    return None


def reset(store: str, folder: Path, s3: Any, day: date) -> None:
    with contextlib.suppress(FileNotFoundError):
        (folder / day_key(PREFIX, day)).unlink()
    if s3 is not None and store in ("s3", "course-s3"):
        s3.delete_object(Bucket=BUCKET, Key=day_key(PREFIX, day))


def throughput(
    stores: list[str], levels: list[int], n: int, endpoint: str, s3: Any, folder: Path
) -> list[dict[str, Any]]:
    results = []
    for store in stores:
        port = free_port()
        command = [sys.executable, __file__, "--serve", store, str(port), str(folder), endpoint]
        with process(command, CREDENTIALS) as server:
            wait_for("127.0.0.1", port, server)
            run_client(port, 50, 4)  # warm-up, not counted
            for level in levels:
                day = datetime.now(UTC).date()
                reset(store, folder, s3, day)
                result = run_client(port, n, level)
                if datetime.now(UTC).date() != day:
                    result["note"] = "crossed UTC midnight: rows counted on one day only"
                logged = count_rows(read_day(store, folder, s3, day))
                result.update(store=store, clients=level)
                result["rows_lost"] = result["ok"] - logged if store != "none" else 0
                results.append(result)
                print(
                    f"  {store:<13} clients={level:>2}  {result['rps']:7.0f} req/s  "
                    f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:7.1f} ms  "
                    f"200s {result['ok']:>5}/{result['requests']}  rows lost {result['rows_lost']}",
                    flush=True,
                )
            if server.poll() not in (None, 0):
                server.errors.seek(0)
                raise RuntimeError(server.errors.read().decode(errors="replace")[-2000:])
    return results


def prefill(s3: Any, rows: int, day: date) -> int:
    """Write a day object of ``rows`` rows; returns its size in bytes."""
    one = specs(1)[0].as_dict()
    header = ",".join((*FIELD_NAMES, "price", "timestamp", "model_version")) + "\n"
    line = ",".join(str(one[k]) for k in FIELD_NAMES) + ",5000,{ts},1.0.0\n"
    at = datetime.combine(day, datetime.min.time(), UTC)
    body = io.StringIO()
    body.write(header)
    for i in range(rows):
        body.write(line.format(ts=format_timestamp(at + timedelta(microseconds=i))))
    data = body.getvalue().encode()
    s3.put_object(Bucket=BUCKET, Key=day_key(PREFIX, day), Body=data)
    return len(data)


def slope(s3: Any, sizes: list[int], appends: int) -> dict[str, Any]:
    """Median latency of one append against the rows already in the day object."""
    spec = specs(1)[0].as_dict()
    out: dict[str, Any] = {}
    for name, log in (
        ("s3", S3RequestLog(BUCKET, PREFIX, s3)),
        ("course-s3", CourseRequestLog(S3Objects(s3))),
    ):
        points = []
        bytes_per_row = 0.0
        for k, size in enumerate(sizes):
            day = date(2030, 1, 1) + timedelta(days=k)
            written = prefill(s3, size, day)
            if size:
                bytes_per_row = written / size
            at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12)
            times = []
            for i in range(appends):
                start = time.perf_counter()
                log.append(spec, 1, "bench", at=at + timedelta(microseconds=i))
                times.append((time.perf_counter() - start) * 1000)
            points.append((size, statistics.median(times)))
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        beta = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
            (x - mean_x) ** 2 for x in xs
        )
        per_mb = beta / bytes_per_row * 1_000_000 if bytes_per_row else float("nan")
        out[name] = {
            "points": points,
            "ms_per_1000_rows": beta * 1000,
            "ms_per_mb": per_mb,
            "intercept_ms": mean_y - beta * mean_x,
            "bytes_per_row": bytes_per_row,
        }
        print(
            f"  {name:<10} "
            + "  ".join(f"{size:>6} rows: {ms:6.1f} ms" for size, ms in points)
            + f"  -> slope {beta * 1000:.2f} ms per 1000 rows ({per_mb:.1f} ms/MB, "
            f"{bytes_per_row:.0f} B/row), intercept {mean_y - beta * mean_x:.1f} ms",
            flush=True,
        )
    return out


def contention(s3: Any, writer_counts: list[int], appends: int) -> list[dict[str, Any]]:
    """Lambda-style writers: each its own S3RequestLog and boto3 client on its own thread (one
    request per container, so no group commit helps), all appending to the same day object with
    the production budget (10 attempts, 2 s). Rows that cannot win it are spilled; then the
    compactor folds the spills in, and the day file alone must hold every row exactly once."""
    import threading

    from laptop_pricing.api.compact import Compactor

    spec = specs(1)[0].as_dict()
    endpoint = s3.meta.endpoint_url
    out = []
    for k, writers in enumerate(writer_counts):
        day = date(2031, 1, 1) + timedelta(days=k)
        at = datetime.combine(day, datetime.min.time(), UTC)
        logs = [S3RequestLog(BUCKET, PREFIX, s3_client(endpoint)) for _ in range(writers)]
        failures = [0] * writers
        latencies: list[float] = []

        def run(
            w: int, log: S3RequestLog, at: datetime, failures: list[int], latencies: list[float]
        ) -> None:
            for i in range(appends):
                start = time.perf_counter()
                try:
                    log.append(spec, 1, "bench", at=at + timedelta(microseconds=w * 10**6 + i))
                except Exception:
                    failures[w] += 1
                latencies.append(time.perf_counter() - start)

        threads = [
            threading.Thread(target=run, args=(w, logs[w], at, failures, latencies))
            for w in range(writers)
        ]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        in_day_file = count_rows(S3Objects(s3).read(day))
        spilled = sum(log.spilled_rows for log in logs)
        lost = sum(failures)
        compact_start = time.perf_counter()
        compacted = Compactor(S3RequestLog(BUCKET, PREFIX, s3)).compact_day(day)
        compact_s = time.perf_counter() - compact_start
        after = S3Objects(s3).read(day) or b""
        lines = after.decode().strip().splitlines()[1:]
        latencies.sort()
        attempted = writers * appends
        result = {
            "writers": writers,
            "attempted": attempted,
            "stored_in_day_file": in_day_file,
            "spilled": spilled,
            "spill_objects": sum(log.spills for log in logs),
            "lost": lost,
            "conflicts": sum(log.conflicts for log in logs),
            "rows_per_s": (in_day_file + spilled) / elapsed,
            "p50_ms": latencies[len(latencies) // 2] * 1000,
            "max_ms": latencies[-1] * 1000,
            "after_compaction": len(lines),
            "doubled_after_compaction": len(lines) - len(set(lines)),
            "compaction_s": compact_s,
            "compaction_deleted": compacted.deleted,
        }
        out.append(result)
        print(
            f"  {writers:>2} writers x {appends} appends: {in_day_file} in the day file + "
            f"{spilled} spilled ({result['spill_objects']} objects) = "
            f"{in_day_file + spilled}/{attempted}, lost {lost}; {result['conflicts']} conflicts, "
            f"{result['rows_per_s']:.0f} rows/s, append p50 {result['p50_ms']:.0f} ms "
            f"max {result['max_ms']:.0f} ms; after compaction ({compact_s:.2f} s): "
            f"{len(lines)} rows in the day file, {result['doubled_after_compaction']} doubled",
            flush=True,
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--serve", nargs=4, metavar=("STORE", "PORT", "FOLDER", "ENDPOINT"))
    parser.add_argument("--client", nargs=3, type=int, metavar=("PORT", "N", "CONCURRENCY"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--stores", default="none,local,s3,course-local,course-s3")
    parser.add_argument("--requests", type=int, help="requests per concurrency level")
    parser.add_argument(
        "--contention-only", action="store_true", help="only the independent-writers section"
    )
    args = parser.parse_args(argv)
    if args.serve:
        store, port, folder, endpoint = args.serve
        serve(store, int(port), Path(folder), endpoint)
        return 0
    if args.client:
        client_main(*args.client)
        return 0

    n = args.requests or (600 if args.quick else 3000)
    levels = [1, 8, 32]
    stores = args.stores.split(",")
    print(f"cores: {os.cpu_count()}  requests per level: {n}  python {sys.version.split()[0]}")
    moto_port = free_port()
    endpoint = f"http://127.0.0.1:{moto_port}"
    moto = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)]
    with process(moto), tempfile.TemporaryDirectory() as tmp:
        wait_for("127.0.0.1", moto_port)
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket=BUCKET)
        if args.contention_only:
            print("Lambda-style contention on one day object (independent writers, no grouping):")
            contended = contention(s3, [4, 16], 10 if args.quick else 25)
            if args.json:
                args.json.write_text(json.dumps({"contention": contended}, indent=2))
            return 0
        print("throughput (server and client in separate processes; moto in a third):")
        results = throughput(stores, levels, n, endpoint, s3, Path(tmp))
        print("S3 write cost against the size of the day object:")
        sizes = [0, 5_000, 20_000, 50_000] if args.quick else [0, 10_000, 50_000, 100_000, 200_000]
        slopes = slope(s3, sizes, 5 if args.quick else 15)
        print("Lambda-style contention on one day object (independent writers, no grouping):")
        contended = contention(s3, [4, 16], 10 if args.quick else 25)

    by = {(r["store"], r["clients"]): r for r in results}
    if not all((s, 1) in by for s in ("local", "course-local", "s3", "course-s3")):
        return 0
    print("ratios against the course's read-modify-write logger, same run:")
    for ours, course in (("local", "course-local"), ("s3", "course-s3")):
        for level in levels:
            a, b = by[(ours, level)], by[(course, level)]
            ratio = a["rps"] / b["rps"]
            print(
                f"  {ours:>5} vs {course:<12} clients={level:>2}: throughput x{ratio:.2f}"
                f"  rows lost {a['rows_lost']} vs {b['rows_lost']}"
            )
    local32 = by[("local", 32)]
    print(
        f"target: >= 500 req/s with local logging -> {local32['rps']:.0f} req/s at 32 clients "
        f"({'met' if local32['rps'] >= 500 else 'NOT met'}); rows lost by ours: "
        f"{sum(r['rows_lost'] for r in results if r['store'] in ('local', 's3'))}"
    )
    if args.json:
        report = {"throughput": results, "slope": slopes, "contention": contended}
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
