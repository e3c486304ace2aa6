"""Photos uploaded for a quote that was never bought (its purchase refused or abandoned) are
deleted by the purge a day after the quote's newest photo; a bought quote's photos stay. On
the local folder and on S3 (moto), and through ``python -m laptop_pricing.purchase purge``."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from laptop_pricing.purchase.errors import InvalidPurchase
from laptop_pricing.purchase.privacy import ORPHAN_PHOTO_AGE, purge_orphan_photos
from laptop_pricing.purchase.purchase import Caller
from laptop_pricing.purchase.store import purchase_store_from_settings
from laptop_pricing.settings import load_settings
from tests.purchase_support import SECRET, Scene, purchase_store_for

CLERK = Caller("clerk", "ana@loja.com.br")


@pytest.fixture(params=["local", "s3"])
def scene(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch) -> Scene:
    return Scene(purchase_store_for(request, tmp_path, monkeypatch), now=datetime.now(UTC))


def test_photos_of_quotes_never_bought_go_a_day_after_the_newest(scene: Scene) -> None:
    bought = scene.quote()
    body = scene.body(bought)
    scene.service.record(body, CLERK)
    refused = scene.quote()
    refused_body = scene.body(refused)
    lock = next(iter(refused_body["locks"]))
    with pytest.raises(InvalidPurchase):
        scene.service.record({**refused_body, "locks": {lock: False}}, CLERK)
    abandoned = scene.quote()
    scene.photos(abandoned, 3)
    scene.service.add_photo(abandoned, "declaration", b"signed paper")  # sealed, also goes
    assert len(scene.store.photo_ids(abandoned)) == 4 and scene.store.photo_ids(refused)

    newest = max(scene.store.photo_folders().values())
    early = scene.service.purge(newest + ORPHAN_PHOTO_AGE - timedelta(minutes=1))
    assert early.orphan_photos == 0 and len(scene.store.photo_ids(abandoned)) == 4

    report = scene.service.purge(newest + ORPHAN_PHOTO_AGE + timedelta(minutes=1))
    assert report.as_dict() == {"erased": 0, "kept": 1, "orphan_photos": 2}
    assert scene.store.photo_ids(refused) == {} and scene.store.photo_ids(abandoned) == {}
    assert sorted(scene.store.photo_ids(bought)) == sorted(body["photos"])
    assert set(scene.store.photo_folders()) == {bought}
    view = scene.service.find(bought, Caller("owner", None), None)
    assert view is not None and list(view.purchase.photos) == body["photos"]
    assert scene.service.purge(newest + timedelta(days=2)).orphan_photos == 0  # safe to repeat


def test_a_purchase_recorded_after_the_listing_keeps_its_photos(scene: Scene, monkeypatch) -> None:
    bought = scene.quote()
    body = scene.body(bought)
    scene.service.record(body, CLERK)
    monkeypatch.setattr(scene.store, "purchase_ids", set)  # the listing saw no purchase yet
    later = max(scene.store.photo_folders().values()) + timedelta(days=2)
    assert purge_orphan_photos(scene.store, later) == 0
    assert sorted(scene.store.photo_ids(bought)) == sorted(body["photos"])


def test_the_purge_command_deletes_old_photos_of_quotes_never_bought(
    clean_env, monkeypatch, capsys
) -> None:
    from laptop_pricing.purchase.__main__ import main

    monkeypatch.setenv("PERSONAL_DATA_KEY", SECRET)
    store = purchase_store_from_settings(load_settings({}))
    store.put_photo("AAAA-BBBB-CCCC", "lid-0123456789abcdef", b"\xff\xd8old", sealed=False)
    store.put_photo("DDDD-EEEE-FFFF", "lid-fedcba9876543210", b"\xff\xd8new", sealed=False)
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    for key in store.photo_ids("AAAA-BBBB-CCCC").values():
        path = Path(os.environ["PREDICTIONS_DIR"]) / key
        os.utime(path, (two_days_ago, two_days_ago))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["purge"]) == 0
    assert "photos of 1 quote(s) never bought deleted" in capsys.readouterr().out
    assert set(store.photo_folders()) == {"DDDD-EEEE-FFFF"}
