"""Flags that stop or warn, as the policy says, and every override recorded with who decided."""

from __future__ import annotations

from datetime import timedelta

import pytest

from laptop_pricing.purchase.errors import PurchaseConflict, PurchaseForbidden
from laptop_pricing.purchase.purchase import Caller
from tests.purchase_support import OTHER_CPF, SELLER, Scene, local_purchase_store

CLERK = Caller("clerk", "ana@loja.com.br")
OWNER = Caller("owner", "dono@loja.com.br")


@pytest.fixture
def scene(tmp_path) -> Scene:
    return Scene(local_purchase_store(tmp_path))


def test_the_same_serial_stops_and_only_an_owner_sees_the_earlier_purchase(scene):
    first = scene.quote()
    body = scene.body(first)
    scene.service.record(body, CLERK)
    second = scene.body(scene.quote(), machine=dict(body["machine"]))
    second["machine"]["serial"] = " " + body["machine"]["serial"].lower() + " "  # same, typed
    for caller, shown in ((CLERK, None), (OWNER, first)):
        with pytest.raises(PurchaseConflict) as stop:
            scene.service.record(second, caller)
        assert stop.value.reason_code == "flag_stop"
        assert [f.code for f in stop.value.flags] == ["same_serial"]
        assert stop.value.purchase_id == shown
    preview = scene.service.preview(
        {"quote_id": second["quote_id"], "machine": {"serial": body["machine"]["serial"]}}, OWNER
    ).as_dict()
    assert preview["existing_purchase_id"] == first
    assert preview["flags"][0]["severity"] == "stop"


def test_block_list_stops_a_serial_and_a_seller(scene):
    body = scene.body(scene.quote())
    scene.store.put_block("serial", body["machine"]["serial"], scene.now, "roubado")
    with pytest.raises(PurchaseConflict) as stop:
        scene.service.record(body, OWNER)
    assert [f.code for f in stop.value.flags] == ["blocked_serial"]
    other = scene.body(scene.quote(), seller={**SELLER, "cpf": OTHER_CPF})
    scene.store.put_block("seller", scene.vault.seller_hash(OTHER_CPF), scene.now, "")
    with pytest.raises(PurchaseConflict) as stop:
        scene.service.record(other, OWNER)
    assert [f.code for f in stop.value.flags] == ["blocked_seller"]


def test_a_seller_past_the_limit_warns_and_needs_an_owner_who_is_recorded(scene):
    limit = scene.terms.max_purchases_per_seller
    for _ in range(limit):
        scene.service.record(scene.body(scene.quote()), CLERK)
    body = scene.body(scene.quote())
    with pytest.raises(PurchaseForbidden):
        scene.service.record(body, CLERK)
    with pytest.raises(PurchaseConflict) as unapproved:
        scene.service.record(body, OWNER)
    assert unapproved.value.reason_code == "owner_approval_required"
    body["owner_approval"] = True
    view = scene.service.record(body, OWNER).view.as_dict()
    assert [f["code"] for f in view["flags"]] == ["seller_repeat"]
    assert view["overrides"] == [
        {
            "what": "seller_repeat",
            "role": "owner",
            "email": "dono@loja.com.br",
            "at": view["recorded_at"],
        }
    ]


def test_purchases_older_than_the_window_do_not_count(scene):
    limit = scene.terms.max_purchases_per_seller
    start = scene.now
    scene.now = start - timedelta(days=scene.terms.seller_window_days + 1)
    for _ in range(limit):
        scene.service.record(scene.body(scene.quote()), CLERK)
    scene.now = start
    assert scene.service.record(scene.body(scene.quote()), CLERK).status == 201
