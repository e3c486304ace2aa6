"""The store on every record: STORE-ID, the clerk's store from CLERK-EMAILS, store_id beside
``data`` in the API, and rows written before stores existed read as the default store."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from laptop_pricing import log_columns
from laptop_pricing.access import Door, Role, Visitor
from laptop_pricing.api.handler import PricingHandler, get_engine
from laptop_pricing.api.service import RecordingObserver, prediction_values
from laptop_pricing.client import LocalPricingClient
from laptop_pricing.monitoring.parsing import parse_day_bytes
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE
from laptop_pricing.record_kinds import OUTCOMES, PREDICTIONS
from laptop_pricing.request_log import RequestLog
from laptop_pricing.safe_csv import rows_to_csv
from laptop_pricing.settings import InvalidSettings, load_settings
from laptop_pricing.storage import rollup
from laptop_pricing.storage.day_csv import decode_day_csv, encode_day_csv
from laptop_pricing.trade_in.outcome import Outcome
from tests.request_log_support import local_store, logged_rows

GOOGLE = "https://accounts.google.com"


@pytest.fixture
def folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "log"))
    return tmp_path


def test_store_id_defaults_to_loja_and_takes_a_slug(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().store_id == "loja"
    monkeypatch.setenv("STORE_ID", "loja-sul-2")
    assert load_settings().store_id == "loja-sul-2"


@pytest.mark.parametrize(
    "bad", ["Centro", "loja_sul", "-centro", "centro-", "loja--sul", "são-paulo", "a" * 41, "a b"]
)
def test_a_store_id_that_is_not_a_slug_is_refused_naming_the_key(
    folder: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("STORE_ID", bad)
    with pytest.raises(InvalidSettings) as refused:
        load_settings()
    assert [(p.key, p.code) for p in refused.value.problems] == [("STORE-ID", "store_id")]


def test_clerk_entries_name_their_store_and_entries_without_keep_the_deployments(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORE_ID", "matriz")
    monkeypatch.setenv(
        "CLERK_EMAILS", "ana@loja.com.br=centro, @loja-sul.com.br=sul, joao@gmail.com"
    )
    settings = load_settings()
    assert settings.clerk_emails == ("ana@loja.com.br", "@loja-sul.com.br", "joao@gmail.com")
    assert settings.clerk_stores == {"ana@loja.com.br": "centro", "@loja-sul.com.br": "sul"}

    def store_of(email: str, hosted: str | None = None) -> str | None:
        claims = {"is_logged_in": True, "email": email, "email_verified": True, "iss": GOOGLE}
        if hosted:
            claims["hd"] = hosted
        visitor = Visitor.arriving(
            Door.SIGN_IN, claims, settings.clerk_emails, (), (), settings.clerk_stores
        )
        assert visitor.role is Role.CLERK
        return visitor.store_id

    assert store_of("ana@loja.com.br") == "centro"
    assert store_of("Bia@Loja-Sul.com.br", hosted="loja-sul.com.br") == "sul"
    assert store_of("joao@gmail.com") is None  # the deployment's STORE-ID applies


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("CLERK_EMAILS", "ana@loja.com.br=Centro", "store_entry"),
        ("CLERK_EMAILS", "ana@loja.com.br=", "store_entry"),
        ("OWNER_EMAILS", "gerente@loja.com.br=Centro", "store_entry"),
    ],
)
def test_a_bad_store_in_an_e_mail_list_is_refused_naming_the_key(
    folder: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str, code: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(InvalidSettings) as refused:
        load_settings()
    assert [(p.key, p.code) for p in refused.value.problems] == [(key.replace("_", "-"), code)]


def test_the_api_logs_the_bodys_store_or_the_deployments(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    handler = PricingHandler(get_engine(), RecordingObserver(RequestLog(store)), store_id="matriz")
    for extra in ({"store_id": "centro"}, {}):
        answer = handler({"body": json.dumps({"data": CONTRACT_EXAMPLE, **extra})})
        assert answer["statusCode"] == 200
    rows = logged_rows(store)
    assert [row["store_id"] for row in rows] == ["centro", "matriz"]


@pytest.mark.parametrize("bad", ["Centro", 7, "", "a" * 41, "../sul"])
def test_a_store_id_that_is_not_a_slug_is_a_400_naming_it(bad: object) -> None:
    handler = PricingHandler(get_engine())
    answer = handler({"body": json.dumps({"data": CONTRACT_EXAMPLE, "store_id": bad})})
    assert answer["statusCode"] == 400
    assert [e["field"] for e in json.loads(answer["body"])["errors"]] == ["store_id"]


def test_the_client_sends_the_store_beside_data(tmp_path: Path) -> None:
    store = local_store(tmp_path)
    client = LocalPricingClient(PricingHandler(get_engine(), RecordingObserver(RequestLog(store))))
    client.price(LaptopSpec.from_payload(CONTRACT_EXAMPLE), store_id="sul")
    assert [row["store_id"] for row in logged_rows(store)] == ["sul"]


def test_store_id_is_appended_after_the_frozen_layout_and_only_pricing_source_after_it() -> None:
    assert log_columns.LOG_COLUMNS[-2:] == ("store_id", "pricing_source")
    assert "store_id" not in log_columns.WRITTEN_LOG_COLUMNS


def old_day_file() -> bytes:
    """A day file as written before stores: today's frozen layout, no store column."""
    at = datetime(2026, 5, 1, 12, tzinfo=UTC)
    row = prediction_values(LaptopSpec.default().as_dict(), 6700, "v1", "req-1", at)
    written = log_columns.WRITTEN_LOG_COLUMNS
    return rows_to_csv(written, [[str(row.get(name, "")) for name in written]])


def test_an_old_day_file_without_store_id_reads_as_the_default_store() -> None:
    assert decode_day_csv(PREDICTIONS, old_day_file()).rows[0]["store_id"] == "loja"
    parsed = parse_day_bytes("2026-05-01_laptop_prediction_data.csv", old_day_file())
    assert parsed.table is not None
    assert parsed.table.column("store_id").to_pylist() == ["loja"]
    again = encode_day_csv(PREDICTIONS, decode_day_csv(PREDICTIONS, old_day_file()).rows)
    assert decode_day_csv(PREDICTIONS, again).rows[0]["store_id"] == "loja"


def test_an_old_records_line_without_store_id_is_compacted_as_the_default_store(
    tmp_path: Path,
) -> None:
    store = local_store(tmp_path)
    at = datetime.now(UTC)
    row = prediction_values(LaptopSpec.default().as_dict(), 5000, "v1", "old-1", at)
    del row["store_id"]  # a writer older than stores
    RequestLog(store).write(row, at=at)
    assert [r["store_id"] for r in logged_rows(store)] == ["loja"]


def test_a_month_rolled_up_before_stores_gains_the_default_store() -> None:
    old_kind = dataclasses.replace(
        PREDICTIONS, columns=log_columns.WRITTEN_LOG_COLUMNS, defaults={}
    )
    may_1, may_2 = date(2026, 5, 1), date(2026, 5, 2)
    row = decode_day_csv(PREDICTIONS, old_day_file()).rows[0]
    old_table, _ = rollup.day_table(old_kind, may_1, [row])
    month = rollup.read_month(
        rollup.with_days(rollup.read_month(None), {may_1: (old_table, rollup.ClosedDay(1, "a"))})
    )
    assert month.table is not None and "store_id" not in month.table.column_names
    new_row = {**row, "timestamp": "2026-05-02T12:00:00.000000Z", "store_id": "centro"}
    new_table, _ = rollup.day_table(PREDICTIONS, may_2, [new_row])
    data = rollup.with_days(
        month, {may_2: (new_table, rollup.ClosedDay(1, "b"))}, PREDICTIONS.defaults
    )
    merged = pq.read_table(pa.BufferReader(data))
    stores = zip(
        merged.column("day").to_pylist(), merged.column("store_id").to_pylist(), strict=True
    )
    assert dict(stores) == {may_1: "loja", may_2: "centro"}  # the month is sorted by store


def test_an_outcome_older_than_stores_reads_as_the_default_store() -> None:
    record = {
        "quote_id": "Q",
        "event_id": "e",
        "decision": "declined",
        "recorded_at": "2026-05-01T12:00:00.000000Z",
    }
    assert Outcome.from_record(record).store_id == "loja"
    before_stores = OUTCOMES.columns[: OUTCOMES.columns.index("store_id")]
    assert decode_day_csv(OUTCOMES, rows_to_csv(before_stores, [])).rows == []
    old = rows_to_csv(
        before_stores,
        [["Q", "e", "declined", "", "", "", "", "", "0", "2026-05-01T12:00:00.000000Z", ""]],
    )
    assert decode_day_csv(OUTCOMES, old).rows[0]["store_id"] == "loja"


def test_an_outcome_takes_its_quotes_store_not_the_bodys() -> None:
    from laptop_pricing.trade_in.outcome import LatePolicy, QuoteTerms, decide
    from laptop_pricing.trade_in.outcome_request import OutcomeRequest
    from laptop_pricing.trade_in.quote_id import QuoteIdGenerator

    quote_id = QuoteIdGenerator().new(datetime(2026, 5, 1, 11, tzinfo=UTC))
    request = OutcomeRequest.from_payload(
        {"quote_id": quote_id, "event_id": "app-7c1d-0001", "decision": "accepted"}
    )
    terms = QuoteTerms(quote_id, 3000, date(2026, 5, 10), "centro")
    made = decide(request, terms, [], datetime(2026, 5, 1, 12, tzinfo=UTC), LatePolicy.REFUSE)
    assert made.outcome.store_id == "centro"
    assert made.outcome.as_record()["store_id"] == "centro"
    assert Outcome.from_record(made.outcome.as_record()).store_id == "centro"
