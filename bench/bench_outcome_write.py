"""Recording an outcome (``POST /outcome`` in-process) against pricing a trade-in, same store,
same run: local folder and moto S3 on loopback.

    python bench/bench_outcome_write.py [--quotes 50] [--outcomes 200] [--s3]

For each store it prices ``quotes`` laptops with a condition through ``LocalPricingClient`` (the
Lambda handler in-process, the request log written under its deadline), then records
``outcomes`` outcomes of those quotes, one at a time, and prints the medians (p50) and p90 of:

* baseline: pricing a trade-in (model, offer, quote id, the request-log write);
* an outcome: validation, the quote's terms (remembered after the first read of its day), the
  event looked for in today's and yesterday's records, the conditional write;

and the ratio to the baseline, plus the very first outcome alone (it reads the quotes' day of
the request log: the day file and the records not yet folded into it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from laptop_pricing.api.handler import PricingHandler, get_engine
from laptop_pricing.api.service import observer_from_settings
from laptop_pricing.client import LocalPricingClient
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE
from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.outcome_service import recorder_from_settings
from laptop_pricing.trade_in.policy import load_policy
from laptop_pricing.trade_in.quote import QuoteIssuer

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}
BUCKET = "bench-outcome-write"
SPEC = LaptopSpec.from_payload(CONTRACT_EXAMPLE)
CONDITION = Condition.from_payload({**Condition.best().as_dict(), "screen": "scratched"})


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(function) -> tuple[float, object]:
    began = time.perf_counter()
    result = function()
    return (time.perf_counter() - began) * 1000.0, result


def run(quotes: int, outcomes: int) -> dict[str, list[float]]:
    settings = load_settings({})
    handler = PricingHandler(
        get_engine(),
        observer_from_settings(settings),
        QuoteIssuer(load_policy()),
        recorder_from_settings(settings),
    )
    client = LocalPricingClient(handler)
    client.price_trade_in(SPEC, CONDITION)  # warm the model and the connections
    times: dict[str, list[float]] = {"pricing": [], "outcome": []}
    made = []
    for _ in range(quotes):
        elapsed, (_, trade_in) = timed(lambda: client.price_trade_in(SPEC, CONDITION))
        times["pricing"].append(elapsed)
        made.append(trade_in.quote_id)
    for n in range(outcomes):
        quote_id = made[n % quotes]
        event = f"bench-{uuid.uuid4().hex}"
        elapsed, answer = timed(lambda: client.record_outcome(quote_id, event, "accepted"))  # noqa: B023
        assert answer.created
        times["outcome"].append(elapsed)
    return times


def report(where: str, times: dict[str, list[float]]) -> None:
    base = statistics.median(times["pricing"])
    print(f"{where}:")
    for name, values in times.items():
        p50 = statistics.median(values)
        ratio = "" if name == "pricing" else f"  ({p50 / base:.2f}x pricing)"
        print(
            f"  {name:14s} p50 {p50:7.1f} ms  p90 {percentile(values, 0.9):7.1f} ms"
            f"  n={len(values)}{ratio}"
        )
    print(f"  first outcome (reads the quotes' day): {times['outcome'][0]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quotes", type=int, default=50)
    parser.add_argument("--outcomes", type=int, default=200)
    parser.add_argument("--s3", action="store_true", help="also moto_server on loopback")
    args = parser.parse_args()
    for name in ("PREDICTIONS_BUCKET", "AWS_ENDPOINT_URL", "API_ENDPOINT"):
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PREDICTIONS_DIR"] = folder
        report("local folder", run(args.quotes, args.outcomes))
    if not args.s3:
        return
    import logging

    from moto.server import ThreadedMotoServer

    from laptop_pricing.storage.s3 import READ_TIMEOUTS, s3_client

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 call otherwise
    os.environ.update(AWS_ENV)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3_client(endpoint, READ_TIMEOUTS).create_bucket(Bucket=BUCKET)
        os.environ.update({"PREDICTIONS_BUCKET": BUCKET, "AWS_ENDPOINT_URL": endpoint})
        report("moto S3", run(args.quotes, args.outcomes))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
