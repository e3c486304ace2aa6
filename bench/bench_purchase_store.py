"""The purchase store's targets (issue #23) on moto S3 in its own process, against a bare
GET and a bare put-if-absent of the same store in the same run.

    python bench/bench_purchase_store.py                      # 100,000 purchases stored
    python bench/bench_purchase_store.py --purchases 10000    # a quicker fill

* serial lookup: ``PurchaseService.find_by_serial`` (by-serial index, then the purchase and
  its sealed seller) with N purchases stored, interleaved with a bare ``GetObject`` of one
  index object. The fill writes only what a lookup reads: N by-serial index objects, plus
  complete purchases for the serials looked up; how long it took is printed. The N objects go
  straight into moto's S3 backend inside the moto process (its ``put_object``, the same
  ``FakeKey`` a PUT makes), not over HTTP: 100,000 take seconds instead of ~17 minutes. Every
  lookup, GET, record and put timed below goes over HTTP to that process.
  Target: p50 <= 50 ms.
* record: ``PurchaseService.record`` of a purchase (photos uploaded before, not timed),
  interleaved with a bare ``put_new`` of a 1 KB object. Target: p50 <= 300 ms.
* 1000 concurrent purchases of distinct quotes -> how many stored (target 1000), and 20
  concurrent attempts with distinct event ids on one quote -> how many stored (target 1).

moto 5.2 checks ``If-None-Match`` and then writes without a lock (S3 itself arbitrates);
the moto server here runs with that check made atomic, as tests/service_fixtures.py does.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_support import free_port, timed  # noqa: E402
from stdnum.br import cpf  # noqa: E402

from laptop_pricing.api.service import prediction_values  # noqa: E402
from laptop_pricing.formatting import BRASILIA  # noqa: E402
from laptop_pricing.pricing.laptop_spec import LaptopSpec  # noqa: E402
from laptop_pricing.purchase.errors import PurchaseConflict, PurchaseNotStored  # noqa: E402
from laptop_pricing.purchase.policy_terms import load_purchase_terms  # noqa: E402
from laptop_pricing.purchase.purchase import Caller  # noqa: E402
from laptop_pricing.purchase.service import PurchaseService  # noqa: E402
from laptop_pricing.purchase.store import (  # noqa: E402
    PURCHASE_OBJECTS,
    WRITE_TIMEOUTS,
    PurchaseStore,
)
from laptop_pricing.purchase.vault import PersonalDataVault  # noqa: E402
from laptop_pricing.storage import s3  # noqa: E402
from laptop_pricing.storage.layout import LogLayout  # noqa: E402
from laptop_pricing.storage.s3_store import S3RecordStore  # noqa: E402
from laptop_pricing.storage.stores import StoreError  # noqa: E402
from laptop_pricing.trade_in.condition import Condition  # noqa: E402
from laptop_pricing.trade_in.outcome import Outcome  # noqa: E402
from laptop_pricing.trade_in.policy import load_policy  # noqa: E402
from laptop_pricing.trade_in.quote import QuoteIssuer  # noqa: E402
from laptop_pricing.trade_in.quote_id import QuoteIdGenerator  # noqa: E402
from laptop_pricing.trade_in.quote_lookup import QuoteLookup  # noqa: E402

PREFIX = "laptop-trade-in-purchases"
BUCKET = "bench-purchases"
NOW = datetime.now(UTC)
CLERK = Caller("clerk", "ana@loja.com.br")
OWNER = Caller("owner", "dono@loja.com.br")
WORN = dataclasses.replace(Condition.best(), body="worn")
# moto's server in a process of its own (S3 is another machine: in ours it would share our
# GIL), with If-None-Match made atomic, serving HTTP from a thread; its main thread takes one
# JSON command a line on stdin: fill a bucket through the backend, answer on stdout.
MOTO_CHILD = """
import json, sys, threading
from moto.s3.responses import S3Response
unlocked, lock = S3Response.put_object, threading.Lock()
def put_object(self):
    with lock:
        return unlocked(self)
S3Response.put_object = put_object
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
print("ready", flush=True)
for line in sys.stdin:
    fill = json.loads(line)
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for n in range(fill["count"]):
        number = f"{n:08d}"
        key, body = (fill[part].replace("@N@", number) for part in ("key", "body"))
        backend.put_object(fill["bucket"], key, body.encode())
    print(f"filled {fill['count']}", flush=True)
server.stop()
"""
_numbers = itertools.count()


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def nth_cpf(n: int) -> str:
    base = f"{300_000_000 + n:09d}"
    return next(base + f"{d:02d}" for d in range(100) if cpf.is_valid(base + f"{d:02d}"))


class Counter:
    """Accepted quotes in memory (the lookup is benched in bench_quote_lookup.py)."""

    def __init__(self, store: PurchaseStore):
        self.rows: dict[str, dict[str, object]] = {}
        self.outcomes: dict[str, list[dict[str, str]]] = {}
        self.policy = load_policy()
        self.terms = load_purchase_terms()
        self.ids = QuoteIdGenerator()
        self.store = store
        lookup = QuoteLookup(
            lambda day: [],
            today=lambda: NOW.astimezone(BRASILIA).date(),
            outcome_rows=lambda day: [r for rows in self.outcomes.values() for r in rows][:0],
            quote_row=self.rows.get,
        )
        lookup.outcomes_of = lambda quote_id, day: tuple(  # type: ignore[method-assign]
            Outcome.from_record(r) for r in self.outcomes.get(quote_id, [])
        )
        self.service = PurchaseService(
            lookup, store, PersonalDataVault("b" * 40), self.policy, self.terms, lambda: NOW
        )

    def quote(self) -> str:
        moment = NOW - timedelta(hours=1)
        issued = QuoteIssuer(self.policy, self.ids, clock=lambda: moment).issue(5000, WORN)
        values = prediction_values(LaptopSpec.default().as_dict(), 5000, "v1", "r", moment)
        self.rows[issued.quote_id] = {**values, **issued.log_values()}
        outcome = Outcome(
            issued.quote_id,
            f"ev-{next(_numbers):08d}",
            "accepted",
            None,
            None,
            "",
            None,
            issued.offer.amount,
            False,
            moment,
        )
        self.outcomes[issued.quote_id] = [outcome.as_record()]
        return issued.quote_id

    def body(self, quote_id: str, n: int) -> dict[str, object]:
        photos = []
        for kind in ("lid", "screen"):
            data = f"{quote_id}-{kind}".encode()
            photo_id = f"{kind}-{hashlib.sha256(data).hexdigest()[:16]}"
            self.store.put_photo(quote_id, photo_id, data, sealed=False)
            photos.append(photo_id)
        return {
            "event_id": f"purchase-{next(_numbers):08d}",
            "quote_id": quote_id,
            "clerk_email": "ana@loja.com.br",
            "condition": WORN.as_dict(),
            "agreed_amount": int(str(self.rows[quote_id]["offer"])),
            "locks": {lock.id: True for lock in self.terms.locks_for("dell")},
            "machine": {"serial": f"BENCH-{n:08d}", "label_brand": "Dell", "label_model": "X"},
            "photos": photos,
            "seller": {
                "name": "Maria Souza",
                "cpf": nth_cpf(n),
                "document_type": "rg",
                "document_number": "1234567",
                "phone": None,
            },
            "privacy_notice_read": True,
            "payout": {"method": "pix"},
            "declaration_signed": True,
        }


def attempt(counter: Counter, body: dict[str, object]) -> int:
    """The answer's status; 503 for a write not confirmed, 0 for a read that timed out."""
    try:
        return counter.service.record(body, CLERK).status
    except PurchaseConflict:
        return 409
    except PurchaseNotStored:
        return 503
    except StoreError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--purchases", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", MOTO_CHILD, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = s3.s3_client(endpoint, WRITE_TIMEOUTS, pool=128)
        for _ in range(100):
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except s3.S3_ERRORS:
                time.sleep(0.2)
        store = PurchaseStore(
            S3RecordStore(BUCKET, LogLayout(PREFIX, PURCHASE_OBJECTS), client, client)
        )
        run(store, client, args, lambda count: fill_serials(server, store, count))
    finally:
        server.terminate()
        server.wait(timeout=10)


def fill_serials(server: subprocess.Popen[str], store: PurchaseStore, count: int) -> None:
    """``count`` by-serial index objects, ``FILL-<n>`` -> ``FILL<n>``, byte for byte as
    ``put_serial`` writes them, put by the moto process into its backend."""
    key = store.serial_key("FILL-00000000").replace("00000000", "@N@")
    body = json.dumps({"purchase_id": "FILL@N@"}, sort_keys=True)
    assert key.replace("@N@", "00000007") == store.serial_key("FILL-00000007")
    assert body.replace("@N@", "00000007") == json.dumps({"purchase_id": "FILL00000007"})
    assert server.stdin is not None and server.stdout is not None
    fill = {"bucket": BUCKET, "key": key, "body": body, "count": count}
    server.stdin.write(json.dumps(fill) + "\n")
    server.stdin.flush()
    assert server.stdout.readline().strip() == f"filled {count}"


def run(
    store: PurchaseStore,
    client: object,
    args: argparse.Namespace,
    fill_index: Callable[[int], None],
) -> None:
    counter = Counter(store)
    looked_up = [counter.quote() for _ in range(20)]
    for n, quote_id in enumerate(looked_up):
        assert counter.service.record(counter.body(quote_id, n), CLERK).status == 201
    start = time.perf_counter()
    fill_index(args.purchases)
    fill = time.perf_counter() - start
    index_key = store.serial_key(f"FILL-{args.purchases - 1:08d}")
    assert store.serial_purchase(f"FILL-{args.purchases - 1:08d}") == (
        f"FILL{args.purchases - 1:08d}"
    )  # read back over HTTP: the filled objects are what S3 serves
    print(
        f"filled {args.purchases:,} serial index objects in {fill:.1f} s "
        f"({args.purchases / fill:,.0f}/s, moto's backend in its process) "
        f"+ {len(looked_up)} complete purchases over HTTP"
    )

    def bare_get() -> None:
        client.get_object(Bucket=BUCKET, Key=index_key)["Body"].read()  # type: ignore[attr-defined]

    serials = itertools.cycle(f"BENCH-{n:08d}" for n in range(len(looked_up)))
    lookups, gets = [], []
    for _ in range(args.samples):
        gets += timed(bare_get, 1)
        lookups += timed(lambda: counter.service.find_by_serial(next(serials), OWNER), 1)
    print(
        f"serial lookup p50 {p50_ms(lookups):.1f} ms vs bare GET {p50_ms(gets):.1f} ms "
        f"({p50_ms(lookups) / p50_ms(gets):.2f}x) with {args.purchases:,} stored; target 50 ms"
    )

    records, puts, lists = [], [], []
    bodies = [counter.body(counter.quote(), 1000 + n) for n in range(min(args.samples, 100))]
    for n, body in enumerate(bodies):
        key = f"{store.root}bare/{n:06d}.json"
        photos = store.photos_prefix(str(body["quote_id"]))
        puts += timed(lambda k=key: store.store.put_new(k, b"x" * 1024, time.monotonic() + 8), 1)
        lists += timed(lambda p=photos: store.store.list_keys(p), 1)
        records += timed(lambda b=body: counter.service.record(b, CLERK), 1)
    print(
        f"record p50 {p50_ms(records):.1f} ms vs bare put_new {p50_ms(puts):.1f} ms "
        f"({p50_ms(records) / p50_ms(puts):.2f}x); target 300 ms. A bare ListObjectsV2 of "
        f"one quote's 2 photos: p50 {p50_ms(lists):.1f} ms "
        "(a record lists once: the seller's index entries)"
    )

    many = [counter.body(counter.quote(), 10_000 + n) for n in range(args.concurrent)]
    start = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        statuses = list(pool.map(lambda body: attempt(counter, body), many))
    seconds = time.perf_counter() - start
    unsure = [b for b, status in zip(many, statuses, strict=True) if status in (0, 503)]
    again = [attempt(counter, body) for body in unsure]  # a client sends a 503 again
    stored = sum(1 for body in many if store.read_purchase(str(body["quote_id"])) is not None)
    print(
        f"{args.concurrent} purchases of distinct quotes at once ({args.threads} threads): "
        f"{statuses.count(201)} answered 201 in {seconds:.1f} s, {len(unsure)} 503 or "
        f"timeouts (sent again: {again.count(201)} 201, {again.count(200)} 200); "
        f"{stored} stored; target {args.concurrent}"
    )

    quote_id = counter.quote()
    attempts = [counter.body(quote_id, 50_000) for _ in range(20)]
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda body: attempt(counter, body), attempts))
    keys = store.store.list_keys(store.purchase_key(quote_id))
    print(
        f"20 concurrent events on one quote: {statuses.count(201)} answered 201, "
        f"{statuses.count(409)} 409, {len(keys)} stored; target 1"
    )
    print(
        json.dumps(
            {
                "purchases": args.purchases,
                "fill_s": round(fill, 1),
                "lookup_p50_ms": round(p50_ms(lookups), 2),
                "get_p50_ms": round(p50_ms(gets), 2),
                "record_p50_ms": round(p50_ms(records), 2),
                "put_new_p50_ms": round(p50_ms(puts), 2),
                "list_p50_ms": round(p50_ms(lists), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
