"""Issue #23's privacy proof, end to end: a quote priced, accepted, its photos uploaded (one a
JPEG carrying GPS EXIF) and bought from a known seller; the day compacted into its CSV and the
month's Parquet rollup; the owner's monitoring page rendered; every log line captured. Then the
bytes of every file (local folder) or object (moto S3), the decoded rollups, the page's text,
every log line and the Glue table's columns hold none of the seller's CPF (digits, formatted,
the masked middle), name, document number or phone, nor the e-mail of the clerk who recorded
the decision and the purchase. The sealed seller is the one place that keeps them, encrypted:
it is opened with the key to show they are really there (the clerk's e-mail: sealed in the
purchase, opened for the owner's view only).

The local folder goes through the embedded client; S3 through the real local server (its
stdout and stderr are searched too) and the HTTP client. Each search first proves it would
catch a leak: the CPF written in clear into the folder or the bucket is found, then removed.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from PIL import ExifTags, Image
from stdnum.br import cpf

from laptop_pricing.client import HttpPricingClient, PricingClient
from laptop_pricing.embedded import embedded_client
from laptop_pricing.errors import PurchaseRefused
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.purchase.vault import KEY_FILE_NAME, PersonalDataVault
from laptop_pricing.record_kinds import KINDS
from laptop_pricing.request_log import store_from_settings
from laptop_pricing.request_log.compact import Compactor
from laptop_pricing.request_log.glue import rollup_table_columns
from laptop_pricing.settings import Settings, load_settings
from laptop_pricing.trade_in.condition import Condition
from tests.app_fixtures import OWNER, monitoring_page, texts
from tests.infra_support import load_template
from tests.service_fixtures import MOTO_ENV, ApiServer

SELLER = {
    "name": "Genoveva Quintanilha Barbosa",
    "cpf": "386.719.254-55",
    "document_type": "rg",
    "document_number": "MG-14.785.236",
    "phone": "(31) 97412-5836",
}
SECRET = "privacy-test-secret-of-forty-characters."
CLERK_EMAIL = "ana@loja.com.br"
CLERK_KEY, OWNER_KEY = "chave-balcao-privacidade", "chave-dono-privacidade"
# Every form of the seller's data a leak could take.
NEEDLES = (
    b"38671925455",
    b"386.719.254-55",
    b"719.254",  # the masked CPF's middle, shown only to the clerk who bought
    b"Genoveva",
    b"Quintanilha",
    b"MG-14.785.236",
    b"14.785.236",
    b"14785236",
    b"(31) 97412-5836",
    b"31974125836",
    b"97412-5836",
    b"974125836",
    CLERK_EMAIL.encode(),  # the decision's and the purchase's author (masked or sealed)
)
# The parts of a Glue column name that would mean a seller's field reached Athena.
SELLER_COLUMN_WORDS = ("cpf", "seller", "vendedor", "document", "phone", "telefone", "nome")


def leaks(sources: Mapping[str, bytes]) -> list[tuple[str, bytes]]:
    """(source, needle) for every needle found in a source's bytes."""
    return [(name, n) for name, data in sources.items() for n in NEEDLES if n in data]


def gps_jpeg() -> bytes:
    """A phone's photo: a JPEG whose EXIF says where it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (23.0, 33.0, 1.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (46.0, 38.0, 2.0)
    gps[ExifTags.GPS.GPSMapDatum] = "GPS WGS-84"
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 1500), (180, 90, 40)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 160, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def assert_no_exif(jpeg: bytes) -> None:
    assert b"Exif" not in jpeg and b"GPS" not in jpeg
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    exif = image.getexif()
    assert not dict(exif) and not exif.get_ifd(ExifTags.IFD.GPSInfo)


def buy(clerk: PricingClient, owner: PricingClient) -> str:
    """Price, accept, upload two photos, be refused once (a lock answered no), buy; the owner
    finds it by serial and the clerk who bought sees it masked. The quote (purchase) id."""
    original = gps_jpeg()
    with pytest.raises(AssertionError):  # the photo sent really carries its location
        assert_no_exif(original)
    condition = Condition.best()
    _, offer = clerk.price_trade_in(LaptopSpec.default(), condition)
    clerk.record_outcome(
        offer.quote_id, "privacidade-decisao-1", "accepted", clerk_email=CLERK_EMAIL
    )
    photos = [
        clerk.upload_photo(offer.quote_id, original, "lid").photo_id,
        clerk.upload_photo(offer.quote_id, png(), "label").photo_id,
    ]
    preview = clerk.preview_purchase(
        {"quote_id": offer.quote_id, "clerk_email": CLERK_EMAIL, "seller": {"cpf": SELLER["cpf"]}}
    )
    body = {
        "event_id": "privacidade-compra-1",
        "quote_id": offer.quote_id,
        "clerk_email": CLERK_EMAIL,
        "condition": condition.as_dict(),
        "agreed_amount": preview.revised_offer,
        "locks": {lock.id: True for lock in preview.locks},
        "machine": {"serial": "SN-PRIV-0001", "label_brand": "Dell", "label_model": "Inspiron"},
        "photos": photos,
        "seller": dict(SELLER),
        "privacy_notice_read": True,
        "payout": {"method": "pix"},
        "declaration_signed": True,
    }
    first_lock = preview.locks[0].id
    with pytest.raises(PurchaseRefused) as refused:
        clerk.record_purchase({**body, "locks": {**body["locks"], first_lock: False}})
    assert refused.value.status == 400 and f"locks.{first_lock}" in refused.value.fields
    answer = clerk.record_purchase(body)
    assert answer.created and answer.seller is not None and answer.seller.masked
    found = owner.find_purchase_by_serial("SN-PRIV-0001")
    assert found is not None and found.seller is not None
    assert (found.seller.name, found.seller.phone) == (SELLER["name"], "31974125836")
    assert found.clerk_email == CLERK_EMAIL  # opened for the owner
    mine = clerk.find_purchase(answer.purchase_id, as_owner=False, clerk_email=CLERK_EMAIL)
    assert mine is not None and mine.seller is not None and mine.seller.cpf is None
    assert mine.clerk_email == "a***@loja.com.br"
    return answer.purchase_id


def compact_everything(settings: Settings) -> None:
    """Every kind's days folded into their CSVs and closed into the monthly Parquet rollup, as
    the compactor's run two days later would."""
    later = datetime.now(UTC) + timedelta(days=2)
    for kind in KINDS.values():
        compactor = Compactor(store_from_settings(settings, kind), clock=lambda: later)
        days = compactor.days()
        assert days, kind.name
        assert all(c.closed for c in compactor.compact_days(days))


def decoded_rollups(objects: Mapping[str, bytes]) -> dict[str, bytes]:
    """Each Parquet rollup's rows as CSV text (its pages may be compressed or dictionary
    encoded, so its bytes alone could hide a value)."""
    return {
        f"{name} (decoded)": pq.read_table(io.BytesIO(data)).to_pandas().to_csv().encode()
        for name, data in objects.items()
        if name.endswith(".parquet")
    }


def owner_page_text() -> str:
    at = monitoring_page(user=OWNER)
    page = texts(at)
    assert "a loja comprou 1 notebook" in page  # the owner's page, over the same store
    return page


def glue_columns() -> dict[str, bytes]:
    """The rollup table's columns, from the code and from the template Athena reads."""
    template = load_template()
    table = template["Resources"]["RequestLogRollupTable"]["Properties"]["TableInput"]
    names = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    names += [c["Name"] for c in table["PartitionKeys"]]
    names += [c.name for c in rollup_table_columns()]
    for name in names:
        assert name != "name" and not any(w in name.lower() for w in SELLER_COLUMN_WORDS), name
    return {"glue columns": "\n".join(names).encode()}


def check_everything(
    quote_id: str,
    objects: Callable[[], dict[str, bytes]],
    plant: Callable[[str, bytes], Callable[[], None]],
    vault: PersonalDataVault,
) -> None:
    """The searches of the module docstring, over ``objects()`` (every stored file or object)
    after the self-check that a planted CPF in clear is found there."""
    remove = plant("planted.txt", b"vendedor " + SELLER["cpf"].encode())
    found = leaks(objects())
    assert {name.rsplit("/", 1)[-1] for name, _ in found} == {"planted.txt"}
    assert b"386.719.254-55" in {needle for _, needle in found}
    remove()

    stored = objects()
    sealed = {k: v for k, v in stored.items() if "/sellers/" in k}
    assert list(sealed) == [next(k for k in stored if k.endswith(f"/sellers/{quote_id}.bin"))]
    opened = vault.open(next(iter(sealed.values())))
    assert leaks({"opened seal": opened})  # the seller is kept, and only sealed
    photos = {k: v for k, v in stored.items() if f"/photos/{quote_id}/" in k}
    assert len(photos) == 2
    for jpeg in photos.values():
        assert_no_exif(jpeg)

    rollups = decoded_rollups(stored)
    assert len(rollups) >= 2 and any(quote_id.encode() in text for text in rollups.values())
    assert any(name.endswith(".csv") for name in stored)  # the day files were written
    page = {"owner's monitoring page": owner_page_text().encode()}
    assert leaks({**stored, **rollups, **page, **glue_columns()}) == []


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Every log record at DEBUG and up, from every logger, and the process's stdout and
    stderr (the telemetry logger writes JSON lines there): read with ``captured()``."""
    caplog.set_level(logging.DEBUG)

    def read() -> dict[str, bytes]:
        out, err = capfd.readouterr()
        lines = "\n".join(caplog.handler.format(r) for r in caplog.records)
        return {"log records": lines.encode(), "stdout": out.encode(), "stderr": err.encode()}

    yield read


@pytest.mark.usefixtures("fresh_caches")
def test_no_personal_data_outside_the_seal_in_the_local_folder(clean_env, captured) -> None:
    assert cpf.is_valid(SELLER["cpf"])
    folder = clean_env / "predictions"
    settings = load_settings({})
    client = embedded_client(settings)
    quote_id = buy(client, client)
    compact_everything(settings)

    def files() -> dict[str, bytes]:
        return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    def plant(name: str, data: bytes) -> Callable[[], None]:
        (folder / name).write_bytes(data)
        return (folder / name).unlink

    vault = PersonalDataVault((folder / KEY_FILE_NAME).read_text().strip())
    check_everything(quote_id, files, plant, vault)
    logs = captured()  # the page's run included
    assert b"PERSONAL-DATA-KEY is not set" in logs["log records"]  # DEBUG..ERROR reached us
    assert leaks(logs) == []


@pytest.mark.usefixtures("fresh_caches")
def test_no_personal_data_outside_the_seal_on_s3_through_the_server(
    clean_env, captured, moto_endpoint, bucket, s3, monkeypatch, tmp_path: Path
) -> None:
    env = {
        **MOTO_ENV,
        "PREDICTIONS_BUCKET": bucket,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "PERSONAL_DATA_KEY": SECRET,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # The server's every logger at DEBUG to its stderr, set before it starts (a
    # ``sitecustomize`` on its path), and its telemetry logger at DEBUG to its stdout.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import logging\nlogging.basicConfig(level=logging.DEBUG)\n"
    )
    server_env = {
        **env,
        "PRICING_API_KEYS": CLERK_KEY,
        "PRICING_OWNER_API_KEYS": OWNER_KEY,
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
        "PYTHONPATH": str(site),
    }
    with ApiServer(tmp_path, server_env) as server:
        clerk = HttpPricingClient(server.url + "/predict", CLERK_KEY)
        owner = HttpPricingClient(server.url + "/predict", CLERK_KEY, owner_api_key=OWNER_KEY)
        quote_id = buy(clerk, owner)
        assert server.stop() == 0
    output = server.output()
    assert "pricing API starting" in output  # the server's own log lines are in it
    assert "DEBUG:botocore" in output  # and every library's, down to DEBUG
    compact_everything(load_settings({}))

    def objects() -> dict[str, bytes]:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        return {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in sorted(keys)}

    def plant(name: str, data: bytes) -> Callable[[], None]:
        s3.put_object(Bucket=bucket, Key=name, Body=data)
        return lambda: s3.delete_object(Bucket=bucket, Key=name)

    check_everything(quote_id, objects, plant, PersonalDataVault(SECRET))
    logs = {**captured(), "server output": output.encode()}
    assert leaks(logs) == []
