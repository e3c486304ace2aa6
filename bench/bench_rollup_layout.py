"""Which rollup layout pays off for a chain (issue 25 item 5): bytes and objects read, same run.

A year of ``--stores`` stores at ``--quotes`` quotes a day each (200 x 50: 3.65 M rows), built
from the synthetic generator's rows typed as the compactor types them, written four ways:

* ``month``        today's layout: ``year=/month=/data.parquet`` in day order, one row group;
* ``sorted-<N>k``  the month as the compactor writes it now (``rollup.with_days``): sorted by
                   ``store_id`` then ``timestamp``, row groups of N Ki rows (``--row-groups``), so
                   a row group's min/max ``store_id`` lets a reader skip the other stores;
* ``month-store-groups`` sorted, one row group per store (the finest skipping, most groups);
* ``store``        ``store_id=/year=/month=/data.parquet``: one object per store and month.

Then two reads each, through ``pyarrow.dataset`` (a Hive-partitioned dataset with filter and
projection pushdown) and through DuckDB scanning that same Arrow dataset (the monitoring
path): one store's year, and the whole chain's year, grouped by store and month. Bytes read
are the process's ``rchar`` (what it read from files, page cache included: what S3 would
send), objects opened come from a counting filesystem, row groups read from the statistics
pruning itself; times are medians of ``--repeat`` runs with the files in the page cache
(compare them within the run, not across machines). With ``--moto``, every layout is also
uploaded to moto_server and the S3 requests of each read are counted (listing included).

    python bench/bench_rollup_layout.py                   # 200 stores x 50 quotes x 365 days
    python bench/bench_rollup_layout.py --stores 20 --quotes 20 --moto
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rollup_layout_s3 import s3_requests

from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.storage import rollup
from tests.synthetic_logs import day_csv

COLUMNS = ["store_id", "timestamp", "price", "brand", "ram_gb"]  # what an aggregate reads
FIRST_DAY = date(2024, 7, 1)


class Counting(pafs.FileSystemHandler):
    """The local filesystem, counting the files opened through it."""

    def __init__(self) -> None:
        self.local = pafs.LocalFileSystem()
        self.opened: set[str] = set()

    def get_type_name(self) -> str:
        return "counting"

    def normalize_path(self, path: str) -> str:
        return path

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        return self.local.get_file_info(paths)

    def get_file_info_selector(self, selector: pafs.FileSelector) -> list[pafs.FileInfo]:
        return self.local.get_file_info(selector)

    def open_input_file(self, path: str) -> pa.NativeFile:
        self.opened.add(path)
        return self.local.open_input_file(path)

    def open_input_stream(self, path: str) -> pa.NativeFile:
        return self.open_input_file(path)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("read-only")

    create_dir = delete_dir = delete_dir_contents = delete_root_dir_contents = _refuse
    delete_file = move = copy_file = open_output_stream = open_append_stream = _refuse


# --- The year -------------------------------------------------------------------------------


def row_pool(size: int) -> pa.Table:
    """``size`` typed rows of the synthetic request log, as the compactor types them."""
    import csv

    text = day_csv(FIRST_DAY, size, seed=11).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    table, _ = rollup.day_table(PREDICTIONS, FIRST_DAY, rows)
    return table


def month_table(pool: pa.Table, year: int, month: int, stores: int, quotes: int, seed: int):
    """A month of the chain: ``quotes`` rows a day per store, in day order (as today)."""
    rng = np.random.default_rng(seed)
    first = date(year, month, 1)
    days = ((first.replace(day=28) + timedelta(days=4)).replace(day=1) - first).days
    n = days * stores * quotes
    table = pool.take(pa.array(rng.integers(0, pool.num_rows, n)))
    day_index = np.repeat(np.arange(days), stores * quotes)
    start = datetime(year, month, 1, tzinfo=UTC).timestamp()
    seconds = start + day_index * 86400 + rng.integers(8 * 3600, 20 * 3600, n)
    seconds.sort(kind="stable")  # each day's rows in time order, like the day file
    store_ids = pa.array([f"s{i:03d}" for i in rng.integers(0, stores, n)], pa.string())
    replace = {
        "store_id": store_ids,
        "timestamp": pa.array(seconds * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "day": pa.array([first + timedelta(days=int(d)) for d in day_index], pa.date32()),
        "source_line": pa.array(np.tile(np.arange(2, stores * quotes + 2), days), pa.int32()),
    }
    for name, values in replace.items():
        index = table.schema.get_field_index(name)
        table = table.set_column(
            index, pa.field(name, values.type), values.cast(table.schema.field(name).type)
        )
    return table


def by_store(table: pa.Table) -> pa.Table:
    return table.take(
        pc.sort_indices(table, [("store_id", "ascending"), ("timestamp", "ascending")])
    )


def write_month_store_groups(table: pa.Table, path: Path) -> None:
    """One row group per store: each store's slice written by its own call."""
    table = by_store(table)
    ids = table.column("store_id").to_numpy(zero_copy_only=False)
    bounds = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        for start, end in zip([0, *bounds], [*bounds, len(ids)], strict=True):
            writer.write_table(table.slice(start, end - start), row_group_size=end - start)


def shipped_month(table: pa.Table, row_group: int) -> bytes:
    """The month as the compactor writes it (``rollup.with_days``), groups of ``row_group``."""
    days = {}
    for day in sorted(set(table.column("day").to_pylist())):
        rows = table.filter(pc.equal(table.column("day"), pa.scalar(day, pa.date32())))
        days[day] = (rows, rollup.ClosedDay(rows.num_rows, "bench"))
    shipped = rollup.ROW_GROUP_ROWS
    rollup.ROW_GROUP_ROWS = row_group
    try:
        return rollup.with_days(
            rollup.read_month(None), days, PREDICTIONS.defaults, PREDICTIONS.timestamp_column
        )
    finally:
        rollup.ROW_GROUP_ROWS = shipped


def build(
    root: Path, stores: int, quotes: int, months: int, row_groups: list[int], wanted: set[str]
) -> dict[str, Path]:
    pool = row_pool(20_000)
    sorted_names = {f"sorted-{size // 1024}k": size for size in row_groups}
    names = ["month", *sorted_names, "month-store-groups", "store"]
    layouts = {
        name: root / name
        for name in names
        if name == "month" or name in wanted or (name.startswith("sorted-") and "sorted" in wanted)
    }
    when = FIRST_DAY
    for index in range(months):
        year, month = when.year, when.month
        table = month_table(pool, year, month, stores, quotes, seed=index)
        part = f"year={year:04d}/month={month:02d}"
        for name, folder in layouts.items():
            if name == "store":
                write_per_store(table, folder, part)
                continue
            (folder / part).mkdir(parents=True)
            target = folder / part / "data.parquet"
            if name == "month":  # in day order, one row group: the layout before this bench
                pq.write_table(table, target, compression="zstd")
            elif name == "month-store-groups":
                write_month_store_groups(table, target)
            else:
                target.write_bytes(shipped_month(table, sorted_names[name]))
        when = (when.replace(day=28) + timedelta(days=4)).replace(day=1)
    return layouts


def write_per_store(table: pa.Table, folder: Path, part: str) -> None:
    """``store_id=/year=/month=/data.parquet``: the store only in the path, as Hive keeps it."""
    sorted_table = by_store(table)
    ids = sorted_table.column("store_id").to_numpy(zero_copy_only=False)
    bounds = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    without = sorted_table.drop_columns(["store_id"])
    for start, end in zip([0, *bounds], [*bounds, len(ids)], strict=True):
        target = folder / f"store_id={ids[start]}" / part
        target.mkdir(parents=True)
        pq.write_table(
            without.slice(start, end - start), target / "data.parquet", compression="zstd"
        )


# --- The reads ------------------------------------------------------------------------------


def dataset(folder: Path, counting: Counting | None = None) -> ds.Dataset:
    """The layout as a Hive-partitioned dataset, on the counting filesystem or the native one
    (DuckDB scans only the native one: its threads and a Python filesystem deadlock on the GIL)."""
    fs = pafs.PyFileSystem(counting) if counting else pafs.LocalFileSystem()
    return ds.dataset(str(folder), filesystem=fs, format="parquet", partitioning="hive")


def arrow_read(data: ds.Dataset, store: str | None) -> int:
    where = pc.field("store_id") == store if store else None
    return int(data.to_table(columns=COLUMNS, filter=where).num_rows)


def duckdb_read(data: ds.Dataset, store: str | None) -> int:
    rollup_rows = data  # noqa: F841  (DuckDB finds the dataset by its name)
    where = f"WHERE store_id = '{store}'" if store else ""
    sql = (
        "SELECT store_id, year, month, count(*) AS quotes, avg(price) AS mean_price "
        f"FROM rollup_rows {where} GROUP BY store_id, year, month"
    )
    connection = duckdb.connect()
    try:
        return len(connection.sql(sql).fetchall())
    finally:
        connection.close()


def row_groups_read(folder: Path, store: str | None) -> int:
    """Row groups a scan for ``store`` (None: all) reads after partition and statistics pruning."""
    data = dataset(folder)
    if store is None:
        return sum(f.metadata.num_row_groups for f in data.get_fragments())
    where = pc.field("store_id") == store
    kept = 0
    for fragment in data.get_fragments(where):  # partitions pruned by the path
        if "store_id" in fragment.physical_schema.names:  # row groups by their statistics
            kept += len(fragment.split_by_row_group(where))
        else:
            kept += fragment.metadata.num_row_groups
    return kept


def bytes_read_so_far() -> int:
    """What this process has read from files (``rchar``: the page cache included)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise RuntimeError("no rchar in /proc/self/io")


def measure(
    read: Callable[[ds.Dataset, str | None], int],
    folder: Path,
    store: str | None,
    counting: Counting | None,
    repeat: int,
) -> dict[str, float]:
    """Rows answered, bytes read (rchar), objects opened (the counting filesystem, when given),
    and the median time on the native filesystem."""
    before = bytes_read_so_far()
    rows = read(dataset(folder), store)
    read_bytes = bytes_read_so_far() - before
    objects = float("nan")
    if counting is not None:
        counting.opened.clear()
        read(dataset(folder, counting), store)
        objects = len(counting.opened)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        read(dataset(folder), store)
        times.append(time.perf_counter() - start)
    return {
        "rows": rows,
        "objects": objects,
        "groups": row_groups_read(folder, store),
        "bytes": read_bytes,
        "seconds": statistics.median(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--quotes", type=int, default=50, help="quotes a day per store")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument(
        "--row-groups",
        type=int,
        nargs="+",
        default=[rollup.ROW_GROUP_ROWS],
        help="row-group sizes of the sorted month (default: the one the compactor ships)",
    )
    parser.add_argument(
        "--layouts",
        nargs="+",
        default=["sorted", "month-store-groups", "store"],
        help="besides today's month: sorted, month-store-groups, store",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--moto", action="store_true", help="also count S3 requests against moto_server"
    )
    parser.add_argument(
        "--hole-kib",
        type=int,
        default=None,
        help="on S3, fetch column chunks up to this many KiB apart in one request",
    )
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-rollup-layout-"))
    try:
        t0 = time.perf_counter()
        layouts = build(
            root, args.stores, args.quotes, args.months, args.row_groups, set(args.layouts)
        )
        print(
            f"built {args.months} months x {args.stores} stores x {args.quotes} quotes/day "
            f"in {time.perf_counter() - t0:.1f} s under {root}"
        )
        counting = Counting()
        store = f"s{args.stores // 2:03d}"
        results: dict[tuple[str, str, str], dict[str, float]] = {}
        for name, folder in layouts.items():
            files = list(folder.rglob("*.parquet"))
            size = sum(p.stat().st_size for p in files)
            groups = sum(pq.ParquetFile(p).num_row_groups for p in files)
            print(f"{name:20s} {len(files):5d} objects {size / 1e6:8.1f} MB {groups:6d} row groups")
            for scope, wanted in (("one store", store), ("chain", None)):
                for engine, read, counted in (
                    ("arrow", arrow_read, counting),
                    ("duckdb", duckdb_read, None),  # the same Arrow scanner: same objects
                ):
                    results[(name, scope, engine)] = measure(
                        read, folder, wanted, counted, args.repeat
                    )
        print()
        print(
            f"{'layout':20s} {'read':10s} {'engine':7s} {'objects':>8s} {'groups':>7s} "
            f"{'MB read':>9s} {'x month':>8s} {'seconds':>8s} {'x month':>8s} {'rows':>9s}"
        )
        for (name, scope, engine), r in results.items():
            base = results[("month", scope, engine)]
            print(
                f"{name:20s} {scope:10s} {engine:7s} {r['objects']:8.0f} {r['groups']:7.0f} "
                f"{r['bytes'] / 1e6:9.2f} "
                f"{r['bytes'] / base['bytes']:8.3f} {r['seconds']:8.3f} "
                f"{r['seconds'] / base['seconds']:8.3f} {r['rows']:9.0f}"
            )
        if args.moto:
            print()
            print(
                f"{'layout':20s} {'read':10s} {'objects':>8s} {'GETs':>6s} {'LISTs':>6s} "
                f"{'requests':>9s} {'seconds':>8s}  (pyarrow.dataset on S3: moto_server, one run)"
            )
            for (name, scope), numbers in s3_requests(
                layouts, store, COLUMNS, args.hole_kib
            ).items():
                objects, gets, lists, total, seconds = numbers
                print(
                    f"{name:20s} {scope:10s} {objects:8d} {gets:6d} {lists:6d} {total:9d} "
                    f"{seconds:8.3f}"
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
