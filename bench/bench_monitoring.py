"""Monitoring reader benchmark: a year of day files in moto S3, our reader vs the course's.

    python bench/bench_monitoring.py [--days 365] [--rows 3000] [--repeats 3]

Starts ``moto_server`` in its own process on a free loopback port (S3 is another machine in
production, so it must not share the reader's GIL), uploads ``days`` synthetic day files of
``rows`` rows, then measures, each cold load in a fresh child process:

* baseline: the course-style reader — paginated listing, then ``get_object`` + ``pd.read_csv``
  per file, one after the other, and ``pd.concat``;
* ours, truly cold: ``laptop_pricing.monitoring.reader.read_log`` (concurrent fetch + pyarrow
  parse) plus the schema check (``with_in_schema``) — everything the page's cached loader does —
  with an empty disk cache (so it also pays for filling it);
* ours, cold process with a warm disk cache: the same in a new process once the day files are
  on disk (what "Atualizar", a TTL expiry or a restarted app pays when no file changed);

and prints the ratios (target >= 3x), each child's peak RSS, then through AppTest the whole year
cold, the warm ``st.cache_data`` rerun (target <= 0.5 s) and "Atualizar" (caches cleared, disk
cache warm), with their ratios against the same baseline, and the bytes of figure JSON the page
sends.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BUCKET = "bench-monitoring"
PREFIX = "laptop-prediction-real-data"
END = date(2025, 6, 30)
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- children (one cold measurement each) -----------------------------------------------------


def child_baseline(endpoint: str) -> dict:
    import io

    import boto3
    import pandas as pd

    baseline_rss = peak_rss_mb()
    start = time.perf_counter()
    client = boto3.client("s3", endpoint_url=endpoint)
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=PREFIX):
        keys += [item["Key"] for item in page.get("Contents", [])]
    frames = []
    for key in keys:
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        frames.append(pd.read_csv(io.BytesIO(body)))
    rows = pd.concat(frames, ignore_index=True)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(rows), "rss_mb": peak_rss_mb(), "rss0": baseline_rss}


def child_ours(endpoint: str, cache_dir: str | None) -> dict:
    import boto3  # noqa: F401  (imported before the clock starts, as in the baseline)

    from laptop_pricing.monitoring import quality
    from laptop_pricing.monitoring.reader import LogLocation, read_log

    baseline_rss = peak_rss_mb()
    start = time.perf_counter()
    source = LogLocation(BUCKET, PREFIX, None, endpoint, cache_dir).open()
    downloads = []
    source.client.meta.events.register("before-call.s3.GetObject", lambda **_: downloads.append(1))
    result = read_log(source)
    rows = quality.with_in_schema(result.rows)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": len(rows),
        "set_aside": len(result.set_aside),
        "parsed_from_cache": source.cache.table_hits if source.cache else 0,
        "downloads": len(downloads),
        "rss_mb": peak_rss_mb(),
        "rss0": baseline_rss,
    }


def child_page(endpoint: str, cache_dir: str | None) -> dict:
    """The page through AppTest: first run loads, then warm reruns from ``st.cache_data``, then
    "Atualizar" (Streamlit caches cleared; the disk cache, filled by the first load, stays)."""
    from streamlit.testing.v1 import AppTest

    from components.monitoring_data import load_log
    from laptop_pricing.monitoring import view
    from laptop_pricing.monitoring.reader import LogLocation

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.secrets["PREDICTIONS-BUCKET"] = BUCKET
    at.secrets["PREDICTIONS-PREFIX"] = PREFIX
    at.secrets["AWS-ENDPOINT-URL"] = endpoint
    at.secrets["PREDICTIONS-CACHE-DIR"] = cache_dir or "off"
    at.run()
    at.switch_page("views/monitoring.py")
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    at.segmented_control(key="monitoring_preset").set_value("Tudo")
    t0 = time.perf_counter()
    at.run()  # the whole year: one cold load of every file
    year_cold = time.perf_counter() - t0
    warm = []
    for _ in range(3):
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    refreshes = []
    for _ in range(2):
        at.button(key="monitoring_refresh").click()
        t0 = time.perf_counter()
        at.run()  # the click's run: caches cleared, every file read again (from disk)
        refreshes.append(time.perf_counter() - t0)
    assert not at.exception, [e.value for e in at.exception]
    requests = next(m.value for m in at.metric if m.label == "Pedidos no período")
    location = LogLocation(BUCKET, PREFIX, None, endpoint, cache_dir)
    rows = load_log(location, date(END.year - 1, END.month, END.day), END).rows
    figures = view.figures(rows).values()
    return {
        "first_run_30_days": first,
        "year_cold_run": year_cold,
        "warm_reruns": warm,
        "refreshes": refreshes,
        "requests_shown": requests,
        "figure_bytes": [len(f.to_json().encode("utf-8")) for f in figures],
        "rss_mb": peak_rss_mb(),
    }


CHILDREN = {"baseline": child_baseline, "ours": child_ours, "page": child_page}


def add_network_latency(milliseconds: float) -> None:
    """Model the distance to real S3: each HTTP request waits before it is sent (the wait
    releases the GIL, as a network round trip would). Applied alike to both readers."""
    if milliseconds <= 0:
        return
    from botocore.httpsession import URLLib3Session

    send = URLLib3Session.send

    def delayed(self, request):
        time.sleep(milliseconds / 1000)
        return send(self, request)

    URLLib3Session.send = delayed


def run_child(
    kind: str, endpoint: str, latency_ms: float = 0.0, cache_dir: str | None = None
) -> dict:
    env = {**os.environ, **AWS_ENV}
    for key in (
        "PREDICTIONS_BUCKET",
        "PREDICTIONS_PREFIX",
        "PREDICTIONS_DIR",
        "AWS_ENDPOINT_URL",
        "PREDICTIONS_CACHE_DIR",
    ):
        env.pop(key, None)
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            kind,
            "--endpoint",
            endpoint,
            "--latency-ms",
            str(latency_ms),
            *(["--cache-dir", cache_dir] if cache_dir else []),
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- parent -----------------------------------------------------------------------------------


def upload(endpoint: str, days: int, rows: int) -> tuple[int, float]:
    import boto3
    from botocore.config import Config

    from laptop_pricing.monitoring.synthetic import day_files

    client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=16))
    client.create_bucket(Bucket=BUCKET)
    total = 0

    def put(item: tuple[str, bytes]) -> int:
        client.put_object(Bucket=BUCKET, Key=item[0], Body=item[1])
        return len(item[1])

    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(put, day_files(END, days, rows_per_day=rows, prefix=PREFIX)))
    return total, time.perf_counter() - t0


def runs(results: list[dict]) -> str:
    return ", ".join(f"{r['seconds']:.2f}" for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--endpoint")
    parser.add_argument("--cache-dir")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=20.0,
        help="per-request network latency of the second scenario (0 to skip it)",
    )
    args = parser.parse_args()
    if args.child:
        os.environ.update(AWS_ENV)
        add_network_latency(args.latency_ms)
        child = CHILDREN[args.child]
        if args.child == "baseline":
            print(json.dumps(child(args.endpoint)))
        else:
            print(json.dumps(child(args.endpoint, args.cache_dir)))
        return

    os.environ.update(AWS_ENV)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        size, upload_seconds = upload(endpoint, args.days, args.rows)
        print(
            f"data: {args.days} day files x {args.rows} rows = {args.days * args.rows:,} rows, "
            f"{size / 1e6:.0f} MB in moto_server (separate process), uploaded in "
            f"{upload_seconds:.1f} s"
        )
        scratch = Path(tempfile.mkdtemp(prefix="bench-monitoring-cache-"))
        baseline, uncached, cold, disk = [], [], [], []
        for index in range(args.repeats):  # interleaved, so drift in machine load hits all
            cache_dir = str(scratch / f"run-{index}")  # empty: truly cold
            baseline.append(run_child("baseline", endpoint))
            uncached.append(run_child("ours", endpoint))  # no disk cache: what writing it costs
            cold.append(run_child("ours", endpoint, cache_dir=cache_dir))
            disk.append(run_child("ours", endpoint, cache_dir=cache_dir))  # filled by `cold`
        expected_rows = args.days * args.rows
        assert {r["rows"] for r in baseline + uncached + cold + disk} == {expected_rows}
        assert {r["downloads"] for r in cold} == {args.days}
        assert {r["downloads"] for r in disk} == {0}, "warm disk cache still downloaded files"
        assert {r["parsed_from_cache"] for r in disk} == {args.days}
        b = statistics.median(r["seconds"] for r in baseline)
        u = statistics.median(r["seconds"] for r in uncached)
        c = statistics.median(r["seconds"] for r in cold)
        d = statistics.median(r["seconds"] for r in disk)
        print(
            f"baseline, course-style cold load (sequential get_object + read_csv): {b:.2f} s "
            f"(runs {runs(baseline)}), peak RSS {max(r['rss_mb'] for r in baseline):.0f} MB"
        )
        print(
            f"ours without the disk cache (concurrent fetch + pyarrow + schema check): {u:.2f} s "
            f"(runs {runs(uncached)}) -> {b / u:.2f}x"
        )
        print(
            f"(a) ours, truly cold (empty disk cache; concurrent fetch + pyarrow + schema check "
            f"+ cache writes): {c:.2f} s (runs {runs(cold)}), peak RSS "
            f"{max(r['rss_mb'] for r in cold):.0f} MB (after imports {cold[0]['rss0']:.0f} MB)"
            f" -> {b / c:.2f}x  (target >= 3x)"
        )
        print(
            f"(b) ours, cold process + warm disk cache (1 listing, 0 GetObject, parsed tables "
            f"read back): {d:.2f} s "
            f"(runs {runs(disk)}), peak RSS {max(r['rss_mb'] for r in disk):.0f} MB"
            f" -> {b / d:.2f}x  (target >= 3x)"
        )
        page_cache = str(scratch / "page")
        page = run_child("page", endpoint, cache_dir=page_cache)
        warm = page["warm_reruns"]
        refreshes = page["refreshes"]
        w = statistics.median(warm)
        print(
            f"(c) page warm rerun from st.cache_data (AppTest, whole year): "
            f"{', '.join(f'{x:.2f}' for x in warm)} s (target <= 0.5 s) -> {b / w:.1f}x"
        )
        print(
            f"page (AppTest): first run, default 30 days {page['first_run_30_days']:.2f} s; "
            f"whole year {page['year_cold_run']:.2f} s (disk cache held only those 60 days); "
            f"'Atualizar' on the whole year (Streamlit caches cleared, disk warm) "
            f"{', '.join(f'{x:.2f}' for x in refreshes)} s; shows {page['requests_shown']} "
            f"requests"
        )
        print(
            f"figure JSON for the year: {sum(page['figure_bytes']):,} bytes in "
            f"{len(page['figure_bytes'])} figures "
            f"({', '.join(f'{n:,}' for n in page['figure_bytes'])}); bound 2,000,000"
        )
        print(f"page process peak RSS {page['rss_mb']:.0f} MB")
        if args.latency_ms > 0:
            lb, lc, ld = [], [], []
            for index in range(args.repeats):
                cache_dir = str(scratch / f"latency-{index}")
                lb.append(run_child("baseline", endpoint, args.latency_ms))
                lc.append(run_child("ours", endpoint, args.latency_ms, cache_dir))
                ld.append(run_child("ours", endpoint, args.latency_ms, cache_dir))
            lbm, lcm, ldm = (statistics.median(r["seconds"] for r in x) for x in (lb, lc, ld))
            print(
                f"with {args.latency_ms:g} ms network latency per request (real S3 is not on "
                f"loopback): course-style {lbm:.2f} s (runs {runs(lb)}); ours truly cold "
                f"{lcm:.2f} s (runs {runs(lc)}) -> {lbm / lcm:.2f}x; ours warm disk "
                f"{ldm:.2f} s (runs {runs(ld)}) -> {lbm / ldm:.2f}x"
            )
        shutil.rmtree(scratch, ignore_errors=True)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
