"""A chain's year in ``bench/bench_monitoring.py --chain`` (issue 25): one store's year against
the whole chain's, each cold in a fresh process (``open_warehouse`` + ``compute_view``, what
the page computes), and what partition pruning can skip for that store: the month objects the
window scans, and the rollup's row groups whose ``store_id`` min/max statistics hold it (the
groups DuckDB's Parquet reader cannot skip; the others it skips by those statistics)."""

from __future__ import annotations

import os
import statistics
import time
from urllib.parse import urlsplit

from monitoring_process import peak_rss_mb, run_child, runs
from monitoring_year import AWS_ENV, BUCKET, END, PREFIX

STORE_SECONDS_TARGET = 0.3  # one store's year out of 200 (issue 25)
STORE_ENV = "BENCH_STORE"  # the store the one-store child asks for


def _year(endpoint: str, stores: tuple[str, ...] | None) -> dict:
    """The page's computation for the bench's whole period, cold, for ``stores`` (None: the
    whole chain): the warehouse opened (listing, footers, months copied to disk), then every
    aggregate the page shows."""
    from datetime import timedelta

    from laptop_pricing.monitoring import warehouse, warehouse_view
    from laptop_pricing.monitoring.drift import Reference
    from laptop_pricing.monitoring.sources import LogLocation
    from laptop_pricing.monitoring.view import Filters
    from laptop_pricing.pricing.artifact import read_metadata

    reference = Reference.from_metadata(read_metadata())
    period = Filters(END - timedelta(days=int(os.environ["BENCH_DAYS"]) - 1), END)
    filters = period.with_stores(stores)
    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    location = LogLocation(BUCKET, PREFIX, None, endpoint)
    opened = warehouse.open_warehouse(location, *filters.load_window())
    t1 = time.perf_counter()
    shown = warehouse_view.compute_view(opened, filters, END, reference, stores=stores)
    t2 = time.perf_counter()
    warehouse_view.compute_view(opened, filters, END, reference, stores=stores)
    again = time.perf_counter() - t2  # the queries alone: first-call costs already paid
    return {
        "seconds": t2 - t0,
        "open_seconds": t1 - t0,
        "compute_seconds": t2 - t1,
        "compute_again_seconds": again,
        "requests": shown.kpis.requests,
        "months": opened.months_read,
        "rss_mb": peak_rss_mb(),
        "rss0": rss0,
    }


def child_one_store(endpoint: str) -> dict:
    return _year(endpoint, (os.environ[STORE_ENV],))


def child_whole_chain(endpoint: str) -> dict:
    return _year(endpoint, None)


def store_row_groups(endpoint: str, store: str) -> dict:
    """From the rollup months' footers in the bucket (no data read): how many row groups, and
    how many compressed bytes of them, hold ``store`` by their ``store_id`` min/max."""
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    from laptop_pricing.record_kinds import PREDICTIONS
    from laptop_pricing.storage.layout import LogLayout
    from laptop_pricing.store_id import STORE_ID_FIELD

    parts = urlsplit(endpoint)
    filesystem = pafs.S3FileSystem(
        access_key=AWS_ENV["AWS_ACCESS_KEY_ID"],
        secret_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        region=AWS_ENV["AWS_DEFAULT_REGION"],
        endpoint_override=parts.netloc,
        scheme=parts.scheme,
    )
    root = f"{BUCKET}/{LogLayout(PREFIX, PREDICTIONS).rollup_root}"
    found = filesystem.get_file_info(pafs.FileSelector(root, recursive=True))
    paths = sorted(i.path for i in found if i.type == pafs.FileType.File)
    counts = {"months": len(paths), "groups": 0, "holding": 0, "bytes": 0, "holding_bytes": 0}
    for path in paths:
        metadata = pq.read_metadata(path, filesystem=filesystem)
        for g in range(metadata.num_row_groups):
            group = metadata.row_group(g)
            columns = [group.column(c) for c in range(group.num_columns)]
            size = sum(c.total_compressed_size for c in columns)
            store_column = next(c for c in columns if c.path_in_schema == STORE_ID_FIELD)
            stats = store_column.statistics
            holds = stats is None or not stats.has_min_max or stats.min <= store <= stats.max
            counts["groups"] += 1
            counts["bytes"] += size
            counts["holding"] += holds
            counts["holding_bytes"] += size if holds else 0
    return counts


def chain(endpoint: str, repeats: int, store: str, stores: int) -> None:
    """One store's year against the whole chain's, interleaved (drift in the machine's load
    hits both), then the row groups the store's statistics leave to read."""
    os.environ[STORE_ENV] = store
    one, whole = [], []
    for _ in range(repeats):
        one.append(run_child("one_store", endpoint))
        whole.append(run_child("whole_chain", endpoint))
    assert all(0 < o["requests"] < w["requests"] for o, w in zip(one, whole, strict=True))
    o = statistics.median(r["seconds"] for r in one)
    w = statistics.median(r["seconds"] for r in whole)
    met = "met" if o <= STORE_SECONDS_TARGET else "NOT met"
    for name, results in ((f"one store ({store})", one), (f"whole chain ({stores} stores)", whole)):
        first = results[0]
        print(
            f"{name}, the year cold (open_warehouse + compute_view, fresh process): "
            f"{statistics.median(r['seconds'] for r in results):.2f} s (runs {runs(results)}; "
            f"open {first['open_seconds']:.2f} s + compute {first['compute_seconds']:.2f} s in "
            f"the first, compute again in that process {first['compute_again_seconds']:.2f} s), "
            f"{first['requests']:,} requests, {first['months']} month objects read, "
            f"peak RSS {max(r['rss_mb'] for r in results):.0f} MB (after imports "
            f"{first['rss0']:.0f})"
        )
    print(
        f"one store / whole chain: {o / w:.2f} of the time ({w / o:.2f}x faster)  "
        f"(target <= {STORE_SECONDS_TARGET:g} s: {met})"
    )
    groups = store_row_groups(endpoint, store)
    print(
        f"row groups holding {store} (store_id min/max statistics): {groups['holding']} of "
        f"{groups['groups']} in {groups['months']} month objects, "
        f"{groups['holding_bytes'] / 1e6:.1f} of {groups['bytes'] / 1e6:.1f} MB compressed "
        f"(every column; DuckDB reads only the columns a query names)"
    )
