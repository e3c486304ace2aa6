"""The store model prices offers when its shipped artifact says it is champion for the store; the
rule otherwise. Every quote answer and request-log row says which one priced it."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from components.deduction_words import breakdown_lines, condition_words
from laptop_pricing import log_columns
from laptop_pricing.api.handler import PricingHandler, get_engine
from laptop_pricing.api.service import RecordingObserver, prediction_values
from laptop_pricing.monitoring.parsing import parse_day_bytes
from laptop_pricing.pricing.artifact import ArtifactError
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE
from laptop_pricing.purchase.checks import inspect
from laptop_pricing.purchase.errors import PurchaseConflict
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import RequestLog
from laptop_pricing.resale.resale_terms import ResaleTerms
from laptop_pricing.resale.synthetic import YearPlan, generate_year, model_catalog
from laptop_pricing.storage import rollup
from laptop_pricing.storage.day_csv import decode_day_csv, encode_day_csv
from laptop_pricing.storage.day_reader import day_rows
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.offer import compute_offer
from laptop_pricing.trade_in.policy import load_policy
from laptop_pricing.trade_in.quote import QuoteIssuer
from laptop_pricing.trade_in.quote_id import quote_id_day
from laptop_pricing.trade_in.quote_lookup import QuoteLookup, StoredQuote
from laptop_pricing.trade_in.used_price_model import (
    BOOSTER_FILE,
    METADATA_FILE,
    UsedPriceModel,
    load_store_model,
    read_store_model_metadata,
    write_store_model,
)
from laptop_pricing.training.store_model import StoreModel, compare_with_rule
from laptop_pricing.training.store_tracking import serving_metadata
from tests.request_log_support import local_store, logged_rows

SCRATCHED = {**Condition.best().as_dict(), "screen": "scratched", "battery": "weak"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[StoreModel, list, Path]:
    """A store model fitted on a small synthetic year where the store sells unlike the policy,
    written as export-store writes it (every store)."""
    policy = load_policy()
    year = generate_year(3, YearPlan(quotes=1200), catalog=model_catalog(), policy=policy)
    model, comparison = compare_with_rule(year.sold, policy, ResaleTerms())
    assert comparison.pricing_source == "store_model"
    metadata = serving_metadata(comparison, policy, year.sold, model.newest)
    folder = tmp_path_factory.mktemp("store-model")
    write_store_model(
        model.regressor.booster_.model_to_string(),
        {**metadata, "version": "1", "store_ids": ["*"]},
        folder,
    )
    return model, year.sold, folder


@pytest.fixture(scope="module")
def champion(trained: tuple[StoreModel, list, Path]) -> UsedPriceModel:
    loaded = load_store_model(trained[2])
    assert loaded is not None
    return loaded


def quote_body(issuer: QuoteIssuer, observer: object = None) -> dict:
    handler = PricingHandler(get_engine(), observer, issuer)  # type: ignore[arg-type]
    response = handler({"data": dict(CONTRACT_EXAMPLE), "condition": SCRATCHED})
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def test_without_a_store_model_artifact_the_offer_says_rule(tmp_path: Path) -> None:
    assert load_store_model(tmp_path / "absent") is None
    body = quote_body(QuoteIssuer(load_policy(), used_prices=None))
    assert body["pricing_source"] == "rule"
    rule = compute_offer(body["prediction"], Condition.from_payload(SCRATCHED), load_policy())
    assert body["offer"] == rule.amount


def test_a_champion_artifact_prices_the_offer_and_says_store_model(
    champion: UsedPriceModel,
) -> None:
    policy = load_policy()
    body = quote_body(QuoteIssuer(policy, used_prices=champion))
    assert body["pricing_source"] == "store_model"
    condition = Condition.from_payload(SCRATCHED)
    rule = compute_offer(body["prediction"], condition, policy)
    assert body["offer"] != rule.amount  # the store's sales price it, not the share
    spec = LaptopSpec.from_payload(CONTRACT_EXAMPLE)
    used = champion.used_price(spec, condition, body["prediction"])
    assert body["offer"] == compute_offer(body["prediction"], condition, policy, used).amount
    assert [d["rule"] for d in body["deductions"]][:2] == ["condition", "margin"]


def test_serving_prices_a_sale_as_training_evaluated_it(
    trained: tuple[StoreModel, list, Path], champion: UsedPriceModel
) -> None:
    model, sold, _ = trained
    sale = sold[-1]
    expected = model.predict([sale])[0]
    served = champion.predict(sale.laptop, [sale.condition], sale.market_estimate)[0]
    assert served == pytest.approx(expected, rel=1e-9)


def test_a_model_champion_for_another_store_leaves_this_one_to_the_rule(
    champion: UsedPriceModel,
) -> None:
    elsewhere = UsedPriceModel(
        champion.booster, dataclasses.replace(champion.metadata, store_ids=("centro",))
    )
    issuer = QuoteIssuer(load_policy(), used_prices=elsewhere)
    assert quote_body(issuer)["pricing_source"] == "rule"
    lost = dataclasses.replace(champion.metadata, pricing_source="rule")
    assert (
        quote_body(QuoteIssuer(load_policy(), used_prices=UsedPriceModel(champion.booster, lost)))[
            "pricing_source"
        ]
        == "rule"
    )


def test_a_store_model_file_not_matching_its_metadata_is_refused_loudly(
    trained: tuple[StoreModel, list, Path], tmp_path: Path
) -> None:
    folder = trained[2]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / METADATA_FILE).write_bytes((folder / METADATA_FILE).read_bytes())
    (broken / BOOSTER_FILE).write_text("tree\n", encoding="utf-8")
    with pytest.raises(ArtifactError, match="sha256"):
        load_store_model(broken)


def test_the_request_log_row_carries_pricing_source(
    champion: UsedPriceModel, tmp_path: Path
) -> None:
    store = local_store(tmp_path)
    observer = RecordingObserver(RequestLog(store, deadline=5.0))
    by_model = quote_body(QuoteIssuer(load_policy(), used_prices=champion), observer)
    by_rule = quote_body(QuoteIssuer(load_policy()), observer)
    assert observer.failures == 0
    rows = logged_rows(store, quote_id_day(by_model["quote_id"]))
    sources = {row["quote_id"]: row["pricing_source"] for row in rows}
    assert sources == {by_model["quote_id"]: "store_model", by_rule["quote_id"]: "rule"}
    found = QuoteLookup(lambda day: day_rows(store, day)).find(by_model["quote_id"])
    assert found.quote is not None and found.quote.pricing_source == "store_model"


def test_rows_written_before_pricing_source_read_as_rule() -> None:
    older = tuple(c for c in log_columns.LOG_COLUMNS if c != log_columns.PRICING_SOURCE_COLUMN)
    old_kind = dataclasses.replace(PREDICTIONS, columns=older)
    spec = LaptopSpec.from_payload(CONTRACT_EXAMPLE)
    at = datetime(2026, 5, 1, 12, tzinfo=UTC)
    row = prediction_values(spec.as_dict(), 5000, "v1", "old-1", at)
    data = encode_day_csv(old_kind, [{k: str(v) for k, v in row.items() if k in older}])
    assert log_columns.PRICING_SOURCE_COLUMN not in data.decode().splitlines()[0]
    assert decode_day_csv(PREDICTIONS, data).rows[0]["pricing_source"] == "rule"
    parsed = parse_day_bytes("2026-05-01_laptop_prediction_data.csv", data)
    assert parsed.table is not None
    assert parsed.table.column("pricing_source").to_pylist() == ["rule"]
    old_row = decode_day_csv(old_kind, data).rows[0]
    old_table, _ = rollup.day_table(
        dataclasses.replace(old_kind, defaults={}), at.date(), [old_row]
    )
    month = rollup.read_month(
        rollup.with_days(
            rollup.read_month(None), {at.date(): (old_table, rollup.ClosedDay(1, "a"))}
        )
    )
    assert month.table is not None and "pricing_source" not in month.table.column_names
    may_2 = at.date().replace(day=2)
    new_row = {
        **old_row,
        "timestamp": "2026-05-02T12:00:00.000000Z",
        "pricing_source": "store_model",
    }
    new_table, _ = rollup.day_table(PREDICTIONS, may_2, [new_row])
    merged = rollup.with_days(
        month, {may_2: (new_table, rollup.ClosedDay(1, "b"))}, PREDICTIONS.defaults
    )
    sources = pq.read_table(pa.BufferReader(merged)).column("pricing_source").to_pylist()
    assert sources == ["rule", "store_model"]  # an older month's rows read as the rule


def test_the_shipped_metadata_reads_back_with_its_held_out_numbers(
    trained: tuple[StoreModel, list, Path],
) -> None:
    metadata = read_store_model_metadata(trained[2])
    assert metadata is not None
    assert metadata.synthetic and metadata.store_ids == ("*",)
    assert 0 < metadata.model_mape < metadata.rule_mape


def test_the_clerk_reads_the_store_model_offer_line_by_line(champion: UsedPriceModel) -> None:
    spec = LaptopSpec.from_payload(CONTRACT_EXAMPLE)
    issuer = QuoteIssuer(load_policy(), used_prices=champion)
    trade_in = issuer.issue(6000, Condition.from_payload(SCRATCHED), "loja", spec)
    assert trade_in.offer.pricing_source == "store_model"
    lines = breakdown_lines(trade_in, "BRL")
    assert "pelo modelo treinado com as vendas da loja" in lines
    assert "Estado do aparelho, pelas vendas da loja (" in lines
    assert condition_words(trade_in) == "Tela: Riscos leves · Bateria: Dura pouco"
    amounts = sum(d.amount for d in trade_in.offer.deductions)
    assert trade_in.offer.resale_value - amounts == trade_in.offer.amount


def test_a_store_model_quote_is_re_checked_at_purchase_by_the_store_model(
    champion: UsedPriceModel,
) -> None:
    policy = load_policy()
    spec = LaptopSpec.from_payload(CONTRACT_EXAMPLE)
    quoted = QuoteIssuer(policy, used_prices=champion).issue(
        6000, Condition.from_payload(SCRATCHED), "loja", spec
    )
    quote = StoredQuote(
        quote_id=quoted.quote_id,
        quoted_at=quoted.quoted_at,
        spec=spec,
        condition=quoted.condition,
        market_estimate=6000,
        offer=quoted.offer.amount,
        policy_version=quoted.policy_version,
        valid_until=quoted.valid_until,
        model_version="2",
        pricing_source="store_model",
    )
    assert inspect(quote, quoted.condition, policy, champion).revised_offer == quote.offer
    broken = Condition.from_payload({**SCRATCHED, "screen": "broken"})
    revised = inspect(quote, broken, policy, champion)
    used = champion.used_price(spec, broken, 6000)
    assert revised.revised_offer == compute_offer(6000, broken, policy, used).amount
    assert revised.deductions[0]["rule"] == "condition"
    assert [(c.label_pt, c.amount) for c in revised.changed] == [
        (
            "Estado do aparelho, pelas vendas da loja (Tela: Trincada, manchas, linhas ou "
            "pixels mortos)",
            revised.deductions[0]["amount"],
        )
    ]
    assert inspect(quote, quoted.condition, policy, None).revised_offer == quote.offer
    with pytest.raises(PurchaseConflict) as refused:
        inspect(quote, broken, policy, None)  # the store model is gone: quote again
    assert refused.value.reason_code == "pricing_changed"
