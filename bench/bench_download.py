"""The monitoring page's "Baixar" download: how long a period's CSV takes to build and how much
memory it needs, before (``DataFrame.to_csv`` of the neutralised frame) and now (Arrow's
writer a chunk at a time; zipped above ``view.ZIP_ABOVE_ROWS``).

    python bench/bench_download.py --days 30 --rows 10000
    python bench/bench_download.py --folder /tmp/year --days 365   # a year written before

Synthetic day files (``tests/synthetic_logs``, ``--quotes``: that share of rows are quotes)
go to a temporary folder, unless ``--folder`` names one already holding them. Each way runs in
a fresh process that first reads the period (as the page holds it), so its peak memory
(VmHWM) and the growth over the rows it holds are its own; the ratio is against the old way
in the same run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PREFIX = "laptop-prediction-real-data"
END = date(2025, 6, 30)
WAYS = ("old", "csv", "zip")


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def child(way: str, folder: str, days: int) -> dict[str, float]:
    from laptop_pricing.monitoring import memory, quality, view
    from laptop_pricing.monitoring.reading import read_log
    from laptop_pricing.monitoring.sources import LogLocation
    from laptop_pricing.safe_csv import frame_to_csv

    memory.map_large_blocks()  # as the page does
    location = LogLocation(None, PREFIX, folder)
    start = END - timedelta(days=days - 1)
    rows = quality.with_in_schema(read_log(location.open(), start, END).rows)
    held, peak_before = _status_mb("VmRSS:"), _status_mb("VmHWM:")
    began = time.perf_counter()
    if way == "old":
        data = frame_to_csv(rows.drop(columns=list(view.NOT_DOWNLOADED), errors="ignore"))
    elif way == "csv":
        data = view.download_csv(rows)
    else:
        data = view.download_zip(rows, "pedidos.csv")
    seconds = time.perf_counter() - began
    peak = _status_mb("VmHWM:")
    return {
        "rows": len(rows),
        "seconds": seconds,
        "file_mb": len(data) / 1e6,
        "held_mb": held,
        "peak_mb": max(peak, peak_before),
        "growth_mb": peak - held,
    }


def write_days(folder: Path, days: int, rows: int, quotes: float) -> None:
    from tests.synthetic_logs import day_files

    for key, data in day_files(END, days, rows_per_day=rows, prefix=PREFIX, quotes=quotes):
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rows", type=int, default=10_000, help="requests a day")
    parser.add_argument("--quotes", type=float, default=0.0, help="share of rows that are quotes")
    parser.add_argument("--folder", help="a folder already holding the day files (or rollup)")
    parser.add_argument("--child", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.days)))
        return
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.folder
        if folder is None:
            folder = temporary
            began = time.perf_counter()
            write_days(Path(folder), args.days, args.rows, args.quotes)
            spent = time.perf_counter() - began
            print(f"wrote {args.days} days of {args.rows} rows in {spent:.0f} s")
        results = {}
        for way in WAYS:
            command = [sys.executable, __file__, "--child", way, "--folder", folder]
            command += ["--days", str(args.days)]
            out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO)
            results[way] = json.loads(out.stdout.strip().splitlines()[-1])
    old = results["old"]
    print(f"{old['rows']:,} rows held in {old['held_mb']:.0f} MB before the download")
    print("way   seconds  file MB  peak MB  growth MB  time ratio  growth ratio")
    for way, result in results.items():
        print(
            f"{way:5} {result['seconds']:8.1f} {result['file_mb']:8.0f} {result['peak_mb']:8.0f}"
            f" {result['growth_mb']:10.0f} {result['seconds'] / old['seconds']:10.2f}x"
            f" {result['growth_mb'] / max(old['growth_mb'], 1):12.2f}x"
        )


if __name__ == "__main__":
    main()
