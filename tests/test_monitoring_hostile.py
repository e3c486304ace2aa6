"""Hostile files in the log: each is set aside with its reason, the rest still loads, and the
page renders (local folder and moto S3). Downloads neutralise formula cells."""

from __future__ import annotations

import gzip
import io
import random
import zipfile
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from components import monitoring_data
from laptop_pricing.api.service import prediction_values
from laptop_pricing.monitoring import parsing, sources
from laptop_pricing.monitoring.reading import read_log
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.monitoring.view import download_csv, download_zip
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout, RequestLog
from laptop_pricing.safe_csv import frame_to_csv, neutralise
from laptop_pricing.settings import DEFAULT_PREFIX
from laptop_pricing.storage.stores import LocalRecordStore
from tests import monitoring_fixtures
from tests.app_fixtures import OWNER, app
from tests.monitoring_fixtures import put_objects, write_files
from tests.request_log_support import compact_closed
from tests.synthetic_logs import day_csv

s3_endpoint = monitoring_fixtures.s3_endpoint


END = date(2025, 6, 20)
LAYOUT = LogLayout(DEFAULT_PREFIX, PREDICTIONS)


def day(n: int) -> date:
    return END - timedelta(days=n)


def hostile_objects() -> tuple[list[tuple[str, bytes]], dict[str, str]]:
    """(key, bytes) of one good day and every hostile file, and the reason each must get."""
    good = day_csv(day(0), 30, seed=1)
    long_cell = good.decode().split("\n")
    long_cell[1] = long_cell[1].replace("1.", "x" * 140_000 + "1.", 1)  # a 140 KB cell
    long_cell[2] = "dell,intel"  # next to a short row
    files = {
        day(1): (random.Random(0).randbytes(4096), parsing.NOT_TEXT),
        day(2): (gzip.compress(good), parsing.COMPRESSED),
        day(3): ("\n".join(long_cell).encode(), parsing.CELL_TOO_LONG),
        day(4): (good.replace(b"\n", b"\r"), parsing.CR_ONLY),
        day(5): (good.decode().encode("utf-16"), parsing.NOT_TEXT),
        day(6): (b"", parsing.EMPTY),
        day(7): (b"brand,price\n" + b"dell,1\n" * (50 * 1024 * 1024 // 7), sources.TOO_LARGE),
    }
    objects = [(LAYOUT.day_key(day(0)), good)]
    reasons: dict[str, str] = {}
    for when, (data, reason) in files.items():
        objects.append((LAYOUT.day_key(when), data))
        reasons[LAYOUT.day_file_name(when)] = reason
    odd = {
        "0001-01-01_laptop_prediction_data.csv": sources.DAY_OUT_OF_RANGE,
        "2025-13-45_laptop_prediction_data.csv": sources.BAD_DAY_NAME,
    }
    for name, reason in odd.items():
        objects.append((f"{DEFAULT_PREFIX}/{name}", good))
        reasons[name] = reason
    return objects, reasons


def check(result, reasons: dict[str, str]) -> None:
    by_file: dict[str, set[str]] = {}
    for note in result.set_aside:
        by_file.setdefault(note.file, set()).add(note.reason)
    for name, reason in reasons.items():
        assert reason in by_file.get(name, set()), (name, by_file.get(name))
    assert all(sources.FETCH_FAILED not in r for r in by_file.values())
    # the good day whole, plus the long-cell file's other rows
    assert len(result.rows) == 30 + 28


def test_hostile_local_files_are_set_aside_with_their_reason(tmp_path) -> None:
    objects, reasons = hostile_objects()
    write_files(tmp_path, objects)
    check(read_log(LocalRecordStore(tmp_path, LAYOUT)), reasons)


def test_hostile_s3_objects_are_set_aside_with_their_reason(s3_endpoint) -> None:
    objects, reasons = hostile_objects()
    put_objects(s3_endpoint, "hostile", objects)
    location = LogLocation("hostile", DEFAULT_PREFIX, None, s3_endpoint)
    check(read_log(location.open()), reasons)


@pytest.fixture
def fresh_caches():
    monitoring_data.refresh()
    yield
    monitoring_data.refresh()


def page_reasons(at) -> set[str]:
    assert not at.exception, [e.value for e in at.exception]
    aside = next(d.value for d in at.dataframe if "Motivo" in d.value.columns)
    return set(aside["Motivo"])


EXPECTED_WORDS = {
    "arquivo que não é texto UTF-8",
    "arquivo compactado, não é um CSV",
    "linha com um valor grande demais",
    "arquivo com quebras de linha antigas (só CR)",
    "arquivo vazio",
    "arquivo grande demais para um dia (não foi baixado)",
}


def test_the_page_renders_beside_hostile_local_files(clean_env, fresh_caches) -> None:
    objects, _ = hostile_objects()
    write_files(clean_env / "predictions", objects)
    at = app()
    at.switch_page("views/monitoring.py").run()
    assert page_reasons(at) >= EXPECTED_WORDS


def test_the_page_renders_beside_hostile_s3_objects(clean_env, fresh_caches, s3_endpoint) -> None:
    objects, _ = hostile_objects()
    put_objects(s3_endpoint, "hostile-page", objects)
    at = app(
        {
            "PREDICTIONS-BUCKET": "hostile-page",
            "PREDICTIONS-PREFIX": DEFAULT_PREFIX,
            "AWS-ENDPOINT-URL": s3_endpoint,
        },
        user=OWNER,  # a bucket is a production setting: the page opens for a signed-in owner
    )
    at.switch_page("views/monitoring.py").run()
    assert page_reasons(at) >= EXPECTED_WORDS


# ---------------------------------------------------------------- rollup + records


def test_closed_days_come_from_the_rollup_and_today_from_records_once(tmp_path) -> None:
    store = LocalRecordStore(tmp_path, LAYOUT)
    log = RequestLog(store)
    spec = LaptopSpec.default().as_dict()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    for i in range(5):
        log.write(prediction_values(spec, 100 + i, "v", f"y{i}", yesterday), at=yesterday)
    compact_closed(store, yesterday.date())
    (tmp_path / LAYOUT.local_records_file(yesterday.date())).write_bytes(b"")  # rollup only now
    now = datetime.now(UTC)
    for i in range(3):
        log.write(prediction_values(spec, 200 + i, "v", f"t{i}", now), at=now)
    from laptop_pricing.request_log.compact import Compactor

    Compactor(store).compact_day(now.date())  # today's day file holds t0..t2 ...
    log.write(prediction_values(spec, 203, "v", "t3", now), at=now)  # ... and t3 is a record
    result = read_log(LocalRecordStore(tmp_path, LAYOUT))
    assert sorted(result.rows["price"].astype(int)) == [100, 101, 102, 103, 104, 200, 201, 202, 203]
    assert result.set_aside == []


# ---------------------------------------------------------------- formula injection

HOSTILE_CELLS = ["=cmd|' /c calc'!a0", "@sum(1+1)", "+1+1", "-2+3", "\t=1+1", "\r=1+1", "'=1+1"]


def test_the_helper_neutralises_every_trigger_and_never_twice() -> None:
    for cell in HOSTILE_CELLS:
        safe = neutralise(cell)
        assert safe.startswith("'") and neutralise(safe) == safe
    assert neutralise("dell") == "dell" and neutralise("") == ""


def test_every_download_comes_back_neutralised(tmp_path) -> None:
    """Hostile cells through the reader (which trims whitespace) into the CSV download."""
    header = ",".join(c for c in parsing.HEADERLESS_COLUMNS)
    good = "dell,intel,core i5,windows,casual,2,0,16,0,256,8,ddr4,64,6712,2025-06-20T10:00:00Z,"
    lines = [header] + [good + f'"{cell}"' for cell in HOSTILE_CELLS]
    write_files(tmp_path, [(LAYOUT.day_key(END), "\n".join(lines).encode())])
    rows = read_log(LocalRecordStore(tmp_path, LAYOUT)).rows
    assert len(rows) == len(HOSTILE_CELLS)
    with zipfile.ZipFile(io.BytesIO(download_zip(rows, "pedidos.csv"))) as archive:
        zipped = archive.read("pedidos.csv")
    for data in (
        download_csv(rows),  # the monitoring download
        zipped,  # the monitoring download of a long period
        frame_to_csv(rows, sep=";", decimal=",", encoding="utf-8-sig"),  # the history's shape
    ):
        text = data.decode("utf-8-sig")
        sep = ";" if ";" in text.splitlines()[0] else ","
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
        for value in frame["model_version"]:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
            assert value.startswith("'")
        assert "''" not in "".join(frame["model_version"])  # already neutral: not prefixed again
