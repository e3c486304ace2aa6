"""Exactly once, whatever the concurrency: 20 attempts with distinct event ids on one quote
store one purchase (the others 409 naming it), the same event sent again is 200, and 80
distinct quotes bought at once are 80 purchases. S3 through moto's server, and the local
folder."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from laptop_pricing.purchase.errors import PurchaseConflict
from laptop_pricing.purchase.purchase import Caller
from tests.purchase_support import SELLER, Scene, nth_cpf, purchase_store_for

CLERK = Caller("clerk", "ana@loja.com.br")


@pytest.fixture(params=["local", "s3"])
def scene(request, tmp_path, monkeypatch) -> Scene:
    if request.param == "s3":
        request.getfixturevalue("atomic_conditional_puts")
    return Scene(purchase_store_for(request, tmp_path, monkeypatch))


def attempt(scene: Scene, body: dict) -> tuple[int, str | None]:
    try:
        return scene.service.record(body, CLERK).status, None
    except PurchaseConflict as conflict:
        return 409, conflict.purchase_id


def test_twenty_events_on_one_quote_store_one(scene):
    quote_id = scene.quote()
    bodies = [scene.body(quote_id) for _ in range(20)]
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda body: attempt(scene, body), bodies))
    assert sorted(status for status, _ in answers) == [201] + [409] * 19
    assert {named for status, named in answers if status == 409} == {quote_id}
    assert scene.store.store.list_keys(f"{scene.store.root}purchases/") == [
        scene.store.purchase_key(quote_id)
    ]
    winner = scene.store.read_purchase(quote_id)
    replay = next(body for body in bodies if body["event_id"] == winner.event_id)
    assert scene.service.record(replay, CLERK).status == 200


def test_the_same_event_twenty_times_at_once_stores_one_and_answers_each(scene):
    quote_id = scene.quote()
    body = scene.body(quote_id)
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: attempt(scene, body), range(20)))
    assert sorted(status for status, _ in answers) == [200] * 19 + [201]


def test_eighty_distinct_quotes_at_once_are_eighty_purchases(scene):
    bodies = [scene.body(scene.quote(), seller={**SELLER, "cpf": nth_cpf(n)}) for n in range(80)]
    with ThreadPoolExecutor(32) as pool:
        statuses = list(pool.map(lambda body: attempt(scene, body)[0], bodies))
    assert statuses == [201] * 80
    assert len(scene.store.store.list_keys(f"{scene.store.root}purchases/")) == 80
