"""What the "Estoque e revenda" block adds to the monitoring page's cold load, for a synthetic
store year (issue 24 target: at most 0.5 s).

    python bench/bench_resale_section.py [--seed 1] [--quotes 1200] [--repeats 3]

A synthetic year (``laptop_pricing.resale.synthetic``, the deployment's store) is written as
stock events (an opening with the laptop, the condition and the money, then the sale) into
the embedded default's local folder, beside a week of request log so the page draws its
charts. Then the monitoring page runs cold through AppTest, each time in a fresh child process
(nothing cached, the model not loaded): with the block, and without it (the child puts a
stand-in ``components.resale_data`` whose ``resale_block`` does nothing in ``sys.modules``, so
none of the block's code is imported), alternating, ``repeats`` times each. It prints the
medians, the seconds the block adds and the ratio. The block's cold cost includes its imports
and building the embedded stock-only client (no model load); over HTTP that is one
``GET /stock/resale`` instead.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from laptop_pricing.purchase.store import PURCHASE_OBJECTS  # noqa: E402
from laptop_pricing.resale.sales import SoldItem, StockedItem  # noqa: E402
from laptop_pricing.resale.synthetic import YearPlan, generate_year, model_catalog  # noqa: E402
from laptop_pricing.settings import DEFAULT_PURCHASES_PREFIX, KEYS, env_name  # noqa: E402
from laptop_pricing.stock.events import (  # noqa: E402
    EM_PREPARO,
    VENDIDO,
    Actor,
    ItemFacts,
    Sale,
    StockEvent,
)
from laptop_pricing.stock.store import StockStore  # noqa: E402
from laptop_pricing.storage.layout import LogLayout  # noqa: E402
from laptop_pricing.storage.stores import LocalRecordStore  # noqa: E402
from laptop_pricing.store_id import DEFAULT_STORE_ID  # noqa: E402
from laptop_pricing.trade_in.quote_id import QuoteIdGenerator  # noqa: E402

TARGET_SECONDS = 0.5
CHANNEL_WORDS = {"counter": "balcao", "online": "online", "parts": "atacado_pecas"}
CHILD = """
import sys, time
sys.path.insert(0, {repo!r})
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash
if {without!r}:  # a stand-in module: the page without the block imports none of its code
    import types
    stand_in = types.ModuleType("components.resale_data")
    stand_in.resale_block = lambda *args, **kwargs: None
    sys.modules["components.resale_data"] = stand_in
at = AppTest.from_file({app!r}, default_timeout=300)
at._page_hash = calc_hash("monitoring")
started = time.perf_counter()
at.run()
elapsed = time.perf_counter() - started
assert not at.exception, [e.value for e in at.exception]
heads = [h.value for h in at.subheader]
assert ("Estoque e revenda" in heads) != {without!r}, heads
print(elapsed)
"""


def write_stock(predictions: Path, items: list[StockedItem]) -> None:
    """Each item as its stock events: the opening, and the sale for a sold one."""
    layout = LogLayout(DEFAULT_PURCHASES_PREFIX, PURCHASE_OBJECTS)
    store = StockStore(LocalRecordStore(predictions, layout))
    ids = QuoteIdGenerator(random.Random(1).getrandbits)
    clerk = Actor("clerk", "bench")
    now = datetime.now(UTC)
    for i, item in enumerate(items):
        purchase_id = ids.new(now)
        bought = datetime.combine(item.purchased_on, datetime.min.time(), UTC) + timedelta(hours=15)
        facts = ItemFacts(
            serial=f"SN-B{i:05d}",
            brand=str(item.laptop.brand),
            processor=f"{item.laptop.processor_brand} {item.laptop.processor_name}",
            label_model="Modelo",
            laptop=item.laptop.as_dict(),
            condition=item.condition.as_dict(),
            market_estimate=item.market_estimate,
            quote_offer=item.paid,
            paid=item.paid,
            purchased_at=bought,
            policy_version="bench",
        )
        store.put_event(
            StockEvent(f"open-{i}", purchase_id, 0, EM_PREPARO, bought, clerk, facts=facts)
        )
        if isinstance(item, SoldItem):
            sale = Sale(item.sale_price, item.sold_on, CHANNEL_WORDS[item.channel])
            at = bought + timedelta(days=item.days_to_sell)
            store.put_event(StockEvent(f"sale-{i}", purchase_id, 1, VENDIDO, at, clerk, sale=sale))


def child_seconds(env: dict[str, str], without: bool) -> float:
    code = CHILD.format(repo=str(REPO), app=str(REPO / "app.py"), without=without)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quotes", type=int, default=1200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from tests.monitoring_fixtures import week_up_to_today

    plan = YearPlan(quotes=args.quotes, store_id=DEFAULT_STORE_ID)
    year = generate_year(args.seed, plan, catalog=model_catalog())
    items: list[StockedItem] = [*year.sold, *year.stocked]
    with tempfile.TemporaryDirectory() as folder:
        predictions = Path(folder) / "predictions"
        started = time.perf_counter()
        write_stock(predictions, items)
        week_up_to_today(predictions, acceptance=0.6)
        print(
            f"synthetic year seed {args.seed}: {len(year.sold)} sold, {len(year.stocked)} in "
            f"stock, written as stock events in {time.perf_counter() - started:.1f} s"
        )
        env = {k: v for k, v in os.environ.items() if k not in {env_name(key) for key in KEYS}}
        env["PREDICTIONS_DIR"] = str(predictions)
        timings: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.repeats):
            for without in (True, False):
                timings[without].append(child_seconds(env, without))
    without, with_block = (statistics.median(timings[w]) for w in (True, False))
    added = with_block - without
    print(json.dumps({"without_s": timings[True], "with_s": timings[False]}))
    print(
        f"monitoring page cold: without the block {without:.2f} s, with it {with_block:.2f} s "
        f"(medians of {args.repeats}); the block adds {added:.2f} s, ratio "
        f"{with_block / without:.2f}; target <= {TARGET_SECONDS} s added: "
        f"{'met' if added <= TARGET_SECONDS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
