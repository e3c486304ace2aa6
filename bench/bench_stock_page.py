"""The stock page (Estoque) with 10,000 items against the estimate page's first render, in
the same run (issue 24's target: <= 1.5x).

    python bench/bench_stock_page.py [--items 10000] [--repeat 7]

Writes ``items`` stock items (a busy store's three years: a quarter in preparation, half for
sale, the rest sold) straight into the embedded default's local folder, then, in one process
after one warm-up run (imports, the model load), times a new visitor's first run of each page
in AppTest, interleaved so machine noise falls on both alike:

* baseline: the estimate page (the app's default page);
* the stock page opened by its URL: the listing of 10,000 items filtered and paged in the
  package, the counts, one table of 50 rows, the first item's card and its forms.

The stock's first load in a process is printed apart (a server pays it once after a start):
with every event read one by one (no snapshot yet: it writes one), then from the snapshot
(one object, then only the events written since), each in a fresh ``StockService``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.util import calc_hash  # noqa: E402

from laptop_pricing.purchase.store import PURCHASE_OBJECTS  # noqa: E402
from laptop_pricing.settings import DEFAULT_PURCHASES_PREFIX  # noqa: E402
from laptop_pricing.stock.query import StockQuery  # noqa: E402
from laptop_pricing.stock.service import StockService  # noqa: E402
from laptop_pricing.stock.store import StockStore  # noqa: E402
from laptop_pricing.storage.layout import LogLayout  # noqa: E402
from laptop_pricing.storage.stores import LocalRecordStore  # noqa: E402
from laptop_pricing.store_id import DEFAULT_STORE_ID  # noqa: E402
from laptop_pricing.trade_in.policy import load_policy  # noqa: E402
from laptop_pricing.trade_in.store_policies import StorePolicies  # noqa: E402
from tests.stock_support import seed_items  # noqa: E402

APP = str(REPO / "app.py")
TARGET = 1.5


def first_run(url_path: str | None) -> tuple[float, AppTest]:
    at = AppTest.from_file(APP, default_timeout=300)
    if url_path:
        at._page_hash = calc_hash(url_path)
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    assert not at.exception, [e.value for e in at.exception]
    return elapsed, at


def cold_page_ms(folder: Path) -> float:
    """A first page of the stock in a fresh service (nothing in memory)."""
    layout = LogLayout(DEFAULT_PURCHASES_PREFIX, PURCHASE_OBJECTS)
    policies = StorePolicies.single(load_policy(), DEFAULT_STORE_ID)
    service = StockService(StockStore(LocalRecordStore(folder, layout)), policies)
    started = time.perf_counter()
    service.page(StockQuery())
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-stock-")) / "predictions"
    os.environ["PREDICTIONS_DIR"] = str(folder)

    started = time.perf_counter()
    seed_items(folder, args.items, datetime.now(UTC))
    print(f"{args.items} items written in {time.perf_counter() - started:.1f} s")

    one_by_one = cold_page_ms(folder)
    from_snapshot = cold_page_ms(folder)
    print(f"stock listing, cold, every event read one by one   {one_by_one:8.0f} ms")
    print(f"stock listing, cold, from the snapshot             {from_snapshot:8.0f} ms")
    warm_ms, _ = first_run(None)  # imports and the model load
    cold_ms, at = first_run("stock")
    shown = len(at.dataframe[0].value) if at.dataframe else 0
    assert shown == 50, f"the stock page drew {shown} rows"
    print(f"warm-up (estimate page, model load)                {warm_ms:8.0f} ms")
    print(f"stock page, first in the process (from snapshot)   {cold_ms:8.0f} ms")

    estimate, stock = [], []
    for _ in range(args.repeat):
        estimate.append(first_run(None)[0])
        stock.append(first_run("stock")[0])
    base, ours = statistics.median(estimate), statistics.median(stock)
    ratio = ours / base
    print(f"median of {args.repeat} first runs of a new visitor's page:")
    print(f"  estimate page (baseline)                     {base:8.0f} ms   1.00")
    print(f"  stock page, {args.items} items                   {ours:8.0f} ms   {ratio:.2f}")
    print(f"target <= {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
