"""The "Negócios" numbers: a synthetic quarter with a known acceptance per processor gives
those rates; Wilson intervals; the summary sentence; the chart builders."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from laptop_pricing.monitoring import business, business_charts, business_summary
from laptop_pricing.monitoring.charts import MAX_FIGURE_BYTES
from laptop_pricing.monitoring.outcome_reader import (
    current_outcomes,
    empty_outcomes,
    outcomes_frame,
)
from laptop_pricing.trade_in import outcome
from laptop_pricing.trade_in.quote_id import QuoteIdGenerator
from tests import synthetic_business as synthetic


def figure_bytes(figure) -> int:
    """Size of the JSON the browser receives for this figure."""
    return len(figure.to_json().encode("utf-8"))


END = date(2026, 3, 31)


@pytest.fixture(scope="module")
def quarter() -> synthetic.SyntheticBusiness:
    return synthetic.quotes_and_outcomes(END, days=91, quotes_per_day=40)


@pytest.fixture(scope="module")
def joined(quarter) -> pd.DataFrame:
    return business.join_outcomes(quarter.quotes, quarter.outcomes_frame())


def test_a_quarter_gives_the_acceptance_built_into_each_processor(quarter, joined):
    rates = business.segment_rates(joined, "processor_name").set_index("value")
    assert set(rates.index) == set(synthetic.ACCEPTANCE_BY_PROCESSOR)
    for name, rate in synthetic.ACCEPTANCE_BY_PROCESSOR.items():
        row = rates.loc[name]
        assert row["deals"] == round(rate * row["decided"]), name
        assert row["acceptance"] == pytest.approx(rate, abs=0.5 / row["decided"])
        assert row["acceptance_low"] < rate < row["acceptance_high"]
    assert rates["quotes"].sum() == len(quarter.quotes)
    # Every quote with no stored outcome is open; the others are decided.
    stored = set(quarter.outcomes_frame()["quote_id"])
    assert rates["open"].sum() == len(set(quarter.quotes["quote_id"]) - stored)
    assert rates.loc["ryzen 7", "label"] == "Ryzen 7"


def test_a_later_outcome_supersedes_an_earlier_one_and_a_repeat_counts_once(quarter, joined):
    history = quarter.outcomes_frame()
    assert history["quote_id"].duplicated().any()  # the synthetic history has both cases
    decided = joined[joined[business.STATUS] != business.OPEN]
    assert decided["quote_id"].is_unique
    last = history.sort_values("recorded_at").drop_duplicates("quote_id", keep="last")
    expected = dict(zip(last["quote_id"], last["decision"], strict=True))
    assert dict(zip(decided["quote_id"], decided["decision"], strict=True)) == expected


def test_every_segment_adds_up_to_all_quotes(joined):
    table = business.all_segment_rates(joined)
    assert list(dict.fromkeys(table["segment"])) == [s.column for s in business.SEGMENTS]
    for _, part in table.groupby("segment"):
        assert part["quotes"].sum() == len(joined)
        assert part["deals"].sum() == (joined[business.STATUS] == business.DEAL).sum()
    bands = table[table["segment"] == business.PRICE_BAND]["label"].tolist()
    assert bands == list(business.price_band_labels())  # in price order, not alphabetical
    grades = table[table["segment"] == business.CONDITION]["label"].tolist()
    assert grades == ["Sem defeitos", "1 defeito", "2 ou mais defeitos"]


def test_each_segment_s_rates_are_a_groupby_of_the_quotes(joined):
    """The counted rates (one ``np.bincount`` of value and outcome) are what a ``groupby`` of
    the joined quotes gives, for every segment, with some values missing (in no group)."""
    holed = joined.copy()
    holed.loc[holed.index[::7], "brand"] = None
    holed.loc[holed.index[::5], "processor_name"] = None
    table = business.all_segment_rates(holed)
    for segment in business.SEGMENTS:
        keys = holed[segment.column].astype("object")
        known = keys.notna() & (keys.astype(str) != "None")
        part = holed[known.to_numpy()].assign(value=keys[known].astype(str))
        status = part[business.STATUS].astype(str)
        by_value = part.assign(
            deal=status == business.DEAL,
            decided=status != business.OPEN,
            low=part[business.LOW_OFFER].astype(bool),
            open=status == business.OPEN,
        ).groupby("value")
        expected = pd.DataFrame(
            {
                "quotes": by_value.size(),
                "decided": by_value["decided"].sum(),
                "deals": by_value["deal"].sum(),
                "declined_low_offer": by_value["low"].sum(),
                "open": by_value["open"].sum(),
                "paid_ratio": by_value[business.PAID_RATIO].mean(),
            }
        )
        got = table[table["segment"] == segment.column].set_index("value")
        got = got.loc[expected.index, list(expected.columns)]
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_names=False)
    assert holed[business.LOW_OFFER].any() and holed[business.PAID_RATIO].notna().any()


def test_the_condition_grade_counts_the_answers_that_are_defects():
    answers = pd.DataFrame(
        {
            "condition_screen": ["perfect", "broken", "scratched", ""],
            "condition_body": ["like_new", "like_new", "worn", ""],
            "condition_charger": ["true", "true", "false", ""],
        }
    )
    assert business.condition_grades(answers).tolist() == [
        "Sem defeitos",
        "1 defeito",
        "2 ou mais defeitos",
        "Sem condição informada",
    ]


def test_paid_over_offer_uses_the_offer_when_accepted_and_the_amount_otherwise():
    quotes = pd.DataFrame(
        {
            "quote_id": ["A", "B", "C", "D"],
            "offer": [1000, 1000, 2000, 500],
            "price": [2000, 2000, 4000, 900],
            "timestamp": pd.to_datetime(["2026-03-30T10:00Z"] * 4, utc=True),
            "processor_name": ["core i5"] * 4,
        }
    )
    at = datetime(2026, 3, 30, 12, tzinfo=UTC)
    made = [
        outcome.Outcome("A", "e-00000001", "accepted", None, None, "", None, 1000, False, at),
        outcome.Outcome("B", "e-00000002", "negotiated", 1100, None, "", None, 1000, False, at),
        outcome.Outcome("C", "e-00000003", "revised", 1500, None, "", "screen", 2000, False, at),
    ]
    frame = outcomes_frame([item.as_record() for item in made])
    joined = business.join_outcomes(quotes, frame).set_index("quote_id")
    assert joined["paid_ratio"].round(3).to_dict() == pytest.approx(
        {"A": 1.0, "B": 1.1, "C": 0.75, "D": np.nan}, nan_ok=True
    )
    assert joined.loc["D", "status"] == business.OPEN


def test_quotes_without_an_offer_are_left_out():
    quotes = pd.DataFrame(
        {
            "quote_id": ["A", "B"],
            "offer": [1000, None],
            "price": [2000, 2000],
            "timestamp": pd.to_datetime(["2026-03-30T10:00Z"] * 2, utc=True),
        }
    )
    joined = business.join_outcomes(quotes, empty_outcomes())
    assert joined["quote_id"].tolist() == ["A"]
    before_offers = quotes.drop(columns=["quote_id", "offer"])  # a log from before quotes
    assert business.join_outcomes(before_offers, empty_outcomes()).empty


@pytest.mark.parametrize(("k", "n"), [(62, 100), (0, 10), (10, 10), (3, 7), (480, 1000)])
def test_wilson_interval_matches_scipy(k, n):
    low, high = business.wilson_interval([k], [n])
    expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert low[0] == pytest.approx(expected.low, abs=1e-9)
    assert high[0] == pytest.approx(expected.high, abs=1e-9)


def test_wilson_interval_by_hand_and_without_trials():
    low, high = business.wilson_interval([62, 0], [100, 0])
    assert (round(low[0], 4), round(high[0], 4)) == (0.5221, 0.709)
    assert np.isnan(low[1]) and np.isnan(high[1])


def test_acceptance_over_time_has_one_row_per_week_and_the_interval_around_it(joined):
    weekly = business.acceptance_over_time(joined)
    assert len(weekly) in (13, 14)
    assert weekly["quotes"].sum() == len(joined)
    decided = weekly[weekly["decided"] > 0]
    assert (decided["acceptance_low"] <= decided["acceptance"]).all()
    assert (decided["acceptance"] <= decided["acceptance_high"]).all()


def test_a_quote_without_a_time_is_in_no_week(joined):
    """A quote whose time cannot be read belongs to no week: never counted in another one."""
    timeless = joined.copy()
    timeless.loc[timeless.index[0], "timestamp"] = pd.NaT
    weekly = business.acceptance_over_time(timeless)
    pd.testing.assert_frame_equal(weekly, business.acceptance_over_time(timeless.iloc[1:]))
    assert weekly["quotes"].sum() == len(joined) - 1


def test_where_low_offers_concentrate_reads_categoricals_as_their_text(joined):
    """The page's rows hold the segments as categoricals (with categories no quote uses): the
    summary names the same value as from the same columns as text."""
    columns = [c for c in business_summary.FOCUS_SEGMENTS if c in joined]
    as_text = joined.assign(**{c: joined[c].astype(str) for c in columns})
    as_categories = joined.assign(
        **{c: pd.Categorical(as_text[c], categories=[*sorted(set(as_text[c])), "—"])
           for c in columns}
    )  # fmt: skip
    focus = business_summary.business_summary(as_text, END, days=91).low_offer_focus
    assert focus is not None
    assert business_summary.business_summary(as_categories, END, days=91).low_offer_focus == focus


def test_the_summary_sentence_names_the_processor_where_low_offers_concentrate(joined):
    summary = business_summary.business_summary(joined, END, days=28)
    assert summary.start == END - timedelta(days=27)
    sentence = business_summary.summary_sentence(summary)
    assert sentence.startswith("Nas últimas 4 semanas, ")
    assert f"{round(summary.acceptance * 100)}% das ofertas foram aceitas" in sentence
    assert "recusadas por valor baixo, concentradas em Ryzen 7" in sentence
    assert sentence.endswith(f"; {summary.open} ofertas ainda em aberto.")
    busy = dataclasses.replace(summary, quotes=30_000, open=2142)
    assert "; 2.142 ofertas ainda em aberto." in business_summary.summary_sentence(busy)


def test_the_summary_sentence_of_a_quiet_period():
    empty = business.join_outcomes(
        pd.DataFrame(
            {"quote_id": [], "offer": [], "price": [], "timestamp": pd.to_datetime([], utc=True)}
        ),
        empty_outcomes(),
    )
    sentence = business_summary.summary_sentence(
        business_summary.business_summary(empty, END, days=7)
    )
    assert sentence == "Na última semana, nenhuma oferta foi feita."


def test_the_figures_are_built_from_the_small_tables(joined):
    per_day = business.quotes_per_day(joined)
    figure = business_charts.quotes_per_day_figure(per_day)
    assert [t.name for t in figure.data] == ["Fechadas", "Recusadas", "Em aberto"]
    assert sum(sum(t.y) for t in figure.data) == len(joined)
    weekly = business.acceptance_over_time(joined)
    acceptance = business_charts.acceptance_figure(weekly, alert_below=0.4)
    line = acceptance.data[-1]
    assert list(line.y) == pytest.approx(weekly["acceptance"].tolist())
    assert acceptance.layout.shapes[0].y0 == 0.4
    rates = business.segment_rates(joined, "processor_name")
    segment = business_charts.segment_figure(rates, "Por processador")
    assert list(segment.data[0].x) == pytest.approx(rates["acceptance"].tolist())
    for built in (figure, acceptance, segment):
        assert figure_bytes(built) < MAX_FIGURE_BYTES / 10
        assert built.layout.separators == ",."


def test_the_section_view_has_the_sentence_the_figures_and_every_segment(quarter):
    from laptop_pricing.monitoring.business_view import compute_business_view, segment_figure

    view = compute_business_view(
        quarter.quotes, quarter.outcomes_frame(), END - timedelta(days=27), END, alert_below=0.4
    )
    assert view.sentence.startswith("Nas últimas 4 semanas, ")
    assert view.quotes == view.summary.quotes == 28 * 40
    low, high = view.summary.acceptance_interval
    assert low < view.summary.acceptance < high
    assert list(view.figures) == ["per_day", "acceptance"]
    assert set(view.segments["segment"]) == {s.column for s in business.SEGMENTS}
    figure = segment_figure(view, "brand")
    assert figure.layout.title.text.startswith("Por marca")
    quiet = compute_business_view(quarter.quotes, quarter.outcomes_frame(), END + timedelta(1),
                                  END + timedelta(7))  # fmt: skip
    assert quiet.figures == {} and quiet.segments is None
    assert segment_figure(quiet, "brand") is None
    assert quiet.sentence == "Na última semana, nenhuma oferta foi feita."


def test_the_pages_categorical_rows_give_what_plain_text_gives(quarter):
    """The page reads each text column as a categorical and the section reads it once per
    category: the same rates, grades and weeks as from plain text, missing values included."""
    plain = quarter.quotes.copy()
    plain.loc[plain.index[::7], "condition_screen"] = None  # unanswered
    plain.loc[plain.index[::11], "policy_version"] = None  # a segment with a missing value
    plain.loc[plain.index[::13], "brand"] = " DELL "  # an answer as a clerk might type it
    text_columns = [
        c for c in plain.columns if pd.api.types.is_string_dtype(plain[c]) and c != "quote_id"
    ]
    categorical = plain.astype({c: "category" for c in [*text_columns, "offer"]})
    outcomes = quarter.outcomes_frame()
    joined = {
        "plain": business.join_outcomes(plain, outcomes),
        "categorical": business.join_outcomes(categorical, outcomes),
    }
    grades = {k: business.condition_grades(v).astype(str).tolist() for k, v in joined.items()}
    assert grades["plain"] == grades["categorical"]
    assert "Sem condição informada" not in grades["plain"]  # one answer of seven still counts
    rates = {k: business.all_segment_rates(v) for k, v in joined.items()}
    pd.testing.assert_frame_equal(rates["plain"], rates["categorical"], check_dtype=False)
    policies = rates["categorical"].query("segment == 'policy_version'")
    assert policies["quotes"].sum() == len(plain) - plain["policy_version"].isna().sum()
    assert joined["categorical"]["brand"].dtype == "category"  # the test compares two paths
    weeks = {k: business.acceptance_over_time(v) for k, v in joined.items()}
    pd.testing.assert_frame_equal(weeks["plain"], weeks["categorical"], check_dtype=False)


@pytest.mark.parametrize("canonical", [False, True], ids=["texts", "canonical ids"])
def test_each_quote_reads_its_current_outcome_as_a_merge_would(canonical):
    """The lookup that replaced the merge gives each quote what ``current_outcomes`` merged on
    the quote id gives: superseded outcomes, outcomes of quotes not in the period, a repeated
    quote (first kept) and quote ids as categories or text. Canonical ids are looked up by
    their keys (``quote_id_keys``), where an outcome under the lower-case form of an id
    matches no quote, as its text matches none."""
    rng = np.random.default_rng(7)
    if canonical:
        generator = QuoteIdGenerator(random.Random(7).getrandbits)
        moment = datetime(2026, 3, 30, 10, tzinfo=UTC)
        ids = [generator.new(moment + timedelta(seconds=i)) for i in range(60)]
        gone = [ids[5].lower(), generator.new(moment + timedelta(days=40))]
    else:
        ids = [f"Q{i:03d}" for i in range(60)]
        gone = ["GONE-1", "GONE-2"]
    quotes = pd.DataFrame(
        {
            "quote_id": [*ids, ids[1]],  # a retry of the second quote logged twice
            "offer": rng.integers(500, 3000, 61),
            "price": rng.integers(1000, 6000, 61),
            "timestamp": pd.to_datetime(["2026-03-30T10:00Z"] * 61, utc=True),
        }
    )
    decisions = ["accepted", "declined", "negotiated", "revised"]
    made = [
        outcome.Outcome(
            quote,
            f"e-{k:08d}",
            decisions[k % 4],
            1000 + k if decisions[k % 4] in ("negotiated", "revised") else None,
            "offer_too_low" if decisions[k % 4] == "declined" else None,
            "",
            "screen" if decisions[k % 4] == "revised" else None,
            1000,
            False,
            datetime(2026, 3, 30, 12, tzinfo=UTC) + timedelta(minutes=k),
        )
        for k, quote in enumerate([*gone, *rng.choice(ids, 80)])  # the lookup skips the first
    ]
    frame = outcomes_frame([item.as_record() for item in made])
    current = current_outcomes(frame).set_index("quote_id")
    for quote_ids in (quotes["quote_id"], quotes["quote_id"].astype("category")):
        joined = business.join_outcomes(quotes.assign(quote_id=quote_ids), frame)
        assert joined["quote_id"].tolist() == ids  # each quote once, in order
        for row in joined.itertuples():
            if row.quote_id not in current.index:
                assert row.status == business.OPEN and pd.isna(row.decision)
                assert pd.isna(row.amount) and pd.isna(row.recorded_at)
                continue
            expected = current.loc[row.quote_id]
            assert row.decision == expected["decision"]
            assert str(row.reason) == str(expected["reason"])
            assert row.recorded_at == expected["recorded_at"]
            assert pd.isna(row.amount) == pd.isna(expected["amount"])
            assert pd.isna(row.amount) or row.amount == expected["amount"]
            deal = expected["decision"] in outcome.DEAL_DECISIONS
            assert row.status == (business.DEAL if deal else business.DECLINED)
