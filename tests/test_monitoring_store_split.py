"""The chain view's sentences: a store that declines for price or closes deals far from the
other stores is named, only with enough offers on both sides and a gap of the stated factor."""

from __future__ import annotations

import pandas as pd
import pytest

from laptop_pricing.monitoring.store_split import (
    ACCEPTED,
    DECLINED_LOW_PRICE,
    chain_sentences,
    store_deviations,
    times,
)
from laptop_pricing.store_id import store_label


def counts(*rows: tuple[str, int, int, int]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["store_id", "offers", "accepted", "declined_low_price"])


def test_a_store_declining_twice_as_much_for_price_is_named_with_the_factor() -> None:
    frame = counts(("centro", 100, 40, 20), ("sul", 100, 50, 10), ("norte", 100, 50, 10))
    assert chain_sentences(frame) == [
        "A loja Centro recusa 2× mais por preço baixo que a média das outras lojas "
        "(20 de 100 ofertas)."
    ]
    (deviation,) = store_deviations(frame)
    assert deviation.store_id == "centro" and deviation.measure == DECLINED_LOW_PRICE
    assert deviation.ratio == pytest.approx(2.0)


def test_the_store_is_compared_with_the_others_not_with_a_mean_that_includes_it() -> None:
    """Against the whole chain (30 of 200 = 15 %) centro's 20 % is only 1.33×."""
    frame = counts(("centro", 100, 40, 20), ("sul", 100, 50, 10))
    assert [d.store_id for d in store_deviations(frame)] == ["centro"]


def test_below_the_factor_nothing_is_said() -> None:
    frame = counts(("centro", 100, 45, 19), ("sul", 100, 50, 10))
    assert chain_sentences(frame) == []
    assert chain_sentences(frame, factor=1.5) != []


def test_too_few_offers_on_either_side_says_nothing() -> None:
    small = counts(("centro", 10, 1, 8), ("sul", 200, 100, 10))
    assert chain_sentences(small) == []  # centro: 10 offers
    assert chain_sentences(small, min_offers=10) != []
    lonely = counts(("centro", 200, 40, 80), ("sul", 20, 10, 1))
    assert chain_sentences(lonely) == []  # the other stores: 20 offers


def test_a_store_closing_far_fewer_deals_is_named_too() -> None:
    frame = counts(("centro", 100, 20, 5), ("sul", 100, 60, 5), ("leste", 100, 60, 5))
    (deviation,) = store_deviations(frame)
    assert deviation.measure == ACCEPTED and deviation.store_id == "centro"
    assert deviation.sentence == (
        "A loja Centro fecha 3× menos negócios que a média das outras lojas (20 de 100 ofertas)."
    )


def test_none_against_some_is_said_without_an_infinite_factor() -> None:
    declines = counts(("centro", 50, 20, 10), ("sul", 50, 30, 0))
    assert chain_sentences(declines) == [
        "A loja Centro teve ofertas recusadas por preço baixo e as outras lojas, nenhuma "
        "(10 de 50 ofertas)."
    ]
    deals = counts(("centro", 50, 0, 5), ("sul", 50, 25, 5))
    assert chain_sentences(deals) == [
        "A loja Centro não fechou nenhum negócio e as outras lojas fecham 50,0% (0 de 50 ofertas)."
    ]


def test_one_store_or_rows_split_by_day_are_read_per_store() -> None:
    assert chain_sentences(counts(("centro", 500, 10, 400))) == []
    by_day = counts(
        ("centro", 50, 20, 10), ("centro", 50, 20, 10), ("sul", 50, 25, 5), ("sul", 50, 25, 5)
    )
    assert [d.store_id for d in store_deviations(by_day)] == ["centro"]


def test_the_strongest_deviation_comes_first() -> None:
    frame = counts(
        ("a", 100, 50, 10), ("b", 100, 50, 10), ("c", 100, 50, 10), ("d", 100, 50, 10),
        ("centro", 100, 50, 35), ("sul", 100, 50, 40),
    )  # fmt: skip
    assert [d.store_id for d in store_deviations(frame)] == ["sul", "centro"]


def test_missing_columns_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="declined_low_price"):
        store_deviations(pd.DataFrame({"store_id": ["a"], "offers": [1], "accepted": [1]}))


def test_words_for_a_store_and_a_factor() -> None:
    assert store_label("centro") == "Centro"
    assert store_label("loja-sul-2") == "Loja Sul 2"
    assert times(2.0) == "2×" and times(2.34) == "2,3×"


def test_the_joined_offers_count_per_store_and_the_store_is_a_split_of_the_offers() -> None:
    from laptop_pricing.monitoring import business
    from laptop_pricing.monitoring.store_split import per_store_counts

    joined = pd.DataFrame(
        {
            "store_id": ["centro", "centro", "", "sul"],
            business.STATUS: [business.DEAL, business.DECLINED, business.DEAL, business.OPEN],
            business.LOW_OFFER: [False, True, False, False],
        }
    )
    counts = per_store_counts(joined).set_index("store_id")
    assert counts.loc["centro"].tolist() == [2, 1, 1]  # offers, deals, declined as too low
    assert counts.loc["loja"].tolist() == [1, 1, 0]  # no store: the default one
    assert counts.loc["sul"].tolist() == [1, 0, 0]
    assert business.SEGMENTS_BY_COLUMN["store_id"].value_label("") == "Loja"


def test_a_categorical_store_column_counts_as_its_text_does() -> None:
    """The page's rows hold the store as a categorical (unused categories, a padded value, a
    missing one): counted per category, the same as the column read as text row by row."""
    from laptop_pricing.monitoring import business
    from laptop_pricing.monitoring.store_split import per_store_counts

    stores = ["sul", " centro ", None, "centro", "sul", "", "Sul"]
    categories = ["zeta", " centro ", "centro", "sul", "", "Sul"]
    joined = pd.DataFrame(
        {
            "store_id": pd.Categorical(stores, categories=categories),
            business.STATUS: [business.DEAL, business.DEAL, business.OPEN, business.DECLINED,
                              business.DECLINED, business.DEAL, business.OPEN],
            business.LOW_OFFER: [False, False, False, True, True, False, False],
        }
    )  # fmt: skip
    as_text = joined.assign(store_id=[s if s is not None else "" for s in stores])
    counts = per_store_counts(joined)
    pd.testing.assert_frame_equal(counts, per_store_counts(as_text))
    assert counts["store_id"].tolist() == sorted(set(counts["store_id"]))
    assert "zeta" not in set(counts["store_id"])  # a category no row holds
    assert counts["offers"].sum() == len(stores)
    assert per_store_counts(joined.iloc[:0]).empty
