"""The seller's personal data: sealed at rest (no CPF, name, document or phone in any stored
byte), shown whole to owners and masked to the clerk who bought, exported, erased and purged."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

import pytest

from laptop_pricing.purchase.errors import PersonalDataKeyMissing, PurchaseForbidden
from laptop_pricing.purchase.purchase import Caller
from laptop_pricing.purchase.vault import KEY_FILE_NAME, PersonalDataVault, vault_from_settings
from laptop_pricing.settings import load_settings
from tests.purchase_support import SECRET, SELLER, Scene, all_bytes, local_purchase_store

CLERK = Caller("clerk", "ana@loja.com.br")
OWNER = Caller("owner", "dono@loja.com.br")
PERSONAL = (
    b"52998224725",
    b"529.982.247-25",
    b"982.247",
    b"982247",
    b"Maria",
    b"Souza",
    b"Aparecida",
    b"12.345.678-9",
    b"123456789",
    b"98765-4321",
    b"987654321",
)


@pytest.fixture
def scene(tmp_path) -> Scene:
    return Scene(local_purchase_store(tmp_path))


def test_no_personal_data_in_any_stored_byte(scene):
    quote_id = scene.quote()
    declaration = scene.service.add_photo(
        quote_id, "declaration", b"Maria Aparecida Souza 52998224725"
    )
    body = scene.body(quote_id, declaration_photo=declaration.photo_id)
    scene.service.record(body, CLERK)
    stored = all_bytes(scene.store)
    assert len(stored) > 1000
    for needle in PERSONAL:
        assert needle not in stored, needle


def test_the_seller_is_whole_for_owners_masked_for_the_clerk_who_bought_hidden_otherwise(scene):
    quote_id = scene.quote()
    scene.service.record(scene.body(quote_id), CLERK)
    full = scene.service.find(quote_id, OWNER, None).as_dict()["seller"]
    assert full["name"] == SELLER["name"] and full["cpf"] == "52998224725"
    assert full["document_number"] == SELLER["document_number"] and full["phone"] == "11987654321"
    masked = scene.service.find(quote_id, CLERK, "ANA@loja.com.br").as_dict()
    assert masked["seller"] == {"first_name": "Maria", "cpf_masked": "***.982.247-**"}
    assert masked["seller_access"] == "masked"
    assert scene.service.find(quote_id, CLERK, "bia@loja.com.br") is None
    assert scene.service.find(quote_id, CLERK, None) is None
    assert scene.service.find("not-an-id", OWNER, None) is None


def test_find_by_serial_is_for_owners(scene):
    quote_id = scene.quote()
    body = scene.body(quote_id)
    scene.service.record(body, CLERK)
    serial = body["machine"]["serial"]
    assert scene.service.find_by_serial(serial.lower(), OWNER).purchase_id == quote_id
    assert scene.service.find_by_serial("NO-SUCH-SERIAL", OWNER) is None
    with pytest.raises(PurchaseForbidden):
        scene.service.find_by_serial(serial, CLERK)


def test_export_then_erase_keeps_the_facts_and_removes_the_seller(scene):
    first, second = scene.quote(), scene.quote()
    declaration = scene.service.add_photo(first, "declaration", b"signed paper")
    scene.service.record(scene.body(first, declaration_photo=declaration.photo_id), CLERK)
    scene.service.record(scene.body(second), CLERK)
    exported = scene.service.export_seller(SELLER["cpf"])
    assert [p["purchase"]["purchase_id"] for p in exported["purchases"]] == sorted([first, second])
    assert all(p["seller"]["cpf"] == "52998224725" for p in exported["purchases"])

    assert scene.service.erase_seller("52998224725") == 2
    view = scene.service.find(first, OWNER, None).as_dict()
    assert view["seller"] is None and view["seller_erased_at"] is not None
    assert view["machine"]["serial"] and view["agreed_amount"]  # the facts stay
    assert not any(k.startswith("declaration-") for k in scene.store.photo_ids(first))
    assert scene.service.export_seller(SELLER["cpf"]) == {"purchases": []}
    assert scene.service.erase_seller(SELLER["cpf"]) == 0


def test_purge_erases_sellers_past_the_retention_only(scene):
    scene.now = scene.now - timedelta(days=scene.terms.retention_days + 1)
    old = scene.quote()
    scene.service.record(scene.body(old), CLERK)
    scene.now = scene.now + timedelta(days=scene.terms.retention_days + 1)
    recent = scene.quote()
    scene.service.record(scene.body(recent), CLERK)
    report = scene.service.purge(scene.now)
    assert report.as_dict() == {"erased": 1, "kept": 1, "orphan_photos": 0}
    assert scene.service.find(old, OWNER, None).seller is None
    assert scene.service.find(recent, OWNER, None).seller is not None
    assert list(scene.store.seller_purchases(scene.vault.seller_hash(SELLER["cpf"]))) == [recent]


def test_the_seller_hash_is_keyed(scene):
    other = PersonalDataVault(SECRET[::-1])
    assert scene.vault.seller_hash("529.982.247-25") == scene.vault.seller_hash("52998224725")
    assert other.seller_hash("52998224725") != scene.vault.seller_hash("52998224725")
    assert "52998224725" not in repr(scene.vault) and SECRET not in repr(scene.vault)


def test_embedded_default_makes_a_private_key_file_once(clean_env, tmp_path, caplog):
    settings = load_settings({})
    first = vault_from_settings(settings)
    path = settings.predictions_dir / KEY_FILE_NAME
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    secret = path.read_text().strip()
    assert secret not in caplog.text and "PERSONAL-DATA-KEY" in caplog.text
    again = vault_from_settings(settings)
    assert first.seller_hash("52998224725") == again.seller_hash("52998224725")
    assert caplog.text.count("PERSONAL-DATA-KEY") == 1


def test_production_without_the_key_names_it(clean_env):
    settings = load_settings({"PREDICTIONS-BUCKET": "store-bucket"})
    with pytest.raises(PersonalDataKeyMissing, match="PERSONAL-DATA-KEY"):
        vault_from_settings(settings)
    keyed = load_settings({"PREDICTIONS-BUCKET": "store-bucket", "PERSONAL-DATA-KEY": SECRET})
    assert vault_from_settings(keyed).seller_hash("52998224725")
    assert SECRET not in repr(keyed)


def test_the_owner_commands_block_export_erase_and_purge(clean_env, monkeypatch, capsys):
    """``python -m laptop_pricing.purchase``: the CPF comes from stdin, never argv."""
    import io

    from laptop_pricing.purchase.__main__ import main

    monkeypatch.setenv("PERSONAL_DATA_KEY", SECRET)
    assert main(["block", "serial", "ab-123"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("529.982.247-25\n"))
    assert main(["block", "seller"]) == 0
    settings = load_settings({})
    from laptop_pricing.purchase.store import purchase_store_from_settings

    store = purchase_store_from_settings(settings)
    assert store.is_blocked("serial", "AB-123")
    assert store.is_blocked("seller", PersonalDataVault(SECRET).seller_hash("52998224725"))
    monkeypatch.setattr("sys.stdin", io.StringIO("529.982.247-25\n"))
    assert main(["export"]) == 0
    assert '"purchases": []' in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("529.982.247-25\n"))
    assert main(["erase"]) == 0 and main(["purge"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))
    assert main(["erase"]) == 2
    assert "seller.cpf" in capsys.readouterr().err
