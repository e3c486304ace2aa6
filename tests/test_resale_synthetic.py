"""The synthetic store year: seeded, marked synthetic everywhere, sold by its planted rule."""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from laptop_pricing.resale import synthetic
from laptop_pricing.resale.sales import InvalidSaleFact, SoldItem
from laptop_pricing.resale.synthetic import PLANTED, YearPlan, generate_year, model_catalog
from laptop_pricing.resale.synthetic_files import NotSynthetic, read_items, write_year

SMALL = YearPlan(quotes=300)


@pytest.fixture(scope="module")
def year() -> synthetic.SyntheticYear:
    return generate_year(7, SMALL, catalog=model_catalog())


def test_the_same_seed_makes_the_same_year_and_another_seed_another(year):
    assert generate_year(7, SMALL, catalog=model_catalog()) == year
    assert generate_year(8, SMALL, catalog=model_catalog()).sold != year.sold


def test_a_year_goes_from_quotes_to_purchases_to_sales_and_stock(year):
    bought = [q for q in year.quotes if q.paid is not None]
    assert len(year.quotes) == SMALL.quotes
    assert len(bought) == len(year.sold) + len(year.stocked) > 0
    assert {q.decision for q in year.quotes} <= {"accepted", "negotiated", "declined", ""}
    states = {(e.purchase_id, e.state) for e in year.stock_events}
    assert all((s.purchase_id, "sold") in states for s in year.sold)
    assert all((s.purchase_id, "sold") not in states for s in year.stocked)
    assert all(s.sold_on <= year.end and s.sold_on >= s.purchased_on for s in year.sold)


def test_every_item_and_id_is_marked_synthetic(year):
    assert all(item.synthetic for item in (*year.sold, *year.stocked))
    assert all(q.quote_id.startswith("SYN-") for q in year.quotes)
    assert all(item.purchase_id.startswith("SYN-") for item in (*year.sold, *year.stocked))


def test_sales_follow_the_planted_rule_around_its_median():
    big = generate_year(3, YearPlan(quotes=1200), catalog=model_catalog())
    ratios = [
        s.sale_price / PLANTED.expected_sale(s.market_estimate, s.segment, s.condition)
        for s in big.sold
        if PLANTED.expected_sale(s.market_estimate, s.segment, s.condition) > 0
    ]
    assert abs(statistics.median(ratios) - 1) < 0.02


def test_files_read_back_as_the_same_items_and_every_row_says_synthetic(year, tmp_path):
    folder = write_year(year, tmp_path)
    assert folder.name == "synthetic-store-seed7"
    for name in ("quotes.csv", "stock_events.csv", "items.csv"):
        assert (pd.read_csv(folder / name, dtype=str)["synthetic"] == "true").all()
    sold, stocked = read_items(folder)
    assert sold == year.sold
    assert stocked == year.stocked


def test_reading_refuses_a_file_not_marked_synthetic(year, tmp_path):
    folder = write_year(year, tmp_path)
    items = pd.read_csv(folder / "items.csv", dtype=str, keep_default_na=False)
    items.loc[0, "synthetic"] = "false"
    items.to_csv(folder / "items.csv", index=False)
    with pytest.raises(NotSynthetic):
        read_items(folder)
    with pytest.raises(NotSynthetic):
        read_items(tmp_path)


def test_the_command_writes_the_year_under_a_synthetic_folder(tmp_path, capsys):
    assert synthetic.main(["--seed", "5", "--out", str(tmp_path), "--quotes", "60"]) == 0
    assert (tmp_path / "synthetic-store-seed5" / "planted_rule.json").is_file()
    assert "synthetic" in capsys.readouterr().out


def test_a_sale_before_its_purchase_or_below_one_real_is_refused(year):
    sale: SoldItem = year.sold[0]
    with pytest.raises(InvalidSaleFact):
        replace(sale, sold_on=date(2000, 1, 1))
    with pytest.raises(InvalidSaleFact):
        replace(sale, sale_price=0)
