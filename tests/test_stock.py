"""The stock package (issue 24 items 1 and 2): a purchase opens an item, the fold of its events
is its state, a change out of order or out of bounds is refused in one pt-BR sentence, the same
event twice is stored once, and two clerks on one view store exactly one change, in a local
folder and in moto's S3."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from laptop_pricing.stock.errors import (
    InvalidStockEvent,
    StockChanged,
    StockForbidden,
    StockItemNotFound,
)
from laptop_pricing.stock.events import A_VENDA, DESCARTADO, EM_PREPARO, VENDIDO
from laptop_pricing.stock.query import StockQuery
from laptop_pricing.stock.sold import sold_items
from laptop_pricing.stock.store import StockStore
from tests.purchase_support import local_purchase_store, s3_purchase_store
from tests.service_fixtures import MOTO_ENV
from tests.stock_support import StockScene, caller_clerk, caller_owner, change, sale


@pytest.fixture
def scene(tmp_path) -> StockScene:
    return StockScene(local_purchase_store(tmp_path))


@pytest.fixture
def s3_scene(moto_endpoint, bucket, monkeypatch, atomic_conditional_puts) -> StockScene:
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)
    return StockScene(s3_purchase_store(moto_endpoint, bucket))


def stock_bytes(scene: StockScene) -> bytes:
    store = scene.store.store
    keys = store.list_keys(f"{scene.store.root}stock/")
    return b"".join(store.read_object(key) or b"" for key in keys)


def test_a_purchase_opens_an_item_in_preparation_with_its_quote_facts(scene):
    purchase_id = scene.bought(market=5000)
    item = scene.stock.item(purchase_id)
    assert item is not None and (item.state, item.version) == (EM_PREPARO, 1)
    purchase = scene.store.read_purchase(purchase_id)
    assert item.facts.serial == purchase.serial and item.facts.paid == purchase.agreed_amount
    assert item.facts.market_estimate == 5000 and item.facts.brand == "dell"
    assert item.facts.laptop["processor_name"] == "core i5"
    assert scene.stock.suggested_price(item) == 2500  # the policy's 50 % of the estimate


def test_the_fold_walks_preparation_sale_and_an_owners_correction(scene):
    purchase_id = scene.bought()
    scene.stock.change(purchase_id, change(A_VENDA, list_price=2600, version=1), caller_clerk())
    scene.later()
    sold = scene.stock.change(purchase_id, change(VENDIDO, sale=sale(2500)), caller_clerk())
    assert sold.status == 201 and sold.item.state == VENDIDO and sold.item.sale.price == 2500
    fixed = scene.stock.change(
        purchase_id, change("correcao_venda", sale=sale(2450, channel="online")), caller_owner()
    )
    item = fixed.item
    assert (item.state, item.sale.price, item.sale.channel, item.version) == (
        VENDIDO,
        2450,
        "online",
        4,
    )
    assert [line.kind for line in item.history] == [
        EM_PREPARO,
        A_VENDA,
        VENDIDO,
        "correcao_venda",
    ]
    assert item.list_price == 2600 and item.history[2].sale.price == 2500  # history stays


def test_a_laptop_bought_in_the_evening_is_sold_and_counted_on_the_store_s_day(tmp_path):
    """At 22:30 in Brasília the UTC day is already the next one. The purchase's day is the
    store's, so a laptop bought then can be sold that same evening (the CI run that found this
    ran at 00:42 UTC), and its days in stock count the store's days."""
    evening = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # 2026-03-09, 22:30 in Brasília
    scene = StockScene(local_purchase_store(tmp_path), now=evening)
    purchase_id = scene.bought()
    item = scene.stock.item(purchase_id)
    assert item is not None and item.facts.purchased_on == date(2026, 3, 9)
    assert item.days_in_stock(date(2026, 3, 9)) == 0 and item.days_in_stock(date(2026, 3, 11)) == 2
    scene.stock.change(purchase_id, change(A_VENDA, list_price=2600, version=1), caller_clerk())
    scene.later()  # 23:30 in Brasília, still the 9th
    sold = scene.stock.change(
        purchase_id, change(VENDIDO, sale=sale(2500, day="2026-03-09")), caller_clerk()
    )
    assert sold.status == 201 and sold.item.sale.date == date(2026, 3, 9)
    with pytest.raises(InvalidStockEvent) as refused:  # the day before the purchase's
        scene.stock.change(
            purchase_id,
            change("correcao_venda", sale=sale(2500, day="2026-03-08")),
            caller_owner(),
        )
    assert "entre a compra (09/03/2026) e hoje" in refused.value.message_pt
    discarded = scene.bought()  # 23:30 in Brasília, thrown away at 23:50: the same store day
    scene.now += timedelta(minutes=20)
    scene.stock.change(discarded, change(DESCARTADO, version=1), caller_clerk())
    item = scene.stock.item(discarded)
    assert item is not None and item.days_in_stock(date(2026, 3, 20)) == 0


def test_the_same_event_twice_is_stored_once_and_answered_200(scene):
    purchase_id = scene.bought()
    body = change(A_VENDA, list_price=2600, version=1)
    first = scene.stock.change(purchase_id, body, caller_clerk())
    again = scene.stock.change(purchase_id, body, caller_clerk())
    assert (first.status, again.status) == (201, 200)
    assert again.item.version == 2 and len(scene.stock.store.events_of(purchase_id)) == 2


def test_an_event_id_reused_with_other_content_is_refused_naming_it(scene):
    purchase_id = scene.bought()
    body = change(A_VENDA, list_price=2600)
    scene.stock.change(purchase_id, body, caller_clerk())
    with pytest.raises(InvalidStockEvent) as caught:
        scene.stock.change(purchase_id, {**body, "list_price": 2700}, caller_clerk())
    assert caught.value.fields == ["event_id"] and "já foi usado" in caught.value.message_pt


@pytest.mark.parametrize(
    ("steps", "bad", "field", "words"),
    [
        ([(VENDIDO, {"sale": sale(2000)})], change(EM_PREPARO), "kind", "vendido"),
        ([(VENDIDO, {"sale": sale(2000)})], change(VENDIDO, sale=sale(2000)), "kind", "estoque"),
        ([("descartado", {})], change(VENDIDO, sale=sale(2000)), "kind", "estoque"),
        ([], change(VENDIDO, sale=sale(0)), "sale.price", "R$ 1"),
        ([], change(VENDIDO, sale=sale(10**6)), "sale.price", "10 vezes"),
        ([], change(A_VENDA, list_price=10**6), "list_price", "10 vezes"),
        ([], change(VENDIDO, sale=sale(2000, day="2026-03-11")), "sale.date", "entre a compra"),
        ([], change(VENDIDO, sale=sale(2000, day="2026-01-01")), "sale.date", "entre a compra"),
        ([], change("correcao_venda", sale=sale(2000)), "kind", "vendido"),
    ],
)
def test_a_change_out_of_order_or_out_of_bounds_is_one_pt_sentence_and_nothing_stored(
    scene, steps, bad, field, words
):
    purchase_id = scene.bought()
    for kind, extra in steps:
        scene.stock.change(purchase_id, change(kind, **extra), caller_owner())
    before = len(scene.stock.store.events_of(purchase_id))
    with pytest.raises(InvalidStockEvent) as caught:
        scene.stock.change(purchase_id, bad, caller_owner())
    assert field in caught.value.fields and words in caught.value.message_pt
    assert caught.value.message_pt.count(".") <= 2  # one sentence (a date may carry dots)
    assert len(scene.stock.store.events_of(purchase_id)) == before


def test_a_clerk_correcting_a_sale_is_forbidden(scene):
    purchase_id = scene.bought()
    scene.stock.change(purchase_id, change(VENDIDO, sale=sale(2000)), caller_clerk())
    with pytest.raises(StockForbidden) as caught:
        scene.stock.change(purchase_id, change("correcao_venda", sale=sale(1900)), caller_clerk())
    assert caught.value.status == 403 and "dono" in caught.value.message_pt


def test_an_unknown_item_is_not_found_and_a_bad_id_names_purchase_id(scene):
    with pytest.raises(StockItemNotFound):
        scene.stock.change("0000-0000-0000", change(A_VENDA, list_price=10), caller_clerk())
    with pytest.raises(InvalidStockEvent) as caught:
        scene.stock.change("not an id", change(A_VENDA, list_price=10), caller_clerk())
    assert caught.value.fields == ["purchase_id"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (None, ["body"]),
        ([1, 2], ["body"]),
        ({}, ["event_id", "kind"]),
        ({"event_id": "x", "kind": "roubado"}, ["event_id", "kind"]),
        (change(A_VENDA), ["list_price"]),
        (change(A_VENDA, list_price="2000"), ["list_price"]),
        (change(A_VENDA, list_price=True), ["list_price"]),
        (change(VENDIDO), ["sale"]),
        (change(VENDIDO, sale={"price": 1, "date": "10/03/2026", "channel": "x"}), []),
        (change(EM_PREPARO, version=-1, clerk_email="nope", extra=1), []),
    ],
)
def test_a_bad_body_names_each_field(scene, body, fields):
    purchase_id = scene.bought()
    with pytest.raises(InvalidStockEvent) as caught:
        scene.stock.change(purchase_id, body, caller_clerk())
    named = caught.value.fields
    assert named and all(field in named for field in fields)
    if body and isinstance(body, dict) and body.get("sale"):
        assert {"sale.date", "sale.channel"} <= set(named)
    if body and isinstance(body, dict) and "extra" in body:
        assert {"version", "clerk_email", "extra"} <= set(named)


def test_a_stale_version_is_told_to_reload(scene):
    purchase_id = scene.bought()
    scene.stock.change(purchase_id, change(A_VENDA, list_price=2600, version=1), caller_clerk())
    with pytest.raises(StockChanged) as caught:
        scene.stock.change(purchase_id, change(A_VENDA, list_price=2700, version=1), caller_clerk())
    assert caught.value.status == 409 and "recarregue" in caught.value.message_pt


def race(scene: StockScene, purchase_id: str, n: int = 8) -> list[object]:
    """``n`` clerks, each with its own service (as on separate servers), change the same view."""
    services = [scene.stock_service() for _ in range(n)]
    bodies = [change(A_VENDA, list_price=2000 + i, version=1) for i in range(n)]

    def attempt(i: int) -> object:
        try:
            return services[i].change(purchase_id, bodies[i], caller_clerk(f"c{i}@loja.com.br"))
        except StockChanged as error:
            return error

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(attempt, range(n)))


def test_two_clerks_at_once_on_a_local_folder_store_exactly_one(scene):
    purchase_id = scene.bought()
    results = race(scene, purchase_id)
    told = [r for r in results if isinstance(r, StockChanged)]
    assert len(told) == len(results) - 1
    assert len(scene.stock.store.events_of(purchase_id)) == 2


def test_two_clerks_at_once_on_s3_store_exactly_one(s3_scene):
    purchase_id = s3_scene.bought()
    results = race(s3_scene, purchase_id, n=4)
    assert sum(isinstance(r, StockChanged) for r in results) == 3
    item = s3_scene.stock.item(purchase_id)
    assert item.version == 2 and item.state == A_VENDA


def test_on_s3_the_fold_and_a_retry_read_back_the_same(s3_scene):
    purchase_id = s3_scene.bought()
    body = change(VENDIDO, sale=sale(2100, channel="atacado_pecas"))
    first = s3_scene.stock.change(purchase_id, body, caller_clerk())
    fresh = s3_scene.stock_service()  # nothing cached: read from the bucket
    again = fresh.change(purchase_id, body, caller_clerk())
    assert (first.status, again.status) == (201, 200) and again.item == first.item


def test_no_clerk_email_is_kept_in_the_stock(scene):
    purchase_id = scene.bought()
    scene.stock.change(purchase_id, change(A_VENDA, list_price=2600), caller_clerk())
    kept = stock_bytes(scene)
    assert b"@" not in kept and b"ana" not in kept
    refs = {json.loads(line)["by"]["ref"] for line in kept.replace(b"}{", b"}\n{").splitlines()}
    assert len(refs) == 1 and refs.pop().startswith("clerk-")  # the same clerk, one reference


def test_filters_search_and_pages_over_the_stock(scene):
    ids = [scene.bought() for _ in range(5)]
    scene.stock.change(ids[0], change(A_VENDA, list_price=2600), caller_clerk())
    scene.stock.change(ids[1], change(VENDIDO, sale=sale(2000)), caller_clerk())
    serial = scene.stock.item(ids[2]).facts.serial
    page = scene.stock.page(StockQuery(state=EM_PREPARO, page_size=2))
    assert (page.total, page.pages, len(page.items)) == (3, 2, 2)
    assert page.counts[EM_PREPARO] == 3 and page.counts[VENDIDO] == 1
    assert [i.purchase_id for i in scene.stock.page(StockQuery(search=serial.lower())).items] == [
        ids[2]
    ]
    by_id = scene.stock.page(StockQuery(search=ids[3].replace("-", "").lower()))
    assert [i.purchase_id for i in by_id.items] == [ids[3]]
    assert scene.stock.page(StockQuery(brand="dell", processor="intel core i5")).total == 5
    assert scene.stock.page(StockQuery(brand="apple")).total == 0
    assert scene.stock.page(StockQuery(age="ate_30")).total == 5
    assert scene.stock.page(StockQuery(age="mais_180")).total == 0


def test_a_bad_query_names_each_parameter():
    with pytest.raises(InvalidStockEvent) as caught:
        StockQuery.from_params({"state": "x", "age": "1", "page": "0", "sort": "a"})
    assert set(caught.value.fields) == {"state", "age", "page", "sort"}


def test_sold_items_give_the_advisor_its_rows(scene):
    kept = scene.bought(market=6000)
    sold = scene.bought(market=5000)
    scene.stock.change(sold, change(VENDIDO, sale=sale(2300, channel="online")), caller_clerk())
    rows = sold_items(scene.stock.store)
    assert [row.purchase_id for row in rows] == [sold] and kept != sold
    row = rows[0]
    assert (row.sale_price, row.channel, row.market_estimate) == (2300, "online", 5000)
    assert row.preparation_cost == 0 and row.sold_on == date(2026, 3, 10)
    assert row.laptop.brand == "dell" and row.condition.body == "worn"
    assert row.paid == scene.store.read_purchase(sold).agreed_amount
    assert row.margin == 2300 - row.paid


def test_a_new_process_reads_the_snapshot_not_each_event(scene):
    ids = [scene.bought() for _ in range(3)]
    scene.stock.change(ids[0], change(A_VENDA, list_price=2600), caller_clerk())
    first = StockStore(scene.store.store, snapshot_after=2)
    expected = {pid: [e.kind for e in events] for pid, events in first.all_events().items()}
    snapshots = scene.store.store.list_keys(first.snapshots)
    assert len(snapshots) == 1 and snapshots[0].endswith(".json.gz")
    for key in scene.store.store.list_keys(first.prefix):  # the events unreadable one by one
        Path(scene.store.store.directory, key).write_bytes(b"not json")
    fresh = StockStore(scene.store.store)
    assert {pid: [e.kind for e in ev] for pid, ev in fresh.all_events().items()} == expected
    assert expected[ids[0]] == [EM_PREPARO, A_VENDA]


def test_on_s3_a_new_process_reads_the_snapshot_too(s3_scene, s3, bucket):
    ids = [s3_scene.bought() for _ in range(2)]
    records = s3_scene.store.store
    first = StockStore(records, snapshot_after=1, prune_snapshots=False)
    expected = {pid: [e.kind for e in events] for pid, events in first.all_events().items()}
    assert len(records.list_keys(first.snapshots)) == 1 and set(expected) == set(ids)
    for key in records.list_keys(first.prefix):
        s3.put_object(Bucket=bucket, Key=key, Body=b"not json")
    fresh = StockStore(records)
    assert {pid: [e.kind for e in ev] for pid, ev in fresh.all_events().items()} == expected
