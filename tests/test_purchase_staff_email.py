"""Staff e-mails in a purchase record: never at rest in clear (PRODUCT.md, personal data).

A purchase keeps the clerk's e-mail, and the e-mail of the owner who approved it, as a keyed
reference and sealed: the stored object's bytes hold neither address; the owner's view opens
them, the clerk's view masks them; the clerk's own lookup compares references. A record written
before sealing still reads, and ``reseal`` rewrites it sealed, once: in the local folder and
in S3 (moto), and through ``python -m laptop_pricing.purchase reseal`` and ``purge``.
"""

from __future__ import annotations

import io
import json

import pytest

from laptop_pricing.purchase import staff_email
from laptop_pricing.purchase.purchase import Caller, UnsealedEmail
from laptop_pricing.purchase.store import purchase_store_from_settings
from laptop_pricing.settings import load_settings
from tests.purchase_support import (
    SECRET,
    SELLER,
    Scene,
    purchase_store_for,
)

CLERK_EMAIL = "ana@loja.com.br"
OWNER_EMAIL = "dono@loja.com.br"
CLERK = Caller("clerk", CLERK_EMAIL)
OWNER = Caller("owner", OWNER_EMAIL)


@pytest.fixture(params=["local", "s3"])
def scene(request, tmp_path, monkeypatch) -> Scene:
    return Scene(purchase_store_for(request, tmp_path, monkeypatch))


def approved_purchase(scene: Scene) -> str:
    """A purchase by the clerk above the revised offer, approved by the owner (an override)."""
    quote_id = scene.quote()
    body = scene.body(
        quote_id,
        agreed_amount=scene.offer(quote_id) + 100,
        amount_reason="cliente trouxe a nota fiscal",
        owner_approval=True,
    )
    assert scene.service.record(body, OWNER).status == 201
    return quote_id


def stored_bytes(scene: Scene, quote_id: str) -> bytes:
    data = scene.store.store.read_object(scene.store.purchase_key(quote_id))
    assert data is not None
    return data


def written_before_sealing(scene: Scene, quote_id: str) -> None:
    """The record as the service wrote it before sealing: the e-mails in clear."""
    raw = json.loads(stored_bytes(scene, quote_id))
    del raw["clerk_reference"], raw["clerk_sealed"]
    raw["clerk_email"] = CLERK_EMAIL
    raw["overrides"] = [
        {"what": o["what"], "role": o["role"], "email": OWNER_EMAIL, "at": o["at"]}
        for o in raw["overrides"]
    ]
    old = json.dumps(raw, sort_keys=True).encode()
    assert scene.store.store.replace_object(scene.store.purchase_key(quote_id), old)


def check_views(scene: Scene, quote_id: str) -> None:
    """The owner sees both e-mails; the clerk who bought sees them masked; another clerk and a
    clerk without e-mail find nothing."""
    full = scene.service.find(quote_id, OWNER, None)
    assert full is not None
    answer = full.as_dict()
    assert answer["clerk_email"] == CLERK_EMAIL
    assert [o["email"] for o in answer["overrides"]] == [OWNER_EMAIL]
    assert not {"clerk_reference", "clerk_sealed"} & set(answer)
    mine = scene.service.find(quote_id, CLERK, "ANA@loja.com.br")
    assert mine is not None
    shown = json.dumps(mine.as_dict())
    assert mine.as_dict()["clerk_email"] == "a***@loja.com.br"
    assert CLERK_EMAIL not in shown and OWNER_EMAIL not in shown and "d***@loja.com.br" in shown
    assert scene.service.find(quote_id, CLERK, "bia@loja.com.br") is None
    assert scene.service.find(quote_id, CLERK, None) is None


def test_the_stored_purchase_holds_no_staff_email_and_the_views_show_them(scene):
    quote_id = approved_purchase(scene)
    data = stored_bytes(scene, quote_id)
    assert CLERK_EMAIL.encode() not in data and OWNER_EMAIL.encode() not in data
    record = json.loads(data)
    assert record["clerk_reference"] == scene.vault.clerk_reference(CLERK_EMAIL)
    (override,) = record["overrides"]
    assert override["reference"] == scene.vault.clerk_reference(OWNER_EMAIL)
    assert scene.vault.open(override["sealed"].encode()) == OWNER_EMAIL.encode()
    check_views(scene, quote_id)


def test_a_record_from_before_sealing_reads_and_is_resealed_once(scene):
    quote_id = approved_purchase(scene)
    written_before_sealing(scene, quote_id)
    assert CLERK_EMAIL.encode() in stored_bytes(scene, quote_id)  # the old layout, in clear
    check_views(scene, quote_id)
    exported = json.dumps(scene.service.export_seller(SELLER["cpf"]))  # the seller's export
    assert quote_id in exported and CLERK_EMAIL not in exported

    assert staff_email.reseal(scene.store, scene.vault) == 1
    data = stored_bytes(scene, quote_id)
    assert CLERK_EMAIL.encode() not in data and OWNER_EMAIL.encode() not in data
    assert json.loads(data)["clerk_reference"] == scene.vault.clerk_reference(CLERK_EMAIL)
    check_views(scene, quote_id)
    assert staff_email.reseal(scene.store, scene.vault) == 0  # safe to repeat
    assert stored_bytes(scene, quote_id) == data


def test_a_purchase_with_an_email_in_clear_is_never_written(scene):
    quote_id = approved_purchase(scene)
    written_before_sealing(scene, quote_id)
    old = scene.store.read_purchase(quote_id)
    assert old is not None and old.clerk_email == CLERK_EMAIL
    with pytest.raises(UnsealedEmail):
        scene.store.replace_purchase(old)
    assert staff_email.sealed(old, scene.vault).as_record()


def test_a_missing_purchase_is_not_recreated_by_a_replace(scene):
    key = scene.store.purchase_key("11FA-AAAA-AAAA")
    assert scene.store.store.replace_object(key, b"{}") is False
    assert scene.store.store.read_object(key) is None


def test_the_owner_commands_reseal_and_purge_rewrite_older_records(clean_env, monkeypatch, capsys):
    from laptop_pricing.purchase.__main__ import main

    monkeypatch.setenv("PERSONAL_DATA_KEY", SECRET)
    scene = Scene(purchase_store_from_settings(load_settings({})))
    quote_id = approved_purchase(scene)
    written_before_sealing(scene, quote_id)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["purge"]) == 0
    assert "1 purchase(s) rewritten with e-mails sealed" in capsys.readouterr().out
    assert CLERK_EMAIL.encode() not in stored_bytes(scene, quote_id)
    written_before_sealing(scene, quote_id)
    assert main(["reseal"]) == 0 and main(["reseal"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "reseal: 1 purchase(s) rewritten with e-mails sealed",
        "reseal: 0 purchase(s) rewritten with e-mails sealed",
    ]
    check_views(scene, quote_id)
