"""The owner's stock and resale figures, on hand-made items and on a synthetic year."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.resale.figures import (
    MIN_SALES_FOR_ERROR,
    MixedSources,
    margin_by_segment,
    prediction_errors,
    resale_figures,
    rule_prediction,
    sell_through_by_month,
    stock_figures,
)
from laptop_pricing.resale.resale_terms import ResaleTerms, parse_resale_terms
from laptop_pricing.resale.sales import SoldItem, StockedItem
from laptop_pricing.resale.synthetic import YearPlan, generate_year, model_catalog
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.policy import PolicyError, load_policy


def _stocked(purchase_id: str, bought: date, paid: int = 1000, **laptop: object) -> StockedItem:
    return StockedItem(
        purchase_id=purchase_id,
        store_id="loja",
        laptop=replace(LaptopSpec.default(), **laptop),
        condition=Condition.best(),
        market_estimate=4000,
        paid=paid,
        purchased_on=bought,
        preparation_cost=100,
    )


def _sold(item: StockedItem, price: int, on: date) -> SoldItem:
    fields = {name: getattr(item, name) for name in item.__dataclass_fields__}
    return SoldItem(**fields, sale_price=price, sold_on=on)


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def test_stock_counts_paid_value_and_days_in_stock():
    stocked = [
        _stocked("a", date(2026, 3, 1), 1000),
        _stocked("b", date(2026, 3, 21), 1500),
        _stocked("c", date(2026, 3, 26), 500),
    ]
    figures = stock_figures(stocked, date(2026, 3, 31))
    assert (figures.count, figures.paid_value) == (3, 3000)
    assert figures.median_days == 10
    assert (figures.oldest_days, figures.oldest_purchase_id) == (30, "a")
    assert stock_figures([], date(2026, 3, 31)).median_days is None


def test_sell_through_counts_what_was_in_stock_each_month():
    early = _stocked("a", date(2026, 1, 10))
    late = _stocked("b", date(2026, 2, 5))
    table = sell_through_by_month([_sold(early, 2000, date(2026, 2, 20))], [late])
    assert table["month"].tolist() == ["2026-01", "2026-02"]
    assert table["available"].tolist() == [1, 2]
    assert table["bought"].tolist() == [1, 1]
    assert table["sold"].tolist() == [0, 1]
    assert table["sell_through"].tolist() == [0.0, 0.5]


def test_realized_margin_is_sale_minus_paid_minus_preparation_per_segment():
    gamer = _sold(_stocked("g", date(2026, 1, 1), 2000, weight="gaming"), 3000, date(2026, 1, 9))
    casual = _sold(_stocked("c", date(2026, 1, 1), 1000), 1500, date(2026, 1, 9))
    table = margin_by_segment([gamer, casual]).set_index("segment")
    assert table.loc["gaming", "margin"] == 3000 - 2000 - 100
    assert table.loc["casual", "margin"] == 1500 - 1000 - 100
    assert table.loc["all", "margin"] == 900 + 400
    assert table.loc["all", "n"] == 2


def test_the_rule_predicts_resale_value_minus_condition_deductions(policy):
    item = _sold(_stocked("a", date(2026, 1, 1)), 2000, date(2026, 1, 2))
    assert rule_prediction(policy)(item) == 4000 * policy.resale_share_pct / 100
    worn = replace(item, condition=replace(Condition.best(), body="worn"))
    assert rule_prediction(policy)(worn) == 2000 - round(2000 * 0.08)


def test_prediction_error_waits_for_30_sales_then_gives_mape_and_bias(policy):
    item = _stocked("a", date(2026, 1, 1))
    sales = [_sold(replace(item, purchase_id=f"s{i}"), 2500, date(2026, 1, 2)) for i in range(29)]
    assert prediction_errors(sales, rule_prediction(policy)) is None
    sales.append(_sold(replace(item, purchase_id="s29"), 2500, date(2026, 1, 2)))
    errors = prediction_errors(sales, rule_prediction(policy))
    assert errors is not None and len(sales) == MIN_SALES_FOR_ERROR
    overall = errors[-1]
    assert overall.segment == "all" and overall.n == 30
    assert overall.mape == pytest.approx(500 / 2500)
    assert overall.bias == pytest.approx(-500 / 2500)  # the rule said 2.000, it sold for 2.500


def test_a_synthetic_year_gives_every_figure(policy):
    year = generate_year(11, YearPlan(quotes=800), catalog=model_catalog(), policy=policy)
    figures = resale_figures(year.sold, year.stocked, policy, ResaleTerms(), year.end)
    assert figures.synthetic and figures.sales == len(year.sold)
    assert figures.stock.count == len(year.stocked)
    assert len(figures.sell_through) == 12
    assert figures.errors is not None
    gaming = next(e for e in figures.errors if e.segment == "gaming")
    assert gaming.bias < 0  # the policy's 50 % undersells the planted 61 %
    assert {e.segment for e in figures.advice.shares} == {"casual", "gaming", "thinnlight"}


def test_synthetic_and_real_items_are_never_summed_together(policy):
    real = _stocked("a", date(2026, 1, 1))
    fake = replace(real, purchase_id="SYN-1", synthetic=True)
    with pytest.raises(MixedSources):
        resale_figures([], [real, fake], policy, ResaleTerms(), date(2026, 2, 1))


def test_the_resale_terms_are_optional_and_checked():
    assert parse_resale_terms(None) == ResaleTerms()
    assert parse_resale_terms({"min_sales_per_segment": 40}).min_sales_per_segment == 40
    with pytest.raises(PolicyError, match=r"resale\.min_sales_per_segment"):
        parse_resale_terms({"min_sales_per_segment": 3})
    with pytest.raises(PolicyError, match=r"resale\.colour"):
        parse_resale_terms({"colour": 1})
