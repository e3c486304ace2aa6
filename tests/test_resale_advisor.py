"""The policy advisor recovers a planted resale share and says so in one pt-BR sentence."""

from __future__ import annotations

import pytest

from laptop_pricing.resale.advisor import (
    ShareEvidence,
    advise,
    median_interval,
    share_suggestion,
)
from laptop_pricing.resale.synthetic import (
    PLANTED,
    YearPlan,
    generate_year,
    model_catalog,
    policy_rule,
)
from laptop_pricing.trade_in.policy import load_policy

SEEDS = 50
COVERAGE_PLAN = YearPlan(quotes=500)
COVERAGE_MIN_SALES = 15


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def test_the_median_interval_is_the_binomial_order_statistics():
    values = [float(v) for v in range(1, 21)]  # n = 20: P(B <= 5) = 2.1 %, P(B <= 6) = 5.8 %
    assert median_interval(values) == (6.0, 15.0)
    with pytest.raises(ValueError):
        median_interval([1.0, 2.0, 3.0, 4.0, 5.0])


def test_the_interval_contains_the_planted_share_in_90_percent_of_50_seeds(policy):
    catalog = model_catalog()
    covered: dict[str, int] = {}
    spoke: dict[str, int] = {}
    for seed in range(SEEDS):
        year = generate_year(seed, COVERAGE_PLAN, catalog=catalog, policy=policy)
        for evidence in advise(year.sold, policy, COVERAGE_MIN_SALES).shares:
            spoke[evidence.segment] = spoke.get(evidence.segment, 0) + 1
            planted = PLANTED.resale_share[evidence.segment]
            covered[evidence.segment] = covered.get(evidence.segment, 0) + evidence.contains(
                planted
            )
    assert set(spoke) == {"casual", "gaming", "thinnlight"}
    for segment, times in spoke.items():
        assert times >= 0.9 * SEEDS, f"{segment} had enough sales in only {times} seeds"
        assert covered[segment] >= 0.9 * times, f"{segment}: {covered[segment]} of {times}"


def test_the_gamer_sentence_says_what_we_sell_at_and_what_the_policy_uses():
    evidence = ShareEvidence("gaming", 34, 0.61, 0.58, 0.64, 0.50)
    assert share_suggestion(evidence) == (
        "notebooks gamer: vendemos a 61% do valor de mercado; a política usa 50% (mediana de "
        "34 vendas sem defeitos; intervalo de 95%: 58% a 64%). Sugestão: rever a participação de "
        "revenda (resale_share_pct) na política."
    )
    agreeing = ShareEvidence("casual", 40, 0.51, 0.49, 0.53, 0.50)
    assert "dentro do que as vendas mostram" in share_suggestion(agreeing)


def test_a_segment_with_too_few_sales_gets_no_suggestion(policy):
    year = generate_year(1, YearPlan(quotes=150), catalog=model_catalog(), policy=policy)
    gamers = sum(s.segment == "gaming" and s.perfect for s in year.sold)
    advice = advise(year.sold, policy, gamers + 1)
    assert "gaming" not in {e.segment for e in advice.shares}


def test_where_the_policy_is_right_the_advisor_agrees_with_it(policy):
    year = generate_year(2, YearPlan(quotes=1200), policy_rule(policy), model_catalog(), policy)
    advice = advise(year.sold, policy, 20)
    assert len(advice.shares) == 3
    assert all(e.agrees for e in advice.shares)


def test_the_fitted_deductions_are_near_the_planted_ones(policy):
    year = generate_year(4, YearPlan(quotes=1500), catalog=model_catalog(), policy=policy)
    advice = advise(year.sold, policy, 20)
    fitted = {d.answer_ref: d for d in advice.deductions}
    assert {"screen.scratched", "body.worn"} <= set(fitted)
    for ref, evidence in fitted.items():
        assert abs(evidence.estimate - PLANTED.deductions[ref]) < 0.06, ref
    assert fitted["body.worn"].policy_deduction == 0.08
    assert any("Carcaça e dobradiças: Marcas de uso" in s for s in advice.sentences)
