"""The R$ conversion of log-space contributions: exact, sign-keeping, order-free, whole reais."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from components.price_explanation import explanation_lines, signed_amount
from laptop_pricing.pricing.comparables import Comparable
from laptop_pricing.pricing.explanation import (
    Contribution,
    Explanation,
    explain,
    reais,
    round_to_total,
)
from laptop_pricing.pricing.schema import FIELD_NAMES


def test_log_contributions_become_reais_that_add_up_to_price_minus_baseline():
    phis = [0.2, -0.05, 0.1, -0.3]
    baseline, amounts = reais(phis, math.log(4000))
    price = 4000 * math.exp(sum(phis))
    assert baseline == pytest.approx(4000)
    assert sum(amounts) == pytest.approx(price - 4000)
    assert [np.sign(a) for a in amounts] == [np.sign(p) for p in phis]
    # Order-free: permuting the fields permutes the amounts, nothing else.
    _, permuted = reais(phis[::-1], math.log(4000))
    assert permuted == pytest.approx(amounts[::-1])


def test_cancelling_contributions_are_stable():
    _, amounts = reais([0.1, -0.1], math.log(5000))
    assert amounts == pytest.approx([500.0, -500.0])  # phi * B when P == B


@pytest.mark.parametrize("seed", range(20))
def test_rounding_hits_the_total_and_stays_within_one_real(seed):
    rng = np.random.default_rng(seed)
    amounts = list(rng.normal(0, 400, 15))
    total = round(sum(amounts)) + int(rng.integers(-1, 2))
    whole = round_to_total(amounts, total)
    assert sum(whole) == total
    assert all(abs(w - a) < 2 for w, a in zip(whole, amounts, strict=True))


def test_explain_states_one_entry_per_field_and_adds_up_exactly():
    phis = np.linspace(-0.1, 0.12, len(FIELD_NAMES))
    price = round(4420 * math.exp(phis.sum()))
    explanation = explain(phis, math.log(4420), price, [None] * len(FIELD_NAMES))
    assert [c.field for c in explanation.contributions] == list(FIELD_NAMES)
    assert explanation.baseline + sum(c.amount for c in explanation.contributions) == price


def test_card_lines_show_the_top_fields_and_the_rest_in_one_line():
    contributions = tuple(
        Contribution(name, value, amount)
        for name, value, amount in (
            ("ram_gb", 16, 820),
            ("ssd", 256, -390),
            ("brand", "acer", -120),
            ("processor_name", "core i7", 600),
            ("os", "windows", 15),
            ("warranty", 0, -5),
        )
    )
    lines = explanation_lines(Explanation(4000, contributions))
    assert lines[0] == "Memória RAM: 16 GB **+ R$\xa0820**"
    assert lines[1] == "Processador: Core i7 **+ R$\xa0600**"
    assert lines[-1] == "Demais características **+ R$\xa010**"  # 15 - 5
    assert len(lines) == 5
    assert signed_amount(-1234) == "− R$\xa01.234"


def test_json_of_an_explanation_and_a_comparable_is_what_json_dumps_writes():
    contributions = (
        Contribution("ram_gb", 16, 820),
        Contribution("msoffice", None, -3),
        Contribution("brand", 'un"listed \u00e9', 0),  # a value the schema does not list
    )
    explanation = Explanation(baseline=4420, contributions=contributions)
    assert explanation.as_json() == json.dumps(explanation.as_body())
    fields = {"brand": "dell", "ram_gb": 8, "msoffice": None}
    for same in (True, False):
        comparable = Comparable(fields=fields, price=3100, same_processor=same)
        assert comparable.as_json() == json.dumps(comparable.as_body())
